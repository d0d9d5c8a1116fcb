/// The example SCGs of the paper's figures, as structures (our copy of the paper has the
/// captions and the text but not the drawings, so each structure is rebuilt from what the text
/// says about it; the doc comment of each quotes the facts used). Conditionals are random
/// tables drawn from the stream, costs random tables, all Bernoulli.
public enum PaperExampleGraphs {
    /// Builds a graph from (name, parents) in topological order and costs (name, scope).
    public static func build(_ spec: [(String, [String])], costs: [(String, [String])], _ stream: inout RandomStream,
                             logitScale: Double = 1.5) -> StochasticComputationGraph {
        var nodes: [StochasticNode] = []
        func index(_ n: String) -> Int { nodes.firstIndex { $0.name == n }! }
        for (name, parents) in spec {
            let p = parents.map(index)
            var node = StochasticNode(name: name, parents: p, parentArities: p.map { _ in 2 }, form: .table)
            node.theta = node.theta.map { _ in stream.normal(sd: logitScale) }
            nodes.append(node)
        }
        let fs = costs.map { c in
            CostFunction(name: c.0, scope: c.1.map(index), table: (0..<(1 << c.1.count)).map { _ in stream.normal() })
        }
        return StochasticComputationGraph(nodes: nodes, costs: fs)
    }

    /// Figure 1: one cost; "a Q-function may have more than one equivalent update rules, e.g.
    /// Q_X1 and Q_Y1, when a node has multiple paths reaching the cost", and a bypass enlarges
    /// scopes. Rebuilt as X1 -> Y1, X1 -> Y2, X2 -> Y2, Y1 -> Y2, Y1 -> Z, f(Y2, Z).
    public static func figure1(_ s: inout RandomStream) -> StochasticComputationGraph {
        build([("X1", []), ("X2", []), ("Y1", ["X1"]), ("Y2", ["X1", "X2", "Y1"]), ("Z", ["Y1"])],
              costs: [("f", ["Y2", "Z"])], &s)
    }

    /// Figure 2(a): "the expected cost Q_Y(x, y) at node Y is the sum of those from two costs";
    /// the update target for Q_X is "Q_Y^f1(y) + (Q_Y^f2(x, y) + Q_Z^f2(x, z)) / 2".
    /// So X -> Y, X -> Z, f1(Y), f2(Y, Z).
    public static func figure2(_ s: inout RandomStream) -> StochasticComputationGraph {
        build([("X", []), ("Y", ["X"]), ("Z", ["X"])], costs: [("f1", ["Y"]), ("f2", ["Y", "Z"])], &s)
    }

    /// Figure 3: two costs whose networks merge only after reducing to spanning trees (the
    /// chain version of Figure 3(d) merges further than Figure 3(c)). Rebuilt as
    /// A -> B, B -> C, B -> D, C -> D, f1(C), f2(D).
    public static func figure3(_ s: inout RandomStream) -> StochasticComputationGraph {
        build([("A", []), ("B", ["A"]), ("C", ["B"]), ("D", ["B", "C"])], costs: [("f1", ["C"]), ("f2", ["D"])], &s)
    }

    /// Figure 5: one cost; "Q_X1 has two upstream nodes Q_Y1 and Q_Y2 belonging to the same cost
    /// source", delta_Z = gamma Q_f(z) - Q_Z(z), delta_X1 = gamma^3 Q_f - Q_X1 at lambda = 1.
    /// So X1 -> Y1, X1 -> Y2, Y1 -> Z, Y2 -> Z, f(Z).
    public static func figure5(_ s: inout RandomStream) -> StochasticComputationGraph {
        build([("X1", []), ("Y1", ["X1"]), ("Y2", ["X1"]), ("Z", ["Y1", "Y2"])], costs: [("f", ["Z"])], &s)
    }

    /// Figure 6: two costs; the reduction removes "Q_fa -> Q_X2^fa and Q_fb -> Q_X3^fb", at Q_X3
    /// "we sum the two upstream Q-function values", and at lambda = 1
    /// delta_X1 = gamma^3 Q_fa + gamma^4 Q_fb - Q_X1. So the chain X1 -> X2 -> X3 -> X4 with
    /// fa(X2, X3), fb(X3, X4).
    public static func figure6(_ s: inout RandomStream) -> StochasticComputationGraph {
        build([("X1", []), ("X2", ["X1"]), ("X3", ["X2"]), ("X4", ["X3"])], costs: [("fa", ["X2", "X3"]), ("fb", ["X3", "X4"])], &s)
    }

    /// Figure 7: two costs; y1 ~ p(. | x, b1), y2 ~ p(. | x, b2), Q_X has scope (a, x), the edge
    /// Q_Y2^f2 -> Q_A^f2 exists (A is a parent of Y2), and Eq. 15 sums Q_Y1(y1) + Q_Y2(y2).
    /// So A -> X, {X, B1} -> Y1, {A, X, B2} -> Y2, f1(Y1), f2(Y2).
    public static func figure7(_ s: inout RandomStream) -> StochasticComputationGraph {
        build([("A", []), ("B1", []), ("B2", []), ("X", ["A"]), ("Y1", ["X", "B1"]), ("Y2", ["A", "X", "B2"])],
              costs: [("f1", ["Y1"]), ("f2", ["Y2"])], &s)
    }

    /// A chain X1 -> ... -> XL with the cost on XL (Theorem 2's chains); with `bypass`, each node
    /// also reads the node two steps back, so scopes hold two nodes (Theorem 2's DAGs).
    public static func chain(length: Int, bypass: Bool, _ s: inout RandomStream, logitScale: Double = 1.5) -> StochasticComputationGraph {
        var spec: [(String, [String])] = []
        for i in 1...length {
            var parents: [String] = []
            if i > 2 && bypass { parents.append("X\(i - 2)") }
            if i > 1 { parents.append("X\(i - 1)") }
            spec.append(("X\(i)", parents))
        }
        let costScope = bypass && length > 1 ? ["X\(length - 1)", "X\(length)"] : ["X\(length)"]
        return build(spec, costs: [("f", costScope)], &s, logitScale: logitScale)
    }
}
