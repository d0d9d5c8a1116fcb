import Foundation

/// A discrete hierarchical VAE with L linear stochastic layers of Bernoulli units (HNCA paper
/// Section 2.2; the RELAX draft's Section 6.2 VAEs are the same model with units coded +-1).
/// The latents' coding (`coding`: 0/1 or +-1, every layer alike) is read off the layers; the
/// input X is always 0/1 pixels. A unit "fires" (value 1) with probability sigma(logit).
/// Indices are 0-based in code: encoder layer e is q_{e+1}, producing Phi_{e+1} from Phi_e (Phi_0 = X); decoder layer k is p_k, producing Phi_k from Phi_{k+1};
/// the prior p_L is a vector of Bernoullis with learned logits.
///
///   generative: X ~ p_0(X | Phi_1), Phi_1 ~ p_1(Phi_1 | Phi_2), ..., Phi_L ~ p_L(Phi_L)
///   encoder:    Phi_1 ~ q_1(Phi_1 | X), ..., Phi_L ~ q_L(Phi_L | Phi_{L-1})
public struct DiscreteVAE: Codable, Sendable, Equatable {
    /// q_1 ... q_L.
    public var encoder: [BernoulliLayer]
    /// p_0 ... p_{L-1}: decoder[k] maps Phi_{k+1} to the firing probabilities of Phi_k.
    public var decoder: [BernoulliLayer]
    /// Logits of the prior p_L(Phi_L).
    public var priorLogits: [Double]
    /// Subtracted from X before the encoder reads it (the RELAX draft's code centres the input by
    /// the training pixel means); the decoder's targets stay X. nil: the encoder reads X.
    public var inputOffset: [Double]? = nil

    public init(encoder: [BernoulliLayer], decoder: [BernoulliLayer], priorLogits: [Double]) {
        precondition(!encoder.isEmpty && encoder.count == decoder.count, "DiscreteVAE: L encoder and L decoder layers")
        for e in encoder.indices {
            precondition(decoder[e].inputCount == encoder[e].unitCount && decoder[e].unitCount == encoder[e].inputCount,
                         "DiscreteVAE: decoder layer \(e) must invert encoder layer \(e)")
            if e > 0 { precondition(encoder[e].inputCount == encoder[e - 1].unitCount, "DiscreteVAE: encoder layer sizes") }
        }
        precondition(priorLogits.count == encoder.last!.unitCount, "DiscreteVAE: prior size")
        self.encoder = encoder; self.decoder = decoder; self.priorLogits = priorLogits
    }

    /// Glorot-uniform weights, zero biases and zero prior logits (as the paper's code initialises).
    /// `coding` is the latents' coding (the decoder's bottom layer emits 0/1 pixels whatever it is).
    public static func glorotUniform(inputs: Int, latent: [Int], coding: UnitEncoding = .zeroOne,
                                     stream: inout RandomStream) -> DiscreteVAE {
        precondition(!latent.isEmpty)
        let below = [inputs] + latent.dropLast()
        var encoder: [BernoulliLayer] = [], decoder: [BernoulliLayer] = []
        for e in latent.indices {
            encoder.append(.glorotUniform(inputs: below[e], units: latent[e], encoding: coding, stream: &stream))
        }
        for e in latent.indices {
            decoder.append(.glorotUniform(inputs: latent[e], units: below[e], encoding: e == 0 ? .zeroOne : coding, stream: &stream))
        }
        return DiscreteVAE(encoder: encoder, decoder: decoder, priorLogits: .init(repeating: 0, count: latent.last!))
    }

    public var layerCount: Int { encoder.count }
    /// How the latents are coded: 0/1 (HNCA) or +-1 (RELAX draft, Tucker et al. 2017).
    public var coding: UnitEncoding { encoder[0].encoding }
    /// The 0/1 firing indicators of coded latent values: the values themselves for 0/1 coding,
    /// (1 + v) / 2 for +-1 (also on relaxed values in [-1, 1], where it is linear).
    public func indicators(_ values: Matrix) -> Matrix { coding == .zeroOne ? values : values.map { 0.5 * (1 + $0) } }
    /// Phi_k as 0/1 indicators (k = 0: the pixels).
    public func indicators(of pass: VAEPass, _ k: Int) -> Matrix { k == 0 ? pass.input : indicators(pass.phi(k)) }
    public var inputCount: Int { encoder[0].inputCount }
    public var latentSizes: [Int] { encoder.map(\.unitCount) }
    public var encoderParameterCount: Int { encoder.reduce(0) { $0 + $1.parameters.count } }
    /// Encoder parameters layer by layer (weights row by row, then biases).
    public var encoderParameters: [Double] { encoder.flatMap(\.parameters.flattened) }
    public func with(encoderParameters theta: [Double]) -> DiscreteVAE {
        precondition(theta.count == encoderParameterCount)
        var copy = self, k = 0
        for e in encoder.indices {
            let w = copy.encoder[e].parameters.weights
            let n = w.data.count, m = copy.encoder[e].unitCount
            copy.encoder[e].parameters = LayerParameters(weights: Matrix(rows: w.rows, cols: w.cols, data: Array(theta[k..<(k + n)])),
                                                         bias: Array(theta[(k + n)..<(k + n + m)]))
            k += n + m
        }
        return copy
    }

    // MARK: Passes

    /// What encoder layer 0 reads: X, or X - inputOffset.
    public func encoderInput(_ x: Matrix) -> Matrix {
        guard let o = inputOffset else { return x }
        var c = x
        c.addRowVector(o.map { -$0 })
        return c
    }

    /// Evaluates every layer on given latent values `values[e]` = Phi_{e+1} (rows are examples).
    public func evaluate(_ x: Matrix, values: [Matrix]) -> VAEPass {
        precondition(values.count == layerCount)
        var samples: [BernoulliLayerSample] = []
        var below = encoderInput(x)
        for e in encoder.indices {
            samples.append(encoder[e].evaluate(below, values: values[e]))
            Self.countLayer(encoder[e], rows: x.rows, sigmoid: true)
            below = values[e]
        }
        return VAEPass(input: x, encoder: samples, decoderLogits: decoder.indices.map { decoderLogits($0, values[$0]) })
    }

    /// The pass `base` with layers e, e+1, ..., L-1 replaced: layer e takes `first` if given
    /// (DisARM's antithetic partner) or a fresh draw; later layers are drawn afresh. Layers
    /// below e are reused, so this partial forward pass costs O(L - e) layers.
    public func resample(_ base: VAEPass, from e: Int, first: Matrix? = nil, stream: inout RandomStream) -> VAEPass {
        var pass = base
        for m in e..<layerCount {
            let below = m == 0 ? base.encoder[0].input : pass.encoder[m - 1].values
            if m == e, let given = first {
                pass.encoder[m] = BernoulliLayerSample(input: below, logits: base.encoder[e].logits,
                                                       probabilities: base.encoder[e].probabilities, values: given)
            } else {
                pass.encoder[m] = m == e ? Self.redraw(base.encoder[e], off: coding.off, stream: &stream).sample
                                         : Self.draw(encoder[m], below, stream: &stream).sample
            }
        }
        for k in e..<layerCount { pass.decoderLogits[k] = decoderLogits(k, pass.encoder[k].values) }
        return pass
    }

    /// The pass `base` with layers e... replaced by given values (the oracle's form of `resample`).
    public func reevaluate(_ base: VAEPass, from e: Int, values: [Matrix]) -> VAEPass {
        precondition(values.count == layerCount - e)
        var pass = base
        for m in e..<layerCount {
            let below = m == 0 ? base.encoder[0].input : pass.encoder[m - 1].values
            if m != e { Self.countLayer(encoder[m], rows: below.rows, sigmoid: true) }
            pass.encoder[m] = m == e ? BernoulliLayerSample(input: below, logits: base.encoder[e].logits,
                                                            probabilities: base.encoder[e].probabilities, values: values[0])
                                     : encoder[m].evaluate(below, values: values[m - e])
            pass.decoderLogits[m] = decoderLogits(m, values[m - e])
        }
        return pass
    }

    /// One ancestral pass through the encoder, keeping each layer's uniforms (u < p fires).
    public func forward(_ x: Matrix, stream: inout RandomStream) -> (pass: VAEPass, uniforms: [Matrix]) {
        var samples: [BernoulliLayerSample] = [], uniforms: [Matrix] = []
        var below = encoderInput(x)
        for layer in encoder {
            let (s, u) = Self.draw(layer, below, stream: &stream)
            samples.append(s); uniforms.append(u); below = s.values
        }
        return (VAEPass(input: x, encoder: samples, decoderLogits: decoder.indices.map { decoderLogits($0, samples[$0].values) }), uniforms)
    }

    /// The pass with every layer's values given (rows are examples): `evaluate` under its usual name.
    public func pass(_ x: Matrix, values: [Matrix]) -> VAEPass { evaluate(x, values: values) }

    /// decoder[k]'s logits on `values` (counted).
    func decoderLogits(_ k: Int, _ values: Matrix) -> Matrix {
        Self.countLayer(decoder[k], rows: values.rows, sigmoid: false)
        return decoder[k].logits(values)
    }
    /// Counts a layer's logits and, with `sigmoid`, its firing probabilities.
    static func countLayer(_ layer: BernoulliLayer, rows: Int, sigmoid: Bool) {
        VAEOperationCount.logits(rows: rows, inputs: layer.inputCount, units: layer.unitCount)
        if sigmoid { VAEOperationCount.add(transcendentals: rows * layer.unitCount) }
    }

    static func draw(_ layer: BernoulliLayer, _ input: Matrix, stream: inout RandomStream) -> (sample: BernoulliLayerSample, uniforms: Matrix) {
        countLayer(layer, rows: input.rows, sigmoid: true)
        let l = layer.logits(input)
        return redraw(BernoulliLayerSample(input: input, logits: l, probabilities: l.map(layer.firingProbability(logit:)), values: l), off: layer.encoding.off, stream: &stream)
    }
    static func redraw(_ s: BernoulliLayerSample, off: Double, stream: inout RandomStream) -> (sample: BernoulliLayerSample, uniforms: Matrix) {
        var u = Matrix(rows: s.logits.rows, cols: s.logits.cols)
        stream.fillUniform(&u.data)
        var v = u
        for k in v.data.indices { v.data[k] = u.data[k] < s.probabilities.data[k] ? 1 : off }
        return (BernoulliLayerSample(input: s.input, logits: s.logits, probabilities: s.probabilities, values: v), u)
    }
}

public extension DiscreteVAE {
    /// Every parameter: encoder layers, decoder layers (weights row by row, then biases), prior logits.
    var parameters: [Double] {
        get { encoder.flatMap(\.parameters.flattened) + decoder.flatMap(\.parameters.flattened) + priorLogits }
        set {
            var k = 0
            func take(_ layer: inout BernoulliLayer) {
                let n = layer.parameters.weights.data.count, m = layer.unitCount
                layer.parameters.weights.data = Array(newValue[k..<(k + n)]); layer.parameters.bias = Array(newValue[(k + n)..<(k + n + m)])
                k += n + m
            }
            for e in encoder.indices { take(&encoder[e]) }
            for e in decoder.indices { take(&decoder[e]) }
            priorLogits = Array(newValue[k...])
        }
    }
}

/// One configuration of the VAE evaluated on a minibatch: what every function component of the
/// ELBO (Eq. 7) is computed from.
public struct VAEPass: Sendable {
    /// X [batch x pixels], 0/1.
    public var input: Matrix
    /// encoder[e]: input Phi_e, logits, probabilities and values Phi_{e+1}.
    public var encoder: [BernoulliLayerSample]
    /// decoderLogits[k]: logits of p_k(Phi_k | Phi_{k+1}) [batch x size of Phi_k].
    public var decoderLogits: [Matrix]

    public var batchSize: Int { input.rows }
    public var layerCount: Int { encoder.count }
    /// Phi_k for k = 0 (the input X) ... L.
    public func phi(_ k: Int) -> Matrix { k == 0 ? input : encoder[k - 1].values }
}
