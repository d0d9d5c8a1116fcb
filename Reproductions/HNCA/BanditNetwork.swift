import DiscreteGradients
import Foundation

/// How the hidden Bernoulli units of the bandit network are credited (HNCA paper, Section 1).
public enum HiddenCredit: String, Codable, Sendable, CaseIterable {
    /// The local REINFORCE estimator, dlog pi(Phi | pa(Phi))/dtheta * R (Section 1, before Eq. 1).
    case reinforce
    /// The HNCA estimator of Eq. 3, sum_phi rho(phi) dpi(phi)/dtheta * R, with rho from Eq. 2
    /// computed by Algorithm 1's constant-time counterfactual logits.
    case hnca
    /// Negative control: Eq. 3's sum over phi dropped; the sampled output's REINFORCE score is
    /// weighted by rho(Phi) instead (a plausible slip from line (d) of Eq. 1 back to line (a)).
    case hncaSampledOutputOnly
}

/// The contextual-bandit network of Section 1.3: binary inputs, hidden layers of Bernoulli
/// units with outputs in {-1, +1}, and a softmax output unit choosing the action.
/// Layer k computes logits L_k = X_{k-1} W_k + b_k for a minibatch X_{k-1} (one row per example),
/// so W_k is (fan-in x fan-out).
public struct BanditNetwork: Sendable {
    public var weights: [Matrix]
    public var biases: [[Double]]
    public var hiddenLayers: Int { weights.count - 1 }
    public var inputs: Int { weights[0].rows }
    public var actions: Int { weights[weights.count - 1].cols }
    public var parameterCount: Int { zip(weights, biases).reduce(0) { $0 + $1.0.data.count + $1.1.count } }

    /// Given weights (fan-in x fan-out per layer) and biases.
    public init(weights: [Matrix], biases: [[Double]]) {
        precondition(weights.count == biases.count && weights.count >= 2 && zip(weights, biases).allSatisfy { $0.cols == $1.count })
        self.weights = weights; self.biases = biases
    }

    /// Glorot-uniform weights (U(-a, a), a = sqrt(6 / (fan-in + fan-out))) and zero biases,
    /// as in the paper's published code.
    public init(inputs: Int, hidden: [Int], actions: Int, stream: inout RandomStream) {
        let sizes = [inputs] + hidden + [actions]
        weights = []; biases = []
        for k in 0..<(sizes.count - 1) {
            let a = (6.0 / Double(sizes[k] + sizes[k + 1])).squareRoot()
            var w = Matrix(rows: sizes[k], cols: sizes[k + 1])
            for i in w.data.indices { w.data[i] = stream.uniform(-a, a) }
            weights.append(w)
            biases.append([Double](repeating: 0, count: sizes[k + 1]))
        }
    }
}

/// Unit firing probabilities are clipped to [1e-5, 1 - 1e-5] (the paper's code); in odds form
/// a = (1 - pi) / pi is clipped to [oddsLow, oddsHigh].
enum Clip {
    static let probability = 1e-5
    static let oddsLow = probability / (1 - probability)
    static let oddsHigh = (1 - probability) / probability
}
