import DiscreteGradients
import Pipeline
import Verification

/// lecture.reinforce: "REINFORCE is unbiased, with high variance" (Duvenaud's lecture, slide
/// "REINFORCE (Williams, 1992)").
///
/// Problem: b_i ~ Bern(sigmoid(a_i)), f(b) = sum_i (b_i - t_i)^2 with t = (0.499, 0.45, 0.2) and
/// a = (0, 0.5, -1): the toy of the RELAX draft in three coordinates. Exact gradient in closed form,
/// d/da_i E f = sigmoid'(a_i)(1 - 2 t_i), cross-checked with enumeration.
public struct LectureReinforce: SingleRunClaim {
    public let id = "lecture.reinforce"
    public let paper = "Gradient estimators lecture (Duvenaud, 2018)"
    public let source = "slide \"REINFORCE (Williams, 1992)\""
    public let statement = "REINFORCE: g = f(b) d/dθ log p(b|θ) is \"Unbiased\" but \"Suffers from high variance\"."
    public let summary = "REINFORCE is unbiased, with high variance"
    public init() {}

    let logits = [0.0, 0.5, -1.0]
    let targets = [0.499, 0.45, 0.2]

    func f(_ b: [Double]) -> Double { zip(b, targets).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }

    func samples(_ scale: Scale) -> Int {
        switch scale { case .smoke: 4_000; case .quick: 40_000; case .paper: 1_000_000 }
    }

    /// The estimator under test; `mutant` uses the score b - 1/2 (the derivative at a = 0) everywhere.
    func estimate(_ b: [Double], mutant: Bool) -> [Double] {
        let dist = IndependentBernoulli(logits: logits)
        if !mutant { return Reinforce.estimate(dist, sample: b, value: f(b)) }
        return b.map { f(b) * ($0 - 0.5) }
    }

    public func evidence(context: RunContext) throws -> Evidence {
        let dist = IndependentBernoulli(logits: logits)
        let closedForm = zip(logits, targets).map { a, t in Fn.sigmoid(a) * (1 - Fn.sigmoid(a)) * (1 - 2 * t) }
        let enumerated = dist.gradient(f)
        let oracleError = zip(closedForm, enumerated).map { abs($0 - $1) }.max()!
        let n = samples(context.scale)
        let alpha = StatisticalPolicy.claimAlpha

        func judge(mutant: Bool, stream: RandomStream) throws -> (checks: [Check], draws: [[Double]]) {
            var stream = stream
            let exact = ExactMoments(dist) { estimate($0, mutant: mutant) }
            let bias = exact.maxBias(against: closedForm)
            var draws = [[Double]](repeating: [], count: logits.count)
            var excess: [Double] = []   // |g - g*|^2 - |g*|^2 per draw (common sample)
            let signal = closedForm.reduce(0) { $0 + $1 * $1 }
            for step in 0..<n {
                let b = dist.sample(&stream)
                let g = estimate(b, mutant: mutant)
                for i in g.indices { draws[i].append(g[i]) }
                excess.append(zip(g, closedForm).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } - signal)
                if step % 10_000 == 0 { context.progress(step: step, of: n, mutant ? "mutant" : "") }
            }
            guard draws.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw ClaimError.nonFinite("REINFORCE sample") }
            // Equivalence margin per coordinate: 5% of the estimator's exact standard deviation.
            var tests = draws.indices.map { i in
                Equivalence.tost(draws[i], target: closedForm[i], margin: 0.05 * exact.variance[i].squareRoot(),
                                 alpha: alpha, label: "E[g_\(i + 1)]")
            }
            var varianceTest = TTest.oneSample(excess, alternative: .greater, alpha: alpha,
                                               label: "E|g - g*|^2 - |g*|^2")
            // Power at the exact standardised effect of the excess, from enumeration (not a guessed d),
            // at the Bonferroni level (a lower bound on Holm's).
            let exactExcess = ExactMoments(dist) { b in
                [zip(estimate(b, mutant: mutant), closedForm).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } - signal]
            }
            let d = exactExcess.mean[0] / exactExcess.variance[0].squareRoot()
            varianceTest = varianceTest.with(power: Power.tTest(n: n, effect: d, alpha: alpha / Double(logits.count + 1)), at: d)
            tests.append(varianceTest)
            tests = Holm.apply(tests, familyAlpha: alpha)
            let ratio = exact.variance.reduce(0, +) / signal
            return ([
                .exact("exact variance", asserts: "tr Var(g) > |∇E[f]|^2 by enumeration (the noise outweighs the signal)",
                       passed: ratio > 1, detail: "tr Var(g) / |∇|^2 = \(fmt(ratio, 3))"),
                .exact("exact mean", asserts: "E[g] = ∇E[f] by enumeration of all 2^3 samples", passed: bias < 1e-12,
                       detail: "max |E[g] - ∇E[f]| = \(fmt(bias, 3))"),
                .allOf("Monte Carlo mean", asserts: "each coordinate's mean lies within ±5% of its sd of the exact gradient (TOST)",
                       Array(tests.prefix(logits.count)), design: .equivalence,
                       detail: tests.prefix(logits.count).enumerated().map { "g\($0.offset + 1): mean \(fmt($0.element.estimate ?? .nan)) vs \(fmt(closedForm[$0.offset])), p = \(fmt($0.element.pValue, 2))" }.joined(separator: "; ")),
                .test("high variance", asserts: "the noise outweighs the signal: E|g - g*|^2 > |g*|^2",
                      tests[logits.count], design: .claimIsAlternative,
                      detail: "exact trace Var(g) / |∇|^2 = \(fmt(ratio, 3)); " + Check.describe(tests[logits.count])),
            ], draws)
        }

        var master = context.stream()
        let real = try judge(mutant: false, stream: master.split(0))
        let mutant = try judge(mutant: true, stream: master.split(1))

        // Figure: running means with ±2 standard errors against the number of samples.
        var series: [Figure.Series] = []
        var checkpoints = stride(from: 100, through: n, by: max(100, n / 60)).map { $0 }
        if checkpoints.last != n { checkpoints.append(n) }   // the last point is the full sample
        for i in logits.indices {
            var means: [Double] = [], lo: [Double] = [], hi: [Double] = []
            for k in checkpoints {
                let s = Summary(Array(real.draws[i].prefix(k)))
                means.append(s.mean); lo.append(s.mean - 2 * s.standardError); hi.append(s.mean + 2 * s.standardError)
            }
            series.append(.init("mean of g\(i + 1) (±2 se)", x: checkpoints.map(Double.init), y: means, style: .errorbars, yLow: lo, yHigh: hi))
            series.append(.init("exact ∂E[f]/∂a\(i + 1)", x: [Double(checkpoints.first!), Double(n)], y: [closedForm[i], closedForm[i]]))
        }
        let exactReal = ExactMoments(dist) { estimate($0, mutant: false) }
        let rows = logits.indices.map { i in
            [ "a\(i + 1) = \(fmt(logits[i])), t = \(fmt(targets[i]))", fmt(closedForm[i], 6), fmt(exactReal.mean[i], 6),
              fmt(exactReal.variance[i].squareRoot(), 4), fmt(exactReal.variance[i].squareRoot() / abs(closedForm[i]), 4),
              fmt(Summary(real.draws[i]).mean, 6) ]
        }
        return Evidence(
            headline: "Exact bias \(fmt(zip(exactReal.mean, closedForm).map { abs($0 - $1) }.max()!, 2)); per-sample sd is \(fmt(exactReal.variance[0].squareRoot() / abs(closedForm[0]), 3))x the gradient at t = 0.499.",
            setup: [
                "b_i ~ Bern(sigmoid(a_i)), a = (0, 0.5, -1); f(b) = Σ (b_i - t_i)^2, t = (0.499, 0.45, 0.2)",
                "\(n) independent REINFORCE samples (no baseline); the mutant uses the same number of samples from its own stream",
                "Exact gradient in closed form sigmoid'(a)(1 - 2t); enumeration agrees to \(fmt(oracleError, 2))",
                "Family alpha \(fmt(alpha)) for this claim, Holm over \(logits.count + 1) tests; the variance test's power is stated at its exact standardised effect (enumeration)",
            ],
            checks: real.checks,
            negativeControls: [NegativeControl(name: "score at a = 0", bug: "uses b - 1/2 as the score (the derivative of log p at a = 0) for every coordinate", checks: mutant.checks)],
            tables: [Table(title: "Per coordinate (exact moments by enumeration)",
                           columns: ["coordinate", "exact gradient", "exact E[g]", "sd(g)", "sd / |gradient|", "Monte Carlo mean"], rows: rows)],
            figures: [Figure(id: "running-mean", title: "REINFORCE: running mean of the estimate vs the exact gradient",
                             xLabel: "samples", yLabel: "estimate", logX: true, series: series,
                             caption: "The running means settle on the exact gradients; the error bars shrink only as 1/√n because one sample's sd is many times the signal.")]
        )
    }
}
