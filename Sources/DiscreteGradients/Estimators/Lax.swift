import Foundation

/// LAX (lecture slide "Our Approach") for continuous variables:
///
///   g = [f(z) - c_phi(z)] d/da log p(z | a) + d/da c_phi(z),
///
/// here for z_i = a_i + logit(u_i), logistic with location a_i, whose score is
/// d/da_i log p(z_i | a_i) = 2 sigmoid(z_i - a_i) - 1 = 2 u_i - 1 and dz_i/da_i = 1. f is a black
/// box (it may be discontinuous, e.g. f(H(z))); c_phi must be differentiable. Unbiased for every
/// c_phi, so d|g|^2/dphi estimates d tr Var(g)/dphi (Eq. 14).
public enum Lax {
    public static func estimate<S: Surrogate>(value fz: Double, z: [Double], u: [Double], surrogate: S,
                                              varianceGradient: Bool = false) -> GradientEstimate {
        let c = surrogate.evaluate(z, parameterGradients: varianceGradient)
        let score = u.map { 2 * $0 - 1 }
        let g = z.indices.map { (fz - c.value) * score[$0] + c.dz[$0] }
        guard varianceGradient else { return GradientEstimate(gradient: g) }
        let jac = z.indices.map { i in c.dValue.indices.map { -c.dValue[$0] * score[i] + c.dDz[i][$0] } }
        return GradientEstimate(gradient: g, jacobian: jac)
    }
}
