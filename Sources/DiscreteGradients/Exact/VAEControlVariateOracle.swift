import Foundation

public extension VAEOracle {
    /// The exact mean of a control-variate estimator's encoder gradient (flattened like
    /// `DiscreteVAE.encoderParameters`) for one input x. Per layer e: the layers below are
    /// enumerated with their q; layer e's noise is integrated by tensor-product Gauss-Legendre
    /// quadrature split where b flips (`NoiseQuadrature.relaxNoise`) for REBAR, RELAX and LAX,
    /// or its b enumerated for NVIL and MuProp; the layers above are enumerated with q given b.
    /// All nodes and configurations are evaluated as the rows of one minibatch.
    static func mean(_ estimator: VAEControlVariateEstimator, _ vae: DiscreteVAE, _ x: Matrix, pointsPerPiece m: Int = 8) -> [Double] {
        precondition(x.rows == 1)
        let L = vae.layerCount, sizes = vae.latentSizes, coding = vae.coding
        var out: [Double] = []
        for e in 0..<L {
            var first = Matrix(rows: sizes[e], cols: vae.encoder[e].inputCount), bias = [Double](repeating: 0, count: sizes[e])
            // A nonlinear layer's tanh-stack blocks, summed over rows (backpropagated through the stack).
            var stackSums = vae.encoderStacks[e].layers.map { LayerParameters.zeros(units: $0.weights.rows, inputs: $0.weights.cols) }
            let below = e == 0 ? [[Matrix]()] : configurations(Array(sizes[0..<e]), coding: coding)
            let above = e == L - 1 ? [[Matrix]()] : configurations(Array(sizes[(e + 1)...]), coding: coding)
            for pre in below {
                // Layer e's logits given the layers below, and their probability.
                var input = vae.encoderInput(x), qBelow = 1.0
                for k in 0..<e {
                    let s = vae.encoder[k].evaluate(vae.encoderFeatures(k, input).input, values: pre[k])
                    for i in s.values.data.indices { qBelow *= s.values.data[i] == 1 ? s.probabilities.data[i] : 1 - s.probabilities.data[i] }
                    input = pre[k]
                }
                let a = vae.encoder[e].logits(vae.encoderFeatures(e, input).input)
                // Rows of layer e: (values, relaxation?, weight).
                var values: Matrix, weights: [Double], relaxation: VAERelaxation? = nil
                let n = sizes[e]
                if estimator.method.needsRelaxation {
                    // LAX never reads v: its dimensions get one node (v = 1/2) and u three times the points.
                    let lax = estimator.method == .lax
                    let q = lax ? NoiseQuadrature(breakpoints: a.data.map { [Fn.sigmoid(-$0)] } + a.data.map { _ in [] }, pointsPerPiece: 3 * m)
                                : NoiseQuadrature.relaxNoise(logits: a.data, pointsPerPiece: m)
                    let N = lax ? q.nodes[0..<n].reduce(1) { $0 * $1.count } : q.evaluations
                    var u = Matrix(rows: N, cols: n), v = u
                    weights = [Double](repeating: 1, count: N)
                    var index = [Int](repeating: 0, count: 2 * n)
                    for r in 0..<N {
                        for d in 0..<(2 * n) {
                            weights[r] *= lax && d >= n ? 1 : q.weights[d][index[d]]
                            if d < n { u[r, d] = q.nodes[d][index[d]] } else { v[r, d - n] = lax ? 0.5 : q.nodes[d][index[d]] }
                        }
                        var d = 0
                        while d < 2 * n { index[d] += 1; if index[d] < (lax && d >= n ? 1 : q.nodes[d].count) { break }; index[d] = 0; d += 1 }
                    }
                    let logits = Matrix(rows: N, cols: n, data: (0..<N).flatMap { _ in a.data })
                    let drawn = VAERelaxation.draw(logits: logits, u: u, v: v, coding: coding)
                    values = drawn.values; relaxation = drawn.relaxation
                } else {
                    let configs = configurations([n], coding: coding)
                    values = Matrix(rows: configs.count, cols: n, data: configs.flatMap { $0[0].data })
                    let p = a.data.map(Fn.sigmoid)
                    weights = configs.map { c in zip(c[0].data, p).reduce(1) { $0 * ($1.0 == 1 ? $1.1 : 1 - $1.1) } }
                }
                // Every row of layer e with every configuration above it.
                let N = values.rows, P = above.count, rows = N * P
                var all: [Matrix] = pre.map { row in Matrix(rows: rows, cols: row.cols, data: (0..<rows).flatMap { _ in row.data }) }
                all.append(Matrix(rows: rows, cols: n, data: (0..<P).flatMap { _ in values.data }))
                for k in (e + 1)..<max(L, e + 1) {
                    all.append(Matrix(rows: rows, cols: sizes[k], data: above.flatMap { c in (0..<N).flatMap { _ in c[k - e - 1].data } }))
                }
                let X = Matrix(rows: rows, cols: x.cols, data: (0..<rows).flatMap { _ in x.data })
                let pass = vae.evaluate(X, values: all)
                var w = [Double](repeating: qBelow, count: rows)
                for r in 0..<rows {
                    w[r] *= weights[r % N]
                    for k in (e + 1)..<max(L, e + 1) {
                        let s = pass.encoder[k]
                        for j in 0..<s.values.cols { w[r] *= s.values[r, j] == 1 ? s.probabilities[r, j] : 1 - s.probabilities[r, j] }
                    }
                }
                let rx = relaxation.map { r in
                    func tile(_ m: Matrix) -> Matrix { Matrix(rows: rows, cols: n, data: (0..<P).flatMap { _ in m.data }) }
                    return VAERelaxation(z: tile(r.z), zTilde: tile(r.zTilde), dzTildeDa: tile(r.dzTildeDa))
                }
                var c = estimator.layerSignal(vae, pass, layer: e, relaxation: rx)
                for r in 0..<rows { for j in 0..<n { c[r, j] *= w[r] } }
                Matrix.gemm(c, transposeA: true, pass.encoder[e].input, beta: 1, into: &first)
                for (j, s) in c.columnSums().enumerated() { bias[j] += s }
                if !stackSums.isEmpty {
                    var unused = 0.0
                    let means = vae.encoderGradient(layer: e, signal: c, pass: pass, varianceSum: &unused)
                    for l in stackSums.indices {
                        for i in stackSums[l].weights.data.indices { stackSums[l].weights.data[i] += Double(rows) * means[l].weights.data[i] }
                        for i in stackSums[l].bias.indices { stackSums[l].bias[i] += Double(rows) * means[l].bias[i] }
                    }
                }
            }
            out += stackSums.flatMap(\.flattened) + first.data + bias
        }
        return out
    }
}
