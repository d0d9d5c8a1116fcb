/// Per-example, per-unit learning signals: for each layer a matrix [batch x units] of the
/// coefficient c such that the estimator's per-example gradient is c * x for a unit's weights
/// (x its input) and c for its bias. Every estimator of this library for linear units has
/// this form (REINFORCE: c = d log pi / d l * R; HNCA: c = d pi(1)/d l (rho(1) - rho(0)) R), so
/// batch means, batch variances and per-example gradients all come from it by BLAS.
public struct LearningSignals: Sendable {
    /// One [batch x units] matrix per hidden layer.
    public var hidden: [Matrix]
    /// [batch x actions] for the softmax output layer.
    public var output: Matrix
    public init(hidden: [Matrix], output: Matrix) { self.hidden = hidden; self.output = output }

    private func pairs(_ sample: NetworkSample) -> [(signal: Matrix, input: Matrix)] {
        precondition(hidden.count == sample.hidden.count, "LearningSignals: \(hidden.count) layers for a sample of \(sample.hidden.count)")
        return zip(hidden, sample.hidden.map(\.input)).map { ($0, $1) } + [(output, sample.output.input)]
    }

    /// The minibatch mean of the per-example gradient estimates (the usual update direction:
    /// an estimate of dE[R]/dtheta, to be ascended).
    public func mean(over sample: NetworkSample) -> NetworkGradient {
        let b = Double(sample.batchSize)
        let layers = pairs(sample).map { s, x -> LayerParameters in
            var g = Matrix(rows: s.cols, cols: x.cols)
            Matrix.gemm(s, transposeA: true, x, alpha: 1 / b, into: &g)
            return LayerParameters(weights: g, bias: s.columnSums().map { $0 / b })
        }
        return NetworkGradient(hidden: Array(layers.dropLast()), output: layers.last!)
    }

    /// `mean(over:)`, counting its multiply-adds (one per parameter and example).
    public func mean(over sample: NetworkSample, count: inout OperationCount) -> NetworkGradient {
        let g = mean(over: sample)
        count.multiplyAdds += g.count * sample.batchSize
        return g
    }

    /// Per-parameter sample variance (divisor n - 1) of the per-example estimates across the
    /// minibatch: the paper's gradient-variance metric (Figure 1) before averaging over parameters.
    public func variance(over sample: NetworkSample) -> NetworkGradient {
        let n = Double(sample.batchSize)
        precondition(n >= 2, "LearningSignals.variance needs a batch of at least 2")
        let layers = pairs(sample).map { s, x -> LayerParameters in
            var m1 = Matrix(rows: s.cols, cols: x.cols), m2 = m1
            Matrix.gemm(s, transposeA: true, x, into: &m1)
            Matrix.gemm(s.map { $0 * $0 }, transposeA: true, x.map { $0 * $0 }, into: &m2)
            var w = m1
            for k in w.data.indices { w.data[k] = max(0, (m2.data[k] - m1.data[k] * m1.data[k] / n) / (n - 1)) }
            let s1 = s.columnSums(), s2 = s.map { $0 * $0 }.columnSums()
            let bias = zip(s1, s2).map { max(0, ($1 - $0 * $0 / n) / (n - 1)) }
            return LayerParameters(weights: w, bias: bias)
        }
        return NetworkGradient(hidden: Array(layers.dropLast()), output: layers.last!)
    }

    /// Every example's gradient estimate as a row [batch x parameters], parameters in the
    /// order of `StochasticNetwork.flattenedParameters`. For small networks (the oracle, tests).
    public func perExample(over sample: NetworkSample) -> Matrix {
        let ps = pairs(sample)
        let total = ps.reduce(0) { $0 + $1.signal.cols * ($1.input.cols + 1) }
        var g = Matrix(rows: sample.batchSize, cols: total)
        for b in 0..<sample.batchSize {
            var k = b * total
            for (s, x) in ps {
                for j in 0..<s.cols {
                    let c = s[b, j]
                    for i in 0..<x.cols { g.data[k] = c * x[b, i]; k += 1 }
                }
                for j in 0..<s.cols { g.data[k] = s[b, j]; k += 1 }
            }
        }
        return g
    }
}

/// Counts of the arithmetic an estimator's backward pass performed, accumulated by the code
/// as it runs (used by hnca.efficiency to measure cost independently of machine load).
public struct OperationCount: Sendable, Codable, Equatable {
    /// Multiply-adds (one per edge of a linear map, per example).
    public var multiplyAdds: Int = 0
    /// Evaluations of exp/log/sigmoid.
    public var transcendentals: Int = 0
    public init() {}
    public var total: Int { multiplyAdds + transcendentals }
}

/// A gradient estimator for the contextual bandit (Section 1): from one forward pass and the
/// rewards R(X, A) per example, the learning signals of every unit.
public protocol BanditEstimator: Sendable {
    var name: String { get }
    /// `baseline` is subtracted from every reward (0 for none; see `MovingAverageBaseline`).
    func signals(_ network: StochasticNetwork, _ sample: NetworkSample, rewards: [Double], baseline: Double,
                 count: inout OperationCount) -> LearningSignals
}

public extension BanditEstimator {
    func signals(_ network: StochasticNetwork, _ sample: NetworkSample, rewards: [Double], baseline: Double = 0) -> LearningSignals {
        var c = OperationCount()
        return signals(network, sample, rewards: rewards, baseline: baseline, count: &c)
    }
    /// The minibatch-mean gradient estimate (what an optimiser ascends).
    func gradient(_ network: StochasticNetwork, _ sample: NetworkSample, rewards: [Double], baseline: Double = 0) -> NetworkGradient {
        signals(network, sample, rewards: rewards, baseline: baseline).mean(over: sample)
    }
}

/// The exponential moving-average reward baseline of Section 1.3 (decay 0.99): subtract
/// `value` from the rewards, then `update` with the batch's rewards. It depends only on past
/// batches, so it keeps every estimator unbiased.
public struct MovingAverageBaseline: Codable, Sendable {
    public var value: Double
    public var decay: Double
    public init(decay: Double = 0.99, initial: Double = 0) { self.decay = decay; self.value = initial }
    /// value <- decay * value + (1 - decay) * mean(rewards).
    public mutating func update(with rewards: [Double]) {
        guard !rewards.isEmpty else { return }
        value = decay * value + (1 - decay) * rewards.reduce(0, +) / Double(rewards.count)
    }
}
