import DiscreteGradients
import Pipeline
import Verification

/// bpq.error-bound: Theorem 2 (Eq. 4) / Theorem 5 (Eq. 10-12). If every learned Q_wX fits its
/// parent within eps, E[(Q_wX - Q_wY)^2] <= eps, then h_l = E[(Q_wX - Q_X)^2] is bounded by a
/// constant times eps, l being the length of the path from Q_X to the cost.
///
/// The constants: the main text prints 3 * 2^l - 2; the appendix proof ends with
/// 3 * 2^(l-1) - 2 (from h_i <= 2 h_(i-1) + 2 eps with h_1 <= eps; started from h_0 = 0 the same
/// recursion gives 2^(l+1) - 2). In L2 the triangle inequality with the contraction of the
/// conditional expectation gives sqrt(h_l) <= sqrt(eps) + sqrt(h_(l-1)), so h_l <= l^2 eps,
/// attained when the errors of successive levels are aligned (Q_w^l = Q^l + l * delta with a
/// constant cost). Everything here is computed exactly by enumeration.
public struct BackpropQErrorBound: SingleRunClaim {
    public let id = "bpq.error-bound"
    public let paper = BPQ.paper
    public let source = "Section 3.1, Theorem 2 (Eq. 3-4); Appendix 1, Theorem 5 (Eq. 10-12)"
    public let statement = "\"if the expected squared error between each learned Q_wX and its parent Q_wY can be bounded by ε ... then E[(Q_wX(Sc_X) - Q_X(Sc_X))^2] ≤ (3·2^{l_QX} - 2)ε\" (Eq. 4; the appendix proof ends with (3·2^{i-1} - 2)ε)"
    public let summary = "Theorem 2's error bound holds; l² is the tight constant"
    public init() {}

    static func appendix(_ l: Int) -> Double { 3 * Double(1 << (l - 1)) - 2 }
    static func mainText(_ l: Int) -> Double { 3 * Double(1 << l) - 2 }
    static func fromZero(_ l: Int) -> Double { Double(1 << (l + 1)) - 2 }

    static let graphSeeds = PerScale(smoke: 1, quick: 2, paper: 5)
    static let randomDAGs = PerScale(smoke: 3, quick: 12, paper: 50)
    /// Networks trained: 2 approximator kinds x 3 step sizes on (chains + DAGs of length 1..8) x
    /// graph seeds + the random DAGs; each is evaluated at every budget, every node.
    static var trainedNetworks: PerScale {
        func runs(_ scale: String) -> Int { 6 * (16 * graphSeeds[scale: scale] + randomDAGs[scale: scale]) }
        return PerScale(smoke: runs("smoke"), quick: runs("quick"), paper: runs("paper"))
    }

    public var designs: [SubClaimDesign] {
        let rounding = "violations counted beyond h_l > c_l ε (1 + 1e-9) + 1e-12: h and ε are exact sums of at most 2^9 products of order 1, so rounding stays below 1e-12; \"always\" means none"
        func bound(_ name: String, _ constant: String) -> SubClaimDesign {
            .exact(name, estimand: "number of nodes (every node of every trained network at every budget, and of both constructions) with h_l > (\(constant)) ε, h_l and ε exact by enumeration",
                   source: rounding, sampleSize: Self.trainedNetworks, unit: "trained networks")
        }
        // The paper's words (CLAIMS.md rule 13): the appendix proof's last line and the main text's
        // Eq. 4. The l² bound and its attainment are the suite's own findings, stated nowhere in
        // the paper: those sub-claims carry no quote.
        let appendix = PaperQuote(PaperQuote.backpropQ, #"Therefore, we can eventually obtain:  $h_i \leq (3 \cdot 2^{i-1} - 2)\epsilon$  for  $i \geq 1$ ."#)
        let mainText = PaperQuote(PaperQuote.backpropQ, #"$$\mathbb{E}_{A_{n_X}, X}[(Q_{w_X}(Sc_X) - Q_X(Sc_X))^2] \leq (3 \cdot 2^{l_{Q_X}} - 2)\epsilon \quad \text{for } l_{Q_X} \geq 1 \quad (4)$$"#)
        return [
            bound("paper's bound (appendix constant)", "3·2^(l-1) - 2").quoted(appendix),
            bound("paper's bound (main-text constant)", "3·2^l - 2").quoted(mainText),
            bound("tighter bound l²", "l²"),
            .exact("l² is attained", estimand: "max over l = 1..8 of |h_l / ε - l²| / l² for the aligned construction Q_w^l = Q^l + l·δ (exact)",
                   tolerance: 1e-9, source: "rounding only: the construction attains l² exactly in real arithmetic",
                   unit: "constructions"),
        ]
    }

    struct NodeRecord { var l: Int; var h: Double; var eps: Double; var epsMean: Double; var source: String }

    /// eps for each Q-node: the largest edge error among the Q-nodes it reads, directly or not
    /// (the edges of every path from it to the cost), and the network-wide mean (the mutant).
    static func records(_ net: BackpropQNetwork, edge: [Double], h: [Double], source: String) -> [NodeRecord] {
        let depth = net.depths
        let mean = edge.reduce(0, +) / Double(edge.count)
        var upstreamMax = [Double](repeating: 0, count: edge.count)
        for j in net.updateOrder {
            upstreamMax[j] = net.qNodes[j].incoming.reduce(edge[j]) { acc, e in
                if case .q(let k) = e { return max(acc, upstreamMax[k]) }
                return acc
            }
        }
        return net.qNodes.indices.map { NodeRecord(l: depth[$0], h: h[$0], eps: upstreamMax[$0], epsMean: mean, source: source) }
    }

    public func evidence(context: RunContext) throws -> Evidence {
        let scale = context.scale
        let lengths = Array(1...8)
        let kinds: [QApproximator.Kind] = [.tabular, .linear]
        let steps: [(String, QApproximator.StepSize)] = [("α=0.05", .constant(0.05)), ("α=0.5", .constant(0.5)), ("α=1/n", .visitCount(power: 1))]
        let budgets = scale == .smoke ? [20, 300] : (scale == .quick ? [20, 200, 2000] : [20, 200, 2000, 20000])
        let graphSeeds = Self.graphSeeds[scale: scale.rawValue]
        var stream = context.stream("graphs")
        var trained: [NodeRecord] = []
        var runs = 0
        /// Trains every approximator kind and step size on `g` with TD, recording eps and h_l at each budget.
        func trainAll(on g: StochasticComputationGraph, _ label: String) throws {
            let exact = ExactEnumeration(g)
            let net = BackpropQNetwork.forCost(0, in: g)
            let truth = net.exactQ(exact)
            for kind in kinds { for (stepName, step) in steps {
                var learned = LearnedQNetwork(net, kind: kind)
                var s = stream.split(runs)
                var done = 0
                for budget in budgets {
                    while done < budget { learned.tdStep(&s, step: step); done += 1 }
                    let e = learned.errors(exact, trueQ: truth)
                    guard e.h.allSatisfy(\.isFinite) else { throw ClaimError.nonFinite("Q_w diverged: \(kind) \(stepName)") }
                    trained += Self.records(net, edge: e.edge, h: e.h, source: "\(label) \(kind.rawValue) \(stepName) N=\(budget)")
                }
                runs += 1
            } }
        }
        for bypass in [false, true] {
            for length in lengths {
                for _ in 0..<graphSeeds {
                    let g = PaperExampleGraphs.chain(length: length, bypass: bypass, &stream)
                    try trainAll(on: g, "\(bypass ? "DAG" : "chain") L=\(length)")
                }
            }
        }

        // Random one-cost DAGs (branching, bypasses, categorical nodes, logistic conditionals).
        let randomDAGs = Self.randomDAGs[scale: scale.rawValue]
        var options = RandomSCG.Options()
        options.nodes = 4...8; options.costs = 1...1; options.maxConfigurations = 1 << 9
        for k in 0..<randomDAGs {
            let g = RandomSCG.make(options, &stream)
            try trainAll(on: g, "random DAG \(k + 1)")
        }

        // Constructions on the chain of length 8 with a constant cost (Q_X = c everywhere).
        var cs = context.stream("constructions")
        var chain = PaperExampleGraphs.chain(length: 8, bypass: false, &cs)
        chain.costs[0].table = chain.costs[0].table.map { _ in 0.5 }
        let chainExact = ExactEnumeration(chain)
        let chainNet = BackpropQNetwork.forCost(0, in: chain)
        let chainTruth = chainNet.exactQ(chainExact)
        let depth = chainNet.depths
        let delta = 0.1
        func construct(_ offset: (Int) -> Double, _ name: String) -> [NodeRecord] {
            var learned = LearnedQNetwork(chainNet, kind: .tabular)
            for j in chainNet.qNodes.indices { learned.approximators[j].setWeights(chainTruth[j].map { $0 + offset(depth[j]) }) }
            let e = learned.errors(chainExact, trueQ: chainTruth)
            return Self.records(chainNet, edge: e.edge, h: e.h, source: name)
        }
        let aligned = construct({ Double($0) * delta }, "aligned: Q_w^l = Q^l + l·δ")
        let concentrated = construct({ _ in delta }, "one bad edge: Q_w^l = Q^l + δ")
        let all = trained + aligned + concentrated

        let family = Registry.familyAlpha
        let designs = self.designs
        func judge(useMean: Bool) -> [Check] {
            func ratio(_ r: NodeRecord) -> Double { let e = useMean ? r.epsMean : r.eps; return e > 0 ? r.h / e : (r.h > 0 ? .infinity : 0) }
            // Rounding tolerance: h and eps are sums of ~2^L products of order 1, so 1e-12 absolute.
            func violations(_ bound: (Int) -> Double) -> [NodeRecord] {
                all.filter { $0.h > bound($0.l) * (useMean ? $0.epsMean : $0.eps) * (1 + 1e-9) + 1e-12 }
            }
            let vApp = violations(Self.appendix), vMain = violations(Self.mainText), vSq = violations { Double($0 * $0) }
            // Supporting only: the Clopper-Pearson upper limit on the violation rate (CLAIMS.md, Statistical method 8).
            func limit(_ v: [NodeRecord]) -> String { fmt(BPQ.rateUpperLimit(events: v.count, trials: all.count, alpha: family), 3) }
            let alignedGap = aligned.map { abs(ratio($0) - Double($0.l * $0.l)) / Double($0.l * $0.l) }.max() ?? .nan
            let worstSq = all.filter { (useMean ? $0.epsMean : $0.eps) > 1e-10 }.map { ratio($0) / Double($0.l * $0.l) }.max() ?? .nan
            func example(_ v: [NodeRecord]) -> String { v.first.map { "; e.g. \($0.source), l = \($0.l): h/ε = \(fmt(ratio($0), 4))" } ?? "" }
            return [
                .exact(designs.named("paper's bound (appendix constant)"), asserts: "h_l <= (3·2^(l-1) - 2) ε at every node of every trained network and construction: no violation",
                       values: [Double(vApp.count)],
                       detail: "\(vApp.count) violations among \(all.count) nodes (\(runs) trained networks + 2 constructions); \(fmt((1 - family) * 100, 6))% upper limit on the violation rate \(limit(vApp))\(example(vApp))"),
                .exact(designs.named("paper's bound (main-text constant)"), asserts: "h_l <= (3·2^l - 2) ε at every node (Eq. 4 as printed; looser): no violation",
                       values: [Double(vMain.count)], detail: "\(vMain.count) violations among \(all.count) nodes; upper limit on the rate \(limit(vMain))\(example(vMain))"),
                .exact(designs.named("tighter bound l²"), asserts: "h_l <= l² ε at every node (triangle inequality in L2; tighter than the paper's for l >= 3): no violation",
                       values: [Double(vSq.count)], detail: "\(vSq.count) violations; worst h_l / (l² ε) = \(fmt(worstSq, 4))\(example(vSq))"),
                .exact(designs.named("l² is attained"), asserts: "the aligned construction reaches h_l = l² ε exactly for l = 1..8, so l² is tight and the appendix constant is tight only at l = 1, 2",
                       values: [alignedGap],
                       detail: aligned.sorted { $0.l < $1.l }.map { "l=\($0.l): \(fmt(ratio($0), 6))" }.joined(separator: ", ")),
            ]
        }
        let real = judge(useMean: false)
        let mutant = judge(useMean: true)

        // Worst trained ratio per l.
        var worst: [Int: Double] = [:], count: [Int: Int] = [:]
        for r in trained where r.eps > 1e-10 {
            worst[r.l] = max(worst[r.l] ?? 0, r.h / r.eps); count[r.l, default: 0] += 1
        }
        let ls = lengths.filter { worst[$0] != nil }
        let alignedBy = Dictionary(aligned.map { ($0.l, $0.h / $0.eps) }, uniquingKeysWith: max)
        let xs = lengths.map(Double.init)
        let figure = Figure(id: "ratio-per-depth", title: "Theorem 2: h_l / ε against the path length l",
                            xLabel: "l (path length from Q_X to the cost)", yLabel: "h_l / ε", logY: true,
                            series: [
                                .init("main text 3·2^l - 2", x: xs, y: lengths.map(Self.mainText), style: .linespoints),
                                .init("appendix 3·2^(l-1) - 2", x: xs, y: lengths.map(Self.appendix), style: .linespoints),
                                .init("l² (triangle ineq.)", x: xs, y: lengths.map { Double($0 * $0) }, style: .linespoints),
                                .init("aligned construction", x: lengths.compactMap { alignedBy[$0] == nil ? nil : Double($0) }, y: lengths.compactMap { alignedBy[$0] }, style: .points),
                                .init("worst trained", x: ls.map(Double.init), y: ls.map { max(worst[$0]!, 1e-3) }, style: .points),
                            ],
                            caption: "Every trained network lies under all three curves; the aligned construction sits exactly on l², so l² is the tight constant and the paper's constants are loose from l = 3 on (the main text's by a further factor of about 2).")
        let rows = lengths.map { l in
            [ "\(l)", "\(count[l] ?? 0)", worst[l].map { fmt($0, 4) } ?? "-", alignedBy[l].map { fmt($0, 6) } ?? "-",
              fmt(Double(l * l)), fmt(Self.appendix(l)), fmt(Self.mainText(l)), fmt(Self.fromZero(l)) ]
        }
        let deep = trained.filter { $0.eps > 1e-10 && $0.l >= 3 }
        let worstDeep = deep.map { $0.h / ($0.eps * Self.appendix($0.l)) }.max() ?? .nan
        let worstDeepSq = deep.map { $0.h / ($0.eps * Double($0.l * $0.l)) }.max() ?? .nan
        return Evidence(
            headline: "The bound holds at all \(all.count) nodes with either constant; for l >= 3 trained networks reach at most \(fmt(worstDeep, 2)) of the appendix bound (\(fmt(worstDeepSq, 2)) of l² ε). The aligned construction attains l² ε, so the tight constant is l², not 3·2^(l-1) - 2 (appendix) or 3·2^l - 2 (main text).",
            setup: [
                "Chains X1 -> ... -> XL with f(XL), and DAGs with bypass edges X(i-2) -> Xi and f(X(L-1), XL), L = 1..8, \(graphSeeds) random parameter draw(s) each; Bernoulli nodes, table conditionals",
                "Plus \(randomDAGs) random one-cost DAGs (4-8 nodes, branching and bypass edges, Bernoulli and 3-way categorical nodes, table and logistic conditionals)",
                "Q_w trained by sample TD (Section 3.1): tabular and linear (bias + one weight per variable) approximators, step sizes 0.05, 0.5 and 1/n, budgets \(budgets.map(String.init).joined(separator: ", ")) forward passes: \(runs) networks, \(trained.count) node evaluations",
                "Ratios h/ε are shown for ε > 1e-10 (tabular TD can fit a short chain to rounding); violations are counted with a 1e-12 absolute rounding tolerance",
                "ε for a node = the largest E[(Q_wX - Q_wY)^2] over the edges of its paths to the cost (Q_wY = f at the root); h_l = E[(Q_wX - Q_X)^2]; both exact by enumeration; l = shortest path length to the cost",
                "Constructions on an 8-chain with a constant cost: aligned errors Q_w^l = Q^l + l·δ, and one bad edge Q_w^l = Q^l + δ (δ = \(delta))",
                "quick is a valid scale (as are smoke and paper): Backprop-Q has no experiment to match, and every scale checks the bound itself on exactly enumerated networks; nothing is reduced but the number of graphs and TD training budgets",
                "Deterministic checks only (exact designs: no sampling in the verdict, no alpha); each bound must have zero violations; the Clopper-Pearson upper limit on the violation rate (at the claim's family alpha \(fmt(Registry.familyAlpha))) is shown for the reader",
            ],
            checks: real,
            negativeControls: [NegativeControl(name: "ε as the average edge error",
                                               bug: "takes ε as the mean of E[(Q_wX - Q_wY)^2] over the network's edges instead of a bound on every edge",
                                               checks: mutant)],
            tables: [Table(title: "h_l / ε per path length: measured and the constants",
                           columns: ["l", "trained nodes", "worst trained h/ε", "aligned construction", "l²", "appendix 3·2^(l-1)-2", "main text 3·2^l-2", "recursion from h_0 = 0: 2^(l+1)-2"],
                           rows: rows)],
            figures: [figure],
            notes: [
                "What REPRODUCED means here: the paper's bound holds (it is a valid upper bound, with either printed constant) at every node checked. The sub-checks state what else is true: the l² bound also holds and is attained, so the paper's constants are tight only for l = 1, 2 (appendix: 1, 4 = l²) and loose from l = 3 on (10 vs 9, 22 vs 16, ..., 382 vs 64 at l = 8).",
                "Main text vs appendix: Eq. 4 prints (3·2^l - 2)ε; the appendix proof ends with (3·2^(i-1) - 2)ε. The main-text constant at l equals the appendix constant at l + 1 (an index shift), so it is valid but about twice as loose.",
                "The appendix derives the closed form from h_i <= 2 h_(i-1) + 2ε and h_0 = 0; from h_0 = 0 that recursion gives h_l <= (2^(l+1) - 2)ε (2, 6, 14, ...). The stated (3·2^(l-1) - 2)ε needs the sharper start h_1 <= ε, which holds because Q_X1 = E[f | Sc_X1] is the L2 projection of f, so E[(Q_w - Q_X1)^2] <= E[(Q_w - f)^2] <= ε.",
                "At l = 1 the ratio 1 is structural: where the cost reads only the last node's scope, Q_X1 = f, so h_1 = E[(Q_w - f)^2] = ε exactly; trained networks stay well below the constants at larger l (table).",
                "Why l²: Q_X = E[Q_Y | An_X, X] makes the conditional expectation a contraction in L2, so ||Q_wX - Q_X|| <= ||Q_wX - Q_wY|| + ||Q_wY - Q_Y|| <= sqrt(ε) + sqrt(h_(l-1)); the paper's (a + b)^2 <= 2a^2 + 2b^2 step loses the factor.",
            ]
        )
    }
}
