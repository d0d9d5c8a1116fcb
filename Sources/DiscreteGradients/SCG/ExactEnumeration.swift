import Foundation

/// Every joint configuration of a small SCG with its probability: the oracle (CLAIMS.md,
/// "Ground truth by exact enumeration"). J, its gradient, conditional expectations given any
/// subset of nodes, and the exact moments of any estimator that is a function of the sample.
public struct ExactEnumeration: Sendable {
    public let graph: StochasticComputationGraph
    public let configurations: [[Int]]
    public let probabilities: [Double]

    public init(_ graph: StochasticComputationGraph) {
        let total = graph.arities.reduce(1, *)
        precondition(total <= 1 << 20, "ExactEnumeration: \(total) configurations is too many")
        self.graph = graph
        var xs: [[Int]] = [], ps: [Double] = []
        xs.reserveCapacity(total); ps.reserveCapacity(total)
        MixedRadix.forEach(graph.arities) { x in xs.append(x); ps.append(graph.probability(x)) }
        configurations = xs; probabilities = ps
    }

    public func expectation(_ h: ([Int]) -> Double) -> Double {
        zip(configurations, probabilities).reduce(0) { $0 + $1.1 * h($1.0) }
    }
    /// J = E[sum_i f_i].
    public var objective: Double { expectation(graph.totalCost) }

    /// grad_theta J for every node, from the score identity over the full joint:
    /// sum_x p(x) F(x) d/dtheta log p(x) (each node's theta only enters its own factor).
    public func gradient(costs: [Int]? = nil) -> [[Double]] {
        let fs = costs ?? Array(graph.costs.indices)
        var g = graph.parameterCounts.map { [Double](repeating: 0, count: $0) }
        for (x, p) in zip(configurations, probabilities) {
            let value = fs.reduce(0) { $0 + graph.cost($1, x) }
            for i in graph.nodes.indices {
                for (k, s) in graph.score(i, x).enumerated() { g[i][k] += p * value * s }
            }
        }
        return g
    }

    /// E[h | scope] as a table over the scope's joint values (Eq. 2 when h is a cost), with the
    /// marginal probability of each scope value.
    public func conditionalExpectation(given scope: [Int], _ h: ([Int]) -> Double) -> (table: [Double], marginal: [Double]) {
        let ar = scope.map { graph.arities[$0] }
        let size = ar.reduce(1, *)
        var num = [Double](repeating: 0, count: size), den = num
        for (x, p) in zip(configurations, probabilities) {
            let c = MixedRadix.code(scope.map { x[$0] }, ar)
            num[c] += p * h(x); den[c] += p
        }
        return (zip(num, den).map { $1 > 0 ? $0 / $1 : 0 }, den)
    }

    /// Exact per-coordinate mean and variance of an estimator g(x).
    public func moments(_ estimator: ([Int]) -> [Double]) -> ExactMoments {
        ExactMoments(over: Array(zip(configurations, probabilities)), estimator: { estimator($0.0) }, probability: { $0.1 })
    }
}
