/// A Backprop-Q network with learned approximators Q_w at its Q-nodes, trained by graph TD
/// (Algorithm 1, lines 9-13): a forward pass of ancestral sampling, then a backward pass over
/// G_Q that updates each Q_w toward its sample update target.
public struct LearnedQNetwork: Sendable {
    public var network: BackpropQNetwork
    public var approximators: [QApproximator]

    public init(_ network: BackpropQNetwork, kind: QApproximator.Kind, initial: Double = 0, tracking: Double? = nil) {
        self.network = network
        approximators = network.qNodes.map { q in
            QApproximator(kind: kind, arities: q.scope.map { network.graph.nodes[$0].arity }, initial: initial, tracking: tracking)
        }
    }

    public var graph: StochasticComputationGraph { network.graph }
    func scopeValues(_ j: Int, _ x: [Int]) -> [Int] { network.qNodes[j].scope.map { x[$0] } }
    public func value(_ j: Int, _ x: [Int]) -> Double { approximators[j].value(scopeValues(j, x)) }
    func targetValue(_ j: Int, _ x: [Int]) -> Double { approximators[j].targetValue(scopeValues(j, x)) }

    /// The graph lambda-return errors of Appendix 4.1 for one sample, computed in one backward
    /// pass before any update: delta_X = (gamma * R_X - Q_X) + gamma * lambda * R_X[delta],
    /// where R_X combines the incoming values (or the incoming errors) with the network's rule:
    /// averaged within a cost source, summed across sources; a cost root has error 0.
    /// lambda = 0 gives one-step TD errors; lambda = 1 (gamma = 1) gives the Monte Carlo return.
    public func lambdaErrors(_ x: [Int], lambda: Double, gamma: Double = 1) -> [Double] {
        var delta = [Double](repeating: 0, count: approximators.count)
        for j in network.updateOrder {
            let target = network.combine(j) { e in
                switch e { case .cost(let f): graph.cost(f, x); case .q(let k): targetValue(k, x) }
            }
            let upstream = lambda == 0 ? 0 : network.combine(j) { e in
                if case .q(let k) = e { return delta[k] }
                return 0
            }
            delta[j] = gamma * target - value(j, x) + gamma * lambda * upstream
        }
        return delta
    }
    /// The lambda-return targets G_X = Q_X + delta_X.
    public func lambdaReturns(_ x: [Int], lambda: Double, gamma: Double = 1) -> [Double] {
        zip(lambdaErrors(x, lambda: lambda, gamma: gamma), approximators.indices).map { $0 + value($1, x) }
    }

    /// One forward pass and one synchronous backward pass of sample TD updates.
    public mutating func tdStep(_ stream: inout RandomStream, step: QApproximator.StepSize, lambda: Double = 0) {
        let x = graph.sample(&stream)
        tdUpdate(x, step: step, lambda: lambda)
    }
    public mutating func tdUpdate(_ x: [Int], step: QApproximator.StepSize, lambda: Double = 0) {
        let delta = lambdaErrors(x, lambda: lambda)
        for j in approximators.indices { approximators[j].update(scopeValues(j, x), delta: delta[j], step: step) }
    }

    /// Graph experience replay (Appendix 4.2, Eq. 15): Q_X is refitted on a stored sample whose
    /// children Y_k of X are redrawn from p(. | x, B^k) under the current conditionals; the target
    /// combines Q_{Y_k}(y_k, A^k) with the network's rule (Eq. 15 sums them because Figure 7's
    /// Y_1, Y_2 carry different costs).
    public mutating func replayUpdate(_ j: Int, stored x: [Int], _ stream: inout RandomStream, step: QApproximator.StepSize) {
        let target = network.combine(j) { e in
            switch e {
            case .cost(let f): return graph.cost(f, x)
            case .q(let k):
                var xr = x
                let y = network.qNodes[k].node
                xr[y] = graph.redraw(y, in: x, &stream)
                return targetValue(k, xr)
            }
        }
        approximators[j].update(scopeValues(j, x), delta: target - value(j, x), step: step)
    }

    /// The learned functions as tables over their scopes.
    public var tables: [[Double]] { approximators.map(\.table) }

    /// Theorem 2's quantities, exactly: eps_j = max over incoming edges of
    /// E[(Q_wX - Q_wY)^2] (Q_wY = f for a cost root) and h_j = E[(Q_wX - Q_X)^2].
    public func errors(_ exact: ExactEnumeration, trueQ: [[Double]]) -> (edge: [Double], h: [Double]) {
        var edge = [Double](repeating: 0, count: approximators.count), h = edge
        let tabs = tables
        for (x, p) in zip(exact.configurations, exact.probabilities) {
            for j in approximators.indices {
                let c = network.scopeCode(j, x)
                let e = tabs[j][c] - trueQ[j][c]
                h[j] += p * e * e
            }
        }
        for j in approximators.indices {
            edge[j] = network.qNodes[j].incoming.map { e -> Double in
                exact.expectation { x in
                    let qx = tabs[j][network.scopeCode(j, x)]
                    let qy: Double
                    switch e { case .cost(let f): qy = graph.cost(f, x); case .q(let k): qy = tabs[k][network.scopeCode(k, x)] }
                    return (qx - qy) * (qx - qy)
                }
            }.max() ?? 0
        }
        return (edge, h)
    }

    /// E[(Q_w - Q)^2] summed over Q-nodes, against exact tables.
    public func squaredError(_ exact: ExactEnumeration, trueQ: [[Double]]) -> Double {
        let tabs = tables
        var total = 0.0
        for j in approximators.indices {
            total += network.meanSquaredDifference(j, tabs[j], trueQ[j], exact)
        }
        return total
    }
}
