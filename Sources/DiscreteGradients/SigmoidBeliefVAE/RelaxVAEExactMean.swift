import Foundation

/// The exact mean of a VAE layer estimator on a tiny model, against the exact gradient.
///
/// Expectation: the latents are enumerated (the noise u of each unit is split at 1 - theta, where
/// b flips) and the relaxation noise (u, v) integrated by tensor-product Gauss-Legendre quadrature
/// (`NoiseQuadrature`); for the 2-layer bottom layer the drawn b2 is enumerated with weights q(b2 | b1).
/// Ground truth: central differences of the enumerated ELBO (`SigmoidBeliefVAE.exactELBO`) along the
/// layer's encoder bias, which moves its logits one for one; for the top layer, of
/// E[f2 | b1] + H(q(b2 | b1)) along a2, for every b1.
public enum RelaxVAEExactMean {
    public static let image: [Double] = [1, 0, 1]

    /// A tiny model: 3 pixels, 2 latent units per layer, random weights and biases.
    public static func tinyModel(_ architecture: SigmoidBeliefVAE.Architecture, seed: UInt64) -> SigmoidBeliefVAE {
        var stream = RandomStream(seed: seed)
        var m = SigmoidBeliefVAE(architecture: architecture, pixels: 3, units: architecture == .linear1 ? [2] : [2, 2],
                                 weightScale: 1.5, stream: &stream)
        m.e1 = m.e1.map { _ in stream.normal(sd: 0.7) }
        m.e2 = m.e2.map { _ in stream.normal(sd: 0.7) }
        m.prior = m.prior.map { _ in stream.normal(sd: 0.7) }
        m.c21 = m.c21.map { _ in stream.normal(sd: 0.7) }
        return m
    }

    /// Tensor-product quadrature over (u_1..u_n, v_1..v_n) as rows, with weights.
    public static func noiseRows(logits a: [Double], pointsPerPiece m: Int) -> (u: Matrix, v: Matrix, w: [Double]) {
        let q = NoiseQuadrature.relaxNoise(logits: a, pointsPerPiece: m)
        let n = a.count, D = 2 * n
        let total = q.evaluations
        var u = Matrix(rows: total, cols: n), v = u, w = [Double](repeating: 1, count: total)
        var index = [Int](repeating: 0, count: D)
        for r in 0..<total {
            for d in 0..<D {
                let value = q.nodes[d][index[d]]
                if d < n { u[r, d] = value } else { v[r, d - n] = value }
                w[r] *= q.weights[d][index[d]]
            }
            var d = 0
            while d < D { index[d] += 1; if index[d] < q.nodes[d].count { break }; index[d] = 0; d += 1 }
        }
        return (u, v, w)
    }

    static func repeated(_ row: [Double], _ n: Int) -> Matrix { Matrix(rows: n, cols: row.count, data: (0..<n).flatMap { _ in row }) }
    static func centralDifference(_ f: (Double) -> Double, h: Double = 1e-5) -> Double { (f(h) - f(-h)) / (2 * h) }

    /// Controls with random learned parts (unbiasedness must hold for every value of them).
    public static func controls(_ method: RelaxVAEMethod, _ mutation: RelaxVAEMutation, parent: Int, units: Int, seed: UInt64) -> RelaxVAEControls {
        var c = RelaxVAEControls(method: method, mutation: mutation, parentSize: parent, units: units, controlLearningRate: 1e-3)
        var s = RandomStream(seed: seed)
        c.randomise(&s)
        return c
    }

    /// max_i |E[g_i] - dELBO/da1_i| for the bottom layer, and the largest |dELBO/da1_i|.
    public static func bottomLayerError(_ architecture: SigmoidBeliefVAE.Architecture, _ method: RelaxVAEMethod,
                                        _ mutation: RelaxVAEMutation = .none, pointsPerPiece: Int = 10, seed: UInt64 = 11) -> (error: Double, scale: Double) {
        let x = image
        let model = tinyModel(architecture, seed: seed)
        let a1 = model.encoderLogits1(Matrix(rows: 1, cols: 3, data: x)).data
        let q = noiseRows(logits: a1, pointsPerPiece: pointsPerPiece)
        let b2s = SigmoidBeliefVAE.allSigns(architecture == .linear2 ? 2 : 0)
        let copies = architecture == .linear2 ? b2s.rows : 1
        let rows = q.w.count * copies
        func expand(_ m: Matrix) -> Matrix {
            Matrix(rows: rows, cols: m.cols, data: (0..<q.w.count).flatMap { r in (0..<copies).flatMap { _ in Array(m.row(r)) } })
        }
        let X = repeated(x, rows)
        let sample = RelaxVAELayerSample(logits: repeated(a1, rows), u: expand(q.u), v: expand(q.v))
        var weights = (0..<rows).map { q.w[$0 / copies] }
        var b2 = sample.b
        if architecture == .linear2 {
            b2 = Matrix(rows: rows, cols: 2, data: (0..<rows).flatMap { Array(b2s.row($0 % copies)) })
            let lq2 = SigmoidBeliefVAE.logProbability(b2, logits: model.encoderLogits2(sample.b))
            for r in 0..<rows { weights[r] *= exp(lq2[r]) }
        }
        let f = model.bottomSignal(x: X, b1: sample.b, b2: b2)
        let c = controls(method, mutation, parent: 3, units: 2, seed: seed &+ 5)
        let g = c.estimate(sample: sample, signal: f, parent: X, objective: { model.bottomObjective(x: X, v1: $0) })
        let h = SigmoidBeliefVAE.entropy(Matrix(rows: 1, cols: 2, data: a1)).gradient.data
        var worst = 0.0, scale = 0.0
        for i in 0..<2 {
            var expected = h[i]
            for r in 0..<rows { expected += weights[r] * g[r, i] }
            let exact = centralDifference { d in var m = model; m.e1[i] += d; return m.exactELBO(x: x) }
            worst = max(worst, abs(expected - exact)); scale = max(scale, abs(exact))
        }
        return (worst, scale)
    }

    /// max over b1 and i of |E[g_i | b1] - d/da2_i (E[f2 | b1] + H)| for the top layer of the 2-layer model.
    public static func topLayerError(_ method: RelaxVAEMethod, _ mutation: RelaxVAEMutation = .none,
                                     pointsPerPiece: Int = 10, seed: UInt64 = 11) -> (error: Double, scale: Double) {
        let model = tinyModel(.linear2, seed: seed)
        let b1s = SigmoidBeliefVAE.allSigns(2)
        var worst = 0.0, scale = 0.0
        for k in 0..<b1s.rows {
            let b1 = Array(b1s.row(k))
            let a2 = model.encoderLogits2(Matrix(rows: 1, cols: 2, data: b1)).data
            let q = noiseRows(logits: a2, pointsPerPiece: pointsPerPiece)
            let rows = q.w.count
            let B1 = repeated(b1, rows)
            let sample = RelaxVAELayerSample(logits: repeated(a2, rows), u: q.u, v: q.v)
            let f = model.topObjective(b1: B1, v2: sample.b).value
            let c = controls(method, mutation, parent: 2, units: 2, seed: seed &+ 6)
            let g = c.estimate(sample: sample, signal: f, parent: B1, objective: { model.topObjective(b1: B1, v2: $0) })
            let h = SigmoidBeliefVAE.entropy(Matrix(rows: 1, cols: 2, data: a2)).gradient.data
            for i in 0..<2 {
                var expected = h[i]
                for r in 0..<rows { expected += q.w[r] * g[r, i] }
                let exact = centralDifference { d in var a = a2; a[i] += d; return model.exactTopObjective(b1: b1, a2: a) }
                worst = max(worst, abs(expected - exact)); scale = max(scale, abs(exact))
            }
        }
        return (worst, scale)
    }
}
