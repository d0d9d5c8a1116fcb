/// A minibatch gradient of the ELBO (ascent direction) for every block of a `DiscreteVAE`.
public struct VAEGradient: Sendable {
    /// Estimated encoder gradient, per layer.
    public var encoder: [LayerParameters]
    /// Exact decoder and prior gradients given the encoder's sample.
    public var decoder: [LayerParameters]
    public var prior: [Double]
    /// Sum over encoder parameters of the per-parameter variance (divisor n - 1) of the
    /// per-example estimates across the batch (Figure 3's metric before averaging).
    public var encoderVarianceSum: Double
}

public extension DiscreteVAE {
    /// Mean over the batch of the per-example encoder estimates c_bj Phi_e[b, i] (weights) and
    /// c_bj (biases), with the across-batch variance sum, through two gemms per layer.
    func encoderGradient(signals: [Matrix], pass: VAEPass) -> (gradient: [LayerParameters], varianceSum: Double) {
        let B = Double(pass.batchSize)
        var gradient: [LayerParameters] = [], varianceSum = 0.0
        for e in 0..<layerCount {
            let c = signals[e], x = pass.encoder[e].input
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
            gradient.append(LayerParameters(weights: first.map { $0 / B }, bias: biasFirst.map { $0 / B }))
        }
        return (gradient, varianceSum)
    }

    /// Exact gradients of the ELBO's decoder and prior terms given the sample:
    /// d/dW log p_k(Phi_k | Phi_{k+1}) = (Phi_k - sigma(l))^T Phi_{k+1}; prior: Phi_L - sigma(a).
    func decoderGradient(pass: VAEPass) -> (decoder: [LayerParameters], prior: [Double]) {
        let B = Double(pass.batchSize)
        var decoderGradient: [LayerParameters] = []
        for k in 0..<layerCount {
            let target = indicators(of: pass, k), logits = pass.decoderLogits[k]
            VAEOperationCount.add(multiplyAdds: logits.data.count * (pass.phi(k + 1).cols + 2), transcendentals: logits.data.count)
            var residual = target
            for i in residual.data.indices { residual.data[i] -= Fn.sigmoid(logits.data[i]) }
            var w = Matrix(rows: residual.cols, cols: pass.phi(k + 1).cols)
            Matrix.gemm(residual, transposeA: true, pass.phi(k + 1), alpha: 1 / B, into: &w)
            decoderGradient.append(LayerParameters(weights: w, bias: residual.columnSums().map { $0 / B }))
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
