import Foundation

/// A stochastic computation graph (X, G_X, P, Theta, F) of Section 2 with discrete nodes:
/// nodes are listed in a topological order (every parent index is smaller than its child's),
/// costs are tables on subsets of nodes, and the objective is J = E[sum_i f_i(X_i)].
public struct StochasticComputationGraph: Sendable, Codable, Equatable {
    public var nodes: [StochasticNode]
    public var costs: [CostFunction]

    public init(nodes: [StochasticNode], costs: [CostFunction]) {
        for (i, n) in nodes.enumerated() {
            precondition(n.parents.allSatisfy { $0 < i }, "node \(n.name): parents must come earlier (topological order)")
            precondition(zip(n.parents, n.parentArities).allSatisfy { nodes[$0].arity == $1 }, "node \(n.name): parent arities")
        }
        for c in costs { precondition(c.table.count == c.scope.map { nodes[$0].arity }.reduce(1, *), "cost \(c.name): table size") }
        self.nodes = nodes; self.costs = costs
    }

    public var count: Int { nodes.count }
    public var arities: [Int] { nodes.map(\.arity) }
    public func index(of name: String) -> Int { nodes.firstIndex { $0.name == name }! }

    // MARK: structure

    public func children(of i: Int) -> [Int] { nodes.indices.filter { nodes[$0].parents.contains(i) } }

    /// An_X: every ancestor of node i.
    public func ancestors(of i: Int) -> Set<Int> {
        var seen = Set<Int>(), stack = nodes[i].parents
        while let p = stack.popLast() { if seen.insert(p).inserted { stack += nodes[p].parents } }
        return seen
    }
    public func descendants(of i: Int) -> Set<Int> {
        var seen = Set<Int>(), stack = children(of: i)
        while let c = stack.popLast() { if seen.insert(c).inserted { stack += children(of: c) } }
        return seen
    }
    /// Whether cost f depends on node i at all (i is in f's scope or an ancestor of it).
    public func reaches(_ i: Int, cost f: Int) -> Bool {
        let z = Set(costs[f].scope)
        return z.contains(i) || !z.isDisjoint(with: descendants(of: i))
    }

    // MARK: sampling

    /// Ancestral sampling (Algorithm 1, lines 4-7).
    public func sample(_ stream: inout RandomStream) -> [Int] {
        var x = [Int](repeating: 0, count: count)
        for i in nodes.indices { x[i] = stream.categorical(nodes[i].probabilities(x)) }
        return x
    }
    /// Redraws node i given its parents' values in x (used by graph experience replay, Eq. 15).
    public func redraw(_ i: Int, in x: [Int], _ stream: inout RandomStream) -> Int {
        stream.categorical(nodes[i].probabilities(x))
    }

    public func probability(_ x: [Int]) -> Double {
        nodes.indices.reduce(1.0) { $0 * nodes[$1].probabilities(x)[x[$1]] }
    }
    public func cost(_ f: Int, _ x: [Int]) -> Double { costs[f].value(x, arities: arities) }
    public func totalCost(_ x: [Int]) -> Double { costs.indices.reduce(0) { $0 + cost($1, x) } }
    /// d/dtheta_X log p(x_X | Pa_X).
    public func score(_ i: Int, _ x: [Int]) -> [Double] { nodes[i].score(value: x[i], x) }
    public var parameterCounts: [Int] { nodes.map(\.parameterCount) }

    /// All costs wrapped into one (Figure 2(c)): F = sum_i f_i on the union of their scopes, so
    /// the one-cost Backprop-Q network applies, with lengthier scopes (Figure 2(d)).
    public func wrappingCosts() -> StochasticComputationGraph {
        let scope = Array(Set(costs.flatMap(\.scope))).sorted()
        let ar = scope.map { nodes[$0].arity }
        let wrapped = CostFunction(name: "F", scope: scope, arities: ar) { values in
            var x = [Int](repeating: 0, count: count)
            for (i, v) in zip(scope, values) { x[i] = v }
            return totalCost(x)
        }
        return StochasticComputationGraph(nodes: nodes, costs: [wrapped])
    }
}
