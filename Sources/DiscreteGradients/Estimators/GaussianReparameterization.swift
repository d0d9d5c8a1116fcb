/// The reparameterisation (pathwise) estimator for a Gaussian (Kingma & Welling, 2014; the
/// lecture's slide "Reparameterization"): g = (df/dz)(dz/dtheta) with z = mu + sigma * eps, so
///     g_mu = f'(z),    g_{log sigma} = f'(z) * sigma * eps.
/// Unbiased for d/dtheta E[f(z)] whenever f is differentiable and f'(z) * eps is integrable.
public enum GaussianReparameterization {
    /// The estimate (d/dmu, d/dlog sigma) from one standard-normal draw eps, given f'.
    @inlinable public static func estimate(_ q: Gaussian, eps: Double, derivative fPrime: (Double) -> Double) -> [Double] {
        let z = q.transform(eps)
        let dz = q.pathDerivative(eps)
        let d = fPrime(z)
        return [d * dz.mu, d * dz.logSigma]
    }
}
