import DiscreteGradients
import Foundation
import Testing

/// Exact unbiasedness of the VAE encoder-gradient estimators (NVIL, MuProp, REBAR, RELAX) on tiny
/// Bernoulli VAEs: the expectation over the latents (enumerated) and the relaxation noise
/// (Gauss-Legendre quadrature split where b flips) must equal the gradient of the exactly
/// enumerated ELBO (central differences). Deterministic: no false-failure rate beyond rounding.
@Suite struct RelaxVAEEstimatorTests {
    static let x: [Double] = [1, 0, 1]

    static func tinyModel(_ architecture: SigmoidBeliefVAE.Architecture, seed: UInt64) -> SigmoidBeliefVAE {
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
    static func noiseRows(logits a: [Double], pointsPerPiece m: Int) -> (u: Matrix, v: Matrix, w: [Double]) {
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

    static func controls(_ method: RelaxVAEMethod, _ mutation: RelaxVAEMutation, parent: Int, units: Int, seed: UInt64) -> RelaxVAEControls {
        var c = RelaxVAEControls(method: method, mutation: mutation, parentSize: parent, units: units, controlLearningRate: 1e-3)
        var s = RandomStream(seed: seed)
        c.randomise(&s)
        return c
    }

    /// max_i |E[g_i] - dELBO/da1_i| for the bottom layer.
    static func bottomLayerError(_ architecture: SigmoidBeliefVAE.Architecture, _ method: RelaxVAEMethod,
                                 _ mutation: RelaxVAEMutation = .none) -> Double {
        let model = tinyModel(architecture, seed: 11)
        let a1 = model.encoderLogits1(Matrix(rows: 1, cols: 3, data: x)).data
        let q = noiseRows(logits: a1, pointsPerPiece: 10)
        // For two layers, each quadrature row is repeated for every b2, weighted by q(b2 | b1).
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
        let c = controls(method, mutation, parent: 3, units: 2, seed: 5)
        let g = c.estimate(sample: sample, signal: f, parent: X, objective: { model.bottomObjective(x: X, v1: $0) })
        let h = SigmoidBeliefVAE.entropy(Matrix(rows: 1, cols: 2, data: a1)).gradient.data
        var worst = 0.0
        for i in 0..<2 {
            var expected = h[i]
            for r in 0..<rows { expected += weights[r] * g[r, i] }
            let exact = centralDifference { d in var m = model; m.e1[i] += d; return m.exactELBO(x: x) }
            worst = max(worst, abs(expected - exact))
        }
        return worst
    }

    /// max over b1 and i of |E[g_i | b1] - d/da2_i (E[f2 | b1] + H)| for the top layer of the 2-layer model.
    static func topLayerError(_ method: RelaxVAEMethod, _ mutation: RelaxVAEMutation = .none) -> Double {
        let model = tinyModel(.linear2, seed: 11)
        let b1s = SigmoidBeliefVAE.allSigns(2)
        var worst = 0.0
        for k in 0..<b1s.rows {
            let b1 = Array(b1s.row(k))
            let a2 = model.encoderLogits2(Matrix(rows: 1, cols: 2, data: b1)).data
            let q = noiseRows(logits: a2, pointsPerPiece: 10)
            let rows = q.w.count
            let B1 = repeated(b1, rows)
            let sample = RelaxVAELayerSample(logits: repeated(a2, rows), u: q.u, v: q.v)
            let f = model.topObjective(b1: B1, v2: sample.b).value
            let c = controls(method, mutation, parent: 2, units: 2, seed: 6)
            let g = c.estimate(sample: sample, signal: f, parent: B1, objective: { model.topObjective(b1: B1, v2: $0) })
            let h = SigmoidBeliefVAE.entropy(Matrix(rows: 1, cols: 2, data: a2)).gradient.data
            for i in 0..<2 {
                var expected = h[i]
                for r in 0..<rows { expected += q.w[r] * g[r, i] }
                let exact = centralDifference { d in var a = a2; a[i] += d; return model.exactTopObjective(b1: b1, a2: a) }
                worst = max(worst, abs(expected - exact))
            }
        }
        return worst
    }

    @Test(arguments: RelaxVAEMethod.allCases)
    func bottomLayerIsUnbiasedOneLayer(_ method: RelaxVAEMethod) {
        let e = Self.bottomLayerError(.linear1, method)
        #expect(e < 1e-6, "\(method): max |E[g] - grad ELBO| = \(e)")
    }

    @Test(arguments: RelaxVAEMethod.allCases)
    func bottomLayerIsUnbiasedTwoLayers(_ method: RelaxVAEMethod) {
        let e = Self.bottomLayerError(.linear2, method)
        #expect(e < 1e-6, "\(method): max |E[g] - grad ELBO| = \(e)")
    }

    @Test(arguments: RelaxVAEMethod.allCases)
    func topLayerIsUnbiasedGivenB1(_ method: RelaxVAEMethod) {
        let e = Self.topLayerError(method)
        #expect(e < 1e-6, "\(method): max |E[g | b1] - exact| = \(e)")
    }

    /// The per-layer targets add up to the ELBO's gradient: sum_b1 q(b1) d/da2 (E[f2 | b1] + H) = dELBO/de2.
    @Test func topLayerTargetsComposeToTheELBOGradient() {
        let model = Self.tinyModel(.linear2, seed: 11)
        let b1s = SigmoidBeliefVAE.allSigns(2)
        let X = Self.repeated(Self.x, b1s.rows)
        let lq1 = SigmoidBeliefVAE.logProbability(b1s, logits: model.encoderLogits1(X))
        for i in 0..<2 {
            var composed = 0.0
            for k in 0..<b1s.rows {
                let b1 = Array(b1s.row(k))
                let a2 = model.encoderLogits2(Matrix(rows: 1, cols: 2, data: b1)).data
                composed += exp(lq1[k]) * Self.centralDifference { d in var a = a2; a[i] += d; return model.exactTopObjective(b1: b1, a2: a) }
            }
            let exact = Self.centralDifference { d in var m = model; m.e2[i] += d; return m.exactELBO(x: Self.x) }
            #expect(abs(composed - exact) < 1e-7)
        }
    }

    @Test func mutantsAreBiased() {
        #expect(Self.bottomLayerError(.linear1, .muprop, .muPropWithoutMeanFieldTerm) > 1e-2)
        #expect(Self.bottomLayerError(.linear1, .relax, .relaxWithoutConditionalPathTerm) > 1e-2)
        #expect(Self.topLayerError(.muprop, .muPropWithoutMeanFieldTerm) > 1e-2)
        #expect(Self.topLayerError(.relax, .relaxWithoutConditionalPathTerm) > 1e-2)
    }

    /// The trainer's ELBO estimate is a sample of the ELBO: its mean over the enumeration of b equals exactELBO.
    @Test func elboSampleAveragesToTheExactELBO() {
        let model = Self.tinyModel(.linear1, seed: 3)
        let b = SigmoidBeliefVAE.allSigns(2)
        let X = Self.repeated(Self.x, b.rows)
        let f = model.elboSample(x: X, b1: b, b2: nil)
        let lq = SigmoidBeliefVAE.logProbability(b, logits: model.encoderLogits1(X))
        let mean = (0..<b.rows).reduce(0) { $0 + exp(lq[$1]) * f[$1] }
        #expect(abs(mean - model.exactELBO(x: Self.x)) < 1e-12)
    }
}
