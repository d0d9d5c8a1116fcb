import Foundation

/// The optimisers of one layer's learned parts (baseline network; eta and log lambda; r).
public struct VAELayerControlOptimisers: Sendable {
    var baseline: Adam?
    var scalars: Adam
    var r: Adam?
}

public extension VAEControlVariateEstimator {
    /// Gives every layer's learned parts fresh Adam optimisers (the draft's code: their own Adam, at
    /// `learningRate`, beta2 `beta2`); until then `learn` leaves them frozen.
    mutating func learnLearnedParts(learningRate: Double, beta2: Double) {
        optimisers = layers.map { c in
            VAELayerControlOptimisers(baseline: c.baseline.map { Adam(parameterCount: $0.parameterCount, learningRate: learningRate, beta2: beta2) },
                                      scalars: Adam(parameterCount: 2, learningRate: learningRate, beta2: beta2),
                                      r: c.r.map { Adam(parameterCount: $0.parameterCount, learningRate: learningRate, beta2: beta2) })
        }
    }

    /// The part of layer e's learning signal that a baseline should predict: f (NVIL) or
    /// f - F(mu) - F'(mu)(b - mu) (MuProp), per row.
    func baselineTarget(_ vae: DiscreteVAE, _ pass: VAEPass, layer e: Int) -> [Double] {
        var f = ELBOComponents(vae, pass).downstream(of: e)
        guard method == .muprop else { return f }
        let layer = pass.encoder[e]
        let mu = layer.probabilities.map { vae.coding.off + vae.coding.gap * $0 }
        let atMu = vae.continuation(layer: e, pass: pass, values: mu)
        for b in f.indices {
            f[b] -= atMu.value[b]
            for j in 0..<mu.cols { f[b] -= atMu.gradient[b, j] * (layer.values[b, j] - mu[b, j]) }
        }
        return f
    }

    /// One update of every layer's learned parts after an estimate on `pass`:
    /// NVIL/MuProp: the baseline network by least squares on (target - running mean), then the
    /// running mean and variance of target - C (Mnih and Gregor 2014, Section 3.3; decay 0.99,
    /// started from the first minibatch). REBAR/RELAX/LAX: eta, log lambda and r by Adam on the
    /// gradient of the minibatch mean of the layer's summed squared estimate (RELAX draft Eq. 14):
    /// eta exactly (the estimate is affine in eta), log lambda by a central difference on the same
    /// draws, r by reverse mode over its input derivative (`TanhNetwork.parameterGradient`).
    /// Without optimisers (`learnLearnedParts` not called) the learned parts stay frozen.
    mutating func learn(_ vae: DiscreteVAE, from estimate: VAEEstimate) {
        guard var optimisers else { return }
        defer { self.optimisers = optimisers }
        let pass = estimate.pass, relaxations = estimate.relaxations, B = Double(pass.batchSize)
        for e in layers.indices {
            switch method {
            case .nvil, .muprop:
                let y = baselineTarget(vae, pass, layer: e)
                guard let net = layers[e].baseline, var opt = optimisers[e].baseline else { continue }
                let fwd = net.forward(pass.encoder[e].input)
                let c = fwd.output
                let m = layers[e].runningMean
                let dOut = (0..<y.count).map { -2 * (y[$0] - m - c[$0]) / B }
                var p = net.parameters
                opt.update(&p, gradient: net.backward(fwd, outputGradient: dOut).parameters, .descend)
                layers[e].baseline!.parameters = p; optimisers[e].baseline = opt
                let residual = (0..<y.count).map { y[$0] - c[$0] }
                let mean = residual.mean, variance = residual.map { ($0 - mean) * ($0 - mean) }.mean
                if layers[e].runningMomentsStarted {
                    let d = 0.99
                    layers[e].runningMean = d * layers[e].runningMean + (1 - d) * mean
                    layers[e].runningVariance = d * layers[e].runningVariance + (1 - d) * variance
                } else {
                    layers[e].runningMean = mean; layers[e].runningVariance = variance; layers[e].runningMomentsStarted = true
                }
            case .rebar, .relax, .lax:
                guard let rx = relaxations?[e] else { continue }
                let g = estimate.signals[e]
                func meanSquare(_ m: Matrix) -> Double { m.data.reduce(0) { $0 + $1 * $1 } / B }
                var dEta = 0.0, dLogLambda = 0.0
                if method != .lax {
                    var shifted = self
                    shifted.layers[e].eta += 1
                    let q = shifted.layerSignal(vae, pass, layer: e, relaxation: rx)
                    for k in g.data.indices { dEta += 2 * g.data[k] * (q.data[k] - g.data[k]) / B }
                    let h = 0.05
                    var up = self, down = self
                    up.layers[e].logTemperature += h; down.layers[e].logTemperature -= h
                    dLogLambda = (meanSquare(up.layerSignal(vae, pass, layer: e, relaxation: rx))
                                  - meanSquare(down.layerSignal(vae, pass, layer: e, relaxation: rx))) / (2 * h)
                    var scalars = [layers[e].eta, layers[e].logTemperature]
                    optimisers[e].scalars.update(&scalars, gradient: [dEta, dLogLambda], .descend)
                    layers[e].eta = scalars[0]; layers[e].logTemperature = min(max(scalars[1], log(0.05)), log(5))
                }
                guard let r = layers[e].r, var opt = optimisers[e].r else { continue }
                let layer = pass.encoder[e]
                let n = g.cols, rows = g.rows
                // Directions and value weights of r at z and (RELAX) at z~; d|g|^2 = 2 g . dg.
                var tZ = Matrix(rows: rows, cols: r.inputCount), wZ = [Double](repeating: 0, count: rows)
                var tT = tZ, wT = wZ
                let offset = r.inputCount - n
                let fired = vae.indicators(layer.values)
                for b in 0..<rows {
                    var gs = 0.0
                    for j in 0..<n {
                        let k = b * n + j
                        let score = method == .lax ? 2 * Fn.sigmoid(rx.z.data[k] - layer.logits.data[k]) - 1
                                                   : fired.data[k] - layer.probabilities.data[k]
                        gs += g.data[k] * score
                        tZ[b, offset + j] = 2 * g.data[k] / B
                        if method == .relax && mutation != .relaxWithoutConditionalPathTerm { tT[b, offset + j] = -2 * g.data[k] * rx.dzTildeDa.data[k] / B }
                    }
                    if method == .lax { wZ[b] = -2 * gs / B } else { wT[b] = -2 * gs / B }
                }
                var grad = r.parameterGradient(input: Self.rInput(pass, layer: e, z: rx.z), valueWeights: wZ, directions: tZ)
                if method == .relax {
                    let other = r.parameterGradient(input: Self.rInput(pass, layer: e, z: rx.zTilde), valueWeights: wT, directions: tT)
                    for k in grad.indices { grad[k] += other[k] }
                }
                var p = r.parameters
                opt.update(&p, gradient: grad, .descend)
                layers[e].r!.parameters = p; optimisers[e].r = opt
            }
        }
    }
}
