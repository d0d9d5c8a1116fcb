/// REINFORCE (the score-function estimator, the lecture's slide "REINFORCE") for a Gaussian:
///     g = f(z) d/dtheta log N(z; mu, sigma^2) = f(z) (eps / sigma, eps^2 - 1),  z = mu + sigma * eps.
/// Needs only the value f(z). Driven by the same eps as `GaussianReparameterization`, so the two
/// can be compared on common random numbers.
public extension Reinforce {
    /// The estimate (d/dmu, d/dlog sigma) from one standard-normal draw eps; `baseline` c must not depend on z.
    @inlinable static func estimate(_ q: Gaussian, eps: Double, value f: (Double) -> Double, baseline c: Double = 0) -> [Double] {
        let z = q.transform(eps)
        let s = q.score(z)
        let fz = f(z) - c
        return [fz * s.mu, fz * s.logSigma]
    }
}
