/// The SCG gradient estimator of Theorem 1 (Eq. 1) with Q-functions as local costs:
/// g_X = grad_theta_X log p(x | Pa_X) * sum_{Q-nodes at X} Q(Sc_X), one sample per call.
/// With exact Q it is unbiased (Theorem 1) and is the Rao-Blackwellisation of REINFORCE with the
/// sampled downstream cost; with learned Q_w it is Algorithm 1's local surrogate (lines 15-17),
/// biased by Q_w - Q.
public enum BackpropQGradient {
    /// g for every node. `localCost(X, x)` is the local cost at node X for sample x.
    public static func estimate(_ graph: StochasticComputationGraph, _ x: [Int], localCost: (Int, [Int]) -> Double) -> [[Double]] {
        graph.nodes.indices.map { i in
            let c = localCost(i, x)
            return graph.score(i, x).map { $0 * c }
        }
    }

    /// Local cost from per-Q-node values: the sum over the Q-functions held at X (Algorithm 1, line 16).
    public static func localCost(_ network: BackpropQNetwork, _ q: @escaping (Int, [Int]) -> Double) -> (Int, [Int]) -> Double {
        var at = [[Int]](repeating: [], count: network.graph.count)
        for (j, qn) in network.qNodes.enumerated() { at[qn.node].append(j) }
        return { i, x in at[i].reduce(0) { $0 + q($1, x) } }
    }

    /// Local cost from exact Q tables (Eq. 2).
    public static func exactLocalCost(_ network: BackpropQNetwork, tables: [[Double]]) -> (Int, [Int]) -> Double {
        localCost(network) { j, x in tables[j][network.scopeCode(j, x)] }
    }

    /// REINFORCE with the sampled cost of the costs X can reach (the delayed cost that Q_X
    /// Rao-Blackwellises: Q_X = E[that cost | Sc_X]).
    public static func sampledDownstreamCost(_ graph: StochasticComputationGraph) -> (Int, [Int]) -> Double {
        let reach = graph.nodes.indices.map { i in graph.costs.indices.filter { graph.reaches(i, cost: $0) } }
        return { i, x in reach[i].reduce(0) { $0 + graph.cost($1, x) } }
    }

    /// Flattens per-node gradients into one vector (node order, then theta order).
    public static func flatten(_ g: [[Double]]) -> [Double] { g.flatMap { $0 } }
}

/// Advantage functions (Appendix 4.4): A_X = Q_X(Sc_X) - b_X with a baseline that does not
/// depend on x_X given its ancestors, so the gradient stays unbiased and its variance drops.
public enum AdvantageBaseline {
    /// The state value V_X = E_{X | Pa_X}[Q_X] (the exact form of A_Y = Q_Y(y) - Q_X(x) in
    /// Figure 8(a)): one local sum over the node's own values.
    public static func stateValue(_ graph: StochasticComputationGraph, node i: Int, _ x: [Int], q: ([Int]) -> Double) -> Double {
        let p = graph.nodes[i].probabilities(x)
        var xv = x, v = 0.0
        for k in p.indices { xv[i] = k; v += p[k] * q(xv) }
        return v
    }

    /// Figure 8(a)-(b): the average of the parents' Q-functions, Q_X(x) or (Q_X1(x1) + Q_X2(x2)) / 2.
    /// It estimates E[Q_Y | parents] only where each parent's update rule reads Y alone (a chain);
    /// it never depends on y, so it never biases the gradient.
    public static func parentAverage(_ network: BackpropQNetwork, qNode j: Int, _ x: [Int], q: (Int, [Int]) -> Double) -> Double {
        let parents = network.qNodes.indices.filter { network.qNodes[$0].incoming.contains(.q(j)) }
        guard !parents.isEmpty else { return 0 }
        return parents.reduce(0) { $0 + q($1, x) } / Double(parents.count)
    }
}

/// One policy step of Algorithm 1 (lines 14-20) with REINFORCE on the local cost:
/// theta_X <- theta_X - learningRate * g_X.
public enum PolicyUpdate {
    public static func step(_ graph: inout StochasticComputationGraph, gradient: [[Double]], learningRate: Double) {
        for i in graph.nodes.indices {
            for k in graph.nodes[i].theta.indices { graph.nodes[i].theta[k] -= learningRate * gradient[i][k] }
        }
    }
}
