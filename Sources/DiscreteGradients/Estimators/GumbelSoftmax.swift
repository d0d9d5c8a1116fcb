import Foundation

/// The concrete / Gumbel-softmax relaxation of a categorical (Maddison et al. 2017; Jang et al.
/// 2017; the lecture's slide "concrete": g = (df/d sigma(z/t)) (d sigma(z/t)/d theta)).
///
/// With z_k = theta_k + G_k, G_k iid standard Gumbel, the relaxed sample is
///     y = softmax(z / tau),
/// a point of the simplex that tends to the one-hot b = onehot(argmax z) as tau -> 0.
/// The pathwise gradient of f(y) for differentiable f uses dy_k/dtheta_j = y_k (delta_kj - y_j) / tau:
///     g_j = (1 / tau) y_j (df/dy_j - sum_k y_k df/dy_k).
/// E[g] = d/dtheta E[f(y)], which is not d/dtheta E[f(b)]: the estimator is biased for tau > 0.
public enum GumbelSoftmax {
    /// y = softmax((theta + G) / tau).
    public static func relaxedSample(logits theta: [Double], gumbels g: [Double], temperature tau: Double) -> [Double] {
        precondition(tau > 0, "GumbelSoftmax: temperature must be positive")
        return Fn.softmax(zip(theta, g).map { ($0 + $1) / tau })
    }

    /// The pathwise gradient J^T grad f(y) with J = dy/dtheta, for y = softmax(z / tau).
    public static func pathwiseGradient(relaxed y: [Double], fGradient df: [Double], temperature tau: Double) -> [Double] {
        let centre = zip(y, df).reduce(0) { $0 + $1.0 * $1.1 }
        return zip(y, df).map { $0 * ($1 - centre) / tau }
    }

    /// One concrete estimate of d/dtheta E[f(b)] from one vector of Gumbels.
    public static func estimate(logits theta: [Double], gumbels g: [Double], temperature tau: Double,
                                fGradient: ([Double]) -> [Double]) -> [Double] {
        let y = relaxedSample(logits: theta, gumbels: g, temperature: tau)
        return pathwiseGradient(relaxed: y, fGradient: fGradient(y), temperature: tau)
    }
}
