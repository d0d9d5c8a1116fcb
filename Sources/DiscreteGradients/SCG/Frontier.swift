/// The frontier Fr_V^f of a set of nodes V (Theorem 1, Eq. 1-2 and footnote 2): the members of
/// V from which cost f is reachable through nodes not in V. The scope of node X for cost f is
/// Sc_X = Fr^f(An_X ∪ {X}); given it, the rest of An_X ∪ {X} carries no information about f.
public enum Frontier {
    public static func of(_ set: Set<Int>, cost f: Int, in graph: StochasticComputationGraph) -> [Int] {
        let z = Set(graph.costs[f].scope)
        // Nodes outside V that reach f's scope through nodes outside V (themselves included).
        var reachOutside = Set<Int>()
        var stack = Array(z.subtracting(set))
        while let w = stack.popLast() {
            guard reachOutside.insert(w).inserted else { continue }
            for p in graph.nodes[w].parents where !set.contains(p) { stack.append(p) }
        }
        return set.filter { v in z.contains(v) || graph.children(of: v).contains(where: reachOutside.contains) }.sorted()
    }

    /// Sc_X^f = Fr^f(An_X ∪ {X}) (Eq. 2).
    public static func scope(of x: Int, cost f: Int, in graph: StochasticComputationGraph) -> [Int] {
        of(graph.ancestors(of: x).union([x]), cost: f, in: graph)
    }
}
