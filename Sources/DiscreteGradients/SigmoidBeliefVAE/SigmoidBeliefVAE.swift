import Foundation

/// The Bernoulli VAE of the RELAX draft's Section 6.2 (after Tucker et al., 2017): binary pixels x,
/// one or two layers of Bernoulli latents with values in {-1, +1}, linear maps between layers.
///
///   generative  1 layer: p(b1) p(x | b1);             2 layers: p(b2) p(b1 | b2) p(x | b1)
///   encoder     1 layer: q(b1 | x);                   2 layers: q(b1 | x) q(b2 | b1)
///
/// every conditional a factorised Bernoulli whose logits are an affine map of its parent
/// (row-vector convention: logits = parent . W + c, over a minibatch through `Matrix.gemm`).
/// A value v in [-1, 1] enters log-probabilities through the relaxed log-likelihood
/// logBern(v; a) = (1 + v)/2 log sigmoid(a) + (1 - v)/2 log sigmoid(-a), exact at v = +-1 and
/// linear in v, which is what REBAR's relaxation and MuProp's mean field evaluate.
public struct SigmoidBeliefVAE: Sendable, Codable {
    public enum Architecture: String, Sendable, Codable, CaseIterable {
        case linear1 = "linear1", linear2 = "linear2"
        public var layers: Int { self == .linear1 ? 1 : 2 }
        public var label: String { self == .linear1 ? "linear 1 layer" : "linear 2 layer" }
    }

    public let architecture: Architecture
    public let pixels: Int
    /// Units per latent layer, bottom (next to x) first.
    public let units: [Int]

    // Encoder: a1 = x E1 + e1; a2 = b1 E2 + e2.
    public var E1: Matrix, e1: [Double]
    public var E2: Matrix, e2: [Double]
    // Generative: decoder logits x: b1 Wd + cd; 2 layers: b1 logits b2 W21 + c21; top prior logits.
    public var Wd: Matrix, cd: [Double]
    public var W21: Matrix, c21: [Double]
    public var prior: [Double]

    /// Small random weights N(0, 0.01^2 ... 1/fan-in), zero biases; the decoder bias starts at the
    /// logit of the mean pixel intensity when given (a standard initialisation that speeds early training).
    public init(architecture: Architecture, pixels: Int, units: [Int], pixelMeans: [Double]? = nil,
                weightScale: Double = 1, stream: inout RandomStream) {
        precondition(units.count == architecture.layers && units.allSatisfy { $0 > 0 })
        self.architecture = architecture; self.pixels = pixels; self.units = units
        func random(_ r: Int, _ c: Int) -> Matrix {
            let sd = weightScale / Double(r).squareRoot()
            return Matrix(rows: r, cols: c, data: (0..<(r * c)).map { _ in stream.normal(sd: sd) })
        }
        let n1 = units[0], n2 = units.count > 1 ? units[1] : 0
        E1 = random(pixels, n1); e1 = [Double](repeating: 0, count: n1)
        E2 = random(n1, n2); e2 = [Double](repeating: 0, count: n2)
        Wd = random(n1, pixels)
        cd = (pixelMeans ?? [Double](repeating: 0.5, count: pixels)).map { Fn.logit(min(max($0, 1e-3), 1 - 1e-3)) }
        W21 = random(n2, n1); c21 = [Double](repeating: 0, count: n1)
        prior = [Double](repeating: 0, count: units.last!)
    }

    // MARK: Elementary pieces

    /// logBern(v; a) summed over a row, for ±1 or relaxed v.
    @inlinable static func logBern(_ v: Double, _ a: Double) -> Double {
        0.5 * (1 + v) * Fn.logSigmoid(a) + 0.5 * (1 - v) * Fn.logSigmoid(-a)
    }
    /// Entropy of Bern(sigmoid(a)) and its derivative -a sigmoid(a) sigmoid(-a).
    @inlinable static func entropy(_ a: Double) -> (h: Double, dh: Double) {
        let s = Fn.sigmoid(a), t = Fn.sigmoid(-a)
        return (-s * Fn.logSigmoid(a) - t * Fn.logSigmoid(-a), -a * s * t)
    }

    /// parent . W + c.
    static func affine(_ parent: Matrix, _ W: Matrix, _ c: [Double]) -> Matrix {
        var out = Matrix(rows: parent.rows, cols: W.cols)
        Matrix.gemm(parent, W, into: &out)
        out.addRowVector(c)
        return out
    }

    /// Encoder logits of layer 1 (a1 = x E1 + e1) and layer 2 given b1 (a2 = b1 E2 + e2).
    public func encoderLogits1(_ x: Matrix) -> Matrix { Self.affine(x, E1, e1) }
    public func encoderLogits2(_ b1: Matrix) -> Matrix { Self.affine(b1, E2, e2) }

    /// Rowwise sum of Bernoulli entropies and dH/da.
    public static func entropy(_ a: Matrix) -> (value: [Double], gradient: Matrix) {
        var value = [Double](repeating: 0, count: a.rows), grad = Matrix(rows: a.rows, cols: a.cols)
        for r in 0..<a.rows { for j in 0..<a.cols {
            let e = entropy(a[r, j]); value[r] += e.h; grad[r, j] = e.dh
        } }
        return (value, grad)
    }

    /// Rowwise log q(b | logits) for ±1 b.
    public static func logProbability(_ b: Matrix, logits a: Matrix) -> [Double] {
        (0..<b.rows).map { r in (0..<b.cols).reduce(0) { $0 + logBern(b[r, $1], a[r, $1]) } }
    }

    // MARK: Layer objectives (values of one layer's latents -> learning signal)

    /// log p(x | v1) for binary x, and its gradients along v1 and along the decoder logits.
    func decoderTerm(_ x: Matrix, _ v1: Matrix) -> (value: [Double], dv: Matrix, dLogits: Matrix) {
        let logits = Self.affine(v1, Wd, cd)
        var value = [Double](repeating: 0, count: x.rows), dl = Matrix(rows: x.rows, cols: pixels)
        for r in 0..<x.rows { for j in 0..<pixels {
            let a = logits[r, j], xi = x[r, j]
            value[r] += xi > 0.5 ? Fn.logSigmoid(a) : Fn.logSigmoid(-a)
            dl[r, j] = xi - Fn.sigmoid(a)
        } }
        var dv = Matrix(rows: x.rows, cols: v1.cols)
        Matrix.gemm(dl, Wd, transposeB: true, into: &dv)
        return (value, dv, dl)
    }

    /// sum_i logBern(child_i; (parent W + c)_i), with gradients along parent, child and the logits.
    static func conditionalTerm(child: Matrix, parent: Matrix, _ W: Matrix, _ c: [Double])
        -> (value: [Double], dParent: Matrix, dChild: Matrix, dLogits: Matrix) {
        let logits = affine(parent, W, c)
        var value = [Double](repeating: 0, count: child.rows)
        var dl = Matrix(rows: child.rows, cols: child.cols), dc = dl
        for r in 0..<child.rows { for i in 0..<child.cols {
            let a = logits[r, i], v = child[r, i]
            value[r] += logBern(v, a)
            dl[r, i] = 0.5 * (1 + v) - Fn.sigmoid(a)
            dc[r, i] = 0.5 * a        // d logBern / dv = (log sigmoid(a) - log sigmoid(-a)) / 2
        } }
        var dp = Matrix(rows: parent.rows, cols: parent.cols)
        Matrix.gemm(dl, W, transposeB: true, into: &dp)
        return (value, dp, dc, dl)
    }

    /// sum_i logBern(v_i; prior_i) and its gradient along v (prior / 2).
    func priorTerm(_ v: Matrix) -> (value: [Double], dv: Matrix) {
        var value = [Double](repeating: 0, count: v.rows), dv = Matrix(rows: v.rows, cols: v.cols)
        for r in 0..<v.rows { for i in 0..<v.cols { value[r] += Self.logBern(v[r, i], prior[i]); dv[r, i] = 0.5 * prior[i] } }
        return (value, dv)
    }

    /// The learning signal of the bottom layer as a differentiable function of v1 (rows).
    ///
    /// 1 layer: f(v1) = log p(x | v1) + log p(v1), exact at ±1.
    /// 2 layers: the mean-field continuation F(v1) = log p(x | v1) + H(q(b2 | v1)) + log p(v1 | m2) + log p(m2)
    /// with m2 = E[b2 | v1] = tanh(a2 / 2); the sampled signal (`bottomSignal`) uses a drawn b2 instead.
    /// Used only inside control variates (MuProp's Taylor expansion, REBAR/RELAX's relaxation),
    /// which stay unbiased for any differentiable function of v1.
    public func bottomObjective(x: Matrix, v1: Matrix) -> (value: [Double], gradient: Matrix) {
        let dec = decoderTerm(x, v1)
        if architecture == .linear1 {
            let p = priorTerm(v1)
            var g = dec.dv
            for k in g.data.indices { g.data[k] += p.dv.data[k] }
            return (zip(dec.value, p.value).map(+), g)
        }
        let a2 = encoderLogits2(v1)
        let h = Self.entropy(a2)
        let m2 = a2.map { tanh($0 / 2) }
        let cond = Self.conditionalTerm(child: v1, parent: m2, W21, c21)
        let p = priorTerm(m2)
        // d/d a2 = dH/da2 + dm2/da2 * (d cond/d m2 + d prior/d m2), dm2/da2 = (1 - m2^2) / 2.
        var dA2 = h.gradient
        for k in dA2.data.indices {
            dA2.data[k] += 0.5 * (1 - m2.data[k] * m2.data[k]) * (cond.dParent.data[k] + p.dv.data[k])
        }
        var g = Matrix(rows: v1.rows, cols: v1.cols)
        Matrix.gemm(dA2, E2, transposeB: true, into: &g)
        for k in g.data.indices { g.data[k] += dec.dv.data[k] + cond.dChild.data[k] }
        let value = (0..<v1.rows).map { dec.value[$0] + h.value[$0] + cond.value[$0] + p.value[$0] }
        return (value, g)
    }

    /// The top layer's learning signal given b1 (2 layers): f2(v2) = log p(b1 | v2) + log p(v2).
    public func topObjective(b1: Matrix, v2: Matrix) -> (value: [Double], gradient: Matrix) {
        let cond = Self.conditionalTerm(child: b1, parent: v2, W21, c21)
        let p = priorTerm(v2)
        var g = cond.dParent
        for k in g.data.indices { g.data[k] += p.dv.data[k] }
        return (zip(cond.value, p.value).map(+), g)
    }

    /// The sampled bottom-layer signal of the 2-layer model: log p(x | b1) + H(q(b2 | b1)) + f2(b2)
    /// (an unbiased sample of E[log p(x, b) - log q(b2 | b1) | b1] since E[-log q(b2|b1) | b1] = H).
    public func bottomSignal(x: Matrix, b1: Matrix, b2: Matrix) -> [Double] {
        let dec = decoderTerm(x, b1)
        if architecture == .linear1 { return zip(dec.value, priorTerm(b1).value).map(+) }
        let h = Self.entropy(encoderLogits2(b1)).value
        let top = topObjective(b1: b1, v2: b2).value
        return (0..<x.rows).map { dec.value[$0] + h[$0] + top[$0] }
    }

    // MARK: Generative gradients and the ELBO at a sample

    /// Gradient of log p(x, b) along the generative parameters (the decoder's gradient is exact
    /// given b: the same for every estimator), averaged over rows.
    public struct GenerativeGradient: Sendable {
        public var Wd: Matrix, cd: [Double], W21: Matrix, c21: [Double], prior: [Double]
    }

    public func generativeGradient(x: Matrix, b1: Matrix, b2: Matrix?) -> GenerativeGradient {
        let B = Double(x.rows)
        let dec = decoderTerm(x, b1)
        var gWd = Matrix(rows: Wd.rows, cols: Wd.cols)
        Matrix.gemm(b1, transposeA: true, dec.dLogits, alpha: 1 / B, into: &gWd)
        let gcd = dec.dLogits.columnSums().map { $0 / B }
        var gW21 = Matrix(rows: W21.rows, cols: W21.cols), gc21 = c21.map { _ in 0.0 }
        let top = b2 ?? b1
        if let b2 {
            let cond = Self.conditionalTerm(child: b1, parent: b2, W21, c21)
            Matrix.gemm(b2, transposeA: true, cond.dLogits, alpha: 1 / B, into: &gW21)
            gc21 = cond.dLogits.columnSums().map { $0 / B }
        }
        // d logBern(v; p) / dp = (1 + v)/2 - sigmoid(p).
        var gPrior = [Double](repeating: 0, count: prior.count)
        for r in 0..<top.rows { for i in 0..<top.cols { gPrior[i] += (0.5 * (1 + top[r, i]) - Fn.sigmoid(prior[i])) / B } }
        return GenerativeGradient(Wd: gWd, cd: gcd, W21: gW21, c21: gc21, prior: gPrior)
    }

    /// log p(x, b) - log q(b | x) per row: the single-sample ELBO estimate.
    public func elboSample(x: Matrix, b1: Matrix, b2: Matrix?) -> [Double] {
        let a1 = encoderLogits1(x)
        var out = zip(decoderTerm(x, b1).value, Self.logProbability(b1, logits: a1)).map { $0 - $1 }
        if let b2 {
            let cond = Self.conditionalTerm(child: b1, parent: b2, W21, c21).value
            let lq2 = Self.logProbability(b2, logits: encoderLogits2(b1))
            let p = priorTerm(b2).value
            for r in out.indices { out[r] += cond[r] + p[r] - lq2[r] }
        } else {
            let p = priorTerm(b1).value
            for r in out.indices { out[r] += p[r] }
        }
        return out
    }

    // MARK: Exact ELBO by enumeration (tiny models)

    /// All ±1 vectors of length n, as rows.
    public static func allSigns(_ n: Int) -> Matrix {
        let count = 1 << n
        var m = Matrix(rows: count, cols: n)
        for k in 0..<count { for i in 0..<n { m[k, i] = (k >> i) & 1 == 1 ? 1 : -1 } }
        return m
    }

    /// ELBO(x) = sum_b q(b | x) [log p(x, b) - log q(b | x)] for one image, by enumeration.
    public func exactELBO(x: [Double]) -> Double {
        let n1 = units[0]
        let b1s = Self.allSigns(n1)
        let X = Matrix(rows: b1s.rows, cols: pixels, data: (0..<b1s.rows).flatMap { _ in x })
        if architecture == .linear1 {
            let f = elboSample(x: X, b1: b1s, b2: nil)
            let lq = Self.logProbability(b1s, logits: encoderLogits1(X))
            return (0..<b1s.rows).reduce(0) { $0 + exp(lq[$1]) * f[$1] }
        }
        let n2 = units[1], b2s = Self.allSigns(n2)
        var total = 0.0
        for k in 0..<b1s.rows {
            let B1 = Matrix(rows: b2s.rows, cols: n1, data: (0..<b2s.rows).flatMap { _ in Array(b1s.row(k)) })
            let Xk = Matrix(rows: b2s.rows, cols: pixels, data: (0..<b2s.rows).flatMap { _ in x })
            let f = elboSample(x: Xk, b1: B1, b2: b2s)
            let lq = zip(Self.logProbability(B1, logits: encoderLogits1(Xk)), Self.logProbability(b2s, logits: encoderLogits2(B1))).map(+)
            for r in 0..<b2s.rows { total += exp(lq[r]) * f[r] }
        }
        return total
    }

    /// E_{b2 ~ q(b2 | b1)}[f2(b2)] + H(q(b2 | b1)) with the top encoder logits set to `a2`: the
    /// part of the 2-layer ELBO that depends on a2 given b1 (for exact per-layer checks).
    public func exactTopObjective(b1: [Double], a2: [Double]) -> Double {
        let b2s = Self.allSigns(units[1])
        let B1 = Matrix(rows: b2s.rows, cols: units[0], data: (0..<b2s.rows).flatMap { _ in b1 })
        let A2 = Matrix(rows: b2s.rows, cols: units[1], data: (0..<b2s.rows).flatMap { _ in a2 })
        let f = topObjective(b1: B1, v2: b2s).value
        let lq = Self.logProbability(b2s, logits: A2)
        let h = Self.entropy(Matrix(rows: 1, cols: a2.count, data: a2)).value[0]
        return (0..<b2s.rows).reduce(h) { $0 + exp(lq[$1]) * f[$1] }
    }
}
