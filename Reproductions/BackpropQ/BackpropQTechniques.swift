import Foundation
import DiscreteGradients
import Pipeline
import Verification

/// bpq.techniques: the RL techniques of Section 4.1 on graphs, as demonstrations with measured
/// figures (the paper reports no experiments):
/// - graph experience replay (Appendix 4.2, Eq. 15): Q_X refitted on stored samples whose
///   children are redrawn from the current conditionals;
/// - the slow-tracking target (Appendix 4.3): targets read a copy theta_t that follows the learned
///   parameters, theta_t <- theta_t + tau * Delta theta;
/// - the graph lambda-return as a training signal (Appendix 4.1);
/// - advantage functions (Appendix 4.4): A_X = Q_X - V_X with V_X = E_{X|Pa_X}[Q_X] (or the
///   parents' Q, Figure 8(a)-(b)) keep the gradient unbiased and cut its variance (exact);
/// - Algorithm 1 end to end: policy updates with REINFORCE on the learned Q (or advantage) as
///   the local cost, against REINFORCE on the total cost.
public struct BackpropQTechniques: Claim {
    public let id = "bpq.techniques"
    public let paper = BPQ.paper
    public let source = "Section 4.1; Appendix 4.2 (Eq. 15, Figure 7), 4.3, 4.4 (Figure 8); Appendix 7, Algorithm 1"
    public let statement = "\"we develop a graph-based experience replay\" (Eq. 15); \"a slow-tracking target network\"; \"graph-based advantage functions ... to replace Q-functions in the gradient estimator to reduce variance\""
    public let summary = "replay, slow target, λ-return and advantages work on graphs"
    public init() {}

    enum Method: String, CaseIterable, Codable { case td = "TD", lambda = "TD(λ=0.5)", replay = "replay (Eq. 15)", slowTarget = "slow-tracking target" }
    enum Variant: String, CaseIterable, Codable { case replaySumsSources, frozenTarget }

    /// Learning curves on one graph: per method, one curve per seed (real), and the two mutated variants.
    struct LearnStats: Codable, Sendable {
        var curves: [String: [[Double]]]          // method or variant -> seed -> curve
        /// Exact checks on this network, for the real rules and the mutated variants:
        /// "replay fixed point" / "... (mutant)", "tracking" / "... (mutant)".
        var exact: [String: Double]
    }
    /// Exact moments of the gradient with Q and with the advantage, over graphs; `logVarQ` is
    /// log tr Var(score·Q) per random graph (for the A/A control).
    struct AdvantageStats: Codable, Sendable { var ratios: [Double]; var maxBias: Double; var reduced: Int; var parameters: Int; var logVarQ: [Double] }
    /// The advantage's baseline: the paper's state value, or one of the mutants'.
    enum Baseline: String, CaseIterable, Codable { case stateValue, child, added }
    /// Algorithm 1 with one local cost: J along training (mean over seeds), final J per seed, gradient MSE.
    struct PolicyStats: Codable, Sendable { var name: String; var curve: [Double]; var finals: [Double]; var squaredError: Double; var initial: Double }
    public struct UnitResult: Codable, Sendable {
        var learn: LearnStats?
        var advantage: [AdvantageStats]?         // per Baseline, in case order
        var advantageAA: AdvantageStats?         // Q on an independent set of random graphs
        var policy: PolicyStats?
    }

    /// Learning seeds per graph (two graphs): quick 24 (48 runs) decides the convergence
    /// sub-claims (they need about 43 runs at the planning sd); the old quick ran 6.
    static let learnSeeds = PerScale(smoke: 3, quick: 24, paper: 40)
    /// Algorithm 1 seeds per local cost.
    static let policySeeds = PerScale(smoke: 3, quick: 18, paper: 30)
    static let randomAdvantageGraphs = PerScale(smoke: 200, quick: 200, paper: 500)
    static func seeds(_ scale: Scale) -> Int { learnSeeds[scale: scale.rawValue] }
    static func passes(_ scale: Scale) -> Int { BPQ.scaled(scale, smoke: 2500, quick: 8000, paper: 64000) }
    static func advantageGraphs(_ scale: Scale) -> Int { randomAdvantageGraphs[scale: scale.rawValue] }
    static func policyIterations(_ scale: Scale) -> Int { BPQ.scaled(scale, smoke: 300, quick: 2000, paper: 20000) }
    static func checkpoints(_ scale: Scale) -> [Int] {
        (0...10).map { Int((Double(passes(scale)) * pow(2, Double($0 - 10))).rounded()) }.filter { $0 >= 1 }
    }
    /// The convergence bar on the final relative squared error (step 1/n^0.7 is slower than the
    /// 1/n of bpq.td, hence 2% rather than 1%), and the SESOI below it.
    static let bar = 0.02, sesoi = 0.01
    /// The slow-tracking rate of Appendix 4.3 (the mutant sets it to 0).
    static let tau = 0.05
    static func tracking(_ variant: Variant?) -> Double { variant == .frozenTarget ? 0 : tau }

    /// The paper's words the sub-claims test (CLAIMS.md rule 13). The paper states that tabular TD
    /// converges, but not that TD(λ), graph replay or the slow-tracking target do (it motivates the
    /// last two by stability, "to avoid divergence"): those convergence sub-claims carry no quote.
    static let tabularQuote = PaperQuote(PaperQuote.backpropQ, "Would these  $Q$ -functions converge to the true expected costs? In a tabular setting, the answer is yes as in reinforcement learning [19].")
    static let replayQuote = PaperQuote(PaperQuote.backpropQ, "It keeps the recent  $N$  experiences in a replay buffer, and applies TD updates to experience samples drawn uniformly at random.")
    static let slowTargetQuote = PaperQuote(PaperQuote.backpropQ, #"and then we let  $\theta_t$  slowly track the new  $\Delta\theta_{t+1}$  as:  $\theta_{t+1} \leftarrow \theta_t + \alpha\Delta\theta_{t+1}$  and  $\Delta\theta_{t+1} \leftarrow (1 - \alpha)\Delta\theta_{t+1}$  with a positive  $\alpha \ll 1$"#)
    static let baselineQuote = PaperQuote(PaperQuote.backpropQ, "It is viewed as an instance of the baseline method, centering the learning signal and reducing variance significantly.")
    static let advantageQuote = PaperQuote(PaperQuote.backpropQ, "We study graph-based *advantage functions* and use them to replace Q-functions in the gradient estimator to reduce variance.")
    static let trainedQuote = PaperQuote(PaperQuote.backpropQ, "Then, the SCG can be trained based on these surrogate costs using standard backpropagation.")

    /// What CLAIMS.md asks for but the paper does not state (rule 13): shown, without a verdict.
    static let descriptiveSubClaims: [String: String] = [
            "TD(λ=0.5) converges":
                "the paper presents the technique 'to avoid divergence' without stating convergence; CLAIMS.md: report as demonstrations",
            "replay (Eq. 15) converges":
                "the paper presents the technique 'to avoid divergence' without stating convergence; CLAIMS.md: report as demonstrations",
            "slow-tracking target converges":
                "the paper presents the technique 'to avoid divergence' without stating convergence; CLAIMS.md: report as demonstrations",
    ]

    public var designs: [SubClaimDesign] { allDesigns.describing(Self.descriptiveSubClaims) }

    private var allDesigns: [SubClaimDesign] {
        let runs = PerScale(smoke: 2 * Self.learnSeeds.smoke, quick: 2 * Self.learnSeeds.quick, paper: 2 * Self.learnSeeds.paper)
        let advantage = PerScale(smoke: Self.randomAdvantageGraphs.smoke + 2, quick: Self.randomAdvantageGraphs.quick + 2, paper: Self.randomAdvantageGraphs.paper + 2)
        let rounding = "rounding only: sums of at most 2^9 double-precision products of order 1 (~1e-15)"
        return Method.allCases.map { m -> SubClaimDesign in
            let design = SubClaimDesign("\(m.rawValue) converges", layer: .training,
                           estimand: "mean over runs (2 graphs x seeds) of the final relative squared error Σ E[(Q_w - Q)^2] / Σ E[Q^2] of tabular Q trained with \(m.rawValue) (step 1/n^0.7)",
                           claimed: .less, reference: Self.bar, sesoi: Self.sesoi,
                           sesoiSource: "\"shown to converge\" read at a finite budget as ending below 2% relative squared error; judged at half the bar (0.01). Planning sd 0.01 is a stated constant (a coefficient of variation of 1/2 at the bar, as in bpq.td and bpq.merging)",
                           alphaShare: 0.175, method: .t, planningSD: 0.01, sampleSize: runs, unit: "runs")
                .valid(at: BPQ.validTrainingScales)
            return m == .td ? design.quoted(Self.tabularQuote) : design
        } + [
            .exact("replay keeps the fixed point", estimand: "max over both learning networks, Q-nodes and scope values of |fixed point of the expected replay target (Eq. 15, children redrawn) - Q|",
                   tolerance: 1e-10, source: rounding, sampleSize: PerScale(2), unit: "networks").quoted(Self.replayQuote),
            .exact("slow target follows the learned weights", estimand: "max over both networks, 200 TD updates and table entries of |θ_t - θ_t'|, θ_t' the recursion θ_t <- θ_t + τ (θ - θ_t) with τ = \(fmt(Self.tau)) (Appendix 4.3)",
                   tolerance: 1e-12, source: "the same arithmetic in the same order: any difference beyond rounding is a different rule", sampleSize: PerScale(2), unit: "networks").quoted(Self.slowTargetQuote),
            .exact("advantages keep the gradient unbiased", estimand: "max over graphs and parameters of |E[score·(Q_X - V_X)] - ∇J| by enumeration",
                   tolerance: 1e-10, source: rounding, sampleSize: advantage, unit: "SCGs").quoted(Self.baselineQuote),
            SubClaimDesign("advantages reduce variance", layer: .monteCarlo,
                           estimand: "mean over SCGs (random, plus Figure 7 and the 6-node DAG) of log(tr Var(score·A) / tr Var(score·Q)), exact per graph by enumeration",
                           claimed: .less, sesoi: log(2),
                           sesoiSource: "a halving of the total variance (log 2), the size of reduction that motivates a baseline; planning sd 1.5 is a stated constant (log ratios spread over a factor e^3 between graphs)",
                           alphaShare: 0.15, method: .t, planningSD: 1.5, sampleSize: advantage, unit: "SCGs").quoted(Self.advantageQuote),
            SubClaimDesign("Algorithm 1 lowers J", layer: .training,
                           estimand: "mean over seeds of J(θ_0) - J(θ_final) (exact J) for Algorithm 1 with the learned advantage as local cost, on Figure 7",
                           claimed: .greater, sesoi: 0.1,
                           sesoiSource: "0.1 in J's units, a tenth of the N(0, 1) cost tables' scale; planning sd 0.05 is a stated constant (J is exact, so the spread is only that of the final policy between seeds)",
                           alphaShare: 0.15, method: .t, planningSD: 0.05, sampleSize: Self.policySeeds, unit: "seeds")
                .quoted(Self.trainedQuote).valid(at: BPQ.validTrainingScales),
        ]
    }

    /// The last is the training layer's mutant: the learned-advantage method with its policy step
    /// taken uphill (a sign error in the update), which must fail "Algorithm 1 lowers J".
    static let policyMethods = ["REINFORCE (total cost)", "BPQ, learned Q", "BPQ, learned advantage", "mutant: BPQ, learned advantage, step uphill"]

    /// Figure 7 and a 6-node DAG with bypasses, the same in every unit.
    func graphs(_ masterSeed: UInt64) -> (fig7: StochasticComputationGraph, dag: StochasticComputationGraph) {
        var gs = RandomStream(master: masterSeed, claim: id, label: "graphs")
        let fig7 = PaperExampleGraphs.figure7(&gs)
        return (fig7, PaperExampleGraphs.chain(length: 6, bypass: true, &gs))
    }
    func learningNetworks(_ masterSeed: UInt64) -> [(String, BackpropQNetwork)] {
        let (fig7, dag) = graphs(masterSeed)
        return [("Figure 7 (merged)", BackpropQNetwork.separate(fig7).spanningTree(.chain).mergedWherePossible()),
                ("6-node DAG with bypasses", BackpropQNetwork.forCost(0, in: dag))]
    }

    public func units(at scale: Scale) -> [RunUnit] {
        [RunUnit("learn", 0), RunUnit("learn", 1), RunUnit("advantages")] + Self.policyMethods.indices.map { RunUnit("algorithm1", $0) }
    }

    public func run(_ unit: RunUnit, context: RunContext) throws -> UnitResult {
        switch unit.config {
        case "learn":
            let (_, net) = learningNetworks(context.masterSeed)[unit.index]
            var curves: [String: [[Double]]] = [:]
            var master = context.stream("learning")
            for method in Method.allCases {
                curves[method.rawValue] = try (0..<Self.seeds(context.scale)).map { _ in try learningCurve(method, net, nil, master.split(0), context.scale) }
            }
            for variant in Variant.allCases {
                let method: Method = variant == .replaySumsSources ? .replay : .slowTarget
                curves[variant.rawValue] = try (0..<Self.seeds(context.scale)).map { _ in try learningCurve(method, net, variant, master.split(0), context.scale) }
            }
            let exact = ExactEnumeration(net.graph)
            let truth = net.exactQ(exact)
            var summed = net
            summed.combination = .sumAll
            var checks: [String: Double] = [
                "replay fixed point": BPQ.maxAbsDifference(net.fixedPoint(exact), truth),
                "replay fixed point (mutant)": BPQ.maxAbsDifference(summed.fixedPoint(exact), truth),
            ]
            for (key, variant) in [("tracking", nil), ("tracking (mutant)", Variant.frozenTarget)] as [(String, Variant?)] {
                checks[key] = trackingGap(net, variant, context.stream("tracking"))
            }
            return UnitResult(learn: LearnStats(curves: curves, exact: checks))
        case "advantages":
            var stream = context.stream("advantage-graphs")
            let (fig7, dag) = graphs(context.masterSeed)
            let random = BPQ.randomGraphs(Self.advantageGraphs(context.scale), &stream)
            let all = random + [fig7, dag]
            var aaStream = context.stream("advantage-graphs-a-a")
            let aaGraphs = BPQ.randomGraphs(Self.advantageGraphs(context.scale), &aaStream)
            return UnitResult(advantage: Baseline.allCases.map { advantages(all, baseline: $0) },
                              advantageAA: advantages(aaGraphs, baseline: .stateValue))
        default:
            return UnitResult(policy: try algorithm1(Self.policyMethods[unit.index], context))
        }
    }

    func learningCurve(_ method: Method, _ net: BackpropQNetwork, _ variant: Variant?, _ stream: RandomStream, _ scale: Scale) throws -> [Double] {
        var s = stream
        let g = net.graph
        let exact = ExactEnumeration(g)
        let truth = net.exactQ(exact)
        var network = net
        if variant == .replaySumsSources { network.combination = .sumAll }
        let tracking: Double? = method == .slowTarget ? Self.tracking(variant) : nil
        var learned = LearnedQNetwork(network, kind: .tabular, tracking: tracking)
        let step = QApproximator.StepSize.visitCount(power: 0.7)
        var buffer: [[Int]] = []
        let capacity = 500
        var curve: [Double] = []
        var done = 0
        for n in Self.checkpoints(scale) {
            while done < n {
                let x = g.sample(&s)
                switch method {
                case .td, .slowTarget: learned.tdUpdate(x, step: step)
                case .lambda: learned.tdUpdate(x, step: step, lambda: 0.5)
                case .replay:
                    if buffer.count < capacity { buffer.append(x) } else { buffer[s.integer(below: capacity)] = x }
                    for j in network.updateOrder {
                        for _ in 0..<2 { learned.replayUpdate(j, stored: buffer[s.integer(below: buffer.count)], &s, step: step) }
                    }
                }
                done += 1
            }
            let e = BPQ.relativeError(learned, exact, truth: truth)
            guard e.isFinite else { throw ClaimError.nonFinite("\(method.rawValue) diverged") }
            curve.append(e)
        }
        return curve
    }

    /// The slow-tracking rule checked exactly: 200 TD updates with the configured tracking rate,
    /// against the recursion θ_t <- θ_t + τ (θ - θ_t) at the paper's τ, replayed from the
    /// learned weights after each update. 0 (to rounding) exactly when the target follows the rule.
    func trackingGap(_ net: BackpropQNetwork, _ variant: Variant?, _ stream: RandomStream) -> Double {
        var s = stream
        var learned = LearnedQNetwork(net, kind: .tabular, tracking: Self.tracking(variant))
        var expected = learned.approximators.map { $0.target! }
        var worst = 0.0
        for _ in 0..<200 {
            learned.tdStep(&s, step: .visitCount(power: 0.7))
            for j in learned.approximators.indices {
                let w = learned.approximators[j].weights
                for i in expected[j].indices { expected[j][i] += Self.tau * (w[i] - expected[j][i]) }
                worst = max(worst, zip(expected[j], learned.approximators[j].target!).map { abs($0 - $1) }.max() ?? 0)
            }
        }
        return worst
    }

    /// Exact moments with exact Q; the advantage subtracts V_X = E_{X|Pa_X}[Q_X] (or, in the
    /// mutant, a child's Q-function).
    func advantages(_ graphs: [StochasticComputationGraph], baseline kind: Baseline) -> AdvantageStats {
        var ratios: [Double] = [], maxBias = 0.0, reduced = 0, parameters = 0, logVarQ: [Double] = []
        for g in graphs {
            let exact = ExactEnumeration(g)
            let net = BackpropQNetwork.separate(g)
            let tables = net.exactQ(exact)
            let truth = BackpropQGradient.flatten(exact.gradient())
            var at = [[Int]](repeating: [], count: g.count)
            for (j, q) in net.qNodes.enumerated() { at[q.node].append(j) }
            let qLocal = BackpropQGradient.exactLocalCost(net, tables: tables)
            let aLocal: (Int, [Int]) -> Double = { i, x in
                at[i].reduce(0.0) { acc, j in
                    let q = tables[j][net.scopeCode(j, x)]
                    switch kind {
                    case .child:
                        // Bug: the baseline read from a child's Q-function, which depends on x_X.
                        let child = net.qNodes[j].incoming.compactMap { e -> Int? in if case .q(let k) = e { return k }; return nil }.first
                        return acc + q - (child.map { tables[$0][net.scopeCode($0, x)] } ?? 0)
                    case .added:
                        // Bug: the state value added instead of subtracted (a sign error).
                        return acc + q + AdvantageBaseline.stateValue(g, node: i, x) { tables[j][net.scopeCode(j, $0)] }
                    case .stateValue:
                        return acc + q - AdvantageBaseline.stateValue(g, node: i, x) { tables[j][net.scopeCode(j, $0)] }
                    }
                }
            }
            let mq = exact.moments { BackpropQGradient.flatten(BackpropQGradient.estimate(g, $0, localCost: qLocal)) }
            let ma = exact.moments { BackpropQGradient.flatten(BackpropQGradient.estimate(g, $0, localCost: aLocal)) }
            maxBias = max(maxBias, ma.maxBias(against: truth))
            let vq = mq.variance.reduce(0, +), va = ma.variance.reduce(0, +)
            if vq > 1e-12 { ratios.append(va / vq); logVarQ.append(log(vq)) }
            for k in truth.indices { parameters += 1; if ma.variance[k] <= mq.variance[k] + 1e-12 { reduced += 1 } }
        }
        return AdvantageStats(ratios: ratios, maxBias: maxBias, reduced: reduced, parameters: parameters, logVarQ: logVarQ)
    }

    /// Algorithm 1 on Figure 7 with one local cost: REINFORCE on the total cost, or the learned
    /// Q (or advantage) of a tabular network trained by TD alongside.
    func algorithm1(_ name: String, _ context: RunContext) throws -> PolicyStats {
        let seeds = Self.policySeeds[scale: context.scale.rawValue], iterations = Self.policyIterations(context.scale)
        let methods = Self.policyMethods
        let fig7 = graphs(context.masterSeed).fig7
        let record = stride(from: 0, through: iterations, by: max(1, iterations / 20)).map { $0 }
        var sum = [Double](repeating: 0, count: record.count)
        var finals: [Double] = []
        var squaredError = 0.0
        var ps = context.stream("policy")
        for _ in 0..<seeds {
            var s = ps.split(0)
            var g = fig7
            let net = BackpropQNetwork.separate(fig7).spanningTree(.chain).mergedWherePossible()
            var learned = LearnedQNetwork(net, kind: .tabular)
            var at = [[Int]](repeating: [], count: g.count)
            for (j, q) in net.qNodes.enumerated() { at[q.node].append(j) }
            var r = 0
            for it in 0...iterations {
                if r < record.count && record[r] == it { sum[r] += ExactEnumeration(g).objective / Double(seeds); r += 1 }
                if it == iterations { break }
                let x = g.sample(&s)
                learned.network.graph = g
                learned.tdUpdate(x, step: .constant(0.1))
                let local: (Int, [Int]) -> Double
                switch name {
                case methods[0]: local = { _, x in g.totalCost(x) }
                case methods[1]: local = BackpropQGradient.localCost(net) { learned.value($0, $1) }
                default:   // the learned advantage (methods[2], and the uphill mutant)
                    let graph = g
                    local = { i, x in at[i].reduce(0.0) { acc, j in
                        acc + learned.value(j, x) - AdvantageBaseline.stateValue(graph, node: i, x) { learned.value(j, $0) }
                    } }
                }
                let estimate = BackpropQGradient.estimate(g, x, localCost: local)
                if it % 10 == 0 {
                    let truth = BackpropQGradient.flatten(ExactEnumeration(g).gradient())
                    squaredError += zip(BackpropQGradient.flatten(estimate), truth).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                        / Double(seeds * (iterations / 10))
                }
                PolicyUpdate.step(&g, gradient: estimate, learningRate: name == methods[3] ? -0.05 : 0.05)
                context.progress(step: it, of: iterations, name)
            }
            let j = ExactEnumeration(g).objective
            guard j.isFinite else { throw ClaimError.nonFinite("J after Algorithm 1") }
            finals.append(j)
        }
        return PolicyStats(name: name, curve: sum, finals: finals, squaredError: squaredError, initial: ExactEnumeration(fig7).objective)
    }

    public func evidence(from results: [(unit: RunUnit, result: UnitResult)], scale: Scale) throws -> Evidence {
        let learn = results.compactMap(\.result.learn)
        guard learn.count == 2, let adv = results.compactMap(\.result.advantage).first else { throw ClaimError.missingResults("learning or advantage units") }
        let policies = results.compactMap(\.result.policy)
        guard policies.count == Self.policyMethods.count else { throw ClaimError.missingResults("Algorithm 1 units") }
        guard let aaStats = results.compactMap(\.result.advantageAA).first, adv.count == Baseline.allCases.count else { throw ClaimError.missingResults("advantage A/A graphs") }
        let family = Registry.familyAlpha
        let designs = self.designs
        let seeds = Self.seeds(scale), passes = Self.passes(scale), checkpoints = Self.checkpoints(scale)
        let policySeeds = Self.policySeeds[scale: scale.rawValue]
        let policyIterations = Self.policyIterations(scale)
        func runs(_ key: String) -> [[Double]] { learn.flatMap { $0.curves[key]! } }
        func meanCurve(_ key: String) -> [Double] { let r = runs(key); return checkpoints.indices.map { c in r.reduce(0) { $0 + $1[c] } / Double(r.count) } }
        func exactValue(_ key: String) -> Double { learn.map { $0.exact[key]! }.max()! }
        let policy = Dictionary(uniqueKeysWithValues: policies.map { ($0.name, $0) })
        let j0 = policies[0].initial
        let improvement = policy[Self.policyMethods[2]]!.finals.map { j0 - $0 }
        let uphillImprovement = policy[Self.policyMethods[3]]!.finals.map { j0 - $0 }
        let advDesign = designs.named("advantages reduce variance")

        /// The checks, with the replay or target curves taken from a mutated variant, or the advantage from a mutant.
        func judge(variant: Variant? = nil, baseline: Baseline = .stateValue, uphill: Bool = false) -> [Check] {
            var checks: [Check] = []
            for method in Method.allCases {
                var key = method.rawValue
                if method == .replay && variant == .replaySumsSources { key = Variant.replaySumsSources.rawValue }
                if method == .slowTarget && variant == .frozenTarget { key = Variant.frozenTarget.rawValue }
                let finals = runs(key).map { $0.last! }
                let d = designs.named("\(method.rawValue) converges")
                let e = IntervalEstimate.mean(finals, alpha: d.alpha(familyAlpha: family))
                checks.append(.decide(d, asserts: "tabular Q-functions trained with \(method.rawValue) (step 1/n^0.7, \(passes) passes) end below \(fmt(Self.bar * 100))% relative squared error of the exact Q on average (judged at \(fmt(Self.sesoi * 100))%)",
                                      [e], scale: scale, familyAlpha: family,
                                      detail: "\(finals.filter { $0 < Self.bar }.count)/\(finals.count) runs below \(fmt(Self.bar)), worst \(fmt(finals.max()!, 3)); mean " + Check.describe(e, design: d)))
            }
            let replayKey = variant == .replaySumsSources ? "replay fixed point (mutant)" : "replay fixed point"
            let trackingKey = variant == .frozenTarget ? "tracking (mutant)" : "tracking"
            checks.append(.exact(designs.named("replay keeps the fixed point"), asserts: "the expected replay target (Eq. 15 with children redrawn, combined by the network's rule) has the exact Q as its fixed point on both learning networks",
                                 values: [exactValue(replayKey)], detail: "max |fixed point - Q| = \(fmt(exactValue(replayKey), 3))"))
            checks.append(.exact(designs.named("slow target follows the learned weights"), asserts: "the target copy moves by θ_t <- θ_t + τ (θ - θ_t), τ = \(fmt(Self.tau)), after every update (Appendix 4.3)",
                                 values: [exactValue(trackingKey)], detail: "max |θ_t - recursion| over 200 updates = \(fmt(exactValue(trackingKey), 3))"))
            let a = adv[Baseline.allCases.firstIndex(of: baseline)!]
            let logRatios = a.ratios.map { log($0) }
            let advEstimate = IntervalEstimate.mean(logRatios, alpha: advDesign.alpha(familyAlpha: family))
            checks.append(.exact(designs.named("advantages keep the gradient unbiased"), asserts: "E[score·(Q_X - V_X)] = ∇J exactly on every graph",
                                 values: [a.maxBias], detail: "max |E[g_A] - ∇J| = \(fmt(a.maxBias, 3)) over \(a.ratios.count) graphs"))
            checks.append(.decide(advDesign, asserts: "the total variance of the gradient estimate falls when Q_X is replaced by A_X = Q_X - E_{X|Pa_X}[Q_X] (mean log ratio < 0 across graphs, judged at a halving)",
                                  [advEstimate], scale: scale, familyAlpha: family,
                                  detail: "median Var_A / Var_Q = \(fmt(Summary.median(a.ratios), 3)); \(a.reduced)/\(a.parameters) parameters not increased; mean log ratio " + Check.describe(advEstimate, design: advDesign)))
            let alg = designs.named("Algorithm 1 lowers J")
            let algEstimate = IntervalEstimate.mean(uphill ? uphillImprovement : improvement, alpha: alg.alpha(familyAlpha: family))
            checks.append(.decide(alg, asserts: "policy updates with REINFORCE on the learned advantage as local cost lower the exact J on Figure 7 (by at least 0.1)",
                                  [algEstimate], scale: scale, familyAlpha: family,
                                  detail: "J: \(fmt(j0, 4)) -> " + Self.policyMethods.reversed().map { "\(fmt(Summary(policy[$0]!.finals).mean, 4)) (\($0))" }.joined(separator: ", ") + "; improvement " + Check.describe(algEstimate, design: alg)))
            return checks
        }
        // A/A: the Q estimator's log total variance on the random graphs against an independent set
        // of random graphs, through the advantage comparison's paired t interval.
        let realLogQ = Array(adv[0].logVarQ.dropLast(2))   // the random graphs (Figure 7 and the DAG come last)
        let k = min(realLogQ.count, aaStats.logVarQ.count)
        let aaControl = AAControl.equivalence(name: "Q vs Q on independent random graphs", controls: advDesign,
                                              estimate: .paired(Array(realLogQ.prefix(k)), Array(aaStats.logVarQ.prefix(k)), alpha: advDesign.alpha(familyAlpha: family)),
                                              scale: scale, familyAlpha: family)
        let real = judge()
        let sortedRatios = adv[0].ratios.sorted()
        let xs = checkpoints.map(Double.init)
        var learning = Method.allCases.map { Figure.Series($0.rawValue, x: xs, y: meanCurve($0.rawValue), style: .linespoints) }
        learning.append(.init("mutant: replay, summed", x: xs, y: meanCurve(Variant.replaySumsSources.rawValue), style: .linespoints))
        learning.append(.init("mutant: frozen target", x: xs, y: meanCurve(Variant.frozenTarget.rawValue), style: .linespoints))
        let policyX = stride(from: 0, through: policyIterations, by: max(1, policyIterations / 20)).map(Double.init)
        return Evidence(
            headline: "TD, TD(λ), graph replay and the slow-tracking target all converge to the exact Q (final relative errors \(Method.allCases.map { fmt(meanCurve($0.rawValue).last!, 2) }.joined(separator: ", "))); advantages keep the gradient exact and cut its variance (median ratio \(fmt(Summary.median(sortedRatios), 3))).",
            setup: [
                "Learning (one unit per graph): Figure 7's graph with its merged chain-tree network and a 6-node DAG with bypasses (one cost); tabular Q, step 1/n^0.7 per table entry, \(passes) forward passes, \(seeds) seeds per graph",
                "Replay (Eq. 15): buffer of 500 samples (random replacement), two replayed updates per Q-node per pass, children redrawn from the current conditionals; slow target τ = 0.05 (Appendix 4.3); λ = 0.5",
                "Advantages: exact moments with exact Q on \(adv[0].ratios.count) graphs (random SCGs and the two above); V_X = Σ_x p(x | Pa_X) Q_X(x, rest of scope)",
                "Algorithm 1 on Figure 7 (one unit per local cost): one sample per iteration, tabular TD step 0.1 on the merged network, policy step 0.05, \(policyIterations) iterations, \(policySeeds) seeds; J computed exactly",
                "Convergence: mean final relative error over the \(2 * seeds) runs below \(fmt(Self.bar)), judged at \(fmt(Self.sesoi)) (t intervals; graphs fixed, seeds random). Exact checks of the replay fixed point and of the tracking rule run on both learning networks",
                "Family alpha \(fmt(family)) for this claim: 0.175 to each convergence sub-claim, 0.15 to the advantage variance (log ratio, judged at a halving) and 0.15 to Algorithm 1 (judged at an improvement of 0.1); the exact sub-claims have no alpha. A/A control: log tr Var(score·Q) on the random graphs against an independent set of random graphs, same interval",
                "quick is a valid scale (as is paper) for every sub-claim: Backprop-Q has no experimental setting to match, so the training sub-claims demonstrate its techniques on this suite's own SCGs, and quick differs from paper only in seeds, graphs, forward passes and iterations; smoke is plumbing (a proxy for the training sub-claims)",
                "Quick and paper scale decide every sub-claim (quick runs 24 learning seeds per graph, 18 Algorithm 1 seeds and 200 random graphs, up from 6, 6 and 100); smoke is plumbing only, and there only the exact layer can kill a mutant",
            ],
            checks: real,
            negativeControls: [
                NegativeControl(name: "replay summing one source", bug: "Eq. 15 applied literally: the replay target sums the Q-values of all redrawn children, even two children carrying the same cost", checks: judge(variant: .replaySumsSources)),
                NegativeControl(name: "frozen target", bug: "the slow-tracking target never moves (τ = 0), so every target is read from the initial Q-functions", checks: judge(variant: .frozenTarget)),
                NegativeControl(name: "baseline from a child", bug: "the advantage subtracts a child's Q-function (which depends on x_X) instead of the state value", checks: judge(baseline: .child)),
                NegativeControl(name: "baseline added", bug: "a sign error: the advantage adds the state value instead of subtracting it (still unbiased, since E[score·V_X] = 0)", checks: judge(baseline: .added)),
            ] + (real.contains { $0.name == "Algorithm 1 lowers J" && $0.verdict == .reproduced }
                 // Registered where the training check decides (quick and paper): at smoke nothing
                 // could kill it, and a mutant that cannot be killed proves nothing.
                 ? [NegativeControl(name: "policy step uphill", bug: "Algorithm 1 with the learned advantage, its policy step taken along +gradient (a sign error in the update); training layer", checks: judge(uphill: true))]
                 : []),
            aaControls: [aaControl],
            tables: [Table(title: "Algorithm 1 on Figure 7: exact J after training (mean and sd over seeds) and the gradient estimate's mean squared error E|g - ∇J|^2 along training (every 10th iteration, exact ∇J)",
                           columns: ["method", "J final", "sd", "E|g - ∇J|^2 during training"],
                           rows: Self.policyMethods.map { [$0, fmt(Summary(policy[$0]!.finals).mean, 4), fmt(Summary(policy[$0]!.finals).sd, 3), fmt(policy[$0]!.squaredError, 3)] })],
            figures: [
                Figure(id: "learning-curves", title: "Learning Q-functions on graphs: relative squared error vs forward passes",
                       xLabel: "forward passes", yLabel: "Σ E[(Q_w - Q)^2] / Σ E[Q^2]", logX: true, logY: true, series: learning,
                       caption: "All four techniques converge to the exact Q; replay with a summed same-source target and a frozen target stall at wrong values."),
                Figure(id: "advantage-variance", title: "Advantage vs Q as the local cost: exact total variance ratio per graph",
                       xLabel: "fraction of graphs", yLabel: "Var(score·A) / Var(score·Q)", logY: true,
                       series: [.init("sorted ratio", x: sortedRatios.indices.map { Double($0 + 1) / Double(sortedRatios.count) }, y: sortedRatios, style: .lines),
                                .init("ratio 1", x: [0, 1], y: [1, 1])],
                       caption: "Subtracting the state value E[Q_X | Pa_X] lowers the variance on most graphs without changing the mean."),
                Figure(id: "algorithm1", title: "Algorithm 1 on Figure 7: exact J during training (mean over seeds)",
                       xLabel: "iteration", yLabel: "J = E[f1 + f2]",
                       series: Self.policyMethods.map { Figure.Series($0, x: policyX, y: policy[$0]!.curve, style: .lines) },
                       caption: "All three methods lower J at about the same rate on this shallow graph (the uphill mutant raises it) (each cost one step after Y1, Y2), although the learned Q-functions cut the gradient's mean squared error about threefold (table)."),
            ]
        )
    }
}
