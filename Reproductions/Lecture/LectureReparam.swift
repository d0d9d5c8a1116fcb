import Foundation
import DiscreteGradients
import Pipeline
import Verification

/// lecture.reparam: "Reparameterization ... Lower variance empirically ... Unbiased" (Duvenaud's
/// lecture, slide "Reparameterization (Kingma & Welling, 2014)").
///
/// Problem: z = mu + sigma * eps ~ N(0.5, 0.8^2), theta = (mu, log sigma), four differentiable f
/// with closed-form E[f] and gradients. Both estimators (GaussianReparameterization and Gaussian
/// REINFORCE) are driven by the same eps (common random numbers). Exact moments of every
/// estimator by 512-node Gauss-Legendre quadrature against the normal density.
public struct LectureReparam: SingleRunClaim {
    public let id = "lecture.reparam"
    public let paper = "Gradient estimators lecture (Duvenaud, 2018)"
    public let source = "slide \"Reparameterization (Kingma & Welling, 2014)\""
    public let statement = "Reparameterization g = (∂f/∂b)(∂b/∂θ), b = T(θ, ε): \"Lower variance empirically\", \"Unbiased\" (vs REINFORCE)."
    public let summary = "reparameterisation is unbiased with lower variance than REINFORCE"
    public init() {}

    let q = Gaussian(mu: 0.5, sigma: 0.8)

    /// A test function with its derivative and the exact gradient of E[f(z)] w.r.t. (mu, log sigma).
    struct TestFunction: Sendable {
        var name: String
        var f: @Sendable (Double) -> Double
        var fPrime: @Sendable (Double) -> Double
        var gradient: @Sendable (_ mu: Double, _ sigma: Double) -> [Double]
    }

    /// Closed forms from the Gaussian moments E z^2 = mu^2 + s^2, E z^4 = mu^4 + 6 mu^2 s^2 + 3 s^4,
    /// E e^z = e^(mu + s^2/2), E sin z = sin(mu) e^(-s^2/2); d/dlog s = s d/ds.
    static let functions: [TestFunction] = [
        TestFunction(name: "z^2", f: { $0 * $0 }, fPrime: { 2 * $0 }, gradient: { m, s in [2 * m, 2 * s * s] }),
        TestFunction(name: "exp(z)", f: { exp($0) }, fPrime: { exp($0) },
                     gradient: { m, s in let e = exp(m + s * s / 2); return [e, s * s * e] }),
        TestFunction(name: "sin(z)", f: { sin($0) }, fPrime: { cos($0) },
                     gradient: { m, s in let d = exp(-s * s / 2); return [cos(m) * d, -s * s * sin(m) * d] }),
        TestFunction(name: "z^4 - 3z^2 + z", f: { $0 * $0 * $0 * $0 - 3 * $0 * $0 + $0 }, fPrime: { 4 * $0 * $0 * $0 - 6 * $0 + 1 },
                     gradient: { m, s in [4 * m * m * m + 12 * m * s * s - 6 * m + 1,
                                          12 * m * m * s * s + 12 * s * s * s * s - 6 * s * s] }),
    ]

    func samples(_ scale: Scale) -> Int {
        switch scale { case .smoke: 3_000; case .quick: 500_000; case .paper: 5_000_000 }
    }

    /// The reparameterisation estimator under test. The mutant reports the gradient w.r.t. sigma
    /// as the gradient w.r.t. log sigma: chain factor dz/dsigma = eps instead of dz/dlog sigma = sigma eps.
    func reparam(_ fn: TestFunction, eps: Double, mutant: Bool) -> [Double] {
        if !mutant { return GaussianReparameterization.estimate(q, eps: eps, derivative: fn.fPrime) }
        let d = fn.fPrime(q.transform(eps))
        return [d, d * eps]
    }
    func reinforce(_ fn: TestFunction, eps: Double) -> [Double] { Reinforce.estimate(q, eps: eps, value: fn.f) }

    struct Outcome {
        var checks: [Check]
        var reparamMC: [[Double]]     // per f: (mean g_mu, mean g_logsigma, trace variance)
        var reinforceMC: [[Double]]
    }

    public func evidence(context: RunContext) throws -> Evidence {
        let quadrature = StandardNormalQuadrature()
        let n = samples(context.scale)
        let alpha = StatisticalPolicy.claimAlpha
        let fs = Self.functions
        let exactGradients = fs.map { $0.gradient(q.mu, q.sigma) }
        let exactReinforce = fs.map { fn in quadrature.moments { reinforce(fn, eps: $0) } }
        // The paired variance test's design effect is its exact standardised effect,
        // d = E[D] / sd(D) with D = |R - g*|^2 - |P - g*|^2, from quadrature (REINFORCE's
        // heavy tails make d small, so the power is stated at the true effect, not a guess).
        let exactEffects = fs.indices.map { k -> Double in
            let m = quadrature.moments { eps in
                [LectureStatistics.squaredError(reinforce(fs[k], eps: eps), exactGradients[k])
                 - LectureStatistics.squaredError(reparam(fs[k], eps: eps, mutant: false), exactGradients[k])]
            }
            return m.mean[0] / m.variance[0].squareRoot()
        }

        func judge(mutant: Bool, stream: RandomStream) throws -> Outcome {
            var stream = stream
            let exactReparam = fs.map { fn in quadrature.moments { reparam(fn, eps: $0, mutant: mutant) } }
            // Deterministic layer: quadrature means vs closed forms, and the exact variance ordering.
            var meanError = 0.0
            for k in fs.indices {
                let scaleK = exactGradients[k].map(abs).max()! + 1
                meanError = max(meanError, exactReparam[k].maxBias(against: exactGradients[k]) / scaleK,
                                exactReinforce[k].maxBias(against: exactGradients[k]) / scaleK)
            }
            let exactTraces = fs.indices.map { (exactReparam[$0].variance.reduce(0, +), exactReinforce[$0].variance.reduce(0, +)) }

            // Monte Carlo layer: n common eps per f.
            var tests: [TestResult] = []
            var reparamMC: [[Double]] = [], reinforceMC: [[Double]] = []
            for (k, fn) in fs.enumerated() {
                var p: [[Double]] = [[], []], r: [[Double]] = [[], []]
                var excess: [Double] = []   // |R - g*|^2 - |P - g*|^2 on the same eps
                excess.reserveCapacity(n)
                for _ in 0..<n {
                    let eps = stream.normal()
                    let gp = reparam(fn, eps: eps, mutant: mutant), gr = reinforce(fn, eps: eps)
                    for i in 0..<2 { p[i].append(gp[i]); r[i].append(gr[i]) }
                    excess.append(LectureStatistics.squaredError(gr, exactGradients[k]) - LectureStatistics.squaredError(gp, exactGradients[k]))
                }
                context.progress(step: k + 1, of: fs.count, mutant ? "mutant" : "")
                guard (p + r).allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw ClaimError.nonFinite("estimate for f = \(fn.name)") }
                let names = ["mu", "log σ"]
                for i in 0..<2 {
                    tests.append(Equivalence.tost(p[i], target: exactGradients[k][i], margin: 0.05 * exactReparam[k].variance[i].squareRoot(),
                                                  alpha: alpha, label: "E[reparam_\(names[i])], f = \(fn.name)"))
                }
                for i in 0..<2 {
                    tests.append(Equivalence.tost(r[i], target: exactGradients[k][i], margin: 0.05 * exactReinforce[k].variance[i].squareRoot(),
                                                  alpha: alpha, label: "E[REINFORCE_\(names[i])], f = \(fn.name)"))
                }
                tests.append(TTest.oneSample(excess, alternative: .greater, alpha: alpha,
                                             label: "E|g_REINFORCE - g*|^2 - E|g_reparam - g*|^2, f = \(fn.name)")
                    .with(power: Power.tTest(n: n, effect: exactEffects[k], alpha: alpha / Double(5 * fs.count)), at: exactEffects[k]))
                reparamMC.append([Summary(p[0]).mean, Summary(p[1]).mean, Summary(p[0]).variance + Summary(p[1]).variance])
                reinforceMC.append([Summary(r[0]).mean, Summary(r[1]).mean, Summary(r[0]).variance + Summary(r[1]).variance])
            }
            tests = Holm.apply(tests, familyAlpha: alpha)

            var checks: [Check] = [
                .exact("exact means", asserts: "quadrature means of both estimators equal the closed-form gradient for every f (relative error < 1e-9)",
                       passed: meanError < 1e-9, detail: "max relative |E[g] - ∇E[f]| = \(fmt(meanError, 2))"),
                .exact("exact variance ordering", asserts: "tr Var(reparam) < tr Var(REINFORCE) for every f (quadrature)",
                       passed: exactTraces.allSatisfy { $0.0 < $0.1 },
                       detail: zip(fs, exactTraces).map { "\($0.name): \(fmt($1.0, 3)) vs \(fmt($1.1, 3))" }.joined(separator: "; ")),
            ]
            for (k, fn) in fs.enumerated() {
                let block = Array(tests[(5 * k)..<(5 * k + 4)])
                checks.append(.allOf("unbiased, f = \(fn.name)", asserts: "both estimators' means lie within ±5% of their sd of the exact gradient, per coordinate (TOST)",
                                     block, design: .equivalence,
                                     detail: "reparam (\(fmt(reparamMC[k][0])), \(fmt(reparamMC[k][1]))), REINFORCE (\(fmt(reinforceMC[k][0])), \(fmt(reinforceMC[k][1]))) vs exact (\(fmt(exactGradients[k][0])), \(fmt(exactGradients[k][1]))); max p = \(fmt(block.map(\.pValue).max()!, 2))"))
                let v = tests[5 * k + 4]
                checks.append(.test("lower variance, f = \(fn.name)", asserts: "E|g_REINFORCE - g*|^2 > E|g_reparam - g*|^2 (paired on common eps)",
                                    v, design: .claimIsAlternative,
                                    detail: "MC tr Var: reparam \(fmt(reparamMC[k][2], 3)), REINFORCE \(fmt(reinforceMC[k][2], 3)); exact effect d = \(fmt(exactEffects[k], 3)); " + Check.describe(v),
                                    needed: "~\(Power.sampleSize(effect: exactEffects[k], alpha: alpha / Double(5 * fs.count))) draws for 80% power at the exact effect"))
            }
            return Outcome(checks: checks, reparamMC: reparamMC, reinforceMC: reinforceMC)
        }

        var master = context.stream()
        let real = try judge(mutant: false, stream: master.split(0))
        let mutant = try judge(mutant: true, stream: master.split(1))

        let exactReparam = fs.map { fn in quadrature.moments { reparam(fn, eps: $0, mutant: false) } }
        let maxMCError = fs.indices.flatMap { k in (0..<2).flatMap { i in [abs(real.reparamMC[k][i] - exactGradients[k][i]), abs(real.reinforceMC[k][i] - exactGradients[k][i])] } }.max()!
        let xs = fs.indices.map { Double($0 + 1) }
        let ratios = fs.indices.map { exactReinforce[$0].variance.reduce(0, +) / exactReparam[$0].variance.reduce(0, +) }
        let figure = Figure(
            id: "variance", title: "Variance per sample: reparameterisation vs REINFORCE",
            xLabel: "test function f (1: z², 2: exp z, 3: sin z, 4: z⁴ - 3z² + z)", yLabel: "tr Var(g) per sample", logY: true,
            series: [
                .init("REINFORCE, exact", x: xs, y: fs.indices.map { exactReinforce[$0].variance.reduce(0, +) }, style: .linespoints),
                .init("REINFORCE, Monte Carlo", x: xs, y: real.reinforceMC.map { $0[2] }, style: .points),
                .init("reparam., exact", x: xs, y: fs.indices.map { exactReparam[$0].variance.reduce(0, +) }, style: .linespoints),
                .init("reparam., Monte Carlo", x: xs, y: real.reparamMC.map { $0[2] }, style: .points),
            ],
            caption: "Exact values by quadrature, Monte Carlo on common ε. For every f the reparameterisation estimator's variance is below REINFORCE's (by \(fmt(ratios.min()!, 3))x to \(fmt(ratios.max()!, 3))x); Monte Carlo points sit on the exact values.")
        var rows: [[String]] = []
        for (k, fn) in fs.enumerated() {
            for (i, name) in ["μ", "log σ"].enumerated() {
                rows.append([fn.name, name, fmt(exactGradients[k][i], 6),
                             fmt(exactReparam[k].variance[i].squareRoot(), 4), fmt(exactReinforce[k].variance[i].squareRoot(), 4),
                             fmt(real.reparamMC[k][i], 5), fmt(real.reinforceMC[k][i], 5)])
            }
        }
        return Evidence(
            headline: "REINFORCE's total variance is \(fmt(ratios.min()!, 3))x to \(fmt(ratios.max()!, 3))x the reparameterisation estimator's over 4 test functions (exact); largest Monte Carlo |mean - exact| = \(fmt(maxMCError, 2)).",
            setup: [
                "z = μ + σ ε, ε ~ N(0, 1), μ = \(fmt(q.mu)), σ = \(fmt(q.sigma)); gradients w.r.t. θ = (μ, log σ)",
                "f ∈ {z^2, exp z, sin z, z^4 - 3z^2 + z}; exact gradients in closed form, exact estimator moments by 512-node Gauss-Legendre quadrature on [-12, 12] (GSL glfixed)",
                "\(n) draws of ε per f, shared by both estimators (common random numbers); the mutant runs on its own stream",
                "Family alpha \(fmt(alpha)) for this claim, Holm over \(5 * fs.count) tests (16 TOST, margin 5% of each estimator's exact sd; 4 one-sided paired t-tests, power stated at the exact effect d = \(exactEffects.map { fmt($0, 3) }.joined(separator: ", ")) at the Bonferroni level alpha/20, a lower bound on Holm's)",
            ],
            checks: real.checks,
            negativeControls: [NegativeControl(name: "σ chain factor for log σ",
                                               bug: "uses dz/dσ = ε as the chain factor of the log σ coordinate (the gradient w.r.t. σ reported as the one w.r.t. log σ), instead of dz/dlog σ = σ ε",
                                               checks: mutant.checks)],
            tables: [Table(title: "Per coordinate: exact gradient and per-sample sd (quadrature), Monte Carlo means",
                           columns: ["f", "coordinate", "exact gradient", "sd reparam", "sd REINFORCE", "MC mean reparam", "MC mean REINFORCE"], rows: rows)],
            figures: [figure]
        )
    }
}
