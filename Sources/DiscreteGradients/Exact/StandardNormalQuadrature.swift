import Foundation
import CGSL

/// E[h(eps)] for eps ~ N(0, 1) by high-order Gauss-Legendre quadrature of h(x) phi(x) on [-L, L]
/// (GSL's gsl_integration_glfixed). The mass outside [-L, L] is 2 Phi(-L) (1.2e-32 for L = 12);
/// for integrands analytic on the interval and growing at most like exp(c |x|) with c << L the
/// rule converges geometrically in the number of nodes, so 512 nodes give machine precision for
/// the polynomials, exponentials and sines of the lecture claims (tests check known moments).
public struct StandardNormalQuadrature: Sendable {
    public let nodes: [Double]
    /// Weights including the density phi(x).
    public let weights: [Double]

    public init(points n: Int = 512, halfWidth l: Double = 12) {
        precondition(n >= 2 && l > 0)
        GSL.configure()
        guard let table = gsl_integration_glfixed_table_alloc(n) else { fatalError("gsl_integration_glfixed_table_alloc failed") }
        defer { gsl_integration_glfixed_table_free(table) }
        var xs = [Double](), ws = [Double]()
        xs.reserveCapacity(n); ws.reserveCapacity(n)
        for i in 0..<n {
            var x = 0.0, w = 0.0
            let status = gsl_integration_glfixed_point(-l, l, i, &x, &w, table)
            precondition(status == GSL_SUCCESS, "gsl_integration_glfixed_point failed (\(status))")
            xs.append(x)
            ws.append(w * exp(-0.5 * x * x) / (2 * Double.pi).squareRoot())
        }
        nodes = xs; weights = ws
    }

    /// E[h(eps)].
    public func expectation(_ h: (Double) -> Double) -> Double {
        var s = 0.0
        for i in nodes.indices { s += weights[i] * h(nodes[i]) }
        return s
    }
    /// Per-coordinate exact mean and variance of a vector-valued estimator g(eps).
    public func moments(_ g: (Double) -> [Double]) -> ExactMoments {
        ExactMoments(over: nodes.indices, estimator: { g(nodes[$0]) }, probability: { weights[$0] })
    }
}
