import Foundation

/// The encoder-gradient estimators of the RELAX draft's Table 1, placed (as the draft's Section 6.2
/// does) on the logits a of one layer of ±1 Bernoulli latents: each returns, per row, an estimate of
/// d/da E_{q(b | a)}[f(b)], where f is the layer's learning signal (a black box at the drawn b) and,
/// for the control variates, a differentiable continuation f(v), v in [-1, 1]^n. Backpropagating
/// the estimate to the layer's weights gives the weight gradient.
public enum RelaxVAEMethod: String, Sendable, Codable, CaseIterable {
    /// REINFORCE with an input-dependent learned baseline C(parent) and running mean / variance
    /// normalisation of the learning signal (Mnih and Gregor, 2014):
    /// g = (f(b) - C - m) / max(1, s) * d log q(b).
    case nvil
    /// MuProp (Gu et al., 2016): g = (f(b) - f(mu) - f'(mu)(b - mu)) d log q(b) + f'(mu) dmu/da,
    /// mu = E[b] = tanh(a / 2), dmu/da = 2 sigmoid(a) sigmoid(-a).
    case muprop
    /// REBAR (RELAX draft Eq. 12): c(z) = eta f(s_lambda(z)), eta and lambda trained to minimise variance (Eq. 14).
    case rebar
    /// RELAX (Eq. 13) with c(z) = eta f(s_lambda(z)) + r_psi(z) (Section 6.2's "relaxed REBAR" form).
    case relax

    public var label: String {
        switch self { case .nvil: "NVIL"; case .muprop: "MuProp"; case .rebar: "REBAR"; case .relax: "RELAX" }
    }
}

/// A plausible bug, for the negative controls.
public enum RelaxVAEMutation: String, Sendable, Codable {
    case none
    /// MuProp without adding back f'(mu) dmu/da: the control variate's mean is never restored.
    case muPropWithoutMeanFieldTerm
    /// RELAX without the -d c(z~)/da path term of Eq. 13.
    case relaxWithoutConditionalPathTerm
}

/// The learned parts of one layer's estimator and their optimisers.
///
/// RELAX's r_psi (our choice, stated in the claim's setup): r(z) = r0(parent) + sum_j psi_j(parent) t(z_j),
/// t(z) = tanh(z / 2), with r0 and psi affine in the layer's parent (x or b1). It is linear in its
/// parameters, so the Eq. 14 variance gradient is written out exactly; the draft's r is a small MLP of z.
public struct RelaxVAEControls: Sendable {
    public let method: RelaxVAEMethod
    public let mutation: RelaxVAEMutation
    public let parentSize: Int
    public let units: Int
    // NVIL: baseline C(parent) = parent . w + d; running mean / variance of f - C.
    public var baselineW: [Double], baselineD: Double = 0
    public var runningMean = 0.0, runningVariance = 1.0
    public var runningDecay = 0.99
    /// Whether the running moments have been initialised (from the first minibatch: starting them at
    /// 0 and 1 would feed the encoder a signal of ~-200 nats for hundreds of steps and saturate it).
    public var runningMomentsStarted = false
    // REBAR / RELAX.
    public var eta: Double = 1
    public var logTemperature: Double = log(0.5)
    // RELAX's r.
    public var r0W: [Double], r0D: Double = 0
    public var psiW: Matrix, psiD: [Double]
    var adamBaseline: Adam, adamScalars: Adam, adamR: Adam

    public init(method: RelaxVAEMethod, mutation: RelaxVAEMutation = .none, parentSize: Int, units: Int,
                controlLearningRate: Double) {
        self.method = method; self.mutation = mutation; self.parentSize = parentSize; self.units = units
        baselineW = [Double](repeating: 0, count: parentSize)
        r0W = baselineW
        psiW = Matrix(rows: parentSize, cols: units); psiD = [Double](repeating: 0, count: units)
        adamBaseline = Adam(parameterCount: parentSize + 1, learningRate: controlLearningRate)
        adamScalars = Adam(parameterCount: 2, learningRate: controlLearningRate)
        // r has one weight per (parent input, unit): Adam moves every weight by ~lr per step whatever
        // the gradient's size, so r gets a tenth of the rate (else it becomes a large random function).
        adamR = Adam(parameterCount: parentSize + 1 + parentSize * units + units, learningRate: controlLearningRate / 10)
    }

    /// Random control parameters (for the exact tests: unbiasedness must hold for every value).
    public mutating func randomise(_ stream: inout RandomStream, scale: Double = 0.3) {
        baselineW = baselineW.map { _ in stream.normal(sd: scale) }; baselineD = stream.normal(sd: scale)
        runningMean = stream.normal(sd: scale); runningVariance = 0.5
        eta = 0.5 + stream.uniform(); logTemperature = log(0.8 + stream.uniform())
        r0W = r0W.map { _ in stream.normal(sd: scale) }; r0D = stream.normal(sd: scale)
        psiW = psiW.map { _ in stream.normal(sd: scale) }; psiD = psiD.map { _ in stream.normal(sd: scale) }
    }

    /// A layer's learning signal as a differentiable function of v in [-1, 1]^n (rows).
    public typealias Objective = (Matrix) -> (value: [Double], gradient: Matrix)

    /// The estimate of d/da E[f(b)] per row and unit (not including any entropy term).
    public func estimate(sample s: RelaxVAELayerSample, signal f: [Double], parent: Matrix, objective: Objective) -> Matrix {
        estimateWithParts(sample: s, signal: f, parent: parent, objective: objective).gradient
    }

    struct Parts {
        var gradient: Matrix
        /// REBAR/RELAX: the part multiplied by eta, Q(lambda), so g = g0 + eta Q.
        var q: Matrix?
    }

    /// C(parent) per row.
    func baseline(_ parent: Matrix) -> [Double] {
        (0..<parent.rows).map { r in (0..<parentSize).reduce(baselineD) { $0 + parent[r, $1] * baselineW[$1] } }
    }

    /// Q_i = -f(s(z~)) score_i + f'(s(z))_i s'(z_i) - f'(s(z~))_i s'(z~_i) dz~_i/da_i (Eq. 12 without eta).
    func rebarTerm(_ s: RelaxVAELayerSample, objective: Objective, logTemperature lt: Double) -> Matrix {
        let atZ = objective(s.z.map { SignedConcrete.value($0, logTemperature: lt) })
        let atZT = objective(s.zTilde.map { SignedConcrete.value($0, logTemperature: lt) })
        var q = Matrix(rows: s.b.rows, cols: s.b.cols)
        let dropTilde = mutation == .relaxWithoutConditionalPathTerm
        for r in 0..<q.rows { for i in 0..<q.cols {
            let k = r * q.cols + i
            var v = -atZT.value[r] * s.score.data[k] + atZ.gradient.data[k] * SignedConcrete.derivative(s.z.data[k], logTemperature: lt)
            if !dropTilde { v -= atZT.gradient.data[k] * SignedConcrete.derivative(s.zTilde.data[k], logTemperature: lt) * s.dzTildeDa.data[k] }
            q.data[k] = v
        } }
        return q
    }

    /// r's per-row pieces: r0, psi (rows x n).
    func rPieces(_ parent: Matrix) -> (r0: [Double], psi: Matrix) {
        let r0 = (0..<parent.rows).map { r in (0..<parentSize).reduce(r0D) { $0 + parent[r, $1] * r0W[$1] } }
        var psi = Matrix(rows: parent.rows, cols: units)
        Matrix.gemm(parent, psiW, into: &psi)
        psi.addRowVector(psiD)
        return (r0, psi)
    }

    @inlinable static func t(_ z: Double) -> Double { tanh(z / 2) }
    @inlinable static func tPrime(_ z: Double) -> Double { let y = tanh(z / 2); return 0.5 * (1 - y * y) }

    func estimateWithParts(sample s: RelaxVAELayerSample, signal f: [Double], parent: Matrix, objective: Objective) -> Parts {
        let rows = s.b.rows, n = s.b.cols
        var g = Matrix(rows: rows, cols: n)
        switch method {
        case .nvil:
            let c = baseline(parent)
            let scale = 1 / max(1, runningVariance.squareRoot())
            for r in 0..<rows {
                let signal = (f[r] - c[r] - runningMean) * scale
                for i in 0..<n { g[r, i] = signal * s.score[r, i] }
            }
            return Parts(gradient: g)
        case .muprop:
            let mu = s.logits.map { tanh($0 / 2) }
            let atMu = objective(mu)
            for r in 0..<rows {
                var taylor = atMu.value[r]
                for j in 0..<n { taylor += atMu.gradient[r, j] * (s.b[r, j] - mu[r, j]) }
                for i in 0..<n {
                    g[r, i] = (f[r] - taylor) * s.score[r, i]
                    if mutation != .muPropWithoutMeanFieldTerm {
                        let sig = Fn.sigmoid(s.logits[r, i])
                        g[r, i] += atMu.gradient[r, i] * 2 * sig * (1 - sig)
                    }
                }
            }
            return Parts(gradient: g)
        case .rebar, .relax:
            let q = rebarTerm(s, objective: objective, logTemperature: logTemperature)
            for k in g.data.indices { g.data[k] = f[k / n] * s.score.data[k] + eta * q.data[k] }
            if method == .relax {
                let (r0, psi) = rPieces(parent)
                let dropTilde = mutation == .relaxWithoutConditionalPathTerm
                for r in 0..<rows {
                    var rTilde = r0[r]
                    for j in 0..<n { rTilde += psi[r, j] * Self.t(s.zTilde[r, j]) }
                    for i in 0..<n {
                        var v = -rTilde * s.score[r, i] + psi[r, i] * Self.tPrime(s.z[r, i])
                        if !dropTilde { v -= psi[r, i] * Self.tPrime(s.zTilde[r, i]) * s.dzTildeDa[r, i] }
                        g[r, i] += v
                    }
                }
            }
            return Parts(gradient: g, q: q)
        }
    }

    /// One training step of the estimator: returns the estimate and updates the learned parts —
    /// NVIL's baseline (least squares on f - m) and running moments; REBAR/RELAX's eta, lambda
    /// (and psi) by Adam on the single-sample variance gradient d/dphi mean_rows |g|^2 (Eq. 14),
    /// with d/d log lambda by a central difference on common random numbers.
    public mutating func step(sample s: RelaxVAELayerSample, signal f: [Double], parent: Matrix, objective: Objective) -> Matrix {
        let parts = estimateWithParts(sample: s, signal: f, parent: parent, objective: objective)
        let rows = s.b.rows, n = s.b.cols, B = Double(rows)
        switch method {
        case .muprop: break
        case .nvil:
            let c = baseline(parent)
            let residual = (0..<rows).map { f[$0] - c[$0] }
            let m = residual.mean, v = residual.map { ($0 - m) * ($0 - m) }.mean
            // Least squares C(parent) ~ f - runningMean: gradient of mean (f - m - C)^2.
            var grad = [Double](repeating: 0, count: parentSize + 1)
            for r in 0..<rows {
                let e = -2 * (f[r] - runningMean - c[r]) / B
                for j in 0..<parentSize { grad[j] += e * parent[r, j] }
                grad[parentSize] += e
            }
            var p = baselineW + [baselineD]
            adamBaseline.update(&p, gradient: grad, .descend)
            baselineW = Array(p[0..<parentSize]); baselineD = p[parentSize]
            if runningMomentsStarted {
                runningMean = runningDecay * runningMean + (1 - runningDecay) * m
                runningVariance = runningDecay * runningVariance + (1 - runningDecay) * v
            } else {
                runningMean = m; runningVariance = v; runningMomentsStarted = true
            }
        case .rebar, .relax:
            let g = parts.gradient, q = parts.q!
            var dEta = 0.0
            for k in g.data.indices { dEta += 2 * g.data[k] * q.data[k] / B }
            // d/d log lambda by central difference: g(lambda') = g - eta Q(lambda) + eta Q(lambda').
            let h = 0.05
            func meanSquare(_ lt: Double) -> Double {
                let q2 = rebarTerm(s, objective: objective, logTemperature: lt)
                var total = 0.0
                for k in g.data.indices { let v = g.data[k] + eta * (q2.data[k] - q.data[k]); total += v * v }
                return total / B
            }
            let dLogLambda = (meanSquare(logTemperature + h) - meanSquare(logTemperature - h)) / (2 * h)
            var scalars = [eta, logTemperature]
            adamScalars.update(&scalars, gradient: [dEta, dLogLambda], .descend)
            eta = scalars[0]; logTemperature = min(max(scalars[1], log(0.05)), log(5))
            if method == .relax {
                // d|g|^2/dr0 = -2 sum_i g_i score_i; d|g|^2/dpsi_j = 2[-t(z~_j) sum_i g_i score_i + g_j (t'(z_j) - t'(z~_j) dz~_j/da_j)].
                var dR0 = [Double](repeating: 0, count: rows)
                var dPsi = Matrix(rows: rows, cols: n)
                for r in 0..<rows {
                    var gs = 0.0
                    for i in 0..<n { gs += g[r, i] * s.score[r, i] }
                    dR0[r] = -2 * gs / B
                    for j in 0..<n {
                        let path = Self.tPrime(s.z[r, j]) - Self.tPrime(s.zTilde[r, j]) * s.dzTildeDa[r, j]
                        dPsi[r, j] = 2 * (-Self.t(s.zTilde[r, j]) * gs + g[r, j] * path) / B
                    }
                }
                var gradR0W = [Double](repeating: 0, count: parentSize)
                for r in 0..<rows { for j in 0..<parentSize { gradR0W[j] += parent[r, j] * dR0[r] } }
                var gradPsiW = Matrix(rows: parentSize, cols: n)
                Matrix.gemm(parent, transposeA: true, dPsi, into: &gradPsiW)
                let gradPsiD = dPsi.columnSums()
                var p = r0W + [r0D] + psiW.data + psiD
                adamR.update(&p, gradient: gradR0W + [dR0.reduce(0, +)] + gradPsiW.data + gradPsiD, .descend)
                r0W = Array(p[0..<parentSize]); r0D = p[parentSize]
                psiW.data = Array(p[(parentSize + 1)..<(parentSize + 1 + parentSize * n)])
                psiD = Array(p[(parentSize + 1 + parentSize * n)...])
            }
        }
        return parts.gradient
    }
}
