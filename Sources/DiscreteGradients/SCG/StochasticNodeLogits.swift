import Foundation

/// A node's conditional as the K logits of a categorical (RELAX draft, Appendix B), so that the
/// categorical REBAR/RELAX/LAX (`SCGCategoricalRelax`) apply to any node of an SCG. A node of
/// arity K > 2 has one logit row per value; a Bernoulli node has one row r with p(1) = sigmoid(r),
/// which is softmax([0, r]), so its logits are [0, r] and only the second one depends on theta.
public extension StochasticNode {
    /// The K logits of p(. | Pa_X) for the parents' values in x; softmax of them is `probabilities(x)`.
    func logits(_ x: [Int]) -> [Double] {
        let f = features(x)
        var rowLogits = [Double](repeating: 0, count: rows)
        for r in 0..<rows { for (j, v) in f { rowLogits[r] += theta[r * featureCount + j] * v } }
        return arity == 2 ? [0, rowLogits[0]] : rowLogits
    }

    /// Chains a gradient along the K logits to theta_X (dense, the layout of `theta`): the logits
    /// are linear in theta, row r's logit reading theta[r * featureCount + j] times feature j.
    func thetaGradient(logitGradient g: [Double], _ x: [Int]) -> [Double] {
        precondition(g.count == arity, "thetaGradient: \(g.count) logit entries for arity \(arity)")
        var out = [Double](repeating: 0, count: theta.count)
        let f = features(x)
        for r in 0..<rows {
            let k = arity == 2 ? 1 : r
            for (j, v) in f { out[r * featureCount + j] += g[k] * v }
        }
        return out
    }
}
