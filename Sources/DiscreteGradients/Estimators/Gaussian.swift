import Foundation

/// A scalar Gaussian z ~ N(mu, sigma^2) parameterised by theta = (mu, log sigma), so that every
/// real theta is valid. Written as the reparameterisation z = T(theta, eps) = mu + sigma * eps,
/// eps ~ N(0, 1) (the lecture's "b = T(theta, eps)" with Kingma & Welling's Gaussian T).
public struct Gaussian: Sendable, Codable, Equatable {
    public var mu: Double
    public var logSigma: Double
    public init(mu: Double, logSigma: Double) { self.mu = mu; self.logSigma = logSigma }
    public init(mu: Double, sigma: Double) {
        precondition(sigma > 0, "Gaussian: sigma must be positive")
        self.init(mu: mu, logSigma: log(sigma))
    }

    public var sigma: Double { exp(logSigma) }
    /// z = T(theta, eps) = mu + sigma * eps.
    @inlinable public func transform(_ eps: Double) -> Double { mu + exp(logSigma) * eps }
    /// dz/d(mu, log sigma) at fixed eps: (1, sigma * eps). The chain factor for log sigma is
    /// dz/dsigma * dsigma/dlog sigma = eps * sigma.
    @inlinable public func pathDerivative(_ eps: Double) -> (mu: Double, logSigma: Double) { (1, exp(logSigma) * eps) }
    /// The score d/d(mu, log sigma) log N(z; mu, sigma^2) = ((z - mu) / sigma^2, (z - mu)^2 / sigma^2 - 1),
    /// written through eps = (z - mu) / sigma: (eps / sigma, eps^2 - 1).
    @inlinable public func score(_ z: Double) -> (mu: Double, logSigma: Double) {
        let s = exp(logSigma), eps = (z - mu) / s
        return (eps / s, eps * eps - 1)
    }
    public func sample(_ stream: inout RandomStream) -> Double { transform(stream.normal()) }
}
