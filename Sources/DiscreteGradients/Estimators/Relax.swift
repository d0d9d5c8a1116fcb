/// RELAX (RELAX draft, Eq. 13; lecture slide "Extension to discrete p(b|theta)"):
///
///   g_i = [f(b) - c_phi(z~)] d/da_i log p(b) + d/da_i c_phi(z) - d/da_i c_phi(z~),
///
/// with b = H(z), z = a + logit(u), z~ ~ p(z | b) (see `BernoulliReparameterization`). It is
/// unbiased for every c_phi because E[c(z~) d log p(b)] = E[d c(z) - d c(z~)] (Eq. 13), and f is
/// only evaluated at b (a black box). Since E[g] does not depend on phi, the single-sample
/// d |g|^2 / d phi is an unbiased estimate of d tr Var(g) / d phi (Eq. 14).
public enum Relax {
    /// The three terms of Eq. 13 per coordinate and their derivatives along phi.
    public struct Parts: Sendable {
        /// (f(b) - c(z~)) score_i and its d/dphi_p = -dc(z~)/dphi_p score_i.
        public var scoreTerm: [Double]
        public var dScoreTerm: [[Double]]
        /// d c(z) / da_i = c'_i(z) (dz_i/da_i = 1) and its d/dphi.
        public var pathZ: [Double]
        public var dPathZ: [[Double]]
        /// d c(z~) / da_i = c'_i(z~) dz~_i/da_i and its d/dphi.
        public var pathZTilde: [Double]
        public var dPathZTilde: [[Double]]
    }

    public static func parts<S: Surrogate>(value fb: Double, sample: RelaxedBernoulliSample, surrogate: S,
                                           parameterGradients: Bool) -> Parts {
        let atZ = surrogate.evaluate(sample.z, parameterGradients: parameterGradients)
        let atZTilde = surrogate.evaluate(sample.zTilde, parameterGradients: parameterGradients)
        let n = sample.b.count
        let score = sample.score
        var parts = Parts(scoreTerm: (0..<n).map { (fb - atZTilde.value) * score[$0] }, dScoreTerm: [],
                          pathZ: atZ.dz, dPathZ: [],
                          pathZTilde: (0..<n).map { atZTilde.dz[$0] * sample.dzTildeDa[$0] }, dPathZTilde: [])
        if parameterGradients {
            parts.dScoreTerm = (0..<n).map { i in atZTilde.dValue.map { -$0 * score[i] } }
            parts.dPathZ = atZ.dDz
            parts.dPathZTilde = (0..<n).map { i in atZTilde.dDz[i].map { $0 * sample.dzTildeDa[i] } }
        }
        return parts
    }

    /// The RELAX estimate g and, when asked, the single-sample variance gradient d|g|^2/dphi (Eq. 14).
    public static func estimate<S: Surrogate>(value fb: Double, sample: RelaxedBernoulliSample, surrogate: S,
                                              varianceGradient: Bool = false) -> GradientEstimate {
        let p = parts(value: fb, sample: sample, surrogate: surrogate, parameterGradients: varianceGradient)
        let g = p.scoreTerm.indices.map { p.scoreTerm[$0] + p.pathZ[$0] - p.pathZTilde[$0] }
        guard varianceGradient else { return GradientEstimate(gradient: g) }
        let dg = g.indices.map { i in p.dScoreTerm[i].indices.map { p.dScoreTerm[i][$0] + p.dPathZ[i][$0] - p.dPathZTilde[i][$0] } }
        return GradientEstimate(gradient: g, jacobian: dg)
    }
}

/// A gradient estimate g (one entry per parameter a_i) and, optionally, its Jacobian along the
/// control-variate parameters phi, from which the Eq. 14 variance gradient d|g|^2/dphi follows.
public struct GradientEstimate: Sendable {
    public var gradient: [Double]
    /// jacobian[i][p] = d g_i / d phi_p (empty unless requested).
    public var jacobian: [[Double]]
    public init(gradient: [Double], jacobian: [[Double]] = []) { self.gradient = gradient; self.jacobian = jacobian }

    /// d |g|^2 / d phi = 2 sum_i g_i dg_i/dphi: the single-sample, unbiased estimate of
    /// d tr Var(g) / d phi when E[g] does not depend on phi (Eq. 14).
    public var squaredNormGradient: [Double] {
        guard let P = jacobian.first?.count else { return [] }
        var out = [Double](repeating: 0, count: P)
        for i in gradient.indices { for p in 0..<P { out[p] += 2 * gradient[i] * jacobian[i][p] } }
        return out
    }
}
