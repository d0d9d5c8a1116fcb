import DiscreteGradients
import Foundation
import Pipeline
import Verification

/// hnca.theorem1: Var(HNCA) <= Var(REINFORCE) elementwise (Theorem 1, Appendix C).
///
/// Exact check of every parameter of hundreds of random networks, counting violations (tolerance
/// for rounding only); then a Monte Carlo line on common random numbers: both estimators read the
/// same forward pass, and D_i = |A_i - g*|^2 - |B_i - g*|^2 over the hidden parameters (g* exact),
/// divided by REINFORCE's exact total hidden variance, must have a mean below -0.1 (HNCA removes
/// at least a tenth of REINFORCE's variance) on each of three fixed networks.
public struct HNCATheorem1: SingleRunClaim {
    public let id = "hnca.theorem1"
    public let paper = "HNCA (Young, 2022)"
    public let source = "Section 1.1, Theorem 1 (proof in Appendix C)"
    public let statement = "\"Theorem 1. V(Ĝ^HNCA_Φ) ≤ V(Ĝ^RE_Φ), where V(X) stand for the elementwise variance of random vector X, and the inequality holds elementwise.\""
    public let summary = "Var(HNCA) <= Var(REINFORCE) per parameter (also f-HNCA, App. H)"
    public init() {}

    static let draws = PerScale(smoke: 3_400, quick: 20_000, paper: 200_000)
    /// SESOI of the Monte Carlo line, as a fraction of REINFORCE's exact total hidden variance.
    static let sesoi = 0.1

    /// The fixed Monte Carlo networks with REINFORCE's exact total hidden variance T and the exact
    /// mean and sd of D / T (D is a function of the sampled configuration: enumeration).
    struct MonteCarloPlan {
        var problems: [BanditProblem]
        var totalVariance: [Double]
        var exactMean: [Double]
        var exactSD: [Double]
    }

    func monteCarloPlan() -> MonteCarloPlan {
        let problems = HNCAProblems.fixedMonteCarloProblems(claim: id)
        var plan = MonteCarloPlan(problems: problems, totalVariance: [], exactMean: [], exactSD: [])
        for p in problems {
            let hc = p.hiddenParameterCount, g = p.oracle.gradient
            let r = p.oracle.moments(of: NetworkReinforce())
            let t = r.variance.prefix(hc).reduce(0, +)
            let a = HNCAProblems.enumerate(p, NetworkHNCA()), b = HNCAProblems.enumerate(p, NetworkReinforce())
            var m1 = 0.0, m2 = 0.0
            for i in 0..<a.g.rows {
                var ea = 0.0, eb = 0.0
                for c in 0..<hc {
                    let u = a.g.data[i * a.g.cols + c] - g[c], v = b.g.data[i * b.g.cols + c] - g[c]
                    ea += u * u; eb += v * v
                }
                let d = (ea - eb) / t
                m1 += a.probability[i] * d; m2 += a.probability[i] * d * d
            }
            plan.totalVariance.append(t); plan.exactMean.append(m1); plan.exactSD.append(max(0, m2 - m1 * m1).squareRoot())
        }
        return plan
    }

    public var designs: [SubClaimDesign] { designs(monteCarloPlan()) }

    /// The paper's words the sub-claims test (CLAIMS.md rule 13): Theorem 1 for the exact check;
    /// the abstract's "reduced variance" for the Monte Carlo line, which tests a reduction (the
    /// SESOI of a tenth is the suite's: the paper gives no size); Section 2.1's statement of
    /// Appendix H (not in our copy) for f-HNCA.
    static let theoremQuote = PaperQuote(PaperQuote.hnca, #"Theorem 1. $\mathbb{V}(\hat{G}_\Phi^{\text{HNCA}}) \leq \mathbb{V}(\hat{G}_\Phi^{\text{RE}})$, where $\mathbb{V}(\vec{X})$ stand for the elementwise variance of random vector \vec{X} , and the inequality holds elementwise."#)
    static let reducedQuote = PaperQuote(PaperQuote.hnca, "We prove that HNCA produces unbiased gradient estimates with reduced variance compared to the REINFORCE estimator")
    static let appendixHQuote = PaperQuote(PaperQuote.hnca, #"In Appendix H, we extend Theorem 1 to apply to f -HNCA, showing that using $\hat{G}_\Phi^{f\text{-HNCA},i}$ results in a variance reduced estimator for $\mathbb{E} \left[\frac{\partial \log(\pi_\Phi(\Phi | \text{pa}(\Phi)))}{\partial \theta_\Phi} f^i \right]$ compared to REINFORCE."#)

    func designs(_ mc: MonteCarloPlan) -> [SubClaimDesign] {
        [
            .exact("exact variances", estimand: "number of (network, parameter) pairs with Var(HNCA) > Var(REINFORCE) + 1e-12 + 1e-9 Var(REINFORCE), by enumeration",
                   reference: 0, tolerance: 0, source: "Theorem 1 admits no violation; the tolerance inside the count covers rounding only",
                   sampleSize: HNCAProblems.sizes, unit: "networks").quoted(Self.theoremQuote),
            SubClaimDesign("Monte Carlo, common random numbers", layer: .monteCarlo,
                           estimand: "mean over draws of (|HNCA - g*|² - |REINFORCE - g*|²) / T over the hidden parameters, T = REINFORCE's exact total hidden variance; one interval per fixed network (\(mc.problems.count))",
                           claimed: .less, sesoi: Self.sesoi,
                           sesoiSource: "fixed: HNCA removes at least a tenth of REINFORCE's variance (the theorem gives no size; a smaller reduction would not be worth the messages)",
                           alphaShare: 1, count: mc.problems.count, method: .t, planningSD: mc.exactSD.max() ?? .nan,
                           sampleSize: Self.draws, unit: "draws").quoted(Self.reducedQuote),
            .exact("Appendix H (f-HNCA) exact variances", estimand: "number of (network, component, parameter) triples with Var(f-HNCA_i) > Var(REINFORCE_i) + 1e-12 + 1e-9 Var(REINFORCE_i), by enumeration",
                   reference: 0, tolerance: 0, source: "Appendix H admits no violation; rounding tolerance inside the count",
                   sampleSize: KnownFunctionProblems.sizes, unit: "networks").quoted(Self.appendixHQuote),
        ]
    }

    struct Outcome {
        var checks: [Check]
        var ratios: [(ratio: Double, encoding: UnitEncoding, lastLayer: Bool)]
        var rows: [[String]]
        /// A/A controls of the Monte Carlo comparison (real run only).
        var aaControls: [AAControl] = []
    }

    /// `aaStream`: when given, each Monte Carlo network also gets an A/A control: REINFORCE on the
    /// comparison's forward passes against REINFORCE on independent passes from this stream, through
    /// the comparison's own statistic (D/T per draw), interval and alpha.
    func judge(_ hnca: any BanditEstimator, problems: [BanditProblem], mc: MonteCarloPlan, designs: [SubClaimDesign], scale: Scale, stream: RandomStream,
               aaStream: RandomStream? = nil) -> Outcome {
        var stream = stream
        var aaStream = aaStream
        var aaControls: [AAControl] = []
        let family = Registry.familyAlpha
        var violations = 0, checked = 0
        var worst = (excess: -Double.infinity, label: "")
        var ratios: [(Double, UnitEncoding, Bool)] = []
        var outputRatioError = 0.0
        for p in problems {
            let h = p.oracle.moments(of: hnca), r = p.oracle.moments(of: NetworkReinforce())
            let hiddenCount = p.hiddenParameterCount
            let lastStart = hiddenCount - (p.oracle.network.hidden.last?.parameters.count ?? 0)
            for k in h.variance.indices {
                let tolerance = 1e-12 + 1e-9 * r.variance[k]
                checked += 1
                let excess = (h.variance[k] - r.variance[k]) / max(r.variance[k], 1e-300)
                if h.variance[k] > r.variance[k] + tolerance { violations += 1 }
                if k < hiddenCount {
                    if r.variance[k] > 1e-14 && excess > worst.excess { worst = (excess, p.label) }
                    if r.variance[k] > 1e-14 { ratios.append((h.variance[k] / r.variance[k], p.encoding, k >= lastStart)) }
                } else {
                    outputRatioError = max(outputRatioError, abs(h.variance[k] - r.variance[k]))
                }
            }
        }
        let exact = Check.exact(designs.named("exact variances"),
            asserts: "Var(HNCA) ≤ Var(REINFORCE) for each of \(checked) parameters of \(problems.count) random networks, by enumeration: no violation beyond 1e-12 + 1e-9 Var(REINFORCE) (rounding only)",
            values: [Double(violations)],
            detail: "\(violations) violations of \(checked); largest (Var(HNCA) - Var(RE)) / Var(RE) over hidden parameters with Var(RE) > 1e-14 = \(fmt(worst.excess, 3)) (\(worst.label)); output layer (REINFORCE in both) |ΔVar| ≤ \(fmt(outputRatioError, 2))")

        let d = designs.named("Monte Carlo, common random numbers")
        let alpha = d.alpha(familyAlpha: family)
        let n = d.sampleSize[scale: scale.rawValue]
        var estimates: [IntervalEstimate] = []
        var rows: [[String]] = []
        for (k, p) in mc.problems.enumerated() {
            let net = p.oracle.network
            let g = p.oracle.gradient
            let x = Matrix(rows: n, cols: p.oracle.input.count, data: Array(repeating: p.oracle.input, count: n).flatMap { $0 })
            let sample = net.sample(x, stream: &stream)
            let rewards = sample.actions.map { p.oracle.reward[$0] }
            let a = hnca.signals(net, sample, rewards: rewards).perExample(over: sample)
            let b = NetworkReinforce().signals(net, sample, rewards: rewards).perExample(over: sample)
            let hc = p.hiddenParameterCount
            let t = mc.totalVariance[k]
            var dd = [Double](repeating: 0, count: n)
            var sa = 0.0, sb = 0.0
            for i in 0..<n {
                var ea = 0.0, eb = 0.0
                for c in 0..<hc {
                    let u = a.data[i * a.cols + c] - g[c], v = b.data[i * b.cols + c] - g[c]
                    ea += u * u; eb += v * v
                }
                dd[i] = (ea - eb) / t; sa += ea; sb += eb
            }
            let e = IntervalEstimate.mean(dd, alpha: alpha)
            estimates.append(e)
            if var other = aaStream {
                // The same statistic with REINFORCE in HNCA's place, on passes from another stream.
                let otherSample = net.sample(x, stream: &other)
                let c = NetworkReinforce().signals(net, otherSample, rewards: otherSample.actions.map { p.oracle.reward[$0] }).perExample(over: otherSample)
                let aa = (0..<n).map { i -> Double in
                    var ec = 0.0, eb = 0.0
                    for col in 0..<hc {
                        let u = c.data[i * c.cols + col] - g[col], v = b.data[i * b.cols + col] - g[col]
                        ec += u * u; eb += v * v
                    }
                    return (ec - eb) / t
                }
                aaStream = other
                aaControls.append(.equivalence(name: "REINFORCE (independent passes) vs REINFORCE, network \(k + 1): mean D/T", controls: d,
                                               estimate: IntervalEstimate.mean(aa, alpha: alpha), scale: scale, familyAlpha: family))
            }
            rows.append(["\(k + 1): \(p.label)", "\(n)", fmt(sa / Double(n), 4), fmt(sb / Double(n), 4), fmt(sa / sb, 3),
                         "\(fmt(e.estimate, 3)) [\(fmt(e.interval.lower, 3)), \(fmt(e.interval.upper, 3))]", d.decide(e.interval).rawValue])
        }
        let mcCheck = Check.decide(d,
            asserts: "on the same forward passes, HNCA's squared error over the hidden parameters is below REINFORCE's by at least \(fmt(Self.sesoi)) of REINFORCE's exact total variance (t interval per network)",
            estimates, scale: scale, familyAlpha: family,
            detail: estimates.enumerated().map { "net \($0.offset + 1): mean D/T = \(fmt($0.element.estimate, 3)) [\(fmt($0.element.interval.lower, 3)), \(fmt($0.element.interval.upper, 3))]" }.joined(separator: "; ")
                + "; claimed < 0, SESOI \(fmt(Self.sesoi)); per-interval alpha \(fmt(alpha, 3))")
        return Outcome(checks: [exact, mcCheck], ratios: ratios, rows: rows, aaControls: aaControls)
    }

    /// Appendix H: per function component, Var(f-HNCA component) <= Var(REINFORCE component).
    func judgeF(_ variant: KnownFunctionNetwork.Variant, nets: [KnownFunctionNetwork], design: SubClaimDesign) -> (check: Check, ratios: [Double]) {
        var violations = 0, checked = 0, worst = -Double.infinity
        var ratios: [Double] = []
        for net in nets {
            for i in net.layers.indices {
                let h = KnownFunctionProblems.moments(net, component: i) { net.fHNCA($0, variant: variant) }
                let r = KnownFunctionProblems.moments(net, component: i) { net.reinforce($0) }
                for k in h.variance.indices where r.variance[k] > 0 || h.variance[k] > 0 {
                    checked += 1
                    if h.variance[k] > r.variance[k] + 1e-12 + 1e-9 * r.variance[k] { violations += 1 }
                    if r.variance[k] > 1e-14 {
                        ratios.append(h.variance[k] / r.variance[k])
                        worst = max(worst, (h.variance[k] - r.variance[k]) / r.variance[k])
                    }
                }
            }
        }
        return (Check.exact(design,
            asserts: "per function component f^i, Var(f-HNCA_i) ≤ Var(REINFORCE_i) for each of \(checked) (component, parameter) pairs of \(nets.count) random known-function networks (tolerance for rounding only)",
            values: [Double(violations)],
            detail: "\(violations) violations of \(checked); largest relative excess \(fmt(worst, 3)); median ratio \(fmt(Summary.median(ratios), 3))"), ratios)
    }

    public func evidence(context: RunContext) throws -> Evidence {
        var s = context.stream("networks")
        let problems = HNCAProblems.random(HNCAProblems.count(context.scale), stream: &s)
        let mc = monteCarloPlan()
        let designs = designs(mc)
        var master = context.stream("monte-carlo")
        let real = judge(NetworkHNCA(), problems: problems, mc: mc, designs: designs, scale: context.scale, stream: master.split(0),
                         aaStream: context.stream("monte-carlo A/A"))
        let mutant = judge(NetworkHNCA(variant: .realisedNormaliser), problems: problems, mc: mc, designs: designs, scale: context.scale, stream: master.split(1))
        let noCredit = judge(NetworkReinforce(), problems: problems, mc: mc, designs: designs, scale: context.scale, stream: master.split(2))
        guard real.ratios.allSatisfy({ $0.ratio.isFinite }) else { throw ClaimError.nonFinite("variance ratio") }
        var sf = context.stream("known-function-networks")
        let fNets = KnownFunctionProblems.random(KnownFunctionProblems.count(context.scale), stream: &sf)
        let fDesign = designs.named("Appendix H (f-HNCA) exact variances")
        let fReal = judgeF(.paper, nets: fNets, design: fDesign), fMutant = judgeF(.realisedNormaliser, nets: fNets, design: fDesign)

        func ecdf(_ xs: [Double]) -> (x: [Double], y: [Double]) {
            let sorted = xs.sorted()
            return (sorted, sorted.indices.map { Double($0 + 1) / Double(sorted.count) })
        }
        var series: [Figure.Series] = []
        for enc in UnitEncoding.allCases {
            for last in [true, false] {
                let r = real.ratios.filter { $0.encoding == enc && $0.lastLayer == last }.map { max($0.ratio, 1e-6) }
                guard !r.isEmpty else { continue }
                let c = ecdf(r)
                series.append(.init("\(enc == .zeroOne ? "0/1" : "±1") units, \(last ? "last layer (softmax child)" : "earlier layers")",
                                    x: c.x, y: c.y, style: .steps))
            }
        }
        let mutantRatios = mutant.ratios.map(\.ratio).filter { $0.isFinite }
        if !mutantRatios.isEmpty { let c = ecdf(mutantRatios.map { max($0, 1e-6) }); series.append(.init("mutant: realised normaliser", x: c.x, y: c.y, style: .steps)) }
        if !fReal.ratios.isEmpty { let c = ecdf(fReal.ratios.map { max($0, 1e-6) }); series.append(.init("f-HNCA components (App. H)", x: c.x, y: c.y, style: .steps)) }
        series.append(.init("ratio = 1 (the bound)", x: [1, 1], y: [0, 1]))
        let all = real.ratios.map(\.ratio)
        let quantiles = [0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
        let qRow = quantiles.map { fmt(Summary.quantile(all, $0), 3) }
        return Evidence(
            headline: "\(real.checks[0].verdict == .reproduced ? "No" : "Some") violations among \(real.ratios.count) hidden parameters with Var(RE) > 0: median Var(HNCA)/Var(RE) = \(fmt(Summary.median(all), 3)), max \(fmt(all.max() ?? .nan, 4)).",
            setup: [
                "\(problems.count) random networks (as in hnca.unbiased): depth 1-3, widths 1-4, {0,1} and {-1,+1} units, N(0, s²) parameters with s ~ U(0.5, 2.5), N(0, 1) reward tables",
                "Exact variances by enumeration, accumulated about a shift at the mean (Σ p (g - K)², precise to rounding); output-layer parameters use REINFORCE in both estimators, so their ratio is exactly 1 and they are excluded from the distribution",
                "Monte Carlo: \(Self.draws[scale: context.scale.rawValue]) forward passes per network on \(mc.problems.count) fixed networks (drawn once from seed 1, part of the design); HNCA and REINFORCE computed on the same pass (common random numbers); D = |HNCA - g*|² - |RE - g*|² summed over hidden parameters, divided by REINFORCE's exact total hidden variance T; exact E[D/T] on these networks: \(mc.exactMean.map { fmt($0, 3) }.joined(separator: ", "))",
                "A/A control per Monte Carlo network: REINFORCE on the comparison's passes against REINFORCE on an independent set of passes (stream 'monte-carlo A/A'), through the same D/T statistic, interval and alpha; an equivalence within ±2 SESOI where the comparison decides (REINFORCE against itself on the same pass would be identically 0)",
                "Appendix H: \(fNets.count) random known-function networks (as in hnca.unbiased), per component f^i: f-HNCA_i vs REINFORCE_i (units trained on the components they are ancestors of)",
                "quick is a valid scale (as are smoke and paper): exact variances and a Monte Carlo variance comparison of the paper's estimators on random networks; nothing is reduced but the number of networks and draws",
                "Family alpha \(fmt(Registry.familyAlpha)) for this claim, all of it to the Monte Carlo line, split equally over its \(mc.problems.count) intervals; SESOI \(fmt(Self.sesoi)) of T (fixed); planning sd = the largest exact sd of D/T by enumeration (\(fmt(mc.exactSD.max() ?? .nan, 3)))",
            ],
            checks: real.checks + [fReal.check],
            negativeControls: [NegativeControl(name: "rho normalised by the realised outcome",
                                               bug: "divides q_1 - q_0 by q_Φ (the children's probability under the sampled output) instead of p q_1 + (1 - p) q_0: still unbiased, but no longer a conditional expectation of REINFORCE",
                                               checks: mutant.checks),
                               NegativeControl(name: "counterfactual credit never applied",
                                               bug: "the hidden units' learning signal is REINFORCE's (R ∂log π(Φ)/∂θ): the messages are computed but never used, so there is no variance reduction to find",
                                               checks: noCredit.checks),
                               NegativeControl(name: "f-HNCA: rho normalised by the realised outcome", bug: "the same bug in f-HNCA (Eq. 5): ρ(φ) = q_φ / q_Φ", checks: [fMutant.check])],
            aaControls: real.aaControls,
            tables: [
                Table(title: "Quantiles of Var(HNCA) / Var(REINFORCE) over hidden parameters (exact)", columns: quantiles.map { "q\(Int($0 * 100))" }, rows: [qRow]),
                Table(title: "Monte Carlo (common random numbers)", columns: ["network", "draws", "mean |HNCA - g*|²", "mean |RE - g*|²", "ratio", "mean D/T [interval]", "interval alone says"], rows: real.rows),
            ],
            figures: [Figure(id: "variance-ratio", title: "Distribution of the exact Var(HNCA) / Var(REINFORCE) per hidden parameter",
                             xLabel: "Var(HNCA) / Var(REINFORCE) (log scale)", yLabel: "fraction of parameters ≤ x", logX: true, series: series,
                             caption: "Every HNCA curve ends at or left of 1 (the bound of Theorem 1); the mutant that normalises rho by the realised outcome is unbiased but crosses it.")])
    }
}
