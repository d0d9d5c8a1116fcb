import Foundation

/// One layer of ±1 Bernoulli latents drawn through the RELAX reparameterisation, for a minibatch
/// (RELAX draft Eq. 7 and the conditional z~ ~ p(z | b) of REBAR/RELAX):
/// z = a + logit(u), b = sign(z) in {-1, +1}, z~ from v in the part of u's range consistent with b,
/// score d/da log q(b) = (1 + b)/2 - sigmoid(a).
public struct RelaxVAELayerSample: Sendable {
    public var logits: Matrix
    public var b: Matrix
    public var z: Matrix
    public var zTilde: Matrix
    public var dzTildeDa: Matrix
    public var score: Matrix

    /// From explicit noise (u, v), one entry per unit and row (tests feed quadrature nodes).
    public init(logits a: Matrix, u: Matrix, v: Matrix) {
        precondition(u.rows == a.rows && u.cols == a.cols && v.rows == a.rows && v.cols == a.cols, "RelaxVAELayerSample: noise shape")
        logits = a
        b = Matrix(rows: a.rows, cols: a.cols); z = b; zTilde = b; dzTildeDa = b; score = b
        for k in a.data.indices {
            let ak = a.data[k]
            let zk = BernoulliReparameterization.z(logit: ak, u: u.data[k])
            let hard = BernoulliReparameterization.hard(zk)
            let c = BernoulliReparameterization.conditional(logit: ak, b: hard, v: v.data[k])
            z.data[k] = zk; b.data[k] = 2 * hard - 1
            zTilde.data[k] = c.z; dzTildeDa.data[k] = c.dzda
            score.data[k] = hard - Fn.sigmoid(ak)
        }
    }

    /// Draws u for every entry, then v for every entry.
    public init(logits a: Matrix, stream: inout RandomStream) {
        var u = [Double](repeating: 0, count: a.data.count), v = u
        stream.fillUniform(&u); stream.fillUniform(&v)
        self.init(logits: a, u: Matrix(rows: a.rows, cols: a.cols, data: u), v: Matrix(rows: a.rows, cols: a.cols, data: v))
    }
}

/// REBAR's relaxation of a ±1 unit: s_lambda(z) = 2 sigmoid(z / lambda) - 1 (the binary concrete
/// sigma_lambda of RELAX Eq. 12 mapped to [-1, 1]), and its derivative along z.
public enum SignedConcrete {
    @inlinable public static func value(_ z: Double, logTemperature: Double) -> Double { 2 * Fn.sigmoid(z / exp(logTemperature)) - 1 }
    @inlinable public static func derivative(_ z: Double, logTemperature: Double) -> Double {
        let lambda = exp(logTemperature), s = Fn.sigmoid(z / lambda)
        return 2 * s * (1 - s) / lambda
    }
}
