/// A minibatch gradient of the ELBO (ascent direction) for every block of a `DiscreteVAE`.
public struct VAEGradient: Sendable {
    /// Estimated encoder gradient, per block: per layer its tanh stack's layers bottom-up, then its
    /// logits' layer (`DiscreteVAE.encoderBlocks`; one block per layer for a linear model).
    public var encoder: [LayerParameters]
    /// Exact decoder and prior gradients given the encoder's sample (decoder blocks likewise).
    public var decoder: [LayerParameters]
    public var prior: [Double]
    /// Sum over encoder parameters of the per-parameter variance (divisor n - 1) of the
    /// per-example estimates across the batch (Figure 3's metric before averaging).
    public var encoderVarianceSum: Double
}

public extension DiscreteVAE {
    /// Mean over the batch of the per-example encoder estimates c_bj Phi_e[b, i] (weights) and
    /// c_bj (biases), with the across-batch variance sum, through two gemms per block. A layer with
    /// a tanh stack backpropagates its signals through the logits' weights and the stack
    /// (`TanhStack.backward`); every stack layer's per-example gradient is again an outer product
    /// delta_b h_b^T, so it takes the same two gemms. Blocks in `encoderBlocks` order.
    func encoderGradient(signals: [Matrix], pass: VAEPass) -> (gradient: [LayerParameters], varianceSum: Double) {
        var gradient: [LayerParameters] = [], varianceSum = 0.0
        for e in 0..<layerCount { gradient += encoderGradient(layer: e, signal: signals[e], pass: pass, varianceSum: &varianceSum) }
        return (gradient, varianceSum)
    }

    /// Encoder layer e's blocks (`encoderBlocks(e)` order) from its signal c [batch x units];
    /// adds the blocks' across-batch variance terms to `varianceSum`.
    func encoderGradient(layer e: Int, signal c: Matrix, pass: VAEPass, varianceSum: inout Double) -> [LayerParameters] {
        let top = Self.batchMean(c, pass.encoder[e].input, varianceSum: &varianceSum)
        let stack = encoderStacks[e]
        guard !stack.isEmpty else { return [top] }
        var dh = Matrix(rows: c.rows, cols: encoder[e].inputCount)
        Matrix.gemm(c, encoder[e].parameters.weights, into: &dh)
        VAEOperationCount.add(multiplyAdds: c.rows * c.cols * dh.cols)
        let hidden = pass.encoderHidden[e]
        let deltas = stack.backward(activations: hidden, outputGradient: dh, wantInput: false).deltas
        let stackInput = e == 0 ? encoderInput(pass.input) : pass.phi(e)
        return deltas.indices.map { l in Self.batchMean(deltas[l], l == 0 ? stackInput : hidden[l - 1], varianceSum: &varianceSum) } + [top]
    }

    /// The batch mean of the per-example outer products c_b x_b^T (weights) and c_b (biases),
    /// adding the across-batch variance (divisor n - 1) of every entry to `varianceSum`.
    internal static func batchMean(_ c: Matrix, _ x: Matrix, varianceSum: inout Double) -> LayerParameters {
        let B = Double(c.rows)
        // Two gemms, the squares, the bias sums and the variance terms.
        VAEOperationCount.add(multiplyAdds: 2 * c.rows * c.cols * x.cols + c.data.count + x.data.count + 2 * c.data.count
                                + 2 * (c.cols * x.cols + c.cols))
        var first = Matrix(rows: c.cols, cols: x.cols), second = first
        Matrix.gemm(c, transposeA: true, x, into: &first)
        Matrix.gemm(c.map { $0 * $0 }, transposeA: true, x.map { $0 * $0 }, into: &second)
        let biasFirst = c.columnSums(), biasSecond = c.map { $0 * $0 }.columnSums()
        if B > 1 {
            for k in first.data.indices { varianceSum += max(0, second.data[k] - first.data[k] * first.data[k] / B) / (B - 1) }
            for k in biasFirst.indices { varianceSum += max(0, biasSecond[k] - biasFirst[k] * biasFirst[k] / B) / (B - 1) }
        }
        return LayerParameters(weights: first.map { $0 / B }, bias: biasFirst.map { $0 / B })
    }

    /// Exact gradients of the ELBO's decoder and prior terms given the sample:
    /// d/dW log p_k(Phi_k | Phi_{k+1}) = (Phi_k - sigma(l))^T h, h what the logits read (Phi_{k+1},
    /// or decoder stack k's last activation, through which the residual is then backpropagated);
    /// prior: Phi_L - sigma(a). Blocks in `decoderBlocks` order.
    func decoderGradient(pass: VAEPass) -> (decoder: [LayerParameters], prior: [Double]) {
        let B = Double(pass.batchSize)
        var decoderGradient: [LayerParameters] = []
        for k in 0..<layerCount {
            let target = indicators(of: pass, k), logits = pass.decoderLogits[k]
            let hidden = pass.decoderHidden[k], input = hidden.last ?? pass.phi(k + 1)
            VAEOperationCount.add(multiplyAdds: logits.data.count * (input.cols + 2), transcendentals: logits.data.count)
            var residual = target
            for i in residual.data.indices { residual.data[i] -= Fn.sigmoid(logits.data[i]) }
            var w = Matrix(rows: residual.cols, cols: input.cols)
            Matrix.gemm(residual, transposeA: true, input, alpha: 1 / B, into: &w)
            let top = LayerParameters(weights: w, bias: residual.columnSums().map { $0 / B })
            let stack = decoderStacks[k]
            guard !stack.isEmpty else { decoderGradient.append(top); continue }
            var dh = Matrix(rows: residual.rows, cols: input.cols)
            Matrix.gemm(residual, decoder[k].parameters.weights, into: &dh)
            let deltas = stack.backward(activations: hidden, outputGradient: dh, wantInput: false).deltas
            for l in deltas.indices {
                let below = l == 0 ? pass.phi(k + 1) : hidden[l - 1], d = deltas[l]
                var gw = Matrix(rows: d.cols, cols: below.cols)
                Matrix.gemm(d, transposeA: true, below, alpha: 1 / B, into: &gw)
                VAEOperationCount.add(multiplyAdds: d.data.count * (below.cols + 1))
                decoderGradient.append(LayerParameters(weights: gw, bias: d.columnSums().map { $0 / B }))
            }
            decoderGradient.append(top)
        }
        let top = pass.phi(layerCount)
        VAEOperationCount.add(multiplyAdds: top.data.count + top.cols, transcendentals: top.cols)
        let prior = indicators(top).columnSums().enumerated().map { j, s in s / B - Fn.sigmoid(priorLogits[j]) }
        return (decoderGradient, prior)
    }

    /// The full minibatch gradient for `estimator` on `draws`.
    func gradient(_ estimator: VAEScoreMethod, draws: VAEDraws, baselines: [Double]? = nil) -> VAEGradient {
        let signals = estimator.signals(self, draws, baselines: baselines)
        let (enc, variance) = encoderGradient(signals: signals, pass: draws.main)
        let (dec, prior) = decoderGradient(pass: draws.main)
        return VAEGradient(encoder: enc, decoder: dec, prior: prior, encoderVarianceSum: variance)
    }
}

public extension VAEGradient {
    /// Encoder, decoder, prior: the layout of `DiscreteVAE.parameters`.
    var flattened: [Double] { encoder.flatMap(\.flattened) + decoder.flatMap(\.flattened) + prior }
}
