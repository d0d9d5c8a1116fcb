import Foundation

/// The exact oracle for a small contextual-bandit network (CLAIMS.md, "Ground truth by exact
/// enumeration"): for one context x and a reward table R(a), every joint configuration of the
/// hidden units and the action with its probability, hence E[R], its gradient, and any
/// estimator's exact mean and variance per parameter.
///
/// Probabilities and scores are computed here by plain scalar loops, independently of the
/// batched layers, so that checking the layers and estimators against the oracle means something.
public struct NetworkOracle: Sendable {
    public static let maximumHiddenUnits = 20

    public let network: StochasticNetwork
    public let input: [Double]
    public let reward: [Double]

    public enum Problem: Error, CustomStringConvertible {
        case tooLarge(Int), shape(String)
        public var description: String {
            switch self {
            case .tooLarge(let n): "a network with \(n) hidden units is too large to enumerate (at most \(NetworkOracle.maximumHiddenUnits))"
            case .shape(let s): s
            }
        }
    }

    public init(network: StochasticNetwork, input: [Double], reward: [Double]) throws {
        guard network.hiddenUnitCount <= Self.maximumHiddenUnits else { throw Problem.tooLarge(network.hiddenUnitCount) }
        guard input.count == network.inputCount else { throw Problem.shape("input has \(input.count) values, the network takes \(network.inputCount)") }
        guard reward.count == network.actionCount else { throw Problem.shape("reward table has \(reward.count) entries for \(network.actionCount) actions") }
        self.network = network; self.input = input; self.reward = reward
    }

    /// One joint configuration: hidden values per layer (in each layer's encoding) and the action.
    public struct Configuration: Sendable {
        public var hidden: [[Double]]
        public var action: Int
        public var probability: Double
    }

    // MARK: scalar reference computations

    static func logit(_ p: LayerParameters, _ j: Int, _ x: [Double]) -> Double {
        var l = p.bias[j]
        for i in x.indices { l += p.weights[j, i] * x[i] }
        return l
    }
    static func firing(_ layer: BernoulliLayer, _ l: Double) -> Double {
        let p = 1 / (1 + exp(-l))
        guard let e = layer.clip else { return p }
        return min(max(p, e), 1 - e)
    }
    static func softmax(_ z: [Double]) -> [Double] {
        let m = z.max()!
        let e = z.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// Every configuration with its probability (2^hidden x actions of them).
    public func configurations() -> [Configuration] {
        var all: [Configuration] = []
        forEachChunk { all += $0 }
        return all
    }

    /// The configurations in chunks of whole hidden codes (about `chunk` configurations each),
    /// generated on the fly so that 2^20 hidden configurations need little memory.
    public func forEachChunk(size chunk: Int = 4096, _ body: ([Configuration]) -> Void) {
        let total = network.hiddenUnitCount
        let codesPerChunk = max(1, chunk / network.actionCount)
        var lo = 0
        while lo < (1 << total) {
            let hi = min(lo + codesPerChunk, 1 << total)
            var out: [Configuration] = []
            out.reserveCapacity((hi - lo) * network.actionCount)
            for code in lo..<hi {
                var x = input, p = 1.0, bit = 0
                var values: [[Double]] = []
                for layer in network.hidden {
                    var v = [Double](repeating: 0, count: layer.unitCount)
                    for j in 0..<layer.unitCount {
                        let fired = (code >> bit) & 1 == 1
                        bit += 1
                        let q = Self.firing(layer, Self.logit(layer.parameters, j, x))
                        p *= fired ? q : 1 - q
                        v[j] = layer.encoding.value(fired: fired)
                    }
                    values.append(v)
                    x = v
                }
                let pi = Self.softmax((0..<network.actionCount).map { Self.logit(network.output.parameters, $0, x) })
                for a in 0..<network.actionCount {
                    out.append(Configuration(hidden: values, action: a, probability: p * pi[a]))
                }
            }
            body(out)
            lo = hi
        }
    }

    /// E[R] = sum over configurations of P(config) R(A).
    public var objective: Double {
        var total = 0.0
        forEachChunk { for c in $0 { total += c.probability * reward[c.action] } }
        return total
    }

    /// The exact gradient dE[R]/dtheta = sum_config P(config) R(A) d log P(config)/dtheta, with
    /// d log pi/d l = fired - p for Bernoulli units (0 where clipped) and onehot(A) - softmax(Z)
    /// for the output; parameters in `StochasticNetwork.flattenedParameters` order.
    public var gradient: [Double] {
        var g = [Double](repeating: 0, count: network.parameterCount)
        forEachChunk { chunk in
            for c in chunk {
                let s = score(c)
                let w = c.probability * reward[c.action]
                for k in g.indices { g[k] += w * s[k] }
            }
        }
        return g
    }

    /// d log P(config) / d theta by scalar loops.
    public func score(_ c: Configuration) -> [Double] {
        var s: [Double] = []
        var x = input
        for (layer, v) in zip(network.hidden, c.hidden) {
            var coef = [Double](repeating: 0, count: layer.unitCount)
            for j in 0..<layer.unitCount {
                let l = Self.logit(layer.parameters, j, x)
                let q = 1 / (1 + exp(-l))
                let clipped = layer.clip.map { q <= $0 || q >= 1 - $0 } ?? false
                coef[j] = clipped ? 0 : (layer.encoding.fired(v[j]) ? 1 : 0) - q
            }
            for j in coef.indices { for i in x.indices { s.append(coef[j] * x[i]) } }
            s += coef
            x = v
        }
        let pi = Self.softmax((0..<network.actionCount).map { Self.logit(network.output.parameters, $0, x) })
        let coef = pi.indices.map { (c.action == $0 ? 1 : 0) - pi[$0] }
        for a in coef.indices { for i in x.indices { s.append(coef[a] * x[i]) } }
        s += coef
        return s
    }

    /// Central finite differences of the exact objective (an independent check of `gradient`).
    public func finiteDifferenceGradient(step h: Double = 1e-5) -> [Double] {
        let theta = network.flattenedParameters
        return theta.indices.map { k in
            var up = theta, down = theta
            up[k] += h; down[k] -= h
            let fUp = (try! NetworkOracle(network: network.with(flattenedParameters: up), input: input, reward: reward)).objective
            let fDown = (try! NetworkOracle(network: network.with(flattenedParameters: down), input: input, reward: reward)).objective
            return (fUp - fDown) / (2 * h)
        }
    }

    /// Exact mean and variance per parameter of a bandit estimator (reward minus `baseline`),
    /// computed by running the estimator on every configuration as one minibatch (in chunks).
    /// The variance is accumulated about a shift close to the mean, accurate to rounding.
    public func moments(of estimator: any BanditEstimator, baseline: Double = 0) -> ExactMoments {
        let count = network.parameterCount
        var mean = [Double](repeating: 0, count: count), centred = mean, second = mean
        func gradients(_ part: [Configuration]) -> Matrix {
            let x = Matrix(rows: part.count, cols: input.count, data: Array(repeating: input, count: part.count).flatMap { $0 })
            let hidden = network.hidden.indices.map { k in
                Matrix(rows: part.count, cols: network.hidden[k].unitCount, data: part.flatMap { $0.hidden[k] })
            }
            let sample = network.evaluate(x, hiddenValues: hidden, actions: part.map(\.action))
            return estimator.signals(network, sample, rewards: part.map { reward[$0.action] }, baseline: baseline)
                .perExample(over: sample)
        }
        // One pass with a shift: sums of p (g - K) and p (g - K)^2 about K, the probability-weighted
        // mean of the first chunk, so that the variance keeps its precision without a second pass.
        var shift: [Double]? = nil
        var d1 = [Double](repeating: 0, count: count)
        forEachChunk { part in
            let g = gradients(part)
            if shift == nil {
                var k = [Double](repeating: 0, count: count), total = 0.0
                for r in 0..<g.rows {
                    let p = part[r].probability
                    total += p
                    for c in 0..<count { k[c] += p * g.data[r * count + c] }
                }
                shift = total > 0 ? k.map { $0 / total } : k
            }
            let k = shift!
            for r in 0..<g.rows {
                let p = part[r].probability
                for c in 0..<count {
                    let v = g.data[r * count + c], d = v - k[c]
                    d1[c] += p * d; centred[c] += p * d * d; second[c] += p * v * v
                }
            }
        }
        let k = shift ?? mean
        for c in 0..<count {
            mean[c] = k[c] + d1[c]
            centred[c] = max(0, centred[c] - d1[c] * d1[c])
        }
        return ExactMoments(mean: mean, variance: centred, secondMoment: second)
    }
}

public extension ExactMoments {
    init(mean: [Double], variance: [Double], secondMoment: [Double]) {
        self.init(over: [Int](), estimator: { _ in [] }, probability: { _ in 0 })
        self.mean = mean; self.variance = variance; self.secondMoment = secondMoment
    }
}
