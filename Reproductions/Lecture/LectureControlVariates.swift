import Foundation
import DiscreteGradients
import Pipeline
import Verification

/// lecture.control-variates: g_new(b) = g(b) - c(b) + E[c(b)] "Does not change bias" and
/// "Variance is reduced if corr(g, c) > 0" (Duvenaud's lecture, slide "Control Variates").
/// CLAIMS.md adds: with the optimal scale a* = Cov/Var the factor is 1 - rho^2; a negatively
/// correlated c used with a = 1 increases variance.
///
/// Problem: REINFORCE for d/dmu E[z^2] = 2 mu, z = mu + sigma eps ~ N(1, 0.5^2): g = z^2 eps / sigma
/// (a polynomial f keeps the fourth moments that the variance-ratio test needs moderate).
/// Control variate: REINFORCE applied to the first-order Taylor expansion of f at mu,
/// c = (f(mu) + f'(mu)(z - mu)) eps / sigma, with E[c] = f'(mu) exactly (E eps = 0, E eps^2 = 1).
/// The negatively correlated control is -c. Exact means, variances, Cov(g, c) and a* by
/// 512-node Gauss-Legendre quadrature against the normal density.
public struct LectureControlVariates: SingleRunClaim {
    public let id = "lecture.control-variates"
    public let paper = "Gradient estimators lecture (Duvenaud, 2018)"
    public let source = "slide \"Control Variates\""
    public let statement = "g_new(b) = g(b) - c(b) + E_p(b)[c(b)]: \"Variance is reduced if corr(g, c) > 0\", \"Does not change bias\"."
    public let summary = "control variates keep the mean; a* gives variance factor 1 - ρ²; negative corr with a = 1 hurts"
    public init() {}

    let q = Gaussian(mu: 1.0, sigma: 0.5)
    func f(_ z: Double) -> Double { z * z }
    func fPrime(_ z: Double) -> Double { 2 * z }

    func samples(_ scale: Scale) -> Int {
        switch scale { case .smoke: 5_000; case .quick: 400_000; case .paper: 4_000_000 }
    }

    /// The estimator: REINFORCE for the mu coordinate.
    func g(_ eps: Double) -> Double { Reinforce.estimate(q, eps: eps, value: f)[0] }
    /// The Taylor control variate (REINFORCE of the linearisation of f at mu).
    func c(_ eps: Double) -> Double {
        let f0 = f(q.mu), f1 = fPrime(q.mu)
        return Reinforce.estimate(q, eps: eps, value: { f0 + f1 * ($0 - q.mu) })[0]
    }
    /// E[c] = f'(mu): E[(f(mu) + f'(mu) sigma eps) eps / sigma] = f'(mu) E[eps^2].
    var controlMean: Double { fPrime(q.mu) }

    /// The four estimators compared on each eps: plain g, with c at a = 1, with c at a*, with -c at a = 1.
    /// The mutant forgets to add E[c] back (uses a mean of 0 in every combinator).
    func estimators(_ eps: Double, optimalScale: Double, mutant: Bool) -> [Double] {
        let mean = mutant ? 0 : controlMean
        let gv = g(eps), cv = c(eps)
        return [gv,
                ControlVariate(mean: mean, scale: 1).apply(estimate: gv, control: cv),
                ControlVariate(mean: mean, scale: optimalScale).apply(estimate: gv, control: cv),
                ControlVariate(mean: -mean, scale: 1).apply(estimate: gv, control: -cv)]
    }
    static let names = ["g (no control)", "g - (c - E c), a = 1", "g - a*(c - E c)", "g - (c' - E c'), c' = -c, a = 1"]

    struct Outcome {
        var checks: [Check]
        var means: [Double]
        var variances: [Double]
        var estimatedScale: Double
    }

    public func evidence(context: RunContext) throws -> Evidence {
        let quadrature = StandardNormalQuadrature()
        let n = samples(context.scale)
        let alpha = StatisticalPolicy.claimAlpha
        let exactGradient = 2 * q.mu   // d/dmu E[z^2] = d/dmu (mu^2 + sigma^2)
        let base = quadrature.moments { [g($0), c($0), g($0) * c($0)] }
        let varG = base.variance[0], varC = base.variance[1]
        let cov = base.mean[2] - base.mean[0] * base.mean[1]
        let aStar = ControlVariate.optimalScale(covariance: cov, controlVariance: varC)
        let rho = cov / (varG * varC).squareRoot()
        let factor = ControlVariate.optimalFactor(estimateVariance: varG, covariance: cov, controlVariance: varC)
        let controlMeanError = abs(base.mean[1] - controlMean)
        let varianceCurve: (Double) -> Double = { a in ControlVariate.variance(scale: a, estimateVariance: varG, covariance: cov, controlVariance: varC) }
        let tests = 7
        let margin = 0.1   // equivalence margin on log(variance ratio): about ±10%

        func judge(mutant: Bool, stream: RandomStream) throws -> Outcome {
            var stream = stream
            let exact = quadrature.moments { estimators($0, optimalScale: aStar, mutant: mutant) }
            let exactBias = exact.maxBias(against: .init(repeating: exactGradient, count: 4))
            let exactFactor = exact.variance[2] / exact.variance[0]
            // Exact standardised effects of the two paired variance tests, for their power.
            let pairs = quadrature.moments { eps -> [Double] in
                let e = estimators(eps, optimalScale: aStar, mutant: mutant).map { ($0 - exactGradient) * ($0 - exactGradient) }
                return [e[0] - e[1], e[3] - e[0]]
            }
            let effects = (0..<2).map { pairs.mean[$0] / pairs.variance[$0].squareRoot() }

            var draws = [[Double]](repeating: [], count: 4)
            for i in 0..<4 { draws[i].reserveCapacity(n) }
            var cs: [Double] = []
            cs.reserveCapacity(n)
            for step in 0..<n {
                let eps = stream.normal()
                let e = estimators(eps, optimalScale: aStar, mutant: mutant)
                for i in 0..<4 { draws[i].append(e[i]) }
                cs.append(c(eps))
                if step % 100_000 == 0 { context.progress(step: step, of: n, mutant ? "mutant" : "") }
            }
            guard draws.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw ClaimError.nonFinite("control-variate estimate") }
            var results: [TestResult] = (0..<4).map { i in
                Equivalence.tost(draws[i], target: exactGradient, margin: 0.05 * exact.variance[i].squareRoot(), alpha: alpha,
                                 label: "E[\(Self.names[i])]")
            }
            let sq = draws.map { $0.map { ($0 - exactGradient) * ($0 - exactGradient) } }
            results.append(TTest.paired(sq[0], sq[1], alternative: .greater, alpha: alpha, label: "E(g - g*)^2 - E(g_a=1 - g*)^2")
                .with(power: Power.tTest(n: n, effect: effects[0], alpha: alpha / Double(tests)), at: effects[0]))
            results.append(TTest.paired(sq[3], sq[0], alternative: .greater, alpha: alpha, label: "E(g_-c - g*)^2 - E(g - g*)^2")
                .with(power: Power.tTest(n: n, effect: effects[1], alpha: alpha / Double(tests)), at: effects[1]))
            // Variance factor at a*: TOST of log(s^2(g_a*) / s^2(g)) against log(1 - rho^2), delta-method se.
            let pseudo = LectureStatistics.logVarianceRatioPseudoValues(draws[2], draws[0])
            results.append(Equivalence.tost(pseudo.values, target: log(factor), margin: margin, alpha: alpha,
                                            label: "log(Var(g_a*) / Var(g))"))
            results = Holm.apply(results, familyAlpha: alpha)

            let mcVariance = draws.map { Summary($0).variance }
            let sc = Summary(cs), sg = Summary(draws[0])
            let mcCov = zip(draws[0], cs).reduce(0) { $0 + ($1.0 - sg.mean) * ($1.1 - sc.mean) } / Double(n - 1)
            let estimatedScale = mcCov / sc.variance
            let checks: [Check] = [
                .exact("exact: no change of mean", asserts: "quadrature means of g and of the three controlled estimators equal the exact gradient (|error| < 1e-10)",
                       passed: exactBias < 1e-10 && controlMeanError < 1e-12,
                       detail: "max |E[g_new] - ∇| = \(fmt(exactBias, 2)); |E[c] - f'(μ)| = \(fmt(controlMeanError, 2))"),
                .exact("exact: variance factors", asserts: "Var(g_a*) / Var(g) = 1 - ρ²; Var(g_a=1) < Var(g) (a* > 1/2); Var(g_-c, a=1) > Var(g) (quadrature)",
                       passed: abs(exactFactor - factor) < 1e-9 && exact.variance[1] < exact.variance[0] && exact.variance[3] > exact.variance[0],
                       detail: "ρ = \(fmt(rho)), a* = \(fmt(aStar)); Var: g \(fmt(exact.variance[0])), a = 1 \(fmt(exact.variance[1])), a* \(fmt(exact.variance[2])) (ratio \(fmt(exactFactor)) vs 1 - ρ² = \(fmt(factor))), -c \(fmt(exact.variance[3]))"),
                .allOf("unbiased (Monte Carlo)", asserts: "each estimator's mean lies within ±5% of its sd of the exact gradient (TOST)",
                       Array(results[0..<4]), design: .equivalence,
                       detail: (0..<4).map { "\(Self.names[$0]): \(fmt(results[$0].estimate ?? .nan)), p = \(fmt(results[$0].pValue, 2))" }.joined(separator: "; ") + " (exact \(fmt(exactGradient)))"),
                .test("positive correlation reduces variance (a = 1)", asserts: "E(g - g*)^2 > E(g_new - g*)^2 with c at a = 1 (paired on common eps)",
                      results[4], design: .claimIsAlternative,
                      detail: "MC Var \(fmt(mcVariance[0])) → \(fmt(mcVariance[1])); exact effect d = \(fmt(effects[0], 3)); " + Check.describe(results[4])),
                .test("negative correlation with a = 1 increases variance", asserts: "E(g_new - g*)^2 > E(g - g*)^2 with c' = -c at a = 1 (paired on common eps)",
                      results[5], design: .claimIsAlternative,
                      detail: "MC Var \(fmt(mcVariance[0])) → \(fmt(mcVariance[3])); exact effect d = \(fmt(effects[1], 3)); " + Check.describe(results[5])),
                .test("factor 1 - ρ² at a*", asserts: "Var(g - a*(c - E c)) / Var(g) lies within ×e^±\(fmt(margin)) of the exact 1 - ρ² (TOST on the log ratio, delta-method se)",
                      results[6], design: .equivalence,
                      detail: "measured ratio \(fmt(exp(pseudo.logRatio))) vs exact 1 - ρ² = \(fmt(factor)); a* estimated from the sample \(fmt(estimatedScale)) vs exact \(fmt(aStar)); " + Check.describe(results[6])),
            ]
            return Outcome(checks: checks, means: draws.map { Summary($0).mean }, variances: mcVariance, estimatedScale: estimatedScale)
        }

        var master = context.stream()
        let real = try judge(mutant: false, stream: master.split(0))
        let mutant = try judge(mutant: true, stream: master.split(1))

        let grid = stride(from: -1.5, through: 2.5, by: 0.05).map { $0 }
        let scales = [0, 1, aStar, -1]
        let figure = Figure(
            id: "variance-vs-scale", title: "Var(g - a(c - E c)) against the scale a",
            xLabel: "scale a (a = -1 is the negated control -c at a = 1)", yLabel: "variance of the estimator",
            series: [
                .init("exact (quadrature)", x: grid, y: grid.map(varianceCurve)),
                .init("Monte Carlo at a = 0, 1, a*, -1", x: scales, y: [real.variances[0], real.variances[1], real.variances[2], real.variances[3]], style: .points),
                .init("(1 - ρ²) Var(g)", x: [grid.first!, grid.last!], y: [factor * varG, factor * varG]),
            ],
            caption: "The variance is a parabola in a with minimum (1 - ρ²) Var(g) = \(fmt(factor * varG, 3)) at a* = \(fmt(aStar, 3)); a = 1 sits below Var(g) = \(fmt(varG, 3)) and the negated control (a = -1) above it.")
        let rows = (0..<4).map { i in
            [Self.names[i], fmt(exactGradient, 6), fmt(real.means[i], 5), fmt(varianceCurve(scales[i]), 5), fmt(real.variances[i], 5), fmt(mutant.means[i], 5)]
        }
        return Evidence(
            headline: "Largest |MC mean - exact gradient| over the 4 estimators \(fmt((0..<4).map { abs(real.means[$0] - exactGradient) }.max()!, 2)); Var ratio at a* = \(fmt(real.variances[2] / real.variances[0], 3)) vs exact 1 - ρ² = \(fmt(factor, 3)) (ρ = \(fmt(rho, 3))); negated control at a = 1 multiplies variance by \(fmt(real.variances[3] / real.variances[0], 3)).",
            setup: [
                "z = μ + σ ε ~ N(\(fmt(q.mu)), \(fmt(q.sigma))²); g = z² ε / σ (REINFORCE for ∂/∂μ E[z²] = 2μ = \(fmt(exactGradient, 6)))",
                "Control variate c = (f(μ) + f'(μ)(z - μ)) ε / σ, E[c] = f'(μ) = \(fmt(controlMean, 6)); negated control -c; exact moments by 512-node Gauss-Legendre quadrature",
                "\(n) draws of ε shared by all four estimators (common random numbers); the mutant runs on its own stream",
                "Family alpha \(fmt(alpha)), Holm over \(tests) tests: 4 TOST (margin 5% of sd), 2 paired one-sided t-tests (power at their exact effects), 1 TOST on the log variance ratio (margin \(fmt(margin)))",
            ],
            checks: real.checks,
            negativeControls: [NegativeControl(name: "E[c] not added back", bug: "subtracts a·c but forgets to add a·E[c] back (the control's mean taken as 0)", checks: mutant.checks)],
            tables: [Table(title: "Estimators on common ε", columns: ["estimator", "exact gradient", "MC mean", "exact Var", "MC Var", "mutant MC mean"], rows: rows)],
            figures: [figure]
        )
    }
}
