import DiscreteGradients
import Foundation
import Pipeline
import Verification

/// hnca.theorem1: Var(HNCA) <= Var(REINFORCE) elementwise (Theorem 1, Appendix C).
///
/// Exact check of every parameter of hundreds of random networks (tolerance for rounding only),
/// then a Monte Carlo test on common random numbers: both estimators read the same forward
/// pass, and D_i = |A_i - g*|^2 - |B_i - g*|^2 over the hidden parameters (g* exact) must have a
/// negative mean (one-sided paired t-test, Holm over the networks).
public struct HNCATheorem1: SingleRunClaim {
    public let id = "hnca.theorem1"
    public let paper = "HNCA (Young, 2022)"
    public let source = "Section 1.1, Theorem 1 (proof in Appendix C)"
    public let statement = "\"Theorem 1. V(Ĝ^HNCA_Φ) ≤ V(Ĝ^RE_Φ), where V(X) stand for the elementwise variance of random vector X, and the inequality holds elementwise.\""
    public let summary = "Var(HNCA) <= Var(REINFORCE) per parameter (also f-HNCA, App. H)"
    public init() {}

    func monteCarloDraws(_ scale: Scale) -> Int {
        switch scale { case .smoke: 3_000; case .quick: 20_000; case .paper: 200_000 }
    }
    /// Standardised effect the paired test is designed to detect (|mean D| / sd(D)).
    let designEffect = 0.1

    struct Outcome {
        var checks: [Check]
        var ratios: [(ratio: Double, encoding: UnitEncoding, lastLayer: Bool)]
        var rows: [[String]]
    }

    func judge(_ hnca: NetworkHNCA, problems: [BanditProblem], mc: [BanditProblem], scale: Scale, stream: RandomStream) -> Outcome {
        var stream = stream
        let alpha = StatisticalPolicy.claimAlpha
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
        let exact = Check.exact("exact variances",
            asserts: "Var(HNCA) ≤ Var(REINFORCE) for each of \(checked) parameters of \(problems.count) random networks, by enumeration (tolerance 1e-12 + 1e-9 Var(REINFORCE), for rounding only)",
            passed: violations == 0,
            detail: "\(violations) violations; largest (Var(HNCA) - Var(RE)) / Var(RE) over hidden parameters with Var(RE) > 1e-14 = \(fmt(worst.excess, 3)) (\(worst.label)); output layer (REINFORCE in both) |ΔVar| ≤ \(fmt(outputRatioError, 2))")

        let n = monteCarloDraws(scale)
        var tests: [TestResult] = []
        var rows: [[String]] = []
        for (k, p) in mc.enumerated() {
            let net = p.oracle.network
            let g = p.oracle.gradient
            let x = Matrix(rows: n, cols: p.oracle.input.count, data: Array(repeating: p.oracle.input, count: n).flatMap { $0 })
            let sample = net.sample(x, stream: &stream)
            let rewards = sample.actions.map { p.oracle.reward[$0] }
            let a = hnca.signals(net, sample, rewards: rewards).perExample(over: sample)
            let b = NetworkReinforce().signals(net, sample, rewards: rewards).perExample(over: sample)
            let hc = p.hiddenParameterCount
            var d = [Double](repeating: 0, count: n)
            var sa = 0.0, sb = 0.0
            for i in 0..<n {
                var ea = 0.0, eb = 0.0
                for c in 0..<hc {
                    let u = a.data[i * a.cols + c] - g[c], v = b.data[i * b.cols + c] - g[c]
                    ea += u * u; eb += v * v
                }
                d[i] = ea - eb; sa += ea; sb += eb
            }
            let t = TTest.oneSample(d, alternative: .less, alpha: alpha, label: "E[|HNCA - g*|² - |RE - g*|²] (net \(k + 1))")
                .with(power: Power.tTest(n: n, effect: designEffect, alpha: alpha / Double(mc.count)), at: designEffect)
            tests.append(t)
            rows.append(["\(k + 1): \(p.label)", "\(n)", fmt(sa / Double(n), 4), fmt(sb / Double(n), 4), fmt(sa / sb, 3)])
        }
        tests = Holm.apply(tests, familyAlpha: alpha)
        for k in rows.indices { rows[k] += [fmt(tests[k].statistic, 3), fmt(tests[k].pValue, 2)] }
        let mcCheck = Check.allOf("Monte Carlo, common random numbers",
            asserts: "on the same forward passes, HNCA's squared error over the hidden parameters is smaller than REINFORCE's (one-sided paired t-tests, Holm over \(mc.count) networks, family alpha \(fmt(alpha)))",
            tests, design: .claimIsAlternative,
            detail: tests.enumerated().map { "net \($0.offset + 1): mean D = \(fmt($0.element.estimate ?? .nan, 3)), t = \(fmt($0.element.statistic, 3)), p = \(fmt($0.element.pValue, 2))" }.joined(separator: "; ")
                + "; power \(fmt(tests.compactMap(\.power).min() ?? 0, 2)) at d = \(designEffect)")
        return Outcome(checks: [exact, mcCheck], ratios: ratios, rows: rows)
    }

    /// Appendix H: per function component, Var(f-HNCA component) <= Var(REINFORCE component).
    func judgeF(_ variant: KnownFunctionNetwork.Variant, nets: [KnownFunctionNetwork]) -> (check: Check, ratios: [Double]) {
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
        return (Check.exact("Appendix H (f-HNCA) exact variances",
            asserts: "per function component f^i, Var(f-HNCA_i) ≤ Var(REINFORCE_i) for each of \(checked) (component, parameter) pairs of \(nets.count) random known-function networks (tolerance for rounding only)",
            passed: violations == 0,
            detail: "\(violations) violations; largest relative excess \(fmt(worst, 3)); median ratio \(fmt(Summary.median(ratios), 3))"), ratios)
    }

    public func evidence(context: RunContext) throws -> Evidence {
        var s = context.stream("networks")
        let problems = HNCAProblems.random(HNCAProblems.count(context.scale), stream: &s)
        var sm = context.stream("monte-carlo-networks")
        let mc = HNCAProblems.monteCarloProblems(stream: &sm)
        var master = context.stream("monte-carlo")
        let real = judge(NetworkHNCA(), problems: problems, mc: mc, scale: context.scale, stream: master.split(0))
        let mutant = judge(NetworkHNCA(variant: .realisedNormaliser), problems: problems, mc: mc, scale: context.scale, stream: master.split(1))
        guard real.ratios.allSatisfy({ $0.ratio.isFinite }) else { throw ClaimError.nonFinite("variance ratio") }
        var sf = context.stream("known-function-networks")
        let fNets = KnownFunctionProblems.random(KnownFunctionProblems.count(context.scale), stream: &sf)
        let fReal = judgeF(.paper, nets: fNets), fMutant = judgeF(.realisedNormaliser, nets: fNets)

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
                "Monte Carlo: \(monteCarloDraws(context.scale)) forward passes per network on \(mc.count) fixed networks; HNCA and REINFORCE computed on the same pass (common random numbers); D = |HNCA - g*|² - |RE - g*|² summed over hidden parameters",
                "Appendix H: \(fNets.count) random known-function networks (as in hnca.unbiased), per component f^i: f-HNCA_i vs REINFORCE_i (units trained on the components they are ancestors of)",
                "Family alpha \(fmt(StatisticalPolicy.claimAlpha)), Holm over the \(mc.count) paired tests; power stated at standardised effect \(designEffect)",
            ],
            checks: real.checks + [fReal.check],
            negativeControls: [NegativeControl(name: "rho normalised by the realised outcome",
                                               bug: "divides q_1 - q_0 by q_Φ (the children's probability under the sampled output) instead of p q_1 + (1 - p) q_0: still unbiased, but no longer a conditional expectation of REINFORCE",
                                               checks: mutant.checks),
                               NegativeControl(name: "f-HNCA: rho normalised by the realised outcome", bug: "the same bug in f-HNCA (Eq. 5): ρ(φ) = q_φ / q_Φ", checks: [fMutant.check])],
            tables: [
                Table(title: "Quantiles of Var(HNCA) / Var(REINFORCE) over hidden parameters (exact)", columns: quantiles.map { "q\(Int($0 * 100))" }, rows: [qRow]),
                Table(title: "Monte Carlo (common random numbers)", columns: ["network", "draws", "mean |HNCA - g*|²", "mean |RE - g*|²", "ratio", "t", "p (Holm)"], rows: real.rows),
            ],
            figures: [Figure(id: "variance-ratio", title: "Distribution of the exact Var(HNCA) / Var(REINFORCE) per hidden parameter",
                             xLabel: "Var(HNCA) / Var(REINFORCE) (log scale)", yLabel: "fraction of parameters ≤ x", logX: true, series: series,
                             caption: "Every HNCA curve ends at or left of 1 (the bound of Theorem 1); the mutant that normalises rho by the realised outcome is unbiased but crosses it.")])
    }
}
