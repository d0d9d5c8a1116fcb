import DiscreteGradients
import Pipeline
import Verification

/// One small contextual-bandit problem for the exact checks: a random network (depth 1-3,
/// widths 1-4, {0,1} or {-1,+1} units), a binary context and a Gaussian reward table.
struct BanditProblem: Sendable {
    var oracle: NetworkOracle
    var depth: Int { oracle.network.hidden.count }
    var encoding: UnitEncoding { oracle.network.hidden.first?.encoding ?? .zeroOne }
    var label: String { "\(oracle.network.hidden.map(\.unitCount)) \(encoding == .zeroOne ? "{0,1}" : "{-1,+1}"), \(oracle.network.actionCount) actions" }
    /// Index range of the hidden-layer parameters in the flattened order (the output's follow).
    var hiddenParameterCount: Int { oracle.network.hidden.reduce(0) { $0 + $1.parameters.count } }
}

enum HNCAProblems {
    /// Networks checked exactly at each scale ("hundreds" at quick).
    static let sizes = PerScale(smoke: 40, quick: 300, paper: 1000)
    static func count(_ scale: Scale) -> Int { sizes[scale: scale.rawValue] }

    /// Random problems: depth 1-3, widths 1-4, 1-3 inputs, 2-4 actions, encodings alternating,
    /// weights and biases N(0, s^2) with s ~ U(0.5, 2.5), rewards N(0, 1).
    static func random(_ n: Int, stream: inout RandomStream) -> [BanditProblem] {
        (0..<n).map { k in
            let depth = 1 + stream.integer(below: 3)
            let widths = (0..<depth).map { _ in 1 + stream.integer(below: 4) }
            let inputs = 1 + stream.integer(below: 3), actions = 2 + stream.integer(below: 3)
            let encoding: UnitEncoding = k % 2 == 0 ? .plusMinusOne : .zeroOne
            let scale = stream.uniform(0.5, 2.5)
            let net = StochasticNetwork.random(inputs: inputs, hiddenSizes: widths, actions: actions, encoding: encoding,
                                               scale: scale, stream: &stream)
            let x = (0..<inputs).map { _ in stream.bernoulli(0.5) ? 1.0 : 0.0 }
            let r = (0..<actions).map { _ in stream.normal() }
            return BanditProblem(oracle: try! NetworkOracle(network: net, input: x, reward: r))
        }
    }

    /// Fixed architectures for the Monte Carlo tests (one per depth and encoding mix).
    static let monteCarloShapes: [([Int], UnitEncoding)] = [([4], .plusMinusOne), ([4, 3], .zeroOne), ([3, 3, 3], .plusMinusOne)]

    static func monteCarloProblems(stream: inout RandomStream) -> [BanditProblem] {
        monteCarloShapes.map { widths, enc in
            let net = StochasticNetwork.random(inputs: 3, hiddenSizes: widths, actions: 3, encoding: enc, scale: 1.2, stream: &stream)
            let x = [1.0, 0, 1]
            let r = (0..<3).map { _ in stream.normal() }
            return BanditProblem(oracle: try! NetworkOracle(network: net, input: x, reward: r))
        }
    }

    /// n independent draws of an estimator on one problem (one minibatch of n copies of the
    /// context), as rows [n x parameters].
    static func draws(_ p: BanditProblem, _ estimator: any BanditEstimator, n: Int, stream: inout RandomStream) -> Matrix {
        let net = p.oracle.network
        let x = Matrix(rows: n, cols: p.oracle.input.count, data: Array(repeating: p.oracle.input, count: n).flatMap { $0 })
        let sample = net.sample(x, stream: &stream)
        let rewards = sample.actions.map { p.oracle.reward[$0] }
        return estimator.signals(net, sample, rewards: rewards).perExample(over: sample)
    }

    static func column(_ m: Matrix, _ k: Int) -> [Double] { (0..<m.rows).map { m.data[$0 * m.cols + k] } }
}

func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

/// Known-function problems for f-HNCA (Eq. 6, Appendix H).
enum KnownFunctionProblems {
    static let sizes = PerScale(smoke: 20, quick: 150, paper: 500)
    static func count(_ scale: Scale) -> Int { sizes[scale: scale.rawValue] }
    static func random(_ n: Int, stream: inout RandomStream) -> [KnownFunctionNetwork] {
        (0..<n).map { k in
            let depth = 1 + stream.integer(below: 3)
            let widths = (0..<depth).map { _ in 1 + stream.integer(below: 4) }
            return KnownFunctionNetwork.random(inputs: 1 + stream.integer(below: 3), widths: widths,
                                               encoding: k % 2 == 0 ? .zeroOne : .plusMinusOne,
                                               scale: stream.uniform(0.5, 2.5), stream: &stream)
        }
    }
    static func label(_ n: KnownFunctionNetwork) -> String {
        "\(n.layers.map(\.unitCount)) \(n.layers[0].encoding == .zeroOne ? "{0,1}" : "{-1,+1}")"
    }
    /// Exact per-parameter moments of one component's estimator (nil: the sum over components).
    static func moments(_ net: KnownFunctionNetwork, component: Int?, _ estimator: @escaping ([[Double]]) -> [[Double]]) -> ExactMoments {
        ExactMoments(over: net.configurations(), estimator: { c in
            let per = estimator(c.values)
            if let i = component { return per[i] }
            return per.dropFirst().reduce(per[0]) { zip($0, $1).map(+) }
        }, probability: { $0.p })
    }
    static func sum(_ per: [[Double]]) -> [Double] { per.dropFirst().reduce(per[0]) { zip($0, $1).map(+) } }
}

extension HNCAProblems {
    /// The fixed Monte Carlo networks of a claim: drawn once from the suite's master seed 1 (the
    /// stream the claim used before its designs were pre-registered), whatever seed a run uses, so
    /// that the designs (margins, planning sds by enumeration, number of intervals) are fixed in code.
    static func fixedMonteCarloProblems(claim: String) -> [BanditProblem] {
        var s = RandomStream(master: 1, claim: claim, label: "main/monte-carlo-networks")
        return monteCarloProblems(stream: &s)
    }

    /// Every configuration's per-example estimate (rows, in `configurations()` order) and its probability.
    static func enumerate(_ p: BanditProblem, _ estimator: any BanditEstimator) -> (g: Matrix, probability: [Double]) {
        let oracle = p.oracle, net = oracle.network
        let configs = oracle.configurations()
        let n = configs.count
        let x = Matrix(rows: n, cols: oracle.input.count, data: Array(repeating: oracle.input, count: n).flatMap { $0 })
        let hidden = net.hidden.indices.map { k in Matrix(rows: n, cols: net.hidden[k].unitCount, data: configs.flatMap { $0.hidden[k] }) }
        let sample = net.evaluate(x, hiddenValues: hidden, actions: configs.map(\.action))
        let g = estimator.signals(net, sample, rewards: configs.map { oracle.reward[$0.action] }).perExample(over: sample)
        return (g, configs.map(\.probability))
    }
}

/// Equivalence margins relative to an exact gradient, with a floor: 10% of |g*_c|, at least 5% of
/// the network's |g*| (coordinates whose gradient is near 0 would otherwise need margins no sample
/// can reach; the exact layer decides those).
func relativeMargins(_ g: [Double]) -> [Double] {
    let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return g.map { max(0.1 * abs($0), 0.05 * norm) }
}
