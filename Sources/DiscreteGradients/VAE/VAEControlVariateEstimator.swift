import Foundation

/// The control-variate estimators of the RELAX draft's Table 1 on a `DiscreteVAE`, placed (as the
/// draft's Section 6.2 does) on the logits a of one encoder layer at a time: each returns, per
/// example and unit, an estimate of d/da E[f_e], f_e the layer's downstream learning signal
/// (`ELBOComponents.downstream(of:)`, a black box at the drawn b), plus the exact gradient of the
/// layer's own entropy. The control variates evaluate the model's continuation F_e(v)
/// (`DiscreteVAE.continuation`), so nothing model-specific lives here.
public enum VAEControlVariateMethod: String, Codable, Sendable, CaseIterable {
    /// REINFORCE with an input-dependent learned baseline C(Phi_e) and running centring and
    /// variance normalisation of the signal (Mnih and Gregor 2014, Section 3):
    /// g = (f - C - m) / max(1, s) d log q(b)/da. The normalisation rescales, it does not bias
    /// the direction; unbiased as an estimate of the gradient where s <= 1.
    case nvil
    /// MuProp (Gu et al. 2016, Eq. 6-7) with NVIL's baseline and centring:
    /// g = (f - F(mu) - F'(mu)(b - mu) - C - m) d log q(b)/da + F'(mu) dmu/da, mu = E[b].
    case muprop
    /// REBAR (RELAX draft Eq. 12): c(z) = eta F(s_lambda(z)).
    case rebar
    /// RELAX (Eq. 13) with c(z) = eta F(s_lambda(z)) + r_psi(z) (Section 6.2's form).
    case relax
    /// LAX (Eq. 5 on z, b = H(z)): g = (f(b) - r(z)) d log p(z)/da + dr(z)/da.
    case lax

    public var label: String {
        switch self { case .nvil: "NVIL"; case .muprop: "MuProp"; case .rebar: "REBAR"; case .relax: "RELAX"; case .lax: "LAX" }
    }
    /// Whether the method draws z (and z~) rather than b alone.
    public var needsRelaxation: Bool { self == .rebar || self == .relax || self == .lax }
    public var usesBaseline: Bool { self == .nvil || self == .muprop }
    public var usesR: Bool { self == .relax || self == .lax }
}

/// A plausible bug, for the negative controls.
public enum VAEControlVariateMutation: String, Codable, Sendable {
    case none
    /// MuProp without adding back F'(mu) dmu/da: the control variate's mean is never restored.
    case muPropWithoutMeanFieldTerm
    /// REBAR/RELAX without the -dc(z~)/da path term of Eq. 13.
    case relaxWithoutConditionalPathTerm
}

/// The learned parts of one layer's estimator.
public struct VAELayerControls: Codable, Sendable {
    /// NVIL/MuProp: C(Phi_e), a tanh network on the layer's input.
    public var baseline: TanhNetwork?
    /// Running mean and variance of f - C (NVIL's centring and normalisation).
    public var runningMean = 0.0, runningVariance = 1.0
    public var runningMomentsStarted = false
    /// REBAR/RELAX: eta and log lambda (the draft's code starts them at 1 and log 0.5).
    public var eta = 1.0
    public var logTemperature = log(0.5)
    /// RELAX/LAX: r_psi on [x, Phi_1 ... Phi_e, z].
    public var r: TanhNetwork?
}

/// One encoder-gradient estimator of the control-variate family, with per-layer learned parts.
public struct VAEControlVariateEstimator: Sendable {
    public let method: VAEControlVariateMethod
    public let mutation: VAEControlVariateMutation
    public var layers: [VAELayerControls]
    /// The learned parts' optimisers, per layer (nil: frozen; `learnLearnedParts`).
    var optimisers: [VAELayerControlOptimisers]? = nil

    /// Learned parts sized for `vae`: baseline networks with `baselineHidden` tanh units on the
    /// layer's input; r networks with `rHidden` on [x, samples up to the layer, z]. Every network
    /// starts at the zero function (its output weights 0).
    public init(_ method: VAEControlVariateMethod, for vae: DiscreteVAE, baselineHidden: [Int] = [100], rHidden: [Int] = [200, 200],
                mutation: VAEControlVariateMutation = .none, stream: inout RandomStream) {
        self.method = method; self.mutation = mutation
        var layers: [VAELayerControls] = []
        for e in 0..<vae.layerCount {
            var c = VAELayerControls()
            if method.usesBaseline { c.baseline = TanhNetwork(inputs: vae.encoder[e].inputCount, hidden: baselineHidden, stream: &stream) }
            if method.usesR {
                c.r = TanhNetwork(inputs: vae.inputCount + vae.latentSizes[0...e].reduce(0, +), hidden: rHidden, stream: &stream)
            }
            layers.append(c)
        }
        self.layers = layers
    }

    /// Random learned parts (for the exact tests: unbiasedness must hold for every value).
    public mutating func randomise(_ stream: inout RandomStream, scale: Double = 0.3) {
        for e in layers.indices {
            if var b = layers[e].baseline { b.parameters = b.parameters.map { _ in stream.normal(sd: scale) }; layers[e].baseline = b }
            layers[e].runningMean = stream.normal(sd: scale); layers[e].runningVariance = 0.5
            layers[e].eta = 0.5 + stream.uniform(); layers[e].logTemperature = log(0.8 + stream.uniform())
            if var r = layers[e].r { r.parameters = r.parameters.map { _ in stream.normal(sd: scale) }; layers[e].r = r }
        }
    }

    /// r's input rows [x, Phi_1 ... Phi_e, z] for layer e.
    static func rInput(_ pass: VAEPass, layer e: Int, z: Matrix) -> Matrix {
        let blocks = [pass.input] + (1...max(1, e)).compactMap { k in e >= k ? pass.phi(k) : nil } + [z]
        let cols = blocks.reduce(0) { $0 + $1.cols }
        var out = Matrix(rows: z.rows, cols: cols)
        for b in 0..<z.rows {
            var c = 0
            for m in blocks { for j in 0..<m.cols { out[b, c] = m[b, j]; c += 1 } }
        }
        return out
    }

    /// r(z) per row and dr/dz.
    static func evaluateR(_ r: TanhNetwork, _ pass: VAEPass, layer e: Int, z: Matrix) -> (value: [Double], dz: Matrix) {
        let f = r.forward(rInput(pass, layer: e, z: z))
        let din = r.backward(f, outputGradient: [Double](repeating: 1, count: z.rows), parameterGradient: false).input
        var dz = Matrix(rows: z.rows, cols: z.cols)
        let offset = din.cols - z.cols
        for b in 0..<z.rows { for j in 0..<z.cols { dz[b, j] = din[b, offset + j] } }
        return (f.output, dz)
    }

    /// The baseline-and-centring term C(Phi_e) + m per row.
    func centre(_ pass: VAEPass, layer e: Int) -> [Double] {
        let c = layers[e]
        guard let net = c.baseline else { return [Double](repeating: c.runningMean, count: pass.batchSize) }
        return net.forward(pass.encoder[e].input).output.map { $0 + c.runningMean }
    }

    /// Layer e's logit-gradient estimate [batch x units] on `pass` (and, for REBAR/RELAX/LAX, the
    /// layer's relaxation), the exact entropy gradient -a sigma'(a) included.
    public func layerSignal(_ vae: DiscreteVAE, _ pass: VAEPass, layer e: Int, relaxation: VAERelaxation?) -> Matrix {
        let layer = pass.encoder[e]
        let B = pass.batchSize, n = layer.logits.cols
        let fired = vae.indicators(layer.values)
        let f = ELBOComponents(vae, pass).downstream(of: e)
        let controls = layers[e]
        var g = Matrix(rows: B, cols: n)
        switch method {
        case .nvil:
            let centre = centre(pass, layer: e)
            // NVIL divides by max(1, running sd); MuProp centres without normalising.
            let scale = 1 / max(1, controls.runningVariance.squareRoot())
            for b in 0..<B {
                let s = (f[b] - centre[b]) * scale
                for j in 0..<n { g[b, j] = s * (fired[b, j] - layer.probabilities[b, j]) }
            }
        case .muprop:
            let centre = centre(pass, layer: e)
            let gap = vae.coding.gap, off = vae.coding.off
            let mu = layer.probabilities.map { off + gap * $0 }
            let atMu = vae.continuation(layer: e, pass: pass, values: mu)
            for b in 0..<B {
                var taylor = atMu.value[b] + centre[b]
                for j in 0..<n { taylor += atMu.gradient[b, j] * (layer.values[b, j] - mu[b, j]) }
                for j in 0..<n {
                    let p = layer.probabilities[b, j]
                    g[b, j] = (f[b] - taylor) * (fired[b, j] - p)
                    if mutation != .muPropWithoutMeanFieldTerm { g[b, j] += atMu.gradient[b, j] * gap * p * (1 - p) }
                }
            }
        case .rebar, .relax:
            guard let rx = relaxation else { preconditionFailure("\(method.label) needs the layer's relaxation") }
            let lt = controls.logTemperature, eta = controls.eta
            let sz = rx.z.map { VAERelaxation.relaxed($0, logTemperature: lt, coding: vae.coding).value }
            let szt = rx.zTilde.map { VAERelaxation.relaxed($0, logTemperature: lt, coding: vae.coding).value }
            let atZ = vae.continuation(layer: e, pass: pass, values: sz)
            let atZT = vae.continuation(layer: e, pass: pass, values: szt)
            var rT = [Double](repeating: 0, count: B), drZ = Matrix(rows: B, cols: n), drZT = drZ
            if method == .relax, let r = controls.r {
                let a = Self.evaluateR(r, pass, layer: e, z: rx.z), t = Self.evaluateR(r, pass, layer: e, z: rx.zTilde)
                rT = t.value; drZ = a.dz; drZT = t.dz
            }
            let keepTilde = mutation != .relaxWithoutConditionalPathTerm
            for b in 0..<B {
                let cTilde = eta * atZT.value[b] + rT[b]
                for j in 0..<n {
                    let k = b * n + j
                    let slopeZ = VAERelaxation.relaxed(rx.z.data[k], logTemperature: lt, coding: vae.coding).slope
                    let slopeZT = VAERelaxation.relaxed(rx.zTilde.data[k], logTemperature: lt, coding: vae.coding).slope
                    var v = (f[b] - cTilde) * (fired.data[k] - layer.probabilities.data[k])
                    v += eta * atZ.gradient.data[k] * slopeZ + drZ.data[k]
                    if keepTilde { v -= (eta * atZT.gradient.data[k] * slopeZT + drZT.data[k]) * rx.dzTildeDa.data[k] }
                    g.data[k] = v
                }
            }
        case .lax:
            guard let rx = relaxation else { preconditionFailure("LAX needs the layer's relaxation") }
            var rZ = [Double](repeating: 0, count: B), drZ = Matrix(rows: B, cols: n)
            if let r = controls.r { let a = Self.evaluateR(r, pass, layer: e, z: rx.z); rZ = a.value; drZ = a.dz }
            for b in 0..<B {
                for j in 0..<n {
                    let k = b * n + j
                    // d/da log p(z | a) for logistic z - a: sigma(z - a) - sigma(a - z).
                    let score = 2 * Fn.sigmoid(rx.z.data[k] - layer.logits.data[k]) - 1
                    g.data[k] = (f[b] - rZ[b]) * score + drZ.data[k]
                }
            }
        }
        // The layer's own entropy component: dH/da = -a sigma'(a).
        for k in g.data.indices {
            let p = layer.probabilities.data[k]
            g.data[k] -= layer.logits.data[k] * p * (1 - p)
        }
        return g
    }
}
