import Foundation

/// A Backprop-Q network (Q, G_Q, R) of Section 3: one Q-function per (stochastic node, cost
/// sources), its scope, and its update rule, given by incoming edges from costs (the roots,
/// Q_f := f, footnote 3) or from Q-functions of the node's children.
///
/// The update rule (Sections 3.1-3.2, Theorem 3): incoming edges are grouped by cost source;
/// edges of one source are equivalent update rules and are averaged, groups of different
/// sources are summed: R_X Q_X = sum_groups mean_{Y in group} E[Q_Y(Sc_Y) | Sc_X].
public struct BackpropQNetwork: Sendable, Codable {
    public enum Edge: Hashable, Sendable, Codable {
        case cost(Int)
        case q(Int)
    }
    public struct QNode: Sendable, Codable, Equatable {
        public var node: Int
        /// Cost sources this Q-function carries (more than one after merging, Theorem 3).
        public var sources: [Int]
        /// Sc_X: the union of Fr^f(An_X ∪ {X}) over its sources (Eq. 2).
        public var scope: [Int]
        public var incoming: [Edge]
    }
    /// How edges are combined: the paper's rule, or the plausible bugs used as mutants.
    public enum Combination: String, Sendable, Codable {
        /// Average within a cost source, sum across sources (the paper's rule).
        case averageWithinSource
        /// Sum every incoming edge (double-counts a source with several paths).
        case sumAll
        /// Average every incoming edge (halves the sources of different edges).
        case averageAll
    }

    public var graph: StochasticComputationGraph
    public var qNodes: [QNode]
    public var combination: Combination = .averageWithinSource

    public init(graph: StochasticComputationGraph, qNodes: [QNode], combination: Combination = .averageWithinSource) {
        self.graph = graph; self.qNodes = qNodes; self.combination = combination
    }

    // MARK: construction

    /// The Backprop-Q network of one cost: the reversed G_X restricted to nodes that reach f,
    /// plus f as the root (Section 3.1).
    public static func forCost(_ f: Int, in graph: StochasticComputationGraph) -> BackpropQNetwork {
        separate(graph, costs: [f])
    }

    /// Per-cost networks for all (or the given) costs side by side: one Q-function per
    /// (node, cost) pair (Section 3.2, Figure 2(b)).
    public static func separate(_ graph: StochasticComputationGraph, costs: [Int]? = nil) -> BackpropQNetwork {
        var qNodes: [QNode] = []
        var id: [[Int: Int]] = Array(repeating: [:], count: graph.count)   // node -> cost -> q index
        for f in costs ?? Array(graph.costs.indices) {
            for x in graph.nodes.indices where graph.reaches(x, cost: f) {
                id[x][f] = qNodes.count
                qNodes.append(QNode(node: x, sources: [f], scope: Frontier.scope(of: x, cost: f, in: graph), incoming: []))
            }
        }
        for j in qNodes.indices {
            let x = qNodes[j].node, f = qNodes[j].sources[0]
            var edges: [Edge] = graph.costs[f].scope.contains(x) ? [.cost(f)] : []
            for y in graph.children(of: x) { if let k = id[y][f] { edges.append(.q(k)) } }
            qNodes[j].incoming = edges
        }
        return BackpropQNetwork(graph: graph, qNodes: qNodes)
    }

    /// Every Q-function at each node merged into one, matched or not: a forced merge. Where the
    /// per-cost networks are unmatched the update rules double or halve some cost (Section 3.2's
    /// "summing will double f2 and averaging will halve f1"); used as a negative control.
    public func mergedEverywhere() -> BackpropQNetwork {
        var net = self
        for x in graph.nodes.indices.reversed() {
            let here = net.qNodes.indices.filter { net.qNodes[$0].node == x }
            if here.count > 1 { net = net.mergingQNodes(here) }
        }
        return net
    }

    // MARK: update rules

    public func sources(of e: Edge) -> [Int] {
        switch e { case .cost(let f): [f]; case .q(let k): qNodes[k].sources }
    }

    /// The edges of Q-node j grouped as its update rule combines them.
    public func groups(_ j: Int) -> [[Edge]] {
        let edges = qNodes[j].incoming
        switch combination {
        case .sumAll: return edges.map { [$0] }
        case .averageAll: return [edges]
        case .averageWithinSource:
            var keys: [[Int]] = [], out: [[Edge]] = []
            for e in edges {
                let k = sources(of: e)
                if let i = keys.firstIndex(of: k) { out[i].append(e) } else { keys.append(k); out.append([e]) }
            }
            return out
        }
    }

    /// Applies the update rule to values attached to the incoming edges (Q-values for the sample
    /// update target, or TD errors for the graph lambda-return of Appendix 4.1).
    public func combine(_ j: Int, _ value: (Edge) -> Double) -> Double {
        groups(j).reduce(0) { acc, g in acc + g.reduce(0) { $0 + value($1) } / Double(g.count) }
    }

    /// Whether every update rule counts each of its node's cost sources exactly once: the
    /// groups' source sets are disjoint and cover the node's sources (the condition under which
    /// merged networks keep their fixed points, Theorem 3).
    public var isWellFormed: Bool { qNodes.indices.allSatisfy(isWellFormed) }
    public func isWellFormed(_ j: Int) -> Bool {
        guard combination == .averageWithinSource else { return false }
        var covered: [Int] = []
        for g in groups(j) { covered += sources(of: g[0]) }
        return !qNodes[j].incoming.isEmpty && covered.sorted() == qNodes[j].sources.sorted()
    }

    /// Q-nodes ordered so that every Q-node comes after the Q-nodes it reads (a topological
    /// order of G_Q starting from the costs, Algorithm 1 line 10).
    public var updateOrder: [Int] {
        qNodes.indices.sorted { (qNodes[$0].node, $0) > (qNodes[$1].node, $1) }
    }

    /// The scope's joint value index of Q-node j in sample x.
    public func scopeCode(_ j: Int, _ x: [Int]) -> Int {
        MixedRadix.code(qNodes[j].scope.map { x[$0] }, qNodes[j].scope.map { graph.nodes[$0].arity })
    }
    public func scopeSize(_ j: Int) -> Int { qNodes[j].scope.map { graph.nodes[$0].arity }.reduce(1, *) }

    /// Lengths of the shortest path from each Q-node to a cost root (l_{Q_X} of Theorem 2).
    public var depths: [Int] {
        var d = [Int](repeating: .max, count: qNodes.count)
        for j in updateOrder {
            d[j] = qNodes[j].incoming.map { e -> Int in
                switch e { case .cost: 1; case .q(let k): d[k] == .max ? .max : d[k] + 1 }
            }.min() ?? .max
        }
        return d
    }

    // MARK: exact Q-functions

    /// Exact Q-functions by enumeration (Eq. 2): E[sum_{f in sources} f | Sc_X], one table per Q-node.
    public func exactQ(_ exact: ExactEnumeration) -> [[Double]] {
        qNodes.map { q in exact.conditionalExpectation(given: q.scope) { x in q.sources.reduce(0) { $0 + graph.cost($1, x) } }.table }
    }

    /// The fixed point of the update rules: expectation updates Q_X(Sc_X) <- E[R_X | Sc_X]
    /// applied once in `updateOrder`, exactly. For a well-formed network it equals `exactQ`;
    /// what tabular TD converges to in any case.
    public func fixedPoint(_ exact: ExactEnumeration) -> [[Double]] {
        var tables = [[Double]](repeating: [], count: qNodes.count)
        for j in updateOrder {
            tables[j] = exact.conditionalExpectation(given: qNodes[j].scope) { x in
                combine(j) { e in
                    switch e {
                    case .cost(let f): graph.cost(f, x)
                    case .q(let k): tables[k][scopeCode(k, x)]
                    }
                }
            }.table
        }
        return tables
    }

    /// E[(A(Sc) - B(Sc))^2] under the SCG's joint for two tables of Q-node j.
    public func meanSquaredDifference(_ j: Int, _ a: [Double], _ b: [Double], _ exact: ExactEnumeration) -> Double {
        zip(exact.configurations, exact.probabilities).reduce(0) { acc, xp in
            let c = scopeCode(j, xp.0)
            return acc + xp.1 * (a[c] - b[c]) * (a[c] - b[c])
        }
    }
}
