import Foundation

/// HNCA for the contextual bandit (Eq. 3, Algorithm 1), batched over a minibatch and a layer.
///
/// Every hidden Bernoulli unit Phi gets G = sum_phi rho(phi) d pi(phi)/d theta (R - baseline):
/// with q_v = prod_C pi_C(C | pa(C) \ Phi, Phi = v) from its children's messages,
/// rho(on) - rho(off) = (q_on - q_off) / (p q_on + (1 - p) q_off) (Eq. 2, Algorithm 1 lines 7-9)
/// and d pi(on)/d theta = sigma'(l) x (lines 15-16), so the learning signal of the unit is
/// sigma'(l) (q_on - q_off) / q_bar (R - baseline). The children of the last hidden layer are
/// the softmax output's action (Appendix D); the output unit itself is trained by REINFORCE.
public struct NetworkHNCA: BanditEstimator {
    public var messages: MessagePassing
    public var variant: HNCAVariant
    public init(messages: MessagePassing = .efficient, variant: HNCAVariant = .paper) {
        self.messages = messages; self.variant = variant
    }
    public var name: String {
        (messages == .naive ? "naive HNCA" : "HNCA") + (variant == .paper ? "" : " [\(variant.rawValue)]")
    }

    /// With `.efficient` messages and the paper's estimator, the whole-layer kernels of `FlipRatios`
    /// (the same code `NetworkTrainer` trains with); otherwise (the `.direct` and `.naive` message
    /// passing, the mutants, or weights so large that exp(gap W) could overflow) the log-space
    /// messages of `messages(_:_:count:)`.
    public func signals(_ network: StochasticNetwork, _ sample: NetworkSample, rewards: [Double], baseline: Double,
                        count: inout OperationCount) -> LearningSignals {
        precondition(rewards.count == sample.batchSize, "HNCA: \(rewards.count) rewards for a batch of \(sample.batchSize)")
        if messages == .efficient && variant == .paper && Self.kernelsApply(network) {
            return kernelSignals(network, sample, rewards: rewards, baseline: baseline, count: &count)
        }
        var hidden: [Matrix] = []
        let all = self.messages(network, sample, count: &count)
        for k in network.hidden.indices {
            let layer = network.hidden[k], s = sample.hidden[k]
            hidden.append(combine(layer, s, all[k], rewards: rewards, baseline: baseline))
            count.multiplyAdds += s.logits.data.count
        }
        return LearningSignals(hidden: hidden,
                               output: NetworkReinforce.softmaxScores(sample.output, rewards: rewards, baseline: baseline))
    }

    /// Whether every child's exp(+-gap W) stays far from overflow (|gap W| <= 300), as the kernels need.
    static func kernelsApply(_ network: StochasticNetwork) -> Bool {
        for k in network.hidden.indices {
            let gap = network.hidden[k].encoding.gap
            let w = k + 1 < network.hidden.count ? network.hidden[k + 1].weights : network.output.weights
            if w.data.contains(where: { abs(gap * $0) > 300 }) { return false }
        }
        return true
    }

    /// The learning signals by `FlipRatios`: per hidden layer the flip ratios from its children, then
    /// Eq. 3's signal. Counted: one exp per weight above the first layer (per call), one exp per
    /// (example, Bernoulli child) for its odds, one multiply-add per (example, parent, child) edge
    /// and per hidden unit and example.
    func kernelSignals(_ network: StochasticNetwork, _ sample: NetworkSample, rewards: [Double], baseline: Double,
                       count: inout OperationCount) -> LearningSignals {
        let B = sample.batchSize, n = network.hidden.count
        let signal = rewards.map { $0 - baseline }
        var hidden: [Matrix] = []
        for k in 0..<n {
            let layer = network.hidden[k], s = sample.hidden[k]
            var ratio = Matrix(rows: B, cols: layer.unitCount)
            if k + 1 < n {
                let child = network.hidden[k + 1], c = sample.hidden[k + 1]
                var up = Matrix(rows: child.unitCount, cols: child.inputCount), down = up
                FlipRatios.exponentials(child.weights, gap: layer.encoding.gap, up: &up, down: &down)
                FlipRatios.bernoulliChild(childLogits: c.logits, childValues: c.values, childEncoding: child.encoding, childClip: child.clip,
                                          parents: s.values, parentEncoding: layer.encoding, weights: child.weights,
                                          up: up, down: down, into: &ratio)
                count.transcendentals += child.weights.data.count + B * child.unitCount
                count.multiplyAdds += B * child.weights.data.count
            } else {
                let out = network.output
                var up = Matrix(rows: out.actionCount, cols: out.inputCount), down = up
                FlipRatios.exponentials(out.weights, gap: layer.encoding.gap, up: &up, down: &down)
                FlipRatios.softmaxChild(policy: sample.output.probabilities, actions: sample.output.actions, parents: s.values,
                                        parentEncoding: layer.encoding, up: up, down: down, into: &ratio)
                count.transcendentals += out.weights.data.count
                count.multiplyAdds += B * out.weights.data.count
            }
            var d = Matrix(rows: B, cols: layer.unitCount)
            FlipRatios.hiddenSignals(.hnca, probabilities: s.probabilities, values: s.values, encoding: layer.encoding, clip: layer.clip,
                                     ratio: ratio, signal: signal, into: &d)
            count.multiplyAdds += s.logits.data.count
            hidden.append(d)
        }
        return LearningSignals(hidden: hidden,
                               output: NetworkReinforce.softmaxScores(sample.output, rewards: rewards, baseline: baseline))
    }

    /// The messages each hidden layer receives from its children (the next hidden layer, or the
    /// softmax output for the last one): log q_on and log q_off per example and unit.
    public func messages(_ network: StochasticNetwork, _ sample: NetworkSample, count: inout OperationCount) -> [CounterfactualMessages] {
        network.hidden.indices.map { k in
            let enc = network.hidden[k].encoding
            if k + 1 < network.hidden.count {
                return Messages.bernoulli(network.hidden[k + 1], sample.hidden[k + 1], parentEncoding: enc,
                                          method: messages, variant: variant, count: &count)
            }
            return Messages.softmax(network.output, sample.output, parentEncoding: enc, method: messages, variant: variant, count: &count)
        }
    }
    public func messages(_ network: StochasticNetwork, _ sample: NetworkSample) -> [CounterfactualMessages] {
        var c = OperationCount()
        return messages(network, sample, count: &c)
    }

    /// P(Phi = on | mb(Phi)) = p q_on / (p q_on + (1 - p) q_off) (Eq. 2) for every unit of hidden
    /// layer k and example, from the messages: what rho means, checkable by enumeration.
    public static func posteriorOn(_ layer: BernoulliLayer, _ s: BernoulliLayerSample, _ m: CounterfactualMessages) -> Matrix {
        var post = Matrix(rows: s.logits.rows, cols: s.logits.cols)
        for k in post.data.indices {
            let p = s.probabilities.data[k]
            let a = log(p) + m.logOn.data[k], b = log1p(-p) + m.logOff.data[k]
            post.data[k] = 1 / (1 + exp(b - a))
        }
        return post
    }

    /// sigma'(l) (q_on - q_off) / (p q_on + (1 - p) q_off) (R - baseline), in log space: the
    /// ratio is invariant to a common shift of log q_on and log q_off.
    func combine(_ layer: BernoulliLayer, _ s: BernoulliLayerSample, _ m: CounterfactualMessages,
                 rewards: [Double], baseline: Double) -> Matrix {
        var g = Matrix(rows: s.logits.rows, cols: s.logits.cols)
        for b in 0..<g.rows {
            let r = rewards[b] - baseline
            for j in 0..<g.cols {
                let k = b * g.cols + j
                let slope = layer.probabilitySlope(logit: s.logits.data[k])
                guard slope > 0 else { continue }
                let lOn = m.logOn.data[k], lOff = m.logOff.data[k]
                let p = s.probabilities.data[k]
                let ratio: Double
                if variant == .missingNormaliser {
                    ratio = exp(lOn) - exp(lOff)
                } else if variant == .realisedNormaliser {
                    let realised = layer.encoding.fired(s.values.data[k]) ? lOn : lOff
                    ratio = exp(lOn - realised) - exp(lOff - realised)
                } else {
                    let top = max(lOn, lOff)
                    let qOn = exp(lOn - top), qOff = exp(lOff - top)
                    ratio = (qOn - qOff) / (p * qOn + (1 - p) * qOff)
                }
                g.data[k] = slope * ratio * r
            }
        }
        return g
    }
}
