import DiscreteGradients
import Pipeline
import Verification

/// hnca.unbiased: the bandit HNCA estimator (Eq. 3) is an unbiased estimator of dE[R]/dtheta.
///
/// Exact first: on hundreds of random small networks, the exact mean of HNCA (every
/// configuration enumerated) equals the exact gradient to rounding; the exact gradient itself is
/// cross-checked with central finite differences of the exact E[R]. Then Monte Carlo: per
/// coordinate TOST equivalence tests on three fixed networks, Holm over all coordinates. The same
/// two layers for f-HNCA (Eq. 6) on known-function networks.
public struct HNCAUnbiased: SingleRunClaim {
    public let id = "hnca.unbiased"
    public let paper = "HNCA (Young, 2022)"
    public let source = "Section 1.1, Eq. 2-3 (Appendix B); Section 2.1, Eq. 5-6 (Appendix F); Algorithm 1"
    public let statement = "\"the following is an unbiased estimator of ∂E[R]/∂θ_Φ: Ĝ^HNCA_Φ = Σ_φ ρ_Φ(φ) ∂π_Φ(φ|pa(Φ))/∂θ_Φ R\" (Eq. 3); Eq. 6's f-HNCA is likewise unbiased for ∂E[f]/∂θ_Φ."
    public let summary = "HNCA (Eq. 3) and f-HNCA (Eq. 6) are unbiased"
    public init() {}

    func monteCarloDraws(_ scale: Scale) -> Int {
        switch scale { case .smoke: 3_000; case .quick: 30_000; case .paper: 300_000 }
    }
    /// TOST margin in units of the coordinate's exact standard deviation. With n draws the margin
    /// is about 10 standard errors: the Holm-corrected critical value (~5 se for ~100 coordinates
    /// at alpha 2.5e-5) plus ~3 se of slack, so that with zero bias every coordinate of the
    /// family passes together with probability >= 0.8 (not merely each one alone).
    func margin(_ scale: Scale) -> Double {
        switch scale { case .smoke: 0.2; case .quick: 0.06; case .paper: 0.02 }
    }

    struct Outcome {
        var checks: [Check]
        var exactBias: [Double]     // per network
        var scatter: (x: [Double], y: [Double])
        var mcRows: [[String]]
    }

    func judge(_ estimator: NetworkHNCA, problems: [BanditProblem], gradients: [[Double]], mc: [BanditProblem],
               mcGradients: [[Double]], scale: Scale, stream: RandomStream) -> Outcome {
        var stream = stream
        let alpha = StatisticalPolicy.claimAlpha / 2   // the other half goes to the f-HNCA Monte Carlo test
        var biases: [Double] = [], sx: [Double] = [], sy: [Double] = []
        var worst = (bias: 0.0, relative: 0.0, label: "")
        for (p, g) in zip(problems, gradients) {
            let m = p.oracle.moments(of: estimator)
            let b = maxAbsDiff(m.mean, g)
            biases.append(b)
            let size = g.map(abs).max() ?? 0
            if b > worst.bias { worst = (b, b / max(size, 1e-300), p.label) }
            sx += g; sy += m.mean
        }
        let tolerance = 1e-10
        let exact = Check.exact("exact mean (Eq. 3)",
            asserts: "E[Ĝ_HNCA] = ∂E[R]/∂θ for every parameter of \(problems.count) random networks, by enumeration (tolerance \(fmt(tolerance)))",
            passed: worst.bias < tolerance,
            detail: "max |E[HNCA] - ∇E[R]| = \(fmt(worst.bias, 3)) (\(fmt(worst.relative, 3)) of the largest gradient entry; worst network \(worst.label))")

        // Monte Carlo: per-coordinate TOST, Holm over every coordinate with non-zero variance.
        let n = monteCarloDraws(scale)
        var tests: [TestResult] = []
        var owners: [Int] = []
        var rows: [[String]] = []
        for (k, (p, g)) in zip(mc, mcGradients).enumerated() {
            let exactMoments = p.oracle.moments(of: NetworkHNCA())
            let d = HNCAProblems.draws(p, estimator, n: n, stream: &stream)
            var used = 0
            for c in 0..<d.cols where exactMoments.variance[c] > 1e-12 {
                let sd = exactMoments.variance[c].squareRoot()
                tests.append(Equivalence.tost(HNCAProblems.column(d, c), target: g[c], margin: margin(scale) * sd,
                                              alpha: alpha, label: "E[g_\(c)] (net \(k + 1))"))
                owners.append(k)
                used += 1
            }
            rows.append(["\(k + 1): \(p.label)", "\(n)", "\(used) of \(d.cols)"])
        }
        tests = Holm.apply(tests, familyAlpha: alpha)
        let failing = tests.filter { !$0.rejected }
        let minPower = tests.compactMap(\.power).min() ?? 0
        for k in rows.indices {
            let mine = tests.indices.filter { owners[$0] == k }.map { tests[$0] }
            let z = mine.map { abs(($0.estimate ?? 0) - 0) }.count
            rows[k].append("\(mine.filter(\.rejected).count) of \(z)")
            rows[k].append(fmt(mine.map(\.pValue).max() ?? .nan, 3))
        }
        let mcCheck = Check.allOf("Monte Carlo mean",
            asserts: "each coordinate's sample mean lies within ±\(fmt(margin(scale))) sd of the exact gradient (TOST, Holm over \(tests.count) coordinates of \(mc.count) networks, family alpha \(fmt(alpha)))",
            tests, design: .equivalence,
            detail: "\(tests.count - failing.count) of \(tests.count) coordinates shown equivalent; \(n) draws per network; min power at zero bias \(fmt(minPower, 3))"
                + (failing.isEmpty ? "" : "; not shown: " + failing.prefix(4).map { "\($0.null) (mean \(fmt($0.estimate ?? .nan)), p = \(fmt($0.pValue, 2)))" }.joined(separator: "; ")))
        return Outcome(checks: [exact, mcCheck], exactBias: biases, scatter: (sx, sy), mcRows: rows)
    }

    /// Eq. 6 (f-HNCA): exact mean over random known-function networks, then per-coordinate TOST
    /// on one network (half the family alpha).
    func judgeF(_ variant: KnownFunctionNetwork.Variant, nets: [KnownFunctionNetwork], gradients: [[Double]],
                mcNet: KnownFunctionNetwork, mcGradient: [Double], scale: Scale, stream: RandomStream) -> [Check] {
        var stream = stream
        var worst = (bias: 0.0, label: "")
        for (net, g) in zip(nets, gradients) {
            let m = KnownFunctionProblems.moments(net, component: nil) { net.fHNCA($0, variant: variant) }
            let b = maxAbsDiff(m.mean, g)
            if b > worst.bias { worst = (b, KnownFunctionProblems.label(net)) }
        }
        let exact = Check.exact("f-HNCA exact mean (Eq. 6)",
            asserts: "E[Ĝ_f-HNCA] = ∂E[f]/∂θ for every parameter of \(nets.count) random known-function networks (f = Σ_k log σ(u_k·φ_k + w_k·φ_(k+1) + c_k)), by enumeration (tolerance 1e-10)",
            passed: worst.bias < 1e-10, detail: "max |E[f-HNCA] - ∇E[f]| = \(fmt(worst.bias, 3))\(worst.label.isEmpty ? "" : " (worst network \(worst.label))")")
        let n = monteCarloDraws(scale)
        let alpha = StatisticalPolicy.claimAlpha / 2
        let exactMoments = KnownFunctionProblems.moments(mcNet, component: nil) { mcNet.fHNCA($0) }
        var draws = [[Double]](repeating: [], count: mcGradient.count)
        for _ in 0..<n {
            let g = KnownFunctionProblems.sum(mcNet.fHNCA(mcNet.sample(&stream), variant: variant))
            for k in g.indices { draws[k].append(g[k]) }
        }
        var tests: [TestResult] = []
        for k in draws.indices where exactMoments.variance[k] > 1e-12 {
            tests.append(Equivalence.tost(draws[k], target: mcGradient[k], margin: margin(scale) * exactMoments.variance[k].squareRoot(),
                                          alpha: alpha, label: "E[g_\(k)] (f-HNCA)"))
        }
        tests = Holm.apply(tests, familyAlpha: alpha)
        let mc = Check.allOf("f-HNCA Monte Carlo mean",
            asserts: "on a \(KnownFunctionProblems.label(mcNet)) known-function network, each coordinate's mean lies within ±\(fmt(margin(scale))) sd of the exact gradient (TOST, Holm over \(tests.count) coordinates, alpha \(fmt(alpha)))",
            tests, design: .equivalence,
            detail: "\(tests.filter(\.rejected).count) of \(tests.count) coordinates shown equivalent; \(n) draws; min power \(fmt(tests.compactMap(\.power).min() ?? 0, 3))")
        return [exact, mc]
    }

    public func evidence(context: RunContext) throws -> Evidence {
        var s = context.stream("networks")
        let problems = HNCAProblems.random(HNCAProblems.count(context.scale), stream: &s)
        var sm = context.stream("monte-carlo-networks")
        let mc = HNCAProblems.monteCarloProblems(stream: &sm)
        let gradients = problems.map(\.oracle.gradient)
        let mcGradients = mc.map(\.oracle.gradient)

        // The oracle's exact gradient against central finite differences of the exact objective.
        let fdCount = min(problems.count, context.scale == .smoke ? 10 : 40)
        let fdError = (0..<fdCount).map { maxAbsDiff(gradients[$0], problems[$0].oracle.finiteDifferenceGradient()) }.max() ?? .nan
        let reinforceBias = zip(problems, gradients).map { maxAbsDiff($0.oracle.moments(of: NetworkReinforce()).mean, $1) }.max() ?? .nan
        guard fdError.isFinite, reinforceBias.isFinite else { throw ClaimError.nonFinite("exact oracle") }
        let oracleChecks: [Check] = [
            .exact("oracle vs finite differences", asserts: "the enumerated gradient equals central finite differences (h = 1e-5) of the enumerated E[R] on \(fdCount) networks (tolerance 1e-7)",
                   passed: fdError < 1e-7, detail: "max |∇ - FD| = \(fmt(fdError, 3))"),
            .exact("REINFORCE exact mean", asserts: "REINFORCE is unbiased on the same networks (the oracle's reference)",
                   passed: reinforceBias < 1e-10, detail: "max |E[REINFORCE] - ∇E[R]| = \(fmt(reinforceBias, 3))"),
        ]

        var master = context.stream("monte-carlo")
        let real = judge(NetworkHNCA(), problems: problems, gradients: gradients, mc: mc, mcGradients: mcGradients,
                         scale: context.scale, stream: master.split(0))
        context.progress(step: 1, of: 4, "mutants")
        let mutants: [(HNCAVariant, String, String)] = [
            (.ignoresCurrentValue, "counterfactual logit ignores x_i", "the child's counterfactual logit is l + θ_i v instead of l + θ_i (v - x_i)"),
            (.missingNormaliser, "rho without its normaliser", "uses q_1 - q_0 instead of (q_1 - q_0) / (p q_1 + (1 - p) q_0)"),
            (.zeroOneFormula, "{0,1} formula on {-1,+1} units", "Algorithm 1's l + θ(1 - x), l - θx used for {-1,+1} units too"),
        ]
        var controls: [NegativeControl] = []
        var mutantScatter: (x: [Double], y: [Double]) = ([], [])
        for (k, m) in mutants.enumerated() {
            let out = judge(NetworkHNCA(variant: m.0), problems: problems, gradients: gradients, mc: mc, mcGradients: mcGradients,
                            scale: context.scale, stream: master.split(k + 1))
            controls.append(NegativeControl(name: m.1, bug: m.2, checks: out.checks))
            if k == 0 { mutantScatter = out.scatter }
            context.progress(step: k + 2, of: 4, "mutants")
        }

        // f-HNCA (Eq. 6) on known-function networks.
        var sf = context.stream("known-function-networks")
        let fNets = KnownFunctionProblems.random(KnownFunctionProblems.count(context.scale), stream: &sf)
        let fGradients = fNets.map { $0.exactGradient().gradient }
        var smf = context.stream("known-function-monte-carlo-network")
        let fMC = KnownFunctionNetwork.random(inputs: 2, widths: [3, 3, 2], encoding: .zeroOne, scale: 1.2, stream: &smf)
        let fMCGradient = fMC.exactGradient().gradient
        let fReal = judgeF(.paper, nets: fNets, gradients: fGradients, mcNet: fMC, mcGradient: fMCGradient, scale: context.scale, stream: master.split(10))
        let fMutant = judgeF(.realisedComponent, nets: fNets, gradients: fGradients, mcNet: fMC, mcGradient: fMCGradient, scale: context.scale, stream: master.split(11))
        controls.append(NegativeControl(name: "f-HNCA: realised component", bug: "credits a directly connected component with its realised value f^i instead of the counterfactual f^i_Φ(φ) (so Σ_φ ∂π(φ)/∂θ f^i vanishes)", checks: fMutant))

        var table: [[String]] = []
        for depth in 1...3 {
            for enc in UnitEncoding.allCases {
                let idx = problems.indices.filter { problems[$0].depth == depth && problems[$0].encoding == enc }
                guard !idx.isEmpty else { continue }
                table.append(["\(depth)", enc == .zeroOne ? "{0,1}" : "{-1,+1}", "\(idx.count)",
                              fmt(idx.map { real.exactBias[$0] }.max()!, 2),
                              fmt(idx.map { gradients[$0].map(abs).max()! }.max()!, 3)])
            }
        }
        let worst = real.exactBias.max() ?? .nan
        return Evidence(
            headline: "Exact max |E[HNCA] - ∇E[R]| = \(fmt(worst, 2)) over \(problems.count) random networks (f-HNCA: \(fReal[0].detail.replacingOccurrences(of: "max ", with: "").components(separatedBy: " (worst")[0])); \(real.checks[1].tests.filter(\.rejected).count)/\(real.checks[1].tests.count) Monte Carlo coordinates equivalent within ±\(fmt(margin(context.scale))) sd.",
            setup: [
                "\(problems.count) random networks: depth 1-3, widths 1-4, 1-3 binary inputs, 2-4 actions, {0,1} and {-1,+1} units alternating, weights and biases N(0, s²) with s ~ U(0.5, 2.5), rewards N(0, 1); softmax output trained by REINFORCE",
                "Exact: every joint configuration of hidden units and action enumerated (NetworkOracle, scalar code independent of the batched layers); HNCA run batched on all configurations with efficient message passing",
                "Monte Carlo: \(monteCarloDraws(context.scale)) independent draws per network on \(mc.count) fixed networks (\(HNCAProblems.monteCarloShapes.map { "\($0.0)" }.joined(separator: ", "))); TOST per coordinate with margin \(fmt(margin(context.scale))) × the coordinate's exact sd",
                "f-HNCA (Eq. 6): \(fNets.count) random known-function networks (depth 1-3, widths 1-4, both encodings), f = Σ_k log σ(u_k·φ_k + w_k·φ_(k+1) + c_k) (components directly connected, mediated, or both, as in Figure 2); Monte Carlo on one [3, 3, 2] {0,1} network",
                "Family alpha \(fmt(StatisticalPolicy.claimAlpha)) split in halves (bandit HNCA, f-HNCA), Holm within each; mutants run through the same exact and Monte Carlo tests on their own streams",
            ],
            checks: oracleChecks + real.checks + fReal,
            negativeControls: controls,
            tables: [
                Table(title: "Exact maximum bias by depth and unit encoding", columns: ["depth", "units", "networks", "max |E[HNCA] - ∇|", "max |∇|"], rows: table),
                Table(title: "Monte Carlo networks", columns: ["network", "draws", "coordinates tested", "shown equivalent", "max p (Holm)"], rows: real.mcRows),
            ],
            figures: [
                Figure(id: "exact-mean", title: "Exact mean of the estimator vs the exact gradient (every parameter of every network)",
                       xLabel: "exact ∂E[R]/∂θ", yLabel: "exact E[estimate]",
                       series: [
                           .init("HNCA", x: real.scatter.x, y: real.scatter.y, style: .points),
                           .init("mutant: logit ignores x_i", x: mutantScatter.x, y: mutantScatter.y, style: .points),
                           .init("y = x", x: [real.scatter.x.min() ?? -1, real.scatter.x.max() ?? 1], y: [real.scatter.x.min() ?? -1, real.scatter.x.max() ?? 1]),
                       ],
                       caption: "HNCA's exact means lie on the diagonal (unbiased to rounding); the mutant that forgets to subtract the parent's current value scatters off it."),
            ])
    }
}
