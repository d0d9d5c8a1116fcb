import Foundation
import DiscreteGradients
import Pipeline

/// The toy of Section 6.1 (and the lecture's "simple example"): minimise E_{b ~ Bern(theta)}[(b - t)^2]
/// over theta = sigmoid(a), a starting at 0, Adam lr 0.01 on every parameter, one sample per step.
/// The optimum is theta = 0 for t < 1/2. REBAR's (eta, log lambda) and RELAX's surrogate (10 tanh
/// units on 2 sigmoid(z / tau) - 1, and log tau) are trained on the Eq. 14 variance gradient.
public enum RelaxToyMethod: String, Codable, CaseIterable, Sendable {
    case reinforce, rebar, relax
    /// Mutant: RELAX whose surrogate ascends the variance (a sign error in the phi update).
    case relaxVarianceAscent = "relax-variance-ascent"
    public var label: String {
        switch self { case .reinforce: "REINFORCE"; case .rebar: "REBAR"; case .relax: "RELAX"; case .relaxVarianceAscent: "RELAX (variance ascent)" }
    }
}

public struct RelaxToyRun: Codable, Sendable {
    public var method: RelaxToyMethod
    public var target: Double
    public var steps: Int
    /// Checkpoint steps with theta, the exact loss and the exact log tr Var(g) there.
    public var checkpointSteps: [Int]
    public var theta: [Double]
    public var loss: [Double]
    public var logVariance: [Double]
    public var finalTheta: Double
    public var finalLoss: Double
    /// Mean of log Var(g) over the checkpoints: one scalar per seed.
    public var meanLogVariance: Double
    /// Final surrogate parameters (empty for REINFORCE).
    public var surrogateParameters: [Double]
    public var finalLogit: Double
}

enum RelaxToy {
    static let hidden = 10
    static let learningRate = 0.01
    static let initialLogTemperature = log(0.5)

    /// The exact variance of the current estimator at logit a, by quadrature over (u, v). Every
    /// method is unbiased, so Var(g) = E[(g - g*)^2] with the closed-form gradient g*: no
    /// cancellation, and never negative.
    static func exactVariance(method: RelaxToyMethod, a: Double, f: SquaredDistance, rebar: ScaledRelaxedObjective<SquaredDistance>?,
                              relax: TanhSurrogate?, points: Int = 16) -> Double {
        let exact = f.exactGradient(logits: [a])[0]
        let q = NoiseQuadrature.relaxNoise(logits: [a], pointsPerPiece: points)
        return q.expectation { x in
            let g = estimate(method: method, a: a, u: x[0], v: x[1], f: f, rebar: rebar, relax: relax, varianceGradient: false).gradient[0]
            return [(g - exact) * (g - exact)]
        }[0]
    }

    static func estimate(method: RelaxToyMethod, a: Double, u: Double, v: Double, f: SquaredDistance,
                         rebar: ScaledRelaxedObjective<SquaredDistance>?, relax: TanhSurrogate?, varianceGradient: Bool) -> GradientEstimate {
        let sample = RelaxedBernoulliSample(logits: [a], u: [u], v: [v])
        switch method {
        case .reinforce:
            return GradientEstimate(gradient: Reinforce.estimate(IndependentBernoulli(logits: [a]), sample: sample.b, value: f.value(sample.b)))
        case .rebar:
            return Rebar.estimate(f, sample: sample, controlVariate: rebar!, varianceGradient: varianceGradient)
        case .relax, .relaxVarianceAscent:
            return Relax.estimate(value: f.value(sample.b), sample: sample, surrogate: relax!, varianceGradient: varianceGradient)
        }
    }

    /// Trains one seed. `fixedLogit`: keep a fixed (only the surrogate learns), for the relaxation-direction claim.
    static func train(method: RelaxToyMethod, target t: Double, steps: Int, checkpoints: Int, stream: RandomStream,
                      fixedLogit: Bool = false, context: RunContext? = nil) throws -> RelaxToyRun {
        var noise = stream
        var initStream = noise.split(1)
        let f = SquaredDistance(targets: [t])
        var a = 0.0
        var rebar: ScaledRelaxedObjective<SquaredDistance>? = method == .rebar ? ScaledRelaxedObjective(f, eta: 1, logTemperature: initialLogTemperature) : nil
        var relax: TanhSurrogate? = (method == .relax || method == .relaxVarianceAscent)
            ? TanhSurrogate(inputs: 1, hidden: hidden, logTemperature: initialLogTemperature, stream: &initStream) : nil
        var adamA = Adam(parameterCount: 1, learningRate: learningRate)
        var adamPhi = Adam(parameterCount: rebar?.parameters.count ?? relax?.parameters.count ?? 0, learningRate: learningRate)
        let every = max(1, steps / checkpoints)
        var run = RelaxToyRun(method: method, target: t, steps: steps, checkpointSteps: [], theta: [], loss: [], logVariance: [],
                              finalTheta: .nan, finalLoss: .nan, meanLogVariance: .nan, surrogateParameters: [], finalLogit: .nan)
        func record(_ step: Int) {
            let theta = Fn.sigmoid(a)
            run.checkpointSteps.append(step); run.theta.append(theta)
            run.loss.append(f.expectedLoss(probabilities: [theta]))
            run.logVariance.append(log(exactVariance(method: method, a: a, f: f, rebar: rebar, relax: relax)))
        }
        for step in 0..<steps {
            if step % every == 0 { record(step) }
            let u = noise.uniform(), v = noise.uniform()
            let est = estimate(method: method, a: a, u: u, v: v, f: f, rebar: rebar, relax: relax, varianceGradient: method != .reinforce)
            guard est.gradient.allSatisfy(\.isFinite) else { throw ClaimError.nonFinite("\(method.label) gradient at step \(step)") }
            if !fixedLogit { var logit = [a]; adamA.update(&logit, gradient: est.gradient); a = logit[0] }
            if method != .reinforce {
                let dVar = est.squaredNormGradient
                guard dVar.allSatisfy(\.isFinite) else { throw ClaimError.nonFinite("\(method.label) variance gradient at step \(step)") }
                // The mutant climbs the variance instead of descending it.
                let direction: Adam.Direction = method == .relaxVarianceAscent ? .ascend : .descend
                if rebar != nil { adamPhi.update(&rebar!.parameters, gradient: dVar, direction) }
                if relax != nil { adamPhi.update(&relax!.parameters, gradient: dVar, direction) }
            }
            if step % 1000 == 0 { context?.progress(step: step, of: steps, method.label) }
        }
        record(steps)
        run.finalTheta = Fn.sigmoid(a)
        run.finalLoss = f.expectedLoss(probabilities: [run.finalTheta])
        run.meanLogVariance = run.logVariance.mean
        run.surrogateParameters = rebar?.parameters ?? relax?.parameters ?? []
        run.finalLogit = a
        guard run.logVariance.allSatisfy(\.isFinite) else { throw ClaimError.nonFinite("\(method.label) log variance") }
        return run
    }
}
