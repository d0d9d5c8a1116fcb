import Foundation

/// The binary concrete relaxation of a Bernoulli (Maddison et al., 2016; RELAX draft Eq. 4 in
/// its binary form, and REBAR's sigma_lambda(z) = sigmoid(z / lambda) below Eq. 8): the hard
/// threshold H(z) is replaced by sigmoid(z / tau), with the temperature tau = exp(log tau).
public struct BinaryConcrete: Sendable {
    public var logTemperature: Double
    public init(logTemperature: Double) { self.logTemperature = logTemperature }
    public var temperature: Double { exp(logTemperature) }

    /// sigma_tau(z) = sigmoid(z / tau).
    @inlinable public func relax(_ z: Double) -> Double { Fn.sigmoid(z / exp(logTemperature)) }
    /// d sigma_tau(z) / dz = s (1 - s) / tau.
    @inlinable public func derivative(_ z: Double) -> Double {
        let tau = exp(logTemperature), s = Fn.sigmoid(z / tau)
        return s * (1 - s) / tau
    }
    /// d sigma_tau(z) / d log tau = -z s (1 - s) / tau.
    @inlinable public func derivativeLogTemperature(_ z: Double) -> Double {
        let tau = exp(logTemperature), s = Fn.sigmoid(z / tau)
        return -z * s * (1 - s) / tau
    }
    /// d/d log tau of d sigma_tau(z)/dz = -q ((1 - 2s) z / tau + 1) with q = s (1 - s) / tau.
    @inlinable public func derivativeOfDerivativeLogTemperature(_ z: Double) -> Double {
        let tau = exp(logTemperature), s = Fn.sigmoid(z / tau), q = s * (1 - s) / tau
        return -q * ((1 - 2 * s) * z / tau + 1)
    }

    /// The concrete gradient estimator (Eq. 4, binary case): d/da f(sigma_tau(z)) with
    /// z = a + logit(u). Low variance but biased: it differentiates the relaxed objective.
    public func estimate<F: DifferentiableObjective>(_ f: F, logits a: [Double], u: [Double]) -> [Double] {
        let z = zip(a, u).map { BernoulliReparameterization.z(logit: $0, u: $1) }
        let x = z.map(relax)
        let grad = f.gradient(x)
        return z.indices.map { grad[$0] * derivative(z[$0]) }
    }
}
