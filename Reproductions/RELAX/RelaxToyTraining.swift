import Foundation
import DiscreteGradients
import Pipeline

/// The toy of Section 6.1 (and the lecture's "simple example"): minimise E_{b ~ Bern(theta)}[(b - t)^2]
/// over theta = sigmoid(a), set up as the authors' released toy script (CLAIMS.md, relax.toy): a
/// starts at 0; one sample per step; Adam lr 0.01 on a and a second Adam lr 0.01 on every
/// surrogate parameter, which minimises the single-sample squared estimator g^2 (Eq. 14).
/// REBAR: c = eta f(sigma(z / lambda)), eta from 1, log lambda from log 0.5. RELAX:
/// c = s * dense(1)(tanh(dense(10)(2 sigmoid(z / tau) - 1))), Glorot-uniform weights, zero
/// biases, s from 0 (c starts at 0), log tau from log 0.5.
public enum RelaxToyMethod: String, Codable, CaseIterable, Sendable {
    case reinforce, rebar, relax
    /// RELAX with the paper's z~ (an independent v given b) instead of the released code's.
    case relaxIndependentV = "relax-independent-v"
    /// Mutant: RELAX whose surrogate ascends the variance (a sign error in the phi update).
    case relaxVarianceAscent = "relax-variance-ascent"
    /// A mutant: RELAX whose surrogate is never updated (the phi step forgotten), so its learned
    /// relaxation stays at its initial value c = 0 (the output scale starts at 0).
    case relaxFrozenSurrogate = "relax-frozen-surrogate"
    public var label: String {
        switch self {
        case .reinforce: "REINFORCE"; case .rebar: "REBAR"; case .relax: "RELAX"
        case .relaxIndependentV: "RELAX (paper's independent v)"; case .relaxVarianceAscent: "RELAX (variance ascent)"
        case .relaxFrozenSurrogate: "RELAX (surrogate never updated)"
        }
    }
    var isRelax: Bool { self == .relax || self == .relaxIndependentV || self == .relaxVarianceAscent || self == .relaxFrozenSurrogate }
    /// How z~ ~ p(z | b) is drawn. The released code evaluates z~ = z in value, with the
    /// derivative along the conditional path (v = the conditional noise that reproduces z); the
    /// paper's text draws an independent v. Both are unbiased; the released one is the default.
    var independentV: Bool { self == .relaxIndependentV }
}

/// Surrogate parameters and the logit at one step (for reading the learned relaxation).
public struct RelaxToySnapshot: Codable, Sendable {
    public var step: Int
    public var logit: Double
    public var parameters: [Double]
}

public struct RelaxToyRun: Codable, Sendable {
    public var method: RelaxToyMethod
    public var target: Double
    public var steps: Int
    /// Checkpoint steps with theta, the exact loss and the exact log Var(g) there.
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
    /// Snapshots at the requested steps (the relaxation-direction claim).
    public var snapshots: [RelaxToySnapshot]
}

typealias RelaxToySurrogate = OutputScaledSurrogate<TanhSurrogate>

enum RelaxToy {
    static let hidden = 10
    static let learningRate = 0.01
    static let initialLogTemperature = log(0.5)

    static func relaxSurrogate(_ parameters: [Double]) -> RelaxToySurrogate {
        var s = RelaxToySurrogate(TanhSurrogate(inputs: 1, hidden: hidden, parameters: [Double](repeating: 0, count: 3 * hidden + 2)))
        s.parameters = parameters
        return s
    }

    /// One draw of (b, z, z~) under a method's convention for z~.
    static func sample(a: Double, u: Double, v: Double, independentV: Bool) -> RelaxedBernoulliSample {
        if independentV { return RelaxedBernoulliSample(logits: [a], u: [u], v: [v]) }
        // The released code: v is the conditional noise that maps back to u, so z~ = z in value
        // and dz~/da follows the conditional path at that v.
        let oneMinusTheta = Fn.sigmoid(-a)
        let vc = u > oneMinusTheta ? (u - oneMinusTheta) / (1 - oneMinusTheta) : u / oneMinusTheta
        var s = RelaxedBernoulliSample(logits: [a], u: [u], v: [min(max(vc, 0), 1)])
        s.zTilde = s.z
        return s
    }

    /// The exact variance of the current estimator at logit a, by Gauss-Legendre quadrature over u
    /// (16 points on each side of u = 1 - theta), and over v for the paper's z~ (8 x 8 points per
    /// piece: the integrand is smooth there, and that run is reported, not deciding). Every method
    /// is unbiased, so Var(g) = E[(g - g*)^2] with the closed-form gradient g*: no cancellation,
    /// and never negative.
    static func exactVariance(method: RelaxToyMethod, a: Double, f: SquaredDistance, rebar: ScaledRelaxedObjective<SquaredDistance>?,
                              relax: RelaxToySurrogate?, points: Int = 16) -> Double {
        let exact = f.exactGradient(logits: [a])[0]
        let cut = [Fn.sigmoid(-a)]
        let q = method.independentV ? NoiseQuadrature.relaxNoise(logits: [a], pointsPerPiece: points / 2)
                                    : NoiseQuadrature(breakpoints: [cut], pointsPerPiece: points)
        return q.expectation { x in
            let g = estimate(method: method, a: a, u: x[0], v: x.count > 1 ? x[1] : 0.5, f: f, rebar: rebar, relax: relax,
                             varianceGradient: false).gradient[0]
            return [(g - exact) * (g - exact)]
        }[0]
    }

    static func estimate(method: RelaxToyMethod, a: Double, u: Double, v: Double, f: SquaredDistance,
                         rebar: ScaledRelaxedObjective<SquaredDistance>?, relax: RelaxToySurrogate?, varianceGradient: Bool) -> GradientEstimate {
        let s = sample(a: a, u: u, v: v, independentV: method.independentV)
        switch method {
        case .reinforce:
            return GradientEstimate(gradient: Reinforce.estimate(IndependentBernoulli(logits: [a]), sample: s.b, value: f.value(s.b)))
        case .rebar:
            return Rebar.estimate(f, sample: s, controlVariate: rebar!, varianceGradient: varianceGradient)
        case .relax, .relaxIndependentV, .relaxVarianceAscent, .relaxFrozenSurrogate:
            return Relax.estimate(value: f.value(s.b), sample: s, surrogate: relax!, varianceGradient: varianceGradient)
        }
    }

    /// Trains one seed. `fixedLogit`: keep a = 0 (only the surrogate learns), for the
    /// relaxation-direction claim; `snapshotSteps`: record (a, phi) after these many steps;
    /// `exactVariance`: compute the exact log Var(g) at the checkpoints.
    static func train(method: RelaxToyMethod, target t: Double, steps: Int, checkpoints: Int, stream: RandomStream,
                      fixedLogit: Bool = false, snapshotSteps: [Int] = [], exactVariance withVariance: Bool = true,
                      context: RunContext? = nil) throws -> RelaxToyRun {
        var noise = stream
        var initStream = noise.split(1)
        let f = SquaredDistance(targets: [t])
        var a = 0.0
        var rebar: ScaledRelaxedObjective<SquaredDistance>? = method == .rebar ? ScaledRelaxedObjective(f, eta: 1, logTemperature: initialLogTemperature) : nil
        var relax: RelaxToySurrogate? = method.isRelax
            ? RelaxToySurrogate(TanhSurrogate(inputs: 1, hidden: hidden, glorotUniformWithLogTemperature: initialLogTemperature, stream: &initStream), scale: 0)
            : nil
        var adamA = Adam(parameterCount: 1, learningRate: learningRate)
        var adamPhi = Adam(parameterCount: rebar?.parameters.count ?? relax?.parameters.count ?? 0, learningRate: learningRate)
        let every = max(1, steps / max(1, checkpoints))
        var run = RelaxToyRun(method: method, target: t, steps: steps, checkpointSteps: [], theta: [], loss: [], logVariance: [],
                              finalTheta: .nan, finalLoss: .nan, meanLogVariance: .nan, surrogateParameters: [], finalLogit: .nan,
                              snapshots: [])
        func record(_ step: Int) {
            let theta = Fn.sigmoid(a)
            run.checkpointSteps.append(step); run.theta.append(theta)
            run.loss.append(f.expectedLoss(probabilities: [theta]))
            if withVariance { run.logVariance.append(log(exactVariance(method: method, a: a, f: f, rebar: rebar, relax: relax))) }
        }
        func snapshot(_ step: Int) {
            if snapshotSteps.contains(step) {
                run.snapshots.append(RelaxToySnapshot(step: step, logit: a, parameters: rebar?.parameters ?? relax?.parameters ?? []))
            }
        }
        snapshot(0)
        for step in 0..<steps {
            if step % every == 0 { record(step) }
            let u = noise.uniform(), v = noise.uniform()
            let est = estimate(method: method, a: a, u: u, v: v, f: f, rebar: rebar, relax: relax, varianceGradient: method != .reinforce)
            guard est.gradient.allSatisfy(\.isFinite) else { throw ClaimError.nonFinite("\(method.label) gradient at step \(step)") }
            if !fixedLogit { var logit = [a]; adamA.update(&logit, gradient: est.gradient); a = logit[0] }
            if method != .reinforce && method != .relaxFrozenSurrogate {
                let dVar = est.squaredNormGradient
                guard dVar.allSatisfy(\.isFinite) else { throw ClaimError.nonFinite("\(method.label) variance gradient at step \(step)") }
                // The mutant climbs the variance instead of descending it.
                let direction: Adam.Direction = method == .relaxVarianceAscent ? .ascend : .descend
                if rebar != nil { adamPhi.update(&rebar!.parameters, gradient: dVar, direction) }
                if relax != nil { var p = relax!.parameters; adamPhi.update(&p, gradient: dVar, direction); relax!.parameters = p }
            }
            snapshot(step + 1)
            if step % 1000 == 0 { context?.progress(step: step, of: steps, method.label) }
        }
        record(steps)
        run.finalTheta = Fn.sigmoid(a)
        run.finalLoss = f.expectedLoss(probabilities: [run.finalTheta])
        run.meanLogVariance = withVariance ? run.logVariance.mean : .nan
        run.surrogateParameters = rebar?.parameters ?? relax?.parameters ?? []
        run.finalLogit = a
        guard !withVariance || run.logVariance.allSatisfy(\.isFinite) else { throw ClaimError.nonFinite("\(method.label) log variance") }
        return run
    }
}
