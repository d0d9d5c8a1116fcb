import DiscreteGradients
import Pipeline
import Verification

/// Shared pieces of the Backprop-Q reproductions (papers/backprop-q-xu-2018.md).
enum BPQ {
    static let paper = "Backprop-Q (Xu et al., 2018)"

    /// Random SCGs for the exact checks: 4-8 nodes, Bernoulli and 3-way categorical, table and
    /// logistic conditionals, bypass edges, 1-3 costs.
    static func randomGraphs(_ count: Int, costs: ClosedRange<Int> = 1...3, _ stream: inout RandomStream) -> [StochasticComputationGraph] {
        var options = RandomSCG.Options()
        options.nodes = 4...8
        options.costs = costs
        options.maxConfigurations = 1 << 9
        return (0..<count).map { _ in RandomSCG.make(options, &stream) }
    }

    /// Whether some node's scope holds more than the node itself (a bypass grew it).
    static func hasGrownScope(_ net: BackpropQNetwork) -> Bool { net.qNodes.contains { $0.scope.count > 1 } }

    static func maxAbsDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
        zip(a, b).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? 0
    }

    /// The network with every scope cut to the node itself: Q_X(x) = E[f | X = x], which drops
    /// the bypass ancestors (the plausible bug of a "local" Q-function).
    static func droppingBypassAncestors(_ net: BackpropQNetwork) -> BackpropQNetwork {
        var n = net
        for j in n.qNodes.indices { n.qNodes[j].scope = [n.qNodes[j].node] }
        return n
    }

    /// Clopper-Pearson upper limit on a rate after k events in n trials, at level 1 - alpha.
    static func rateUpperLimit(events k: Int, trials n: Int, alpha: Double) -> Double {
        k >= n ? 1 : Dist.betaQuantile(1 - alpha, a: Double(k + 1), b: Double(n - k))
    }

    /// CLAIMS.md rule 14: the training sub-claims check the paper's theorems on this suite's own
    /// SCGs (Backprop-Q has no experimental setting to match), so quick is as valid as paper; smoke
    /// (too few passes and seeds to decide them) is a proxy.
    static let validTrainingScales = ["quick", "paper"]

    static func scaled(_ scale: Scale, smoke: Int, quick: Int, paper: Int) -> Int {
        switch scale { case .smoke: smoke; case .quick: quick; case .paper: paper }
    }
}

extension BPQ {
    /// Σ_j E[(Q_w,j - Q_j)^2] / Σ_j E[Q_j^2]: the learned network's error relative to the size of its targets.
    static func relativeError(_ learned: LearnedQNetwork, _ exact: ExactEnumeration, truth: [[Double]]) -> Double {
        let zero = truth.map { $0.map { _ in 0.0 } }
        let size = truth.indices.reduce(0.0) { $0 + learned.network.meanSquaredDifference($1, truth[$1], zero[$1], exact) }
        return learned.squaredError(exact, trueQ: truth) / max(size, 1e-300)
    }

    /// Per sample x, the largest |Q_merged(x) - Σ_f Q^f(x)| over the merged network's Q-nodes,
    /// where the Q^f are the per-cost tables of `separate` (the fixed points Theorem 3 preserves).
    static func mergeDiscrepancy(_ merged: BackpropQNetwork, _ mergedTables: [[Double]], separate: BackpropQNetwork,
                                 _ separateTables: [[Double]], _ exact: ExactEnumeration) -> Double {
        var worst = 0.0
        for x in exact.configurations {
            for (j, q) in merged.qNodes.enumerated() {
                let parts = separate.qNodes.indices.filter { separate.qNodes[$0].node == q.node && q.sources.contains(separate.qNodes[$0].sources[0]) }
                let sum = parts.reduce(0.0) { $0 + separateTables[$1][separate.scopeCode($1, x)] }
                worst = max(worst, abs(mergedTables[j][merged.scopeCode(j, x)] - sum))
            }
        }
        return worst
    }
}
