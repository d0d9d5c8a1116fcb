import Foundation

/// A categorical distribution over K classes with unnormalised logits theta:
/// pi = softmax(theta), b a one-hot vector. The exact oracle for the concrete relaxation.
public struct Categorical: Sendable, Codable, Equatable {
    public var logits: [Double]
    public init(logits: [Double]) {
        precondition(logits.count >= 2, "Categorical: need at least two classes")
        self.logits = logits
    }
    public var count: Int { logits.count }
    public var probabilities: [Double] { Fn.softmax(logits) }

    /// The one-hot vector e_k.
    public func oneHot(_ k: Int) -> [Double] { (0..<count).map { $0 == k ? 1 : 0 } }

    /// One sample by the Gumbel-max trick, b = onehot(argmax_k (theta_k + G_k)), from given Gumbels.
    public func hardSample(gumbels g: [Double]) -> Int {
        var best = 0, bestValue = -Double.infinity
        for k in 0..<count where logits[k] + g[k] > bestValue { best = k; bestValue = logits[k] + g[k] }
        return best
    }

    /// E[f(b)] = sum_k pi_k f(e_k), exactly.
    public func expectation(_ f: ([Double]) -> Double) -> Double {
        zip(probabilities, (0..<count).map { f(oneHot($0)) }).reduce(0) { $0 + $1.0 * $1.1 }
    }
    /// d/dtheta_j E[f(b)] = sum_k f(e_k) pi_k (delta_kj - pi_j) = pi_j (f(e_j) - E[f(b)]), exactly.
    public func gradient(_ f: ([Double]) -> Double) -> [Double] {
        let p = probabilities
        let mean = expectation(f)
        return (0..<count).map { j in p[j] * (f(oneHot(j)) - mean) }
    }
}
