import Testing
import DiscreteGradients

/// Backprop-Q on the paper's example graphs (structures rebuilt from the text, see
/// PaperExampleGraphs) and on random SCGs. Everything here is exact (enumeration) except the TD
/// convergence test, which uses a fixed seed.
@Suite struct BackpropQTests {
    func names(_ g: StochasticComputationGraph, _ ids: [Int]) -> [String] { ids.map { g.nodes[$0].name } }
    func scope(_ g: StochasticComputationGraph, _ node: String, cost: Int) -> [String] {
        names(g, Frontier.scope(of: g.index(of: node), cost: cost, in: g))
    }
    func maxDiff(_ a: [[Double]], _ b: [[Double]]) -> Double {
        zip(a, b).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? 0
    }

    @Test func figure2ScopesMatchTheText() {
        var s = RandomStream(seed: 2)
        let g = PaperExampleGraphs.figure2(&s)
        // "Q_Y^f1(y)", "Q_Y^f2(x, y)", "Q_Z^f2(x, z)", and Q_X(x).
        #expect(scope(g, "Y", cost: 0) == ["Y"])
        #expect(scope(g, "Y", cost: 1) == ["X", "Y"])
        #expect(scope(g, "Z", cost: 1) == ["X", "Z"])
        #expect(scope(g, "X", cost: 0) == ["X"] && scope(g, "X", cost: 1) == ["X"])
        // Z cannot reach f1: no Q_Z^f1.
        let net = BackpropQNetwork.separate(g)
        #expect(net.qNodes.count == 5)
    }

    @Test func figure1BypassEnlargesScopesAndGivesSeveralUpdateRules() {
        var s = RandomStream(seed: 1)
        let g = PaperExampleGraphs.figure1(&s)
        #expect(scope(g, "Y1", cost: 0) == ["X1", "Y1"])        // X1 -> Y2 bypasses Y1
        #expect(scope(g, "Z", cost: 0) == ["X1", "Y1", "Z"])
        #expect(scope(g, "Y2", cost: 0) == ["Y1", "Y2"])
        let net = BackpropQNetwork.forCost(0, in: g)
        let x1 = net.qNodes.firstIndex { g.nodes[$0.node].name == "X1" }!
        let y1 = net.qNodes.firstIndex { g.nodes[$0.node].name == "Y1" }!
        #expect(net.qNodes[x1].incoming.count == 2 && net.qNodes[y1].incoming.count == 2)
        // Every equivalent rule alone has the same fixed point as their average.
        let exact = ExactEnumeration(g)
        let truth = net.exactQ(exact)
        #expect(maxDiff(net.fixedPoint(exact), truth) < 1e-12)
        #expect(maxDiff(net.spanningTree(.chain).fixedPoint(exact), truth) < 1e-12)
        #expect(maxDiff(net.spanningTree(.shortest).fixedPoint(exact), truth) < 1e-12)
    }

    @Test func figure2UnmatchedMergeChangesTheFixedPoint() {
        var s = RandomStream(seed: 3)
        let g = PaperExampleGraphs.figure2(&s)
        let exact = ExactEnumeration(g)
        let sep = BackpropQNetwork.separate(g)
        #expect(sep.isWellFormed)
        // Merging at X alone is matched: the target is Q_Y^f1 + (Q_Y^f2 + Q_Z^f2) / 2.
        let xs = sep.qNodes.indices.filter { g.nodes[sep.qNodes[$0].node].name == "X" }
        let atX = sep.mergingQNodes(xs)
        #expect(atX.isWellFormed)
        let truthX = exact.conditionalExpectation(given: [0]) { g.totalCost($0) }.table
        let j = atX.qNodes.firstIndex { $0.node == 0 }!
        #expect(maxDiff([atX.fixedPoint(exact)[j]], [truthX]) < 1e-12)
        // Merging at Y too is unmatched (Z carries f2 only): ill-formed, wrong fixed point.
        let ys = atX.qNodes.indices.filter { g.nodes[atX.qNodes[$0].node].name == "Y" }
        let bad = atX.mergingQNodes(ys)
        #expect(!bad.isWellFormed)
        let k = bad.qNodes.firstIndex { $0.node == 0 }!
        #expect(maxDiff([bad.fixedPoint(exact)[k]], [truthX]) > 1e-3)
        // The greedy merge refuses it.
        #expect(sep.mergedWherePossible().isWellFormed)
    }

    @Test func figure3ChainTreeMergesFurther() {
        var s = RandomStream(seed: 4)
        let g = PaperExampleGraphs.figure3(&s)
        let exact = ExactEnumeration(g)
        let sep = BackpropQNetwork.separate(g)
        let full = sep.mergedWherePossible()
        let chain = sep.spanningTree(.chain).mergedWherePossible()
        #expect(sep.qNodes.count == 7)
        #expect(chain.qNodes.count < full.qNodes.count && full.qNodes.count < sep.qNodes.count)
        for net in [full, chain] {
            #expect(net.isWellFormed)
            #expect(maxDiff(net.fixedPoint(exact), net.exactQ(exact)) < 1e-12)
        }
    }

    @Test func figure5LambdaReturnAveragesSameSourceErrors() {
        var s = RandomStream(seed: 5)
        let g = PaperExampleGraphs.figure5(&s)
        var learned = LearnedQNetwork(.forCost(0, in: g), kind: .tabular)
        for _ in 0..<50 { learned.tdStep(&s, step: .constant(0.3)) }   // some non-trivial Q_w
        for _ in 0..<20 {
            let x = g.sample(&s)
            let g1 = learned.lambdaReturns(x, lambda: 1)
            #expect(g1.allSatisfy { abs($0 - g.cost(0, x)) < 1e-12 })          // Monte Carlo return
            let g0 = learned.lambdaReturns(x, lambda: 0)
            let x1 = learned.network.qNodes.firstIndex { g.nodes[$0.node].name == "X1" }!
            let ys = learned.network.qNodes.indices.filter { g.nodes[learned.network.qNodes[$0].node].name.hasPrefix("Y") }
            #expect(abs(g0[x1] - (learned.value(ys[0], x) + learned.value(ys[1], x)) / 2) < 1e-12)  // one-step target
        }
        // Summing instead of averaging the two edges of one source double-counts the cost.
        var bad = learned
        bad.network.combination = .sumAll
        let x = g.sample(&s)
        let x1 = bad.network.qNodes.firstIndex { g.nodes[$0.node].name == "X1" }!
        #expect(abs(bad.lambdaReturns(x, lambda: 1)[x1] - g.cost(0, x)) > 1e-6)
    }

    @Test func figure6ReductionIsTheChainOfTheText() {
        var s = RandomStream(seed: 6)
        let g = PaperExampleGraphs.figure6(&s)
        let net = BackpropQNetwork.separate(g).spanningTree(.chain).mergedWherePossible()
        #expect(net.qNodes.count == 4 && net.isWellFormed)
        // Q_X3 sums the root fa and Q_X4 (carrying fb); everything else reads one child.
        let x3 = net.qNodes.firstIndex { g.nodes[$0.node].name == "X3" }!
        #expect(net.qNodes[x3].incoming.count == 2 && net.groups(x3).count == 2)
        var learned = LearnedQNetwork(net, kind: .tabular)
        for _ in 0..<30 { learned.tdStep(&s, step: .constant(0.3)) }
        let x = g.sample(&s)
        let x1 = net.qNodes.firstIndex { g.nodes[$0.node].name == "X1" }!
        #expect(abs(learned.lambdaReturns(x, lambda: 1)[x1] - g.totalCost(x)) < 1e-12)   // gamma^3 Q_fa + gamma^4 Q_fb
        let exact = ExactEnumeration(g)
        #expect(maxDiff(net.fixedPoint(exact), net.exactQ(exact)) < 1e-12)
    }

    @Test func figure7ScopeAndMergedReplayTarget() {
        var s = RandomStream(seed: 7)
        let g = PaperExampleGraphs.figure7(&s)
        #expect(scope(g, "X", cost: 1) == ["A", "X"])   // Q_wX(a, x)
        #expect(scope(g, "X", cost: 0) == ["X"])
        let net = BackpropQNetwork.separate(g).spanningTree(.chain).mergedWherePossible()
        #expect(net.isWellFormed)
        let x = net.qNodes.firstIndex { g.nodes[$0.node].name == "X" }!
        #expect(names(g, net.qNodes[x].scope) == ["A", "X"] && net.groups(x).count == 2)   // Eq. 15 sums Q_Y1 + Q_Y2
        let exact = ExactEnumeration(g)
        #expect(maxDiff(net.fixedPoint(exact), net.exactQ(exact)) < 1e-12)
    }

    @Test func theorem1IsExactOnRandomGraphs() {
        var s = RandomStream(seed: 11)
        for _ in 0..<25 {
            let g = RandomSCG.make(RandomSCG.Options(), &s)
            let exact = ExactEnumeration(g)
            let net = BackpropQNetwork.separate(g)
            let q = net.exactQ(exact)
            #expect(maxDiff(net.fixedPoint(exact), q) < 1e-10)
            let local = BackpropQGradient.exactLocalCost(net, tables: q)
            let m = exact.moments { BackpropQGradient.flatten(BackpropQGradient.estimate(g, $0, localCost: local)) }
            let truth = BackpropQGradient.flatten(exact.gradient())
            #expect(m.maxBias(against: truth) < 1e-10)
            #expect(net.mergedWherePossible().isWellFormed)
            let merged = net.spanningTree(.chain).mergedWherePossible()
            #expect(maxDiff(merged.fixedPoint(exact), merged.exactQ(exact)) < 1e-10)
        }
    }

    @Test func exactGradientMatchesFiniteDifferences() {
        var s = RandomStream(seed: 12)
        let g = RandomSCG.make(RandomSCG.Options(), &s)
        let grad = ExactEnumeration(g).gradient()
        let h = 1e-5
        for i in g.nodes.indices { for k in g.nodes[i].theta.indices {
            var a = g, b = g
            a.nodes[i].theta[k] += h; b.nodes[i].theta[k] -= h
            let fd = (ExactEnumeration(a).objective - ExactEnumeration(b).objective) / (2 * h)
            #expect(abs(fd - grad[i][k]) < 1e-7)
        } }
    }

    @Test func tabularTDConvergesToExactQ() {
        // Deterministic (fixed seed); the tolerance is ~10x the error expected after 20k passes.
        var s = RandomStream(seed: 13)
        let g = PaperExampleGraphs.figure7(&s)
        let exact = ExactEnumeration(g)
        let net = BackpropQNetwork.separate(g)
        var learned = LearnedQNetwork(net, kind: .tabular)
        let truth = net.exactQ(exact)
        let start = learned.squaredError(exact, trueQ: truth)
        for _ in 0..<20_000 { learned.tdStep(&s, step: .visitCount(power: 1)) }
        #expect(learned.squaredError(exact, trueQ: truth) < 1e-2 * start)
    }
}

/// Learning techniques and Theorem 2 on small graphs (fixed seeds; thresholds ~10x the errors seen).
@Suite struct BackpropQLearningTests {
    @Test func replayAndSlowTargetConvergeOnFigure7() {
        var s = RandomStream(seed: 21)
        let g = PaperExampleGraphs.figure7(&s)
        let exact = ExactEnumeration(g)
        let net = BackpropQNetwork.separate(g).spanningTree(.chain).mergedWherePossible()
        let truth = net.exactQ(exact)
        var replay = LearnedQNetwork(net, kind: .tabular)
        var slow = LearnedQNetwork(net, kind: .tabular, tracking: 0.05)
        var buffer: [[Int]] = []
        let start = replay.squaredError(exact, trueQ: truth)
        for _ in 0..<3000 {
            let x = g.sample(&s)
            buffer.append(x)
            for j in net.updateOrder { replay.replayUpdate(j, stored: buffer[s.integer(below: buffer.count)], &s, step: .visitCount(power: 0.7)) }
            slow.tdUpdate(x, step: .visitCount(power: 0.7))
        }
        #expect(replay.squaredError(exact, trueQ: truth) < 0.02 * start)
        #expect(slow.squaredError(exact, trueQ: truth) < 0.02 * start)
    }

    @Test func slowTargetLagsButConservesTheLearnedParameters() {
        var q = QApproximator(kind: .tabular, arities: [2], tracking: 0.1)
        q.update([1], delta: 1, step: .constant(1))
        #expect(q.value([1]) == 1)                      // learned = theta_t + Delta theta
        #expect(abs(q.targetValue([1]) - 0.1) < 1e-15)  // theta_t moved by tau * Delta theta
    }

    @Test func linearTDHasAPositiveFloorButTheoremTwoStillHolds() {
        var s = RandomStream(seed: 22)
        let g = PaperExampleGraphs.chain(length: 5, bypass: true, &s)
        let exact = ExactEnumeration(g)
        let net = BackpropQNetwork.forCost(0, in: g)
        let truth = net.exactQ(exact)
        var learned = LearnedQNetwork(net, kind: .linear)
        for _ in 0..<2000 { learned.tdStep(&s, step: .constant(0.05)) }
        let (edge, h) = learned.errors(exact, trueQ: truth)
        let eps = edge.max()!
        #expect(eps > 0)
        for (j, l) in net.depths.enumerated() { #expect(h[j] <= Double(l * l) * eps + 1e-12) }
    }

    @Test func advantageKeepsTheGradientExact() {
        var s = RandomStream(seed: 23)
        for _ in 0..<10 {
            let g = RandomSCG.make(RandomSCG.Options(), &s)
            let exact = ExactEnumeration(g)
            let net = BackpropQNetwork.separate(g)
            let q = net.exactQ(exact)
            let local: (Int, [Int]) -> Double = { i, x in
                net.qNodes.indices.filter { net.qNodes[$0].node == i }.reduce(0.0) { acc, j in
                    acc + q[j][net.scopeCode(j, x)] - AdvantageBaseline.stateValue(g, node: i, x) { q[j][net.scopeCode(j, $0)] }
                }
            }
            let m = exact.moments { BackpropQGradient.flatten(BackpropQGradient.estimate(g, $0, localCost: local)) }
            #expect(m.maxBias(against: BackpropQGradient.flatten(exact.gradient())) < 1e-10)
        }
    }
}

@Suite struct BackpropQAdvantageTests {
    /// Figure 8(a): on a chain, Q_X(x) = E_{Y|x}[Q_Y(Y)], so the parent's Q is exactly the state value at Y.
    @Test func parentBaselineIsTheStateValueOnAChain() {
        var s = RandomStream(seed: 31)
        let g = PaperExampleGraphs.chain(length: 4, bypass: false, &s)
        let exact = ExactEnumeration(g)
        let net = BackpropQNetwork.forCost(0, in: g)
        let q = net.exactQ(exact)
        let value: (Int, [Int]) -> Double = { j, x in q[j][net.scopeCode(j, x)] }
        for x in exact.configurations {
            for (j, node) in net.qNodes.enumerated() where node.node > 0 {
                let parent = AdvantageBaseline.parentAverage(net, qNode: j, x, q: value)
                let state = AdvantageBaseline.stateValue(g, node: node.node, x) { q[j][net.scopeCode(j, $0)] }
                #expect(abs(parent - state) < 1e-12)
            }
        }
    }
}
