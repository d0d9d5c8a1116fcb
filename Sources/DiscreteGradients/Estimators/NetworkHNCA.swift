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

    public func signals(_ network: StochasticNetwork, _ sample: NetworkSample, rewards: [Double], baseline: Double,
                        count: inout OperationCount) -> LearningSignals {
        precondition(rewards.count == sample.batchSize, "HNCA: \(rewards.count) rewards for a batch of \(sample.batchSize)")
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
