import Foundation

/// Expectations over the Gumbel noise of a categorical variable (RELAX draft, Appendix B) by
/// enumeration of the K classes and a tensor-product trapezoidal rule over the log-exponential noise.
///
/// Each noise coordinate is a standard exponential E = -log v, v ~ U(0, 1), integrated in the
/// log variable w = log E (so -w is the Gumbel G the estimators see, and their features, e.g.
/// sigmoid(z / tau) or softmax(z / lambda), have widths of order tau in w). The density of w,
/// exp(w - e^w), falls double-exponentially to the right and only exponentially to the left; the
/// map w = t - exp(-t) makes both tails double-exponential in t, and the trapezoidal rule in t
/// (step h) then converges geometrically for integrands analytic in a strip (error about
/// exp(-2 pi d / h) for a singularity at distance d from the real t axis: the sigmoid's poles
/// at Im w = pi tau give d of about pi tau / 2 in the bulk).
///
/// The categorical estimators are sums A(b, z) + B(b, z~) of a function of (b, z) and one of
/// (b, z~), where z and z~ are independent given b, each with law p(z | b). So their mean is
///     E[g] = sum_b pi_b E_{Z ~ p(z | b)}[A(b, Z) + B(b, Z)],
/// one K-dimensional integral per class (`conditionalExpectation`), with Z drawn by
/// `CategoricalReparameterization.conditional`; the second moment needs E[A^2 + 2AB + B^2 | b] =
/// E[A^2 | b] + 2 E[A | b] E[B | b] + E[B^2 | b]. Smooth functions of z alone can also be
/// integrated directly over u (`unconditionalExpectation`), which checks the conditional sampler:
/// sum_b pi_b E[h(Z) | b] must equal E[h(z)].
public struct GumbelQuadrature: Sendable {
    /// The exponential E = -log v at each node, and the weights (summing to 1 up to ~1e-15).
    public let exponentials: [Double]
    public let weights: [Double]

    /// Trapezoidal rule with step h in t on [-3.6, 3.7] (beyond, the weights are below 1e-16).
    public init(step h: Double = 0.2) {
        precondition(h > 0)
        var es: [Double] = [], ws: [Double] = []
        let lo = Int((-3.6 / h).rounded(.down)), hi = Int((3.7 / h).rounded(.up))
        for i in lo...hi {
            let t = Double(i) * h
            let w = t - exp(-t)
            let e = exp(w)
            let weight = h * exp(w - e) * (1 + exp(-t))
            guard weight > 1e-300, e > 0, e.isFinite else { continue }
            es.append(e); ws.append(weight)
        }
        exponentials = es; weights = ws
    }

    /// Nodes per dimension.
    public var count: Int { weights.count }

    /// The tensor product over K dimensions: h(E_1..E_K) weighted.
    public func expectation(dimensions K: Int, _ h: ([Double]) -> [Double]) -> [Double] {
        let n = count
        var index = [Int](repeating: 0, count: K)
        var point = [Double](repeating: exponentials[0], count: K)
        var total: [Double] = []
        while true {
            var w = 1.0
            for d in 0..<K { w *= weights[index[d]] }
            let y = h(point)
            if total.isEmpty { total = [Double](repeating: 0, count: y.count) }
            for k in y.indices { total[k] += w * y[k] }
            var d = 0
            while d < K {
                index[d] += 1
                if index[d] < n { point[d] = exponentials[index[d]]; break }
                index[d] = 0; point[d] = exponentials[0]; d += 1
            }
            if d == K { break }
        }
        return total
    }

    /// E_{b, Z ~ p(z | b)}[h(b, Z)] = sum_b pi_b E[h(b, Z) | b], with Z and its Jacobian dZ/dtheta from
    /// `CategoricalReparameterization.conditional`.
    public func conditionalExpectation(logits theta: [Double], _ h: (_ b: Int, _ z: [Double], _ jacobian: [[Double]]) -> [Double]) -> [Double] {
        let pi = Fn.softmax(theta)
        var total: [Double] = []
        for b in theta.indices {
            let m = expectation(dimensions: theta.count) { e in
                let c = CategoricalReparameterization.conditional(logits: theta, b: b, exponentials: e)
                return h(b, c.z, c.jacobian)
            }
            if total.isEmpty { total = [Double](repeating: 0, count: m.count) }
            for k in m.indices { total[k] += pi[b] * m[k] }
        }
        return total
    }

    /// Per class: E[h(b, Z) | b] for every b (without the weights pi_b).
    public func perClassExpectation(logits theta: [Double], _ h: (_ b: Int, _ z: [Double], _ jacobian: [[Double]]) -> [Double]) -> [[Double]] {
        theta.indices.map { b in
            expectation(dimensions: theta.count) { e in
                let c = CategoricalReparameterization.conditional(logits: theta, b: b, exponentials: e)
                return h(b, c.z, c.jacobian)
            }
        }
    }

    /// E_u[h(z)] with z = theta - log E (E_k = -log u_k), no conditioning.
    public func unconditionalExpectation(logits theta: [Double], _ h: ([Double]) -> [Double]) -> [Double] {
        expectation(dimensions: theta.count) { e in h(zip(theta, e).map { $0 - log($1) }) }
    }
}
