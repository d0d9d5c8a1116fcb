import DiscreteGradients
import Pipeline
import Verification

/// bpq.rao-blackwell: replacing the sampled delayed cost by the true Q_X (its conditional
/// expectation given the scope) never increases the variance of the score-function estimator,
/// "due to Var(E_{Y|X}[f(Y)]) <= Var(f(Y))" (Section 3.1), and keeps its mean.
///
/// Exact layer: per parameter on random SCGs, Var(score * Q_X) <= Var(score * F_X), where F_X is
/// the sampled sum of the costs X reaches (so Q_X = E[F_X | Sc_X]). Monte Carlo layer: on
/// Figure 1's graph (long paths, a bypass; its tables drawn once at the design seed, so the
/// planning numbers are exact), common random numbers and the paired difference
/// D_i = |g_F - g*|^2 - |g_Q - g*|^2 with the exact g*, in units of E|g_F - g*|^2; and a
/// per-coordinate TOST on the mean of g_Q. Mutant: Q_X conditioned on X alone.
public struct BackpropQRaoBlackwell: SingleRunClaim {
    public let id = "bpq.rao-blackwell"
    public let paper = BPQ.paper
    public let source = "Section 3.1, \"Cost propagation\" (Rao-Blackwellization [32])"
    public let statement = "\"we aim at learning expected costs conditioned on each random variable and using Rao-Blackwellization [32] to reduce variance due to Var(E_{Y|X}[f(Y)]) ≤ Var(f(Y))\""
    public let summary = "the true Q never increases the estimator's variance"
    public init() {}

    static let graphCounts = PerScale(smoke: 25, quick: 200, paper: 1000)
    static let draws = PerScale(smoke: 28_000, quick: 40_000, paper: 400_000)
    /// The equivalence margin of the Monte Carlo mean, in units of each coordinate's exact sd.
    static let margin = 0.05
    /// The smallest relative reduction of E|g - g*|^2 that counts as "reduces variance".
    static let reduction = 0.1

    /// Figure 1's graph, its tables drawn once from the design seed (master seed 1, the suite's
    /// default: the same graph the claim used before), so the Monte Carlo problem is fixed and
    /// its planning numbers exact; the draws follow the master seed.
    static var figure1: StochasticComputationGraph {
        var s = RandomStream(master: 1, claim: "bpq.rao-blackwell", label: "main/figure1")
        return PaperExampleGraphs.figure1(&s)
    }

    /// Exact facts of the Monte Carlo problem (enumeration): g*, the per-coordinate sd of g_Q,
    /// M_F = E|g_F - g*|^2 and the sd of D / M_F.
    struct Problem {
        let graph: StochasticComputationGraph, exact: ExactEnumeration
        let truth: [Double], sdQ: [Double], msF: Double, sdRelativeD: Double
        let qLocal: (Int, [Int]) -> Double, fLocal: (Int, [Int]) -> Double
        init(mutant: Bool = false) {
            let g = BackpropQRaoBlackwell.figure1
            let exact = ExactEnumeration(g)
            let t = BackpropQGradient.flatten(exact.gradient())
            let real = BackpropQNetwork.separate(g)
            let realQ = BackpropQGradient.exactLocalCost(real, tables: real.exactQ(exact))
            let net = mutant ? BPQ.droppingBypassAncestors(real) : real
            let ql = BackpropQGradient.exactLocalCost(net, tables: net.exactQ(exact))
            let fl = BackpropQGradient.sampledDownstreamCost(g)
            func sq(_ x: [Int], _ local: (Int, [Int]) -> Double) -> Double {
                zip(BackpropQGradient.flatten(BackpropQGradient.estimate(g, x, localCost: local)), t).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            }
            let ms = exact.moments { [sq($0, fl)] }.mean[0]
            graph = g; self.exact = exact; truth = t; qLocal = ql; fLocal = fl; msF = ms
            sdQ = exact.moments { BackpropQGradient.flatten(BackpropQGradient.estimate(g, $0, localCost: realQ)) }.variance.map { $0.squareRoot() }
            sdRelativeD = exact.moments { [(sq($0, fl) - sq($0, realQ)) / ms] }.variance[0].squareRoot()
        }
    }

    /// The paper's words the sub-claims test (CLAIMS.md rule 13): Eq. 1 with the true Q is
    /// unbiased (the mean checks); Rao-Blackwellization reduces variance (the variance checks; the
    /// Monte Carlo SESOI of a tenth is the suite's, the paper gives no size).
    static let meanQuote = PaperQuote(PaperQuote.backpropQ, "If a local surrogate cost is exactly a true expected cost, we can obtain an unbiased gradient estimator by Eq.1.")
    static let varianceQuote = PaperQuote(PaperQuote.backpropQ, #"we aim at learning expected costs conditioned on each random variable and using Rao-Blackwellization [32] to reduce variance due to  $\text{Var}(\mathbb{E}_{Y|X} [f(Y)]) \leq \text{Var}(f(Y))$"#)

    public var designs: [SubClaimDesign] {
        let p = Problem()
        return [
            .exact("same mean", estimand: "max over random SCGs, parameters and both estimators (score·Q_X, score·F_X) of |E[g] - ∇J| by enumeration",
                   tolerance: 1e-10, source: "rounding only: sums of at most 2^9 double-precision products of order 1 (~1e-15)",
                   sampleSize: Self.graphCounts, unit: "random SCGs").quoted(Self.meanQuote),
            .exact("never a larger variance",
                   estimand: "number of (random SCG, parameter) pairs with Var(score·Q_X) - Var(score·F_X) > 1e-12 (1 + Var(score·F_X)), exact variances by enumeration",
                   source: "Var(E[F | Sc]) <= Var(F) holds for every parameter, so no violation at all; 1e-12 relative absorbs rounding of sums of at most 2^9 terms",
                   sampleSize: Self.graphCounts, unit: "random SCGs").quoted(Self.varianceQuote),
            SubClaimDesign("Monte Carlo mean on Figure 1", layer: .monteCarlo,
                           estimand: "per parameter k of Figure 1: mean over draws of (g_Q,k - ∇J_k) / sd_k, sd_k the exact per-sample sd of score·Q_X (enumeration)",
                           claimed: .equivalent, sesoi: Self.margin,
                           sesoiSource: "5% of one draw's exact sd: a bias 20x smaller than a single sample's noise (the exact layer decides exactness)",
                           alphaShare: 0.5, count: p.truth.count, method: .t, planningSD: 1,
                           sampleSize: Self.draws, unit: "draws").quoted(Self.meanQuote),
            SubClaimDesign("Monte Carlo on Figure 1", layer: .monteCarlo,
                           estimand: "mean over common draws of (|g_F - g*|^2 - |g_Q - g*|^2) / E|g_F - g*|^2: the relative reduction of the total variance by the true Q (E|g_F - g*|^2 = \(fmt(p.msF, 4)) exact)",
                           claimed: .greater, sesoi: Self.reduction,
                           sesoiSource: "a 10% reduction of the sampled-cost estimator's total variance: the smallest reduction worth a learned critic",
                           alphaShare: 0.5, method: .t, planningSD: p.sdRelativeD,
                           sampleSize: Self.draws, unit: "draws").quoted(Self.varianceQuote),
        ]
    }

    public func evidence(context: RunContext) throws -> Evidence {
        let scale = context.scale
        let graphCount = Self.graphCounts[scale: scale.rawValue]
        let n = Self.draws[scale: scale.rawValue]
        let family = Registry.familyAlpha
        let designs = self.designs
        var stream = context.stream("graphs")
        let graphs = BPQ.randomGraphs(graphCount, &stream)

        struct ExactResult { var maxBias = 0.0; var violations = 0; var parameters = 0; var ratios: [Double] = []; var worstExcess = 0.0 }
        func exactLayer(mutant: Bool) -> ExactResult {
            var r = ExactResult()
            for g in graphs {
                let exact = ExactEnumeration(g)
                let truth = BackpropQGradient.flatten(exact.gradient())
                var net = BackpropQNetwork.separate(g)
                if mutant { net = BPQ.droppingBypassAncestors(net) }
                let q = BackpropQGradient.exactLocalCost(net, tables: net.exactQ(exact))
                let sampled = BackpropQGradient.sampledDownstreamCost(g)
                let mq = exact.moments { BackpropQGradient.flatten(BackpropQGradient.estimate(g, $0, localCost: q)) }
                let mf = exact.moments { BackpropQGradient.flatten(BackpropQGradient.estimate(g, $0, localCost: sampled)) }
                r.maxBias = max(r.maxBias, mq.maxBias(against: truth), mf.maxBias(against: truth))
                for k in truth.indices {
                    r.parameters += 1
                    let excess = mq.variance[k] - mf.variance[k]
                    if excess > 1e-12 * (1 + mf.variance[k]) { r.violations += 1 }
                    r.worstExcess = max(r.worstExcess, excess)
                    if mf.variance[k] > 1e-12 { r.ratios.append(mq.variance[k] / mf.variance[k]) }
                }
            }
            return r
        }

        let problem = Problem()
        let fig1 = problem.graph, truth1 = problem.truth
        func squaredError(_ x: [Int], _ local: (Int, [Int]) -> Double) -> Double {
            zip(BackpropQGradient.flatten(BackpropQGradient.estimate(fig1, x, localCost: local)), truth1).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        }

        func judge(mutant: Bool, stream: RandomStream) -> (checks: [Check], exact: ExactResult, dMean: Double, qErrors: [Double]) {
            let e = exactLayer(mutant: mutant)
            let p = mutant ? Problem(mutant: true) : problem
            var s = stream
            var d: [Double] = [], qErrors: [Double] = []
            var coords = [[Double]](repeating: [], count: truth1.count)
            d.reserveCapacity(n); qErrors.reserveCapacity(n)
            for step in 0..<n {
                let x = fig1.sample(&s)
                let gq = BackpropQGradient.flatten(BackpropQGradient.estimate(fig1, x, localCost: p.qLocal))
                let eq = zip(gq, truth1).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                d.append((squaredError(x, p.fLocal) - eq) / problem.msF)
                qErrors.append(eq / problem.msF)
                for k in truth1.indices { coords[k].append((gq[k] - truth1[k]) / problem.sdQ[k]) }
                if step % 10_000 == 0 { context.progress(step: step, of: n, mutant ? "mutant" : "") }
            }
            let meanDesign = designs.named("Monte Carlo mean on Figure 1"), varDesign = designs.named("Monte Carlo on Figure 1")
            let means = coords.map { IntervalEstimate.mean($0, alpha: meanDesign.alpha(familyAlpha: family)) }
            let worstK = means.indices.max { abs(means[$0].estimate) < abs(means[$1].estimate) }!
            let inside = means.filter { meanDesign.decide($0.interval) == .reproduced }.count
            return ([
                .exact(designs.named("same mean"), asserts: "E[score·Q_X] = E[score·F_X] = ∇J exactly on every random SCG (Rao-Blackwellisation keeps the mean)",
                       values: [e.maxBias], detail: "max |E[g] - ∇J| over both estimators and \(graphs.count) graphs = \(fmt(e.maxBias, 3))"),
                .exact(designs.named("never a larger variance"), asserts: "Var(score·Q_X) <= Var(score·F_X) for every parameter of every random SCG (exact): no violation",
                       values: [Double(e.violations)],
                       detail: "\(e.violations)/\(e.parameters) parameters violate; median ratio Var_Q/Var_F = \(fmt(Summary.median(e.ratios), 3)), largest = \(fmt(e.ratios.max() ?? .nan, 4)); worst excess \(fmt(e.worstExcess, 2))"),
                .decide(meanDesign, asserts: "each of the \(truth1.count) coordinates' mean of score·Q_X lies within ±\(fmt(Self.margin)) of its exact sd of ∇J (TOST)",
                        means, scale: context.scale, familyAlpha: family,
                        detail: "\(inside)/\(means.count) coordinates inside ±\(fmt(Self.margin)) sd; worst θ_\(worstK + 1): " + Check.describe(means[worstK], design: meanDesign)),
                .decide(varDesign, asserts: "the true Q lowers the total variance: E|g_F - g*|^2 - E|g_Q - g*|^2 > 0 on common samples, by at least \(fmt(Self.reduction * 100))% of E|g_F - g*|^2",
                        [.mean(d, alpha: varDesign.alpha(familyAlpha: family))], scale: context.scale, familyAlpha: family),
            ], e, Summary(d).mean, qErrors)
        }

        var master = context.stream("monte-carlo")
        let real = judge(mutant: false, stream: master.split(0))
        let mutant = judge(mutant: true, stream: master.split(1))

        // A/A: the true-Q estimator against itself on independent draws, through the same interval.
        var aaStream = context.stream("a-a")
        var aa: [Double] = []
        aa.reserveCapacity(n)
        for _ in 0..<n { aa.append(squaredError(fig1.sample(&aaStream), problem.qLocal) / problem.msF) }
        let varDesign = designs.named("Monte Carlo on Figure 1")
        let aaControl = AAControl.equivalence(name: "true Q vs true Q, independent draws", controls: varDesign,
                                              estimate: .paired(real.qErrors, aa, alpha: varDesign.alpha(familyAlpha: family)),
                                              scale: scale, familyAlpha: family)

        let sorted = real.exact.ratios.sorted()
        let figure = Figure(id: "variance-ratio", title: "Var(score·Q_X) / Var(score·F_X) per parameter, random SCGs (exact)",
                            xLabel: "fraction of parameters", yLabel: "variance ratio", logY: true,
                            series: [
                                .init("exact ratio, sorted", x: sorted.indices.map { Double($0 + 1) / Double(sorted.count) }, y: sorted.map { max($0, 1e-6) }, style: .lines),
                                .init("ratio 1 (no reduction)", x: [0, 1], y: [1, 1]),
                            ],
                            caption: "Every ratio lies at or below 1: the true Q never increases a coordinate's variance; the reduction is large where the delayed cost carries noise from nodes sampled after X.")
        let q = [0.1, 0.25, 0.5, 0.75, 0.9, 1].map { [fmt($0), fmt(Summary.quantile(sorted, $0), 4)] }
        let exactReduction = 1 - ExactEnumeration(fig1).moments { [squaredError($0, problem.qLocal)] }.mean[0] / problem.msF
        return Evidence(
            headline: "Var(score·Q) <= Var(score·F) for \(real.exact.parameters - real.exact.violations)/\(real.exact.parameters) parameters exactly (median ratio \(fmt(Summary.median(sorted), 3))); on Figure 1 the true Q removes \(fmt(real.dMean * 100, 3))% of the sampled cost's total variance (exact \(fmt(exactReduction * 100, 3))%).",
            setup: [
                "\(graphs.count) random SCGs (4-8 nodes, 1-3 costs, bypass edges, Bernoulli and 3-way categorical, table and logistic conditionals); exact moments by enumeration",
                "F_X = the sampled sum of the costs X reaches; Q_X = E[F_X | Sc_X] (Eq. 2); both multiply the score of X",
                "Monte Carlo: Figure 1's graph (X1 -> Y1, {X1, X2, Y1} -> Y2, Y1 -> Z, f(Y2, Z); rebuilt from the text; tables drawn once at the design seed), \(n) common samples; E|g_F - g*|^2 = \(fmt(problem.msF, 4)) exact",
                "Family alpha \(fmt(family)) for this claim, half to each Monte Carlo sub-claim (the mean's half split over \(truth1.count) coordinates); planning sds exact by enumeration (1 for the standardised coordinates)",
                "quick is a valid scale (as are smoke and paper): Backprop-Q has no experiment to match, and every scale computes the two estimators' own means and variances, exactly on random SCGs and by Monte Carlo on Figure 1's graph; nothing is reduced but the number of graphs and draws",
                "Quick and paper scale decide every sub-claim; smoke is plumbing only. A/A control: the true-Q estimator against itself on an independent stream, same interval",
            ],
            checks: real.checks,
            negativeControls: [NegativeControl(name: "scope without the bypass ancestor",
                                               bug: "Q_X conditioned on X alone (E[F | X = x]) instead of the frontier scope",
                                               checks: mutant.checks)],
            aaControls: [aaControl],
            tables: [Table(title: "Quantiles of the exact variance ratio Var_Q / Var_F over \(sorted.count) parameters", columns: ["quantile", "ratio"], rows: q)],
            figures: [figure]
        )
    }
}
