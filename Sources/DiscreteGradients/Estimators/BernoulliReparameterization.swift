import Foundation

/// The reparameterisation of a Bernoulli through a continuous variable (RELAX draft, Eq. 7):
/// z = a + log u - log(1 - u) with u ~ U(0, 1) and a = logit(theta), so z is logistic with
/// location a and b = H(z) = 1[z > 0] ~ Bern(sigmoid(a)). Equivalently b = 1 iff u > 1 - theta.
///
/// REBAR and RELAX also need z~ ~ p(z | b): a second uniform v is mapped into the part of u's
/// range consistent with b (u' = 1 - theta + v theta when b = 1, u' = v (1 - theta) when b = 0)
/// and z~ = a + logit(u'). Its derivative along a holds v and b fixed (the conditional path).
public enum BernoulliReparameterization {
    /// z = a + log u - log(1 - u) (Eq. 7); dz/da = 1.
    @inlinable public static func z(logit a: Double, u: Double) -> Double { a + log(u) - log1p(-u) }

    /// b = H(z).
    @inlinable public static func hard(_ z: Double) -> Double { z > 0 ? 1 : 0 }

    /// z~ ~ p(z | b) from v ~ U(0, 1), with dz~/da at fixed (v, b).
    ///
    /// b = 1: z~ = log(1 + v / ((1 - v)(1 - theta))), dz~/da = v theta / (1 - theta + v theta).
    /// b = 0: z~ = log(theta v) - log(1 - v + v theta), dz~/da = (1 - theta)(1 - v) / (1 - v + v theta).
    @inlinable public static func conditional(logit a: Double, b: Double, v: Double) -> (z: Double, dzda: Double) {
        let theta = Fn.sigmoid(a), oneMinus = Fn.sigmoid(-a)
        if b > 0.5 {
            let uPrime = oneMinus + v * theta
            return (log(uPrime) - log1p(-v) - log(oneMinus), v * theta / uPrime)
        } else {
            let rest = 1 - v + v * theta
            return (log(theta) + log(v) - log(rest), oneMinus * (1 - v) / rest)
        }
    }
}

/// One draw of everything REBAR and RELAX look at, per coordinate: b = H(z), z, z~ ~ p(z | b)
/// and the path derivatives dz/da = 1 and dz~/da, plus the score d/da log p(b) = b - sigmoid(a).
public struct RelaxedBernoulliSample: Sendable {
    public var b: [Double]
    public var z: [Double]
    public var zTilde: [Double]
    public var dzTildeDa: [Double]
    public var score: [Double]

    /// From the noise (u, v) of each coordinate.
    public init(logits a: [Double], u: [Double], v: [Double]) {
        let n = a.count
        precondition(u.count == n && v.count == n, "RelaxedBernoulliSample: \(n) logits, \(u.count) u, \(v.count) v")
        b = []; z = []; zTilde = []; dzTildeDa = []; score = []
        b.reserveCapacity(n); z.reserveCapacity(n); zTilde.reserveCapacity(n); dzTildeDa.reserveCapacity(n); score.reserveCapacity(n)
        for i in 0..<n {
            let zi = BernoulliReparameterization.z(logit: a[i], u: u[i])
            let bi = BernoulliReparameterization.hard(zi)
            let c = BernoulliReparameterization.conditional(logit: a[i], b: bi, v: v[i])
            z.append(zi); b.append(bi); zTilde.append(c.z); dzTildeDa.append(c.dzda)
            score.append(bi - Fn.sigmoid(a[i]))
        }
    }

    /// Draws u and v from the stream (u_1..u_n, then v_1..v_n).
    public init(logits a: [Double], stream: inout RandomStream) {
        let u = a.map { _ in stream.uniform() }
        let v = a.map { _ in stream.uniform() }
        self.init(logits: a, u: u, v: v)
    }
}
