import Foundation
import CGSL

/// Exact-to-quadrature moments of a function of a 3-class concrete sample.
///
/// y = softmax((theta + G) / tau) depends on the Gumbels only through d = (G_1 - G_3, G_2 - G_3),
/// whose density follows by integrating G_3 out (v = e^{-G_3}: the integral of v^2 e^{-s v} is 2 / s^3):
///     p(d1, d2) = 2 e^{-d1 - d2} / (1 + e^{-d1} + e^{-d2})^3.
/// We integrate over [-40, 40]^2 (outside it lies less than e^{-40} ~ 4e-18 of the mass: along
/// d1 = d2 -> -inf the density decays only like e^{d} / 4) with a tensor
/// product of composite 6-point Gauss-Legendre panels (GSL glfixed). The integrand has ridges of
/// width ~tau, so the panel width is min(tau, 1); below tau ~ 0.5 the grid would be too large
/// and the claim uses Monte Carlo instead. The error is estimated from 4- against 6-point panels (the 6-point values are reported).
struct ConcreteQuadrature {
    let nodes: [Double]
    let weights: [Double]

    init(panelWidth: Double, lower: Double = -40, upper: Double = 40, pointsPerPanel: Int = 6) {
        guard let table = gsl_integration_glfixed_table_alloc(pointsPerPanel) else { fatalError("gsl_integration_glfixed_table_alloc failed") }
        defer { gsl_integration_glfixed_table_free(table) }
        let panels = Int(((upper - lower) / panelWidth).rounded(.up))
        let h = (upper - lower) / Double(panels)
        var xs: [Double] = [], ws: [Double] = []
        for p in 0..<panels {
            let a = lower + Double(p) * h
            for i in 0..<pointsPerPanel {
                var x = 0.0, w = 0.0
                _ = gsl_integration_glfixed_point(a, a + h, i, &x, &w, table)
                xs.append(x); ws.append(w)
            }
        }
        nodes = xs; weights = ws
    }

    /// Mass of the density on the grid, E[g] and E[g g^T] for the concrete estimator of
    /// f(y) = sum_k (y_k - t_k)^2 with K = 3, written out with scalars (an implementation
    /// independent of `GumbelSoftmax`, and allocation-free because it runs on millions of points):
    /// y = softmax((theta + (d1, d2, 0)) / forwardTemperature), g_j = y_j (f'_j - sum_k y_k f'_k) / tau.
    /// The softmax is shift-invariant, so setting G_3 = 0 loses nothing.
    func concreteMoments(logits theta: [Double], targets t: [Double], temperature tau: Double,
                         forwardTemperature: Double) -> (mass: Double, mean: [Double], second: [[Double]]) {
        precondition(theta.count == 3 && t.count == 3)
        let expNeg = nodes.map { exp(-$0) }
        var mass = 0.0
        var m0 = 0.0, m1 = 0.0, m2 = 0.0
        var s00 = 0.0, s01 = 0.0, s02 = 0.0, s11 = 0.0, s12 = 0.0, s22 = 0.0
        let z2 = theta[2] / forwardTemperature
        for i in nodes.indices {
            let z0 = (theta[0] + nodes[i]) / forwardTemperature
            for j in nodes.indices {
                let s = 1 + expNeg[i] + expNeg[j]
                let p = weights[i] * weights[j] * 2 * expNeg[i] * expNeg[j] / (s * s * s)
                let z1 = (theta[1] + nodes[j]) / forwardTemperature
                let top = max(z0, z1, z2)
                let e0 = exp(z0 - top), e1 = exp(z1 - top), e2 = exp(z2 - top)
                let total = e0 + e1 + e2
                let y0 = e0 / total, y1 = e1 / total, y2 = e2 / total
                let d0 = 2 * (y0 - t[0]), d1 = 2 * (y1 - t[1]), d2 = 2 * (y2 - t[2])
                let centre = y0 * d0 + y1 * d1 + y2 * d2
                let g0 = y0 * (d0 - centre) / tau, g1 = y1 * (d1 - centre) / tau, g2 = y2 * (d2 - centre) / tau
                mass += p
                m0 += p * g0; m1 += p * g1; m2 += p * g2
                s00 += p * g0 * g0; s01 += p * g0 * g1; s02 += p * g0 * g2
                s11 += p * g1 * g1; s12 += p * g1 * g2; s22 += p * g2 * g2
            }
        }
        return (mass, [m0, m1, m2], [[s00, s01, s02], [s01, s11, s12], [s02, s12, s22]])
    }
}

extension ConcreteQuadrature {
    /// E[|g - m|^2] and E[|g - m|^4] for the same concrete estimator as `concreteMoments`, around a
    /// given centre m (the exact mean): the second and fourth moments of the squared deviation,
    /// whose sd plans the Monte Carlo variance comparison.
    func centredNormMoments(logits theta: [Double], targets t: [Double], temperature tau: Double,
                            forwardTemperature: Double, centre m: [Double]) -> (second: Double, fourth: Double) {
        precondition(theta.count == 3 && t.count == 3 && m.count == 3)
        let expNeg = nodes.map { exp(-$0) }
        var second = 0.0, fourth = 0.0
        let z2 = theta[2] / forwardTemperature
        for i in nodes.indices {
            let z0 = (theta[0] + nodes[i]) / forwardTemperature
            for j in nodes.indices {
                let s = 1 + expNeg[i] + expNeg[j]
                let p = weights[i] * weights[j] * 2 * expNeg[i] * expNeg[j] / (s * s * s)
                let z1 = (theta[1] + nodes[j]) / forwardTemperature
                let top = max(z0, z1, z2)
                let e0 = exp(z0 - top), e1 = exp(z1 - top), e2 = exp(z2 - top)
                let total = e0 + e1 + e2
                let y0 = e0 / total, y1 = e1 / total, y2 = e2 / total
                let d0 = 2 * (y0 - t[0]), d1 = 2 * (y1 - t[1]), d2 = 2 * (y2 - t[2])
                let centre = y0 * d0 + y1 * d1 + y2 * d2
                let g0 = y0 * (d0 - centre) / tau - m[0], g1 = y1 * (d1 - centre) / tau - m[1], g2 = y2 * (d2 - centre) / tau - m[2]
                let r = g0 * g0 + g1 * g1 + g2 * g2
                second += p * r
                fourth += p * r * r
            }
        }
        return (second, fourth)
    }
}
