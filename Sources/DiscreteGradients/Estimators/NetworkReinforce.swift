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

    /// (fired - p)(R - baseline) per unit and example; 0 where the clip holds p constant (`FlipRatios.hiddenSignals`).
    static func bernoulliScores(_ layer: BernoulliLayer, _ s: BernoulliLayerSample, rewards: [Double], baseline: Double) -> Matrix {
        var g = Matrix(rows: s.logits.rows, cols: s.logits.cols)
        FlipRatios.hiddenSignals(.reinforce, probabilities: s.probabilities, values: s.values, encoding: layer.encoding, clip: layer.clip,
                                 ratio: nil, signal: rewards.map { $0 - baseline }, into: &g)
        return g
    }

    /// (onehot(A) - softmax(Z))(R - baseline): REINFORCE for the output unit (HNCA uses it too).
    static func softmaxScores(_ s: SoftmaxLayerSample, rewards: [Double], baseline: Double) -> Matrix {
        var g = Matrix(rows: s.logits.rows, cols: s.logits.cols)
        FlipRatios.softmaxSignals(policy: s.probabilities, actions: s.actions, signal: rewards.map { $0 - baseline }, into: &g)
        return g
    }
}
