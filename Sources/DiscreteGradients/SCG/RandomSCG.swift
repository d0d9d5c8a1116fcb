/// Random small SCGs for exact checks: DAGs of Bernoulli and categorical nodes with table or
/// logistic conditionals, bypass edges (so scopes grow beyond {X}), and one or several costs.
public enum RandomSCG {
    public struct Options: Sendable {
        public var nodes: ClosedRange<Int> = 4...7
        public var costs: ClosedRange<Int> = 1...3
        /// Probability of each extra edge from an earlier node (beyond the chain edge).
        public var extraEdge: Double = 0.35
        public var maxParents = 3
        public var categoricalFraction = 0.3
        public var logisticFraction = 0.5
        public var maxConfigurations = 1 << 12
        public var logitScale = 1.5
        public init() {}
    }

    public static func make(_ options: Options = Options(), _ stream: inout RandomStream) -> StochasticComputationGraph {
        while true {
            let n = options.nodes.lowerBound + stream.integer(below: options.nodes.count)
            var nodes: [StochasticNode] = []
            var configurations = 1
            for i in 0..<n {
                var arity = stream.uniform() < options.categoricalFraction ? 3 : 2
                if configurations * arity > options.maxConfigurations { arity = 2 }
                configurations *= arity
                var parents: [Int] = []
                if i > 0 {
                    // A chain edge from a recent node keeps the graph connected and deep ...
                    parents.append(i - 1 - stream.integer(below: min(i, 2)))
                    // ... and bypass edges from earlier nodes make scopes grow.
                    for p in 0..<i where !parents.contains(p) && parents.count < options.maxParents {
                        if stream.uniform() < options.extraEdge { parents.append(p) }
                    }
                    parents.sort()
                }
                let form: StochasticNode.Form = stream.uniform() < options.logisticFraction ? .logistic : .table
                var node = StochasticNode(name: "X\(i + 1)", arity: arity, parents: parents,
                                          parentArities: parents.map { nodes[$0].arity }, form: form)
                node.theta = node.theta.map { _ in stream.normal(sd: options.logitScale) }
                nodes.append(node)
            }
            let costCount = options.costs.lowerBound + stream.integer(below: options.costs.count)
            var costs: [CostFunction] = []
            for c in 0..<costCount {
                // Each cost reads one to three nodes, at least one from the second half.
                let late = n / 2 + stream.integer(below: n - n / 2)
                var scope: Set<Int> = [late]
                for _ in 0..<stream.integer(below: 3) { scope.insert(stream.integer(below: n)) }
                let s = scope.sorted()
                let size = s.map { nodes[$0].arity }.reduce(1, *)
                costs.append(CostFunction(name: "f\(c + 1)", scope: s, table: (0..<size).map { _ in stream.normal() }))
            }
            let graph = StochasticComputationGraph(nodes: nodes, costs: costs)
            if graph.arities.reduce(1, *) <= options.maxConfigurations { return graph }
        }
    }

    /// Random parameters for a given structure (same node forms, costs kept).
    public static func randomize(_ graph: StochasticComputationGraph, scale: Double, _ stream: inout RandomStream) -> StochasticComputationGraph {
        var g = graph
        for i in g.nodes.indices { g.nodes[i].theta = g.nodes[i].theta.map { _ in stream.normal(sd: scale) } }
        return g
    }
}
