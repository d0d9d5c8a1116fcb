import Foundation

/// The reparameterisation of a categorical variable through Gumbels (RELAX draft, Appendix B;
/// Section 4: "the generalization to categorial variables is straightforward").
///
/// With logits theta (unnormalised log-probabilities, the paper's log alpha_k) and standard
/// Gumbels G_k = -log(-log u_k), u ~ U(0, 1)^K, the relaxed sample is z = theta + G and the
/// Gumbel-max trick gives b = H(z) = argmax_k z_k with P(b = k) = pi_k = softmax(theta)_k. (Our
/// copy of Appendix B writes "log alpha_k - G_k"; with G = -log(-log U) the sign that gives
/// P(D_k = 1) = alpha_k / sum_i alpha_i is "+", which is what Eq. 15 uses.) dz/dtheta = I.
///
/// REBAR and RELAX also need z~ ~ p(z | b). Write L = logsumexp(theta) and E_k = -log v_k
/// (standard exponentials) for v ~ U(0, 1)^K. Then (derived from the Gumbel-max construction:
/// the maximum z_b = max_k z_k is Gumbel with location L and independent of which class won;
/// given b and the maximum M, every other z_k is Gumbel(theta_k) truncated to (-inf, M); inverting
/// that truncated CDF at v_k gives the second line):
///
///     z~_b = L - log E_b,
///     z~_k = L - log(E_k / pi_k + E_b)       (k != b),
///
/// which in the log-sum-exp-shifted frame (L = 0, exp(theta_k) = pi_k) is the familiar
/// z~_b = -log(-log v_b), z~_k = -log(-log v_k / exp(theta_k) - log v_b). Its derivative along
/// theta holds (v, b) fixed (the conditional path):
///
///     dz~_b/dtheta_j = pi_j,
///     dz~_k/dtheta_j = (delta_kj E_k / pi_k + E_b pi_j) / (E_k / pi_k + E_b)   (k != b).
///
/// Every row sums to 1: shifting every logit by c shifts z~ by c, as it shifts z.
public enum CategoricalReparameterization {
    /// A standard Gumbel from u in (0, 1): -log(-log u).
    @inlinable public static func gumbel(_ u: Double) -> Double { -log(-log(u)) }

    /// z = theta + G(u) (dz/dtheta = I).
    public static func z(logits theta: [Double], u: [Double]) -> [Double] {
        precondition(theta.count == u.count, "CategoricalReparameterization: \(theta.count) logits, \(u.count) u")
        return zip(theta, u).map { $0 + gumbel($1) }
    }

    /// b = H(z) = argmax_k z_k (the Gumbel-max trick; ties have probability 0, the first wins).
    public static func hard(_ z: [Double]) -> Int {
        var best = 0
        for k in z.indices where z[k] > z[best] { best = k }
        return best
    }

    /// z~ ~ p(z | b) from exponentials E_k = -log v_k, with the Jacobian dz~/dtheta at fixed (E, b):
    /// `jacobian[k][j]` = dz~_k/dtheta_j.
    public static func conditional(logits theta: [Double], b: Int, exponentials e: [Double]) -> (z: [Double], jacobian: [[Double]]) {
        let K = theta.count
        precondition(e.count == K && (0..<K).contains(b), "CategoricalReparameterization.conditional: bad sizes")
        let L = Fn.logSumExp(theta)
        let pi = theta.map { exp($0 - L) }
        var z = [Double](repeating: 0, count: K)
        var jac = [[Double]](repeating: [Double](repeating: 0, count: K), count: K)
        let eb = e[b]
        z[b] = L - log(eb)
        jac[b] = pi
        for k in 0..<K where k != b {
            let r = e[k] / pi[k], d = r + eb
            z[k] = L - log(d)
            for j in 0..<K { jac[k][j] = eb * pi[j] / d }
            jac[k][k] += r / d
        }
        return (z, jac)
    }

    /// z~ ~ p(z | b) from v ~ U(0, 1)^K (E_k = -log v_k).
    public static func conditional(logits theta: [Double], b: Int, v: [Double]) -> (z: [Double], jacobian: [[Double]]) {
        conditional(logits: theta, b: b, exponentials: v.map { -log($0) })
    }

    /// The score d/dtheta_j log p(b) = delta_bj - pi_j.
    public static func score(logits theta: [Double], b: Int) -> [Double] {
        let pi = Fn.softmax(theta)
        return pi.indices.map { ($0 == b ? 1 : 0) - pi[$0] }
    }

    /// LAX's score of the continuous z: d/dtheta_j log p(z | theta) = 1 - exp(-(z_j - theta_j))
    /// (z_j is Gumbel with location theta_j; exp(-G_j) = -log u_j is a standard exponential, so
    /// the score has mean 0).
    public static func continuousScore(logits theta: [Double], z: [Double]) -> [Double] {
        zip(z, theta).map { 1 - exp(-($0 - $1)) }
    }
}

/// One draw of everything categorical REBAR and RELAX look at: b = H(z), z = theta + G,
/// z~ ~ p(z | b) with its Jacobian dz~/dtheta, and the score d/dtheta log p(b).
public struct RelaxedCategoricalSample: Sendable {
    public var logits: [Double]
    public var b: Int
    public var z: [Double]
    public var zTilde: [Double]
    /// dzTildeDtheta[k][j] = dz~_k / dtheta_j (the conditional path; dz/dtheta = I).
    public var dzTildeDtheta: [[Double]]
    public var score: [Double]

    /// From the noise: u for z (and so b), v for z~ given b.
    public init(logits theta: [Double], u: [Double], v: [Double]) {
        precondition(u.count == theta.count && v.count == theta.count, "RelaxedCategoricalSample: \(theta.count) logits, \(u.count) u, \(v.count) v")
        let z = CategoricalReparameterization.z(logits: theta, u: u)
        let b = CategoricalReparameterization.hard(z)
        let c = CategoricalReparameterization.conditional(logits: theta, b: b, v: v)
        self.init(logits: theta, b: b, z: z, zTilde: c.z, dzTildeDtheta: c.jacobian)
    }

    /// Draws u_1..u_K, then v_1..v_K from the stream.
    public init(logits theta: [Double], stream: inout RandomStream) {
        let u = theta.map { _ in stream.uniform() }
        let v = theta.map { _ in stream.uniform() }
        self.init(logits: theta, u: u, v: v)
    }

    /// From its parts (for oracles that integrate over z and z~ given b, and for variants).
    public init(logits theta: [Double], b: Int, z: [Double], zTilde: [Double], dzTildeDtheta: [[Double]]) {
        self.logits = theta; self.b = b; self.z = z; self.zTilde = zTilde; self.dzTildeDtheta = dzTildeDtheta
        self.score = CategoricalReparameterization.score(logits: theta, b: b)
    }

    /// The one-hot vector of b.
    public var oneHot: [Double] { logits.indices.map { $0 == b ? 1 : 0 } }
}

/// RELAX for a categorical variable (RELAX draft Eq. 13 with the Appendix B reparameterisation):
///
///   g_j = [f(b) - c_phi(z~)] d/dtheta_j log p(b) + d/dtheta_j c_phi(z) - d/dtheta_j c_phi(z~),
///
/// with d c(z)/dtheta_j = dc/dz_j (z = theta + G) and d c(z~)/dtheta_j = sum_k dc/dz_k(z~) dz~_k/dtheta_j.
/// Unbiased for every c_phi: E[c(z~) d log p(b)] = E[d c(z)] - E[d c(z~)] because
/// d/dtheta E[c(z)] = E_b[d log p(b) E[c(z~) | b]] + E_b[E[d c(z~) | b]]. f is evaluated at b only.
/// The surrogate takes z in R^K (e.g. `TanhSurrogate(inputs: K, ...)`, or `ScaledConcreteObjective`
/// on the Eq. 15 relaxation softmax(z / lambda)).
public enum CategoricalRelax {
    /// The three terms of Eq. 13 per logit, and their derivatives along phi.
    public struct Parts: Sendable {
        /// (f(b) - c(z~)) score_j and d/dphi_p of it = -dc(z~)/dphi_p score_j.
        public var scoreTerm: [Double]
        public var dScoreTerm: [[Double]]
        /// dc(z)/dtheta_j = dc/dz_j and its d/dphi.
        public var pathZ: [Double]
        public var dPathZ: [[Double]]
        /// dc(z~)/dtheta_j = sum_k dc/dz_k(z~) dz~_k/dtheta_j and its d/dphi.
        public var pathZTilde: [Double]
        public var dPathZTilde: [[Double]]
    }

    public static func parts<S: Surrogate>(value fb: Double, sample s: RelaxedCategoricalSample, surrogate: S,
                                           parameterGradients: Bool) -> Parts {
        let atZ = surrogate.evaluate(s.z, parameterGradients: parameterGradients)
        let atZTilde = surrogate.evaluate(s.zTilde, parameterGradients: parameterGradients)
        let K = s.z.count
        let J = s.dzTildeDtheta
        var parts = Parts(scoreTerm: s.score.map { (fb - atZTilde.value) * $0 }, dScoreTerm: [],
                          pathZ: atZ.dz, dPathZ: [],
                          pathZTilde: (0..<K).map { j in (0..<K).reduce(0) { $0 + atZTilde.dz[$1] * J[$1][j] } },
                          dPathZTilde: [])
        if parameterGradients {
            let P = atZTilde.dValue.count
            parts.dScoreTerm = s.score.map { sj in atZTilde.dValue.map { -$0 * sj } }
            parts.dPathZ = atZ.dDz
            parts.dPathZTilde = (0..<K).map { j in (0..<P).map { p in (0..<K).reduce(0) { $0 + atZTilde.dDz[$1][p] * J[$1][j] } } }
        }
        return parts
    }

    /// The RELAX estimate g and, when asked, its Jacobian along phi (for the Eq. 14 variance gradient).
    public static func estimate<S: Surrogate>(value fb: Double, sample: RelaxedCategoricalSample, surrogate: S,
                                              varianceGradient: Bool = false) -> GradientEstimate {
        let p = parts(value: fb, sample: sample, surrogate: surrogate, parameterGradients: varianceGradient)
        let g = p.scoreTerm.indices.map { p.scoreTerm[$0] + p.pathZ[$0] - p.pathZTilde[$0] }
        guard varianceGradient else { return GradientEstimate(gradient: g) }
        let dg = g.indices.map { j in p.dScoreTerm[j].indices.map { p.dScoreTerm[j][$0] + p.dPathZ[j][$0] - p.dPathZTilde[j][$0] } }
        return GradientEstimate(gradient: g, jacobian: dg)
    }
}

/// REBAR for a categorical variable (RELAX draft Eq. 12 with Appendix B): RELAX whose surrogate is
/// eta f(softmax(z / lambda)), the concrete relaxation of Eq. 15 (`ScaledConcreteObjective`). f
/// must accept points of the simplex and be differentiable there.
public enum CategoricalRebar {
    public static func estimate<F: DifferentiableObjective>(_ f: F, sample: RelaxedCategoricalSample,
                                                            controlVariate: ScaledConcreteObjective<F>,
                                                            varianceGradient: Bool = false) -> GradientEstimate {
        CategoricalRelax.estimate(value: f.value(sample.oneHot), sample: sample, surrogate: controlVariate, varianceGradient: varianceGradient)
    }
}

/// LAX for a categorical variable: z = theta + G is the continuous variable and f(H(z)) a black box,
///
///   g_j = [f(b) - c_phi(z)] d/dtheta_j log p(z | theta) + dc/dz_j,
///
/// with the Gumbel score 1 - exp(-(z_j - theta_j)) (`CategoricalReparameterization.continuousScore`).
/// Unbiased for every c_phi; no z~ is needed.
public enum CategoricalLax {
    public static func estimate<S: Surrogate>(value fb: Double, logits theta: [Double], z: [Double], surrogate: S,
                                              varianceGradient: Bool = false) -> GradientEstimate {
        let c = surrogate.evaluate(z, parameterGradients: varianceGradient)
        let score = CategoricalReparameterization.continuousScore(logits: theta, z: z)
        let g = z.indices.map { (fb - c.value) * score[$0] + c.dz[$0] }
        guard varianceGradient else { return GradientEstimate(gradient: g) }
        let jac = z.indices.map { j in c.dValue.indices.map { -c.dValue[$0] * score[j] + c.dDz[j][$0] } }
        return GradientEstimate(gradient: g, jacobian: jac)
    }

    /// From a sample's z and b.
    public static func estimate<S: Surrogate>(value fb: Double, sample: RelaxedCategoricalSample, surrogate: S,
                                              varianceGradient: Bool = false) -> GradientEstimate {
        estimate(value: fb, logits: sample.logits, z: sample.z, surrogate: surrogate, varianceGradient: varianceGradient)
    }
}

/// REBAR's categorical control variate as a surrogate: c(z) = eta f(x), x = softmax(z / lambda),
/// the concrete relaxation of Eq. 15 (lambda the temperature), phi = (eta, log lambda).
///
/// With m = sum_i x_i df_i and G_j = x_j (df_j - m) / lambda (= dx/dz^T grad f), dc/dz_j = eta G_j.
/// Along log lambda: dx_i/dlog lambda = w_i = -x_i (z_i - zbar) / lambda, zbar = sum_i x_i z_i, so
/// dc/dlog lambda = eta grad f . w, and dG_j/dlog lambda = [w_j (df_j - m) + x_j ((Hw)_j - dm)] / lambda - G_j
/// with dm = sum_i w_i df_i + x_i (Hw)_i (H the Hessian of f).
public struct ScaledConcreteObjective<F: DifferentiableObjective>: Surrogate {
    public var objective: F
    public var parameters: [Double]
    public init(_ objective: F, eta: Double, logTemperature: Double) {
        self.objective = objective; self.parameters = [eta, logTemperature]
    }
    public var parameterNames: [String] { ["eta", "log lambda"] }
    public var eta: Double { parameters[0] }
    public var temperature: Double { exp(parameters[1]) }

    /// x = softmax(z / lambda) (Eq. 15).
    public func relax(_ z: [Double]) -> [Double] { Fn.softmax(z.map { $0 / temperature }) }

    public func evaluate(_ z: [Double], parameterGradients: Bool) -> SurrogateEvaluation {
        let eta = parameters[0], lambda = exp(parameters[1]), K = z.count
        let x = relax(z)
        let fx = objective.value(x), df = objective.gradient(x)
        var m = 0.0
        for i in 0..<K { m += x[i] * df[i] }
        let G = (0..<K).map { x[$0] * (df[$0] - m) / lambda }
        let dz = G.map { eta * $0 }
        guard parameterGradients else { return SurrogateEvaluation(value: eta * fx, dz: dz) }
        var zbar = 0.0
        for i in 0..<K { zbar += x[i] * z[i] }
        let w = (0..<K).map { -x[$0] * (z[$0] - zbar) / lambda }
        let hw = objective.hessianVectorProduct(x, w)
        var dfLog = 0.0, dm = 0.0
        for i in 0..<K { dfLog += df[i] * w[i]; dm += w[i] * df[i] + x[i] * hw[i] }
        let dDz = (0..<K).map { j -> [Double] in
            let dG = (w[j] * (df[j] - m) + x[j] * (hw[j] - dm)) / lambda - G[j]
            return [G[j], eta * dG]
        }
        return SurrogateEvaluation(value: eta * fx, dz: dz, dValue: [fx, eta * dfLog], dDz: dDz)
    }
}
