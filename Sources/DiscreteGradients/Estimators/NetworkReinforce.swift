/// REINFORCE per unit (Section 1): G_Phi = d log pi_Phi(Phi | pa(Phi)) / d theta_Phi (R - baseline).
/// For a Bernoulli unit d log pi / d l = fired - p (0 where the clip is active); for the softmax
/// output d log pi(A) / d Z = onehot(A) - softmax(Z).
public struct NetworkReinforce: BanditEstimator {
    public var name: String { "REINFORCE" }
    public init() {}

    public func signals(_ network: StochasticNetwork, _ sample: NetworkSample, rewards: [Double], baseline: Double,
                        count: inout OperationCount) -> LearningSignals {
        precondition(rewards.count == sample.batchSize, "REINFORCE: \(rewards.count) rewards for a batch of \(sample.batchSize)")
        let hidden = zip(network.hidden, sample.hidden).map { layer, s in
            Self.bernoulliScores(layer, s, rewards: rewards, baseline: baseline)
        }
        count.multiplyAdds += sample.hidden.reduce(0) { $0 + $1.logits.data.count }
        return LearningSignals(hidden: hidden, output: Self.softmaxScores(sample.output, rewards: rewards, baseline: baseline))
    }

    /// (fired - p)(R - baseline) per unit and example; 0 where the clip holds p constant.
    static func bernoulliScores(_ layer: BernoulliLayer, _ s: BernoulliLayerSample, rewards: [Double], baseline: Double) -> Matrix {
        var g = Matrix(rows: s.logits.rows, cols: s.logits.cols)
        for b in 0..<g.rows {
            let r = rewards[b] - baseline
            for j in 0..<g.cols {
                let k = b * g.cols + j
                guard layer.probabilitySlope(logit: s.logits.data[k]) > 0 else { continue }
                let fired = layer.encoding.fired(s.values.data[k])
                g.data[k] = ((fired ? 1 : 0) - s.probabilities.data[k]) * r
            }
        }
        return g
    }

    /// (onehot(A) - softmax(Z))(R - baseline): REINFORCE for the output unit (HNCA uses it too).
    static func softmaxScores(_ s: SoftmaxLayerSample, rewards: [Double], baseline: Double) -> Matrix {
        var g = Matrix(rows: s.logits.rows, cols: s.logits.cols)
        for b in 0..<g.rows {
            let r = rewards[b] - baseline
            for a in 0..<g.cols {
                g[b, a] = ((a == s.actions[b] ? 1 : 0) - s.probabilities[b, a]) * r
            }
        }
        return g
    }
}
