/// A control variate (the lecture's slide "Control Variates"): from an estimator g(b) and a
/// function c(b) with known mean E[c],
///     g_new(b) = g(b) - a (c(b) - E[c]),
/// has the same mean as g for every scale a, and variance Var(g) - 2a Cov(g, c) + a^2 Var(c).
/// The minimiser is a* = Cov(g, c) / Var(c), where Var(g_new) = (1 - rho^2) Var(g), rho = corr(g, c).
/// With a = 1 (the lecture's form) the variance falls iff Cov(g, c) > Var(c) / 2, i.e. a* > 1/2,
/// and rises whenever corr(g, c) < 0.
public struct ControlVariate: Sendable, Codable, Equatable {
    /// E[c], which must be exact (a wrong mean biases g_new by a (E_true[c] - meanC)).
    public var mean: Double
    public var scale: Double
    public init(mean: Double, scale: Double = 1) { self.mean = mean; self.scale = scale }

    /// g - a (c - E[c]).
    @inlinable public func apply(estimate g: Double, control c: Double) -> Double { g - scale * (c - mean) }

    /// a* = Cov(g, c) / Var(c).
    public static func optimalScale(covariance: Double, controlVariance: Double) -> Double {
        covariance / controlVariance
    }
    /// Var(g - a c) from the second moments.
    public static func variance(scale a: Double, estimateVariance vg: Double, covariance: Double, controlVariance vc: Double) -> Double {
        vg - 2 * a * covariance + a * a * vc
    }
    /// The variance factor at a*: 1 - rho^2, rho = Cov / sqrt(Var g Var c).
    public static func optimalFactor(estimateVariance vg: Double, covariance: Double, controlVariance vc: Double) -> Double {
        1 - covariance * covariance / (vg * vc)
    }
}
