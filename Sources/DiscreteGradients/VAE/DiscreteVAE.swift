import Foundation

/// A discrete hierarchical VAE with L stochastic layers of Bernoulli units (HNCA paper Section 2.2;
/// the RELAX draft's Section 6.2 VAEs are the same model with units coded +-1). Each layer's logits
/// are affine in what it reads; optionally a deterministic stack of tanh layers (`TanhStack`) sits
/// before them (encoder side per encoder layer, decoder side per decoder layer): the nonlinear
/// model of Tucker et al. 2017 and the RELAX draft's Table 1 (one stochastic layer, two tanh layers
/// on each side). Empty stacks (the default) are the linear models.
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
    /// encoderStacks[e]: tanh layers applied to Phi_e (X - inputOffset for e = 0) before encoder[e]'s
    /// affine logits, whose inputs are then the stack's last activations. Empty: affine in Phi_e.
    public var encoderStacks: [TanhStack]
    /// decoderStacks[k]: tanh layers applied to Phi_{k+1} before decoder[k]'s affine logits.
    public var decoderStacks: [TanhStack]

    public init(encoder: [BernoulliLayer], decoder: [BernoulliLayer], priorLogits: [Double],
                encoderStacks: [TanhStack]? = nil, decoderStacks: [TanhStack]? = nil) {
        precondition(!encoder.isEmpty && encoder.count == decoder.count, "DiscreteVAE: L encoder and L decoder layers")
        let encoderStacks = encoderStacks ?? Array(repeating: TanhStack(), count: encoder.count)
        let decoderStacks = decoderStacks ?? Array(repeating: TanhStack(), count: decoder.count)
        precondition(encoderStacks.count == encoder.count && decoderStacks.count == decoder.count, "DiscreteVAE: one tanh stack (possibly empty) per layer")
        // The size of Phi_e (e = 0: the pixels) and what each map reads after its stack.
        let phiSize = [encoderStacks[0].layers.first?.weights.cols ?? encoder[0].inputCount] + encoder.map(\.unitCount)
        for e in encoder.indices {
            if let first = encoderStacks[e].layers.first { precondition(first.weights.cols == phiSize[e], "DiscreteVAE: encoder stack \(e) reads \(first.weights.cols), Phi_\(e) has \(phiSize[e])") }
            if let first = decoderStacks[e].layers.first { precondition(first.weights.cols == phiSize[e + 1], "DiscreteVAE: decoder stack \(e) reads \(first.weights.cols), Phi_\(e + 1) has \(phiSize[e + 1])") }
            precondition(encoder[e].inputCount == encoderStacks[e].outputCount(inputs: phiSize[e]), "DiscreteVAE: encoder layer \(e) sizes")
            precondition(decoder[e].inputCount == decoderStacks[e].outputCount(inputs: phiSize[e + 1]) && decoder[e].unitCount == phiSize[e],
                         "DiscreteVAE: decoder layer \(e) must invert encoder layer \(e)")
        }
        precondition(priorLogits.count == encoder.last!.unitCount, "DiscreteVAE: prior size")
        self.encoder = encoder; self.decoder = decoder; self.priorLogits = priorLogits
        self.encoderStacks = encoderStacks; self.decoderStacks = decoderStacks
    }

    /// Glorot-uniform weights, zero biases and zero prior logits (as the paper's code initialises).
    /// `coding` is the latents' coding (the decoder's bottom layer emits 0/1 pixels whatever it is).
    /// `hidden`: the widths of the tanh stack on each side of every stochastic layer (empty: the
    /// linear model, drawn exactly as before stacks existed; [200, 200] with latent [200]: Tucker et
    /// al.'s nonlinear model). Draw order: per encoder layer its stack then its logits, then likewise
    /// per decoder layer.
    public static func glorotUniform(inputs: Int, latent: [Int], coding: UnitEncoding = .zeroOne, hidden: [Int] = [],
                                     stream: inout RandomStream) -> DiscreteVAE {
        precondition(!latent.isEmpty)
        let below = [inputs] + latent.dropLast()
        let top = hidden.last
        var encoder: [BernoulliLayer] = [], decoder: [BernoulliLayer] = []
        var encoderStacks: [TanhStack] = [], decoderStacks: [TanhStack] = []
        for e in latent.indices {
            encoderStacks.append(.glorotUniform(inputs: below[e], widths: hidden, stream: &stream))
            encoder.append(.glorotUniform(inputs: top ?? below[e], units: latent[e], encoding: coding, stream: &stream))
        }
        for e in latent.indices {
            decoderStacks.append(.glorotUniform(inputs: latent[e], widths: hidden, stream: &stream))
            decoder.append(.glorotUniform(inputs: top ?? latent[e], units: below[e], encoding: e == 0 ? .zeroOne : coding, stream: &stream))
        }
        return DiscreteVAE(encoder: encoder, decoder: decoder, priorLogits: .init(repeating: 0, count: latent.last!),
                           encoderStacks: encoderStacks, decoderStacks: decoderStacks)
    }

    /// Whether any mapping has a tanh stack.
    public var isNonlinear: Bool { !(encoderStacks + decoderStacks).allSatisfy(\.isEmpty) }
    /// Whether the maps that read Phi_{e+1} (decoder[e] and encoder[e + 1]) are affine in it: what
    /// f-HNCA's constant-time flip counterfactuals (`FlipCounterfactuals`) assume.
    public func childrenAreAffine(ofLayer e: Int) -> Bool {
        decoderStacks[e].isEmpty && (e == layerCount - 1 || encoderStacks[e + 1].isEmpty)
    }

    public var layerCount: Int { encoder.count }
    /// How the latents are coded: 0/1 (HNCA) or +-1 (RELAX draft, Tucker et al. 2017).
    public var coding: UnitEncoding { encoder[0].encoding }
    /// The 0/1 firing indicators of coded latent values: the values themselves for 0/1 coding,
    /// (1 + v) / 2 for +-1 (also on relaxed values in [-1, 1], where it is linear).
    public func indicators(_ values: Matrix) -> Matrix { coding == .zeroOne ? values : values.map { 0.5 * (1 + $0) } }
    /// Phi_k as 0/1 indicators (k = 0: the pixels).
    public func indicators(of pass: VAEPass, _ k: Int) -> Matrix { k == 0 ? pass.input : indicators(pass.phi(k)) }
    public var inputCount: Int { encoderStacks[0].layers.first?.weights.cols ?? encoder[0].inputCount }
    public var latentSizes: [Int] { encoder.map(\.unitCount) }
    /// Encoder layer e's parameter blocks: its stack's layers bottom-up, then its logits' layer
    /// (one block per layer for a linear model). `VAEGradient.encoder` lists them in this order.
    public func encoderBlocks(_ e: Int) -> [LayerParameters] { encoderStacks[e].layers + [encoder[e].parameters] }
    /// Decoder layer k's parameter blocks, likewise (`VAEGradient.decoder`'s order).
    public func decoderBlocks(_ k: Int) -> [LayerParameters] { decoderStacks[k].layers + [decoder[k].parameters] }
    public var encoderParameterCount: Int { encoder.indices.reduce(0) { $0 + encoderStacks[$1].parameterCount + encoder[$1].parameters.count } }
    /// Encoder parameters layer by layer, each layer's blocks in `encoderBlocks` order (weights row
    /// by row, then biases).
    public var encoderParameters: [Double] { encoder.indices.flatMap { encoderBlocks($0).flatMap(\.flattened) } }
    public func with(encoderParameters theta: [Double]) -> DiscreteVAE {
        precondition(theta.count == encoderParameterCount)
        var copy = self, k = 0
        copy.takeEncoderParameters(theta, &k)
        return copy
    }
    /// Fills every encoder block, in `encoderParameters` order, from `values[k...]` and advances k.
    mutating func takeEncoderParameters(_ values: [Double], _ k: inout Int) {
        for e in encoder.indices {
            for l in encoderStacks[e].layers.indices { Self.take(&encoderStacks[e].layers[l], values, &k) }
            Self.take(&encoder[e].parameters, values, &k)
        }
    }
    /// Fills a block from `values[k...]` (weights row by row, then biases) and advances k.
    static func take(_ p: inout LayerParameters, _ values: [Double], _ k: inout Int) {
        let n = p.weights.data.count, m = p.bias.count
        p.weights.data = Array(values[k..<(k + n)]); p.bias = Array(values[(k + n)..<(k + n + m)])
        k += n + m
    }

    // MARK: Passes

    /// What encoder layer 0 reads: X, or X - inputOffset.
    public func encoderInput(_ x: Matrix) -> Matrix {
        guard let o = inputOffset else { return x }
        var c = x
        c.addRowVector(o.map { -$0 })
        return c
    }

    /// Encoder layer e's tanh stack on Phi_e (`below`; for e = 0 the centred input): its
    /// activations and what the layer's logits read (the last activation, or `below` itself).
    public func encoderFeatures(_ e: Int, _ below: Matrix) -> (hidden: [Matrix], input: Matrix) {
        let h = encoderStacks[e].forward(below)
        return (h, h.last ?? below)
    }
    /// Decoder layer k's tanh stack on Phi_{k+1}, likewise.
    public func decoderFeatures(_ k: Int, _ values: Matrix) -> (hidden: [Matrix], input: Matrix) {
        let h = decoderStacks[k].forward(values)
        return (h, h.last ?? values)
    }

    /// Evaluates every layer on given latent values `values[e]` = Phi_{e+1} (rows are examples).
    public func evaluate(_ x: Matrix, values: [Matrix]) -> VAEPass {
        precondition(values.count == layerCount)
        var samples: [BernoulliLayerSample] = [], hidden: [[Matrix]] = []
        var below = encoderInput(x)
        for e in encoder.indices {
            let f = encoderFeatures(e, below)
            samples.append(encoder[e].evaluate(f.input, values: values[e]))
            hidden.append(f.hidden)
            Self.countLayer(encoder[e], rows: x.rows, sigmoid: true)
            below = values[e]
        }
        var pass = VAEPass(input: x, encoder: samples, encoderHidden: hidden)
        for k in decoder.indices { pass.setDecoder(k, decoderForward(k, values[k])) }
        return pass
    }

    /// The pass `base` with layers e, e+1, ..., L-1 replaced: layer e takes `first` if given
    /// (DisARM's antithetic partner) or a fresh draw; later layers are drawn afresh. Layers
    /// below e are reused, so this partial forward pass costs O(L - e) layers.
    public func resample(_ base: VAEPass, from e: Int, first: Matrix? = nil, stream: inout RandomStream) -> VAEPass {
        var pass = base
        for m in e..<layerCount {
            if m == e, let given = first {
                // Layer e's input (and stack) is unchanged: the layers below are reused.
                pass.encoder[m] = BernoulliLayerSample(input: base.encoder[e].input, logits: base.encoder[e].logits,
                                                       probabilities: base.encoder[e].probabilities, values: given)
            } else if m == e {
                pass.encoder[m] = Self.redraw(base.encoder[e], off: coding.off, stream: &stream).sample
            } else {
                let f = encoderFeatures(m, pass.encoder[m - 1].values)
                pass.encoder[m] = Self.draw(encoder[m], f.input, stream: &stream).sample
                pass.encoderHidden[m] = f.hidden
            }
        }
        for k in e..<layerCount { pass.setDecoder(k, decoderForward(k, pass.encoder[k].values)) }
        return pass
    }

    /// The pass `base` with layers e... replaced by given values (the oracle's form of `resample`).
    public func reevaluate(_ base: VAEPass, from e: Int, values: [Matrix]) -> VAEPass {
        precondition(values.count == layerCount - e)
        var pass = base
        for m in e..<layerCount {
            if m == e {
                pass.encoder[m] = BernoulliLayerSample(input: base.encoder[e].input, logits: base.encoder[e].logits,
                                                       probabilities: base.encoder[e].probabilities, values: values[0])
            } else {
                let f = encoderFeatures(m, pass.encoder[m - 1].values)
                Self.countLayer(encoder[m], rows: f.input.rows, sigmoid: true)
                pass.encoder[m] = encoder[m].evaluate(f.input, values: values[m - e])
                pass.encoderHidden[m] = f.hidden
            }
            pass.setDecoder(m, decoderForward(m, values[m - e]))
        }
        return pass
    }

    /// One ancestral pass through the encoder, keeping each layer's uniforms (u < p fires).
    public func forward(_ x: Matrix, stream: inout RandomStream) -> (pass: VAEPass, uniforms: [Matrix]) {
        var samples: [BernoulliLayerSample] = [], uniforms: [Matrix] = [], hidden: [[Matrix]] = []
        var below = encoderInput(x)
        for e in encoder.indices {
            let f = encoderFeatures(e, below)
            let (s, u) = Self.draw(encoder[e], f.input, stream: &stream)
            samples.append(s); uniforms.append(u); hidden.append(f.hidden); below = s.values
        }
        var pass = VAEPass(input: x, encoder: samples, encoderHidden: hidden)
        for k in decoder.indices { pass.setDecoder(k, decoderForward(k, samples[k].values)) }
        return (pass, uniforms)
    }

    /// The pass with every layer's values given (rows are examples): `evaluate` under its usual name.
    public func pass(_ x: Matrix, values: [Matrix]) -> VAEPass { evaluate(x, values: values) }

    /// decoder[k]'s stack activations and logits on `values` = Phi_{k+1} (counted).
    func decoderForward(_ k: Int, _ values: Matrix) -> (hidden: [Matrix], logits: Matrix) {
        let f = decoderFeatures(k, values)
        Self.countLayer(decoder[k], rows: values.rows, sigmoid: false)
        return (f.hidden, decoder[k].logits(f.input))
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
    /// Every parameter: encoder layers, decoder layers (each layer's blocks in `encoderBlocks` /
    /// `decoderBlocks` order: its tanh stack bottom-up, then its logits' layer; weights row by row,
    /// then biases), prior logits. `VAEGradient.flattened` has the same layout.
    var parameters: [Double] {
        get { encoderParameters + decoder.indices.flatMap { decoderBlocks($0).flatMap(\.flattened) } + priorLogits }
        set {
            var k = 0
            takeEncoderParameters(newValue, &k)
            for e in decoder.indices {
                for l in decoderStacks[e].layers.indices { Self.take(&decoderStacks[e].layers[l], newValue, &k) }
                Self.take(&decoder[e].parameters, newValue, &k)
            }
            priorLogits = Array(newValue[k...])
        }
    }
}

extension DiscreteVAE {
    enum CodingKeys: String, CodingKey { case encoder, decoder, priorLogits, inputOffset, encoderStacks, decoderStacks }

    /// Decodes models written before stacks existed (no stack keys: the linear model).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let enc = try c.decode([BernoulliLayer].self, forKey: .encoder), dec = try c.decode([BernoulliLayer].self, forKey: .decoder)
        self.init(encoder: enc, decoder: dec, priorLogits: try c.decode([Double].self, forKey: .priorLogits),
                  encoderStacks: try c.decodeIfPresent([TanhStack].self, forKey: .encoderStacks),
                  decoderStacks: try c.decodeIfPresent([TanhStack].self, forKey: .decoderStacks))
        inputOffset = try c.decodeIfPresent([Double].self, forKey: .inputOffset)
    }

    /// A linear model encodes as before stacks existed (the stack keys only when a stack is non-empty).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.encoder, forKey: .encoder)
        try c.encode(decoder, forKey: .decoder)
        try c.encode(priorLogits, forKey: .priorLogits)
        try c.encodeIfPresent(inputOffset, forKey: .inputOffset)
        if isNonlinear {
            try c.encode(encoderStacks, forKey: .encoderStacks)
            try c.encode(decoderStacks, forKey: .decoderStacks)
        }
    }
}

/// One configuration of the VAE evaluated on a minibatch: what every function component of the
/// ELBO (Eq. 7) is computed from.
public struct VAEPass: Sendable {
    /// X [batch x pixels], 0/1.
    public var input: Matrix
    /// encoder[e]: input (what the logits read: Phi_e, or the last activation of encoder stack e),
    /// logits, probabilities and values Phi_{e+1}.
    public var encoder: [BernoulliLayerSample]
    /// decoderLogits[k]: logits of p_k(Phi_k | Phi_{k+1}) [batch x size of Phi_k].
    public var decoderLogits: [Matrix]
    /// encoderHidden[e]: encoder stack e's activations on Phi_e (empty for an affine layer; the
    /// last is `encoder[e].input`). decoderHidden[k]: decoder stack k's on Phi_{k+1}.
    public var encoderHidden: [[Matrix]]
    public var decoderHidden: [[Matrix]]

    init(input: Matrix, encoder: [BernoulliLayerSample], encoderHidden: [[Matrix]]) {
        self.input = input; self.encoder = encoder; self.encoderHidden = encoderHidden
        decoderLogits = Array(repeating: Matrix(rows: 0, cols: 0), count: encoder.count)
        decoderHidden = Array(repeating: [], count: encoder.count)
    }
    mutating func setDecoder(_ k: Int, _ d: (hidden: [Matrix], logits: Matrix)) {
        decoderLogits[k] = d.logits; decoderHidden[k] = d.hidden
    }

    public var batchSize: Int { input.rows }
    public var layerCount: Int { encoder.count }
    /// Phi_k for k = 0 (the input X) ... L.
    public func phi(_ k: Int) -> Matrix { k == 0 ? input : encoder[k - 1].values }
}
