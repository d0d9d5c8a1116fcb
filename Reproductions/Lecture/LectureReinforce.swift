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

    /// Draws per estimator. Quick draws 400,000: enough to decide every Monte Carlo sub-claim
    /// (see `designs`; at 40,000 the coordinate means were not decidable).
    static let sampleSizes = PerScale(smoke: 4_000, quick: 400_000, paper: 1_000_000)

    var distribution: IndependentBernoulli { IndependentBernoulli(logits: logits) }
    /// The exact gradient sigmoid'(a)(1 - 2t), in closed form.
    var exactGradient: [Double] { zip(logits, targets).map { a, t in Fn.sigmoid(a) * (1 - Fn.sigmoid(a)) * (1 - 2 * t) } }
    var signal: Double { exactGradient.reduce(0) { $0 + $1 * $1 } }
    /// |g - g*|^2 - |g*|^2 for one estimate: positive on average exactly when the noise outweighs the signal.
    func excess(_ g: [Double]) -> Double { zip(g, exactGradient).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } - signal }

    /// The equivalence margin of coordinate i: 10% of the exact gradient, floored at 5% of the
    /// gradient's norm (coordinate 1's gradient, 5e-4 at t = 0.499, is far below any sample's
    /// reach; the exact layer decides it).
    func margin(_ i: Int) -> Double { max(0.1 * abs(exactGradient[i]), 0.05 * signal.squareRoot()) }

    /// The lecture's words each sub-claim tests (CLAIMS.md rule 13): the REINFORCE slide's bullets.
    static let unbiasedQuote = PaperQuote(PaperQuote.lecture, """
        Unbiased
        - Has few requirements
        """)
    static let varianceQuote = PaperQuote(PaperQuote.lecture, "Suffers from high variance")

    /// Pre-registered sub-claims. Planning sds are the estimator's exact sds (enumeration of the
    /// model, no sampled data).
    public var designs: [SubClaimDesign] {
        let exact = ExactMoments(distribution) { estimate($0, mutant: false) }
        let exactExcess = ExactMoments(distribution) { [excess(estimate($0, mutant: false))] }
        return [
            .exact("exact mean", estimand: "max_i |E[g_i] - dE[f]/da_i| by enumeration of all 2^3 samples",
                   tolerance: 1e-12, source: "rounding of 8 double-precision terms").quoted(Self.unbiasedQuote),
            .exact("exact variance", estimand: "tr Var(g) / |∇E[f]|^2 by enumeration", claimed: .greater, reference: 1,
                   source: "the lecture: the noise outweighs the signal").quoted(Self.varianceQuote),
        ] + logits.indices.map { i in
            SubClaimDesign("Monte Carlo mean g\(i + 1)", layer: .monteCarlo,
                           estimand: "mean of g_\(i + 1) - exact dE[f]/da_\(i + 1) over independent draws",
                           claimed: .equivalent, sesoi: margin(i),
                           sesoiSource: "10% of |dE[f]/da_\(i + 1)| = \(fmt(0.1 * abs(exactGradient[i]), 3)), floor 5% of |∇E[f]| = \(fmt(0.05 * signal.squareRoot(), 3))",
                           alphaShare: 0.2, method: .t, planningSD: exact.variance[i].squareRoot(),
                           sampleSize: Self.sampleSizes, unit: "draws").quoted(Self.unbiasedQuote)
        } + [
            SubClaimDesign("high variance", layer: .monteCarlo,
                           estimand: "mean of |g - g*|^2 - |g*|^2 over independent draws (> 0: noise outweighs signal)",
                           claimed: .greater, sesoi: signal,
                           sesoiSource: "|g*|^2: noise at least twice the signal, i.e. tr Var(g) >= 2 |g*|^2",
                           alphaShare: 0.4, method: .t, planningSD: exactExcess.variance[0].squareRoot(),
                           sampleSize: Self.sampleSizes, unit: "draws").quoted(Self.varianceQuote),
        ]
    }

    /// The estimator under test; `mutant` uses the score b - 1/2 (the derivative at a = 0) everywhere.
    func estimate(_ b: [Double], mutant: Bool) -> [Double] {
        let dist = IndependentBernoulli(logits: logits)
        if !mutant { return Reinforce.estimate(dist, sample: b, value: f(b)) }
        return b.map { f(b) * ($0 - 0.5) }
    }

    public func evidence(context: RunContext) throws -> Evidence {
        let dist = distribution
        let closedForm = exactGradient
        let enumerated = dist.gradient(f)
        let oracleError = zip(closedForm, enumerated).map { abs($0 - $1) }.max()!
        let n = Self.sampleSizes[scale: context.scale.rawValue]
        let family = Registry.familyAlpha
        let designs = self.designs

        func judge(mutant: Bool, stream: RandomStream) throws -> (checks: [Check], draws: [[Double]]) {
            var stream = stream
            let exact = ExactMoments(dist) { estimate($0, mutant: mutant) }
            let bias = exact.maxBias(against: closedForm)
            var draws = [[Double]](repeating: [], count: logits.count)
            var excesses: [Double] = []   // |g - g*|^2 - |g*|^2 per draw (common sample)
            for step in 0..<n {
                let b = dist.sample(&stream)
                let g = estimate(b, mutant: mutant)
                for i in g.indices { draws[i].append(g[i] - closedForm[i]) }
                excesses.append(excess(g))
                if step % 50_000 == 0 { context.progress(step: step, of: n, mutant ? "mutant" : "") }
            }
            guard draws.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw ClaimError.nonFinite("REINFORCE sample") }
            let ratio = exact.variance.reduce(0, +) / signal
            var checks: [Check] = [
                .exact(designs.named("exact variance"), asserts: "tr Var(g) > |∇E[f]|^2 by enumeration (the noise outweighs the signal)",
                       values: [ratio], detail: "tr Var(g) / |∇|^2 = \(fmt(ratio, 3))"),
                .exact(designs.named("exact mean"), asserts: "E[g] = ∇E[f] by enumeration of all 2^3 samples",
                       values: [bias], detail: "max |E[g] - ∇E[f]| = \(fmt(bias, 3))"),
            ]
            for i in logits.indices {
                let d = designs.named("Monte Carlo mean g\(i + 1)")
                checks.append(.decide(d, asserts: "the mean of g_\(i + 1) lies within ±\(fmt(d.sesoi, 3)) of the exact \(fmt(closedForm[i], 4)) (TOST)",
                                      [.mean(draws[i], alpha: d.alpha(familyAlpha: family))], scale: context.scale, familyAlpha: family))
            }
            let high = designs.named("high variance")
            checks.append(.decide(high, asserts: "the noise outweighs the signal: E|g - g*|^2 - |g*|^2 > 0, by at least |g*|^2",
                                  [.mean(excesses, alpha: high.alpha(familyAlpha: family))], scale: context.scale, familyAlpha: family))
            // Shift the draws back for the figure.
            for i in draws.indices { draws[i] = draws[i].map { $0 + closedForm[i] } }
            return (checks, draws)
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
                "Family alpha \(fmt(family)) for this claim (1e-3 over \(Registry.catalogueSize) claims of the catalogue), split over the four Monte Carlo intervals by the design's shares; planning sds are the estimator's exact sds by enumeration",
                "quick is a valid scale (as are smoke and paper): the lecture sets no experiment, and every scale computes the estimator's own mean and variance (exact enumeration, then Monte Carlo of the same fixed toy); scales differ only in the number of draws",
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
