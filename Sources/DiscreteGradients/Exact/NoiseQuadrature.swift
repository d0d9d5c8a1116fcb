import CGSL

/// Expectations over uniform noise by tensor-product Gauss-Legendre quadrature. Each noise
/// dimension lives on (0, 1), split at breakpoints where the integrand jumps (for the
/// Bernoulli reparameterisation, u = 1 - theta, where b = H(z) flips); on each piece the
/// integrand of RELAX, REBAR and LAX is smooth inside, but may behave like a fractional power
/// at a piece's ends (sigmoid(z / tau) ~ u^(1/tau) as u -> 0). Each piece is therefore mapped by
/// u = l + (r - l) s(t), s(t) = t^2 (3 - 2t), which flattens such end-point singularities.
public struct NoiseQuadrature: Sendable {
    /// Nodes and weights of each dimension (weights sum to 1).
    public let nodes: [[Double]]
    public let weights: [[Double]]

    /// `breakpoints[d]` are interior points of (0, 1) for dimension d; `pointsPerPiece` nodes on each piece.
    public init(breakpoints: [[Double]], pointsPerPiece m: Int) {
        precondition(m >= 1)
        GSL.configure()
        guard let table = gsl_integration_glfixed_table_alloc(m) else { fatalError("gsl_integration_glfixed_table_alloc failed") }
        defer { gsl_integration_glfixed_table_free(table) }
        var allNodes: [[Double]] = [], allWeights: [[Double]] = []
        for cuts in breakpoints {
            let edges = [0.0] + cuts.filter { $0 > 0 && $0 < 1 }.sorted() + [1.0]
            var xs: [Double] = [], ws: [Double] = []
            for k in 0..<(edges.count - 1) where edges[k + 1] > edges[k] {
                for i in 0..<m {
                    var x = 0.0, w = 0.0
                    gsl_integration_glfixed_point(0, 1, i, &x, &w, table)
                    let length = edges[k + 1] - edges[k]
                    xs.append(edges[k] + length * x * x * (3 - 2 * x))
                    ws.append(w * length * 6 * x * (1 - x))
                }
            }
            allNodes.append(xs); allWeights.append(ws)
        }
        nodes = allNodes; weights = allWeights
    }

    /// Noise for n Bernoulli coordinates as (u_1..u_n, v_1..v_n), each split at 1 - theta_i.
    public static func relaxNoise(logits a: [Double], pointsPerPiece m: Int) -> NoiseQuadrature {
        let cuts = a.map { [Fn.sigmoid(-$0)] }
        return NoiseQuadrature(breakpoints: cuts + cuts, pointsPerPiece: m)
    }

    public var evaluations: Int { nodes.reduce(1) { $0 * $1.count } }

    /// E[h(noise)] for a vector-valued h, every component integrated at once.
    public func expectation(_ h: ([Double]) -> [Double]) -> [Double] {
        let D = nodes.count
        var index = [Int](repeating: 0, count: D)
        var point = nodes.map { $0[0] }
        var total: [Double] = []
        while true {
            var w = 1.0
            for d in 0..<D { w *= weights[d][index[d]] }
            let y = h(point)
            if total.isEmpty { total = [Double](repeating: 0, count: y.count) }
            for k in y.indices { total[k] += w * y[k] }
            // odometer
            var d = 0
            while d < D {
                index[d] += 1
                if index[d] < nodes[d].count { point[d] = nodes[d][index[d]]; break }
                index[d] = 0; point[d] = nodes[d][0]; d += 1
            }
            if d == D { break }
        }
        return total
    }
}
