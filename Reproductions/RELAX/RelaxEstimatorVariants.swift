import DiscreteGradients

/// The estimators of the RELAX claims on one Bernoulli coordinate, as functions of the noise
/// (u, v), including the plausible bugs the tests must catch. Each returns g and, when asked,
/// dg/dphi (for Eq. 14).
enum RelaxVariant: String, CaseIterable, Sendable {
    case reinforce, relax, rebar, lax
    /// Bug: RELAX without the -d c(z~) term (Eq. 13's correction).
    case relaxNoCorrection = "RELAX without -d c(z~)"
    /// Bug: z~ = a + logit(v) from the marginal, conditioned on its own b' = H(z~) rather than on b.
    case relaxIndependentZTilde = "RELAX with z~ independent of b"
    /// Bug: REBAR with eta on the path terms only (the score term uses f(sigma(z~)) unscaled).
    case rebarEtaOneTerm = "REBAR with eta on one term"
    /// Bug: the hand-written variance gradient drops the mixed derivatives d(dc/dz)/dphi.
    case relaxNoMixedDerivative = "RELAX variance gradient without d(dc/dz)/dphi"

    static func evaluate(_ variant: RelaxVariant, a: Double, u: Double, v: Double, f: SquaredDistance,
                         net: TanhSurrogate, rebar: ScaledRelaxedObjective<SquaredDistance>, jacobian: Bool) -> GradientEstimate {
        var sample = RelaxedBernoulliSample(logits: [a], u: [u], v: [v])
        let fb = f.value(sample.b)
        func combine(_ p: Relax.Parts, correction: Bool = true, mixed: Bool = true) -> GradientEstimate {
            let g = [p.scoreTerm[0] + p.pathZ[0] - (correction ? p.pathZTilde[0] : 0)]
            guard jacobian else { return GradientEstimate(gradient: g) }
            let jac = [p.dScoreTerm[0].indices.map { k in
                p.dScoreTerm[0][k] + (mixed ? p.dPathZ[0][k] - (correction ? p.dPathZTilde[0][k] : 0) : 0)
            }]
            return GradientEstimate(gradient: g, jacobian: jac)
        }
        switch variant {
        case .reinforce:
            return GradientEstimate(gradient: [fb * sample.score[0]])
        case .relax:
            return Relax.estimate(value: fb, sample: sample, surrogate: net, varianceGradient: jacobian)
        case .rebar:
            return Rebar.estimate(f, sample: sample, controlVariate: rebar, varianceGradient: jacobian)
        case .lax:
            let z = BernoulliReparameterization.z(logit: a, u: u)
            return Lax.estimate(value: f.value([BernoulliReparameterization.hard(z)]), z: [z], u: [u], surrogate: net, varianceGradient: jacobian)
        case .relaxNoCorrection:
            return combine(Relax.parts(value: fb, sample: sample, surrogate: net, parameterGradients: jacobian), correction: false)
        case .relaxNoMixedDerivative:
            return combine(Relax.parts(value: fb, sample: sample, surrogate: net, parameterGradients: jacobian), mixed: false)
        case .relaxIndependentZTilde:
            let theta = Fn.sigmoid(a)
            let bPrime = v > 1 - theta ? 1.0 : 0.0
            let vPrime = bPrime > 0.5 ? (v - (1 - theta)) / theta : v / (1 - theta)
            let c = BernoulliReparameterization.conditional(logit: a, b: bPrime, v: vPrime)
            sample.zTilde[0] = c.z; sample.dzTildeDa[0] = c.dzda
            return Relax.estimate(value: fb, sample: sample, surrogate: net, varianceGradient: jacobian)
        case .rebarEtaOneTerm:
            let unscaled = ScaledRelaxedObjective(f, eta: 1, logTemperature: rebar.parameters[1])
            let s = Relax.parts(value: fb, sample: sample, surrogate: unscaled, parameterGradients: false)
            let p = Relax.parts(value: fb, sample: sample, surrogate: rebar, parameterGradients: false)
            return GradientEstimate(gradient: [s.scoreTerm[0] + p.pathZ[0] - p.pathZTilde[0]])
        }
    }

    /// E over (u, v) of [g, g^2] and, with `jacobian`, of d g^2/dphi, by Gauss-Legendre quadrature.
    static func moments(_ variant: RelaxVariant, a: Double, f: SquaredDistance, net: TanhSurrogate,
                        rebar: ScaledRelaxedObjective<SquaredDistance>, jacobian: Bool, points: Int = 48) -> (mean: Double, meanSquare: Double, varianceGradient: [Double]) {
        let q = NoiseQuadrature.relaxNoise(logits: [a], pointsPerPiece: points)
        let m = q.expectation { x in
            let e = evaluate(variant, a: a, u: x[0], v: x[1], f: f, net: net, rebar: rebar, jacobian: jacobian)
            return [e.gradient[0], e.gradient[0] * e.gradient[0]] + (jacobian ? e.squaredNormGradient : [])
        }
        return (m[0], m[1], Array(m.dropFirst(2)))
    }
}
