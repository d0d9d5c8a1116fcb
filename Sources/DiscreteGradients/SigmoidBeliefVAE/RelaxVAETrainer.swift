import Foundation

/// Trains a `SigmoidBeliefVAE` by maximising the ELBO: the generative parameters by the exact
/// gradient of log p(x, b) at the drawn b, the encoder by one `RelaxVAEControls` estimator per
/// latent layer (on that layer's logits, backpropagated to its weights) plus the exact gradient of
/// the layer's analytic entropy. Adam on every block.
public struct RelaxVAETrainer: Sendable {
    public var model: SigmoidBeliefVAE
    public var layers: [RelaxVAEControls]
    var adam: [String: Adam] = [:]
    public let learningRate: Double

    public init(model: SigmoidBeliefVAE, method: RelaxVAEMethod, mutation: RelaxVAEMutation = .none,
                learningRate: Double, controlLearningRate: Double) {
        self.model = model; self.learningRate = learningRate
        let parents = [model.pixels] + model.units.dropLast()
        layers = zip(parents, model.units).map {
            RelaxVAEControls(method: method, mutation: mutation, parentSize: $0, units: $1, controlLearningRate: controlLearningRate)
        }
    }

    /// Everything one step draws and estimates.
    public struct Step: Sendable {
        public var sample1: RelaxVAELayerSample
        public var sample2: RelaxVAELayerSample?
        /// Encoder logit-gradient estimates per layer (rows x units), entropy included.
        public var logitGradients: [Matrix]
        public var elbo: [Double]
    }

    /// Draws the latents and computes each layer's logit-gradient estimate. `update`: also train the
    /// estimators' learned parts (otherwise they are left unchanged, e.g. to measure variance).
    public mutating func estimate(_ x: Matrix, stream: inout RandomStream, update: Bool) -> Step {
        let a1 = model.encoderLogits1(x)
        let s1 = RelaxVAELayerSample(logits: a1, stream: &stream)
        var s2: RelaxVAELayerSample? = nil
        if model.architecture == .linear2 { s2 = RelaxVAELayerSample(logits: model.encoderLogits2(s1.b), stream: &stream) }
        let m = model
        let f1 = m.bottomSignal(x: x, b1: s1.b, b2: s2?.b ?? s1.b)
        var g1 = update ? layers[0].step(sample: s1, signal: f1, parent: x, objective: { m.bottomObjective(x: x, v1: $0) })
                        : layers[0].estimate(sample: s1, signal: f1, parent: x, objective: { m.bottomObjective(x: x, v1: $0) })
        let h1 = SigmoidBeliefVAE.entropy(a1).gradient
        for k in g1.data.indices { g1.data[k] += h1.data[k] }
        var grads = [g1]
        if let s2 {
            let b1 = s1.b
            let f2 = m.topObjective(b1: b1, v2: s2.b).value
            var g2 = update ? layers[1].step(sample: s2, signal: f2, parent: b1, objective: { m.topObjective(b1: b1, v2: $0) })
                            : layers[1].estimate(sample: s2, signal: f2, parent: b1, objective: { m.topObjective(b1: b1, v2: $0) })
            let h2 = SigmoidBeliefVAE.entropy(s2.logits).gradient
            for k in g2.data.indices { g2.data[k] += h2.data[k] }
            grads.append(g2)
        }
        return Step(sample1: s1, sample2: s2, logitGradients: grads, elbo: m.elboSample(x: x, b1: s1.b, b2: s2?.b))
    }

    /// Encoder weight gradients (mean over rows) from the logit gradients: dE1 = x^T G1, dE2 = b1^T G2.
    public func encoderGradient(_ x: Matrix, _ step: Step) -> (E1: Matrix, e1: [Double], E2: Matrix, e2: [Double]) {
        let B = Double(x.rows)
        var gE1 = Matrix(rows: model.E1.rows, cols: model.E1.cols)
        Matrix.gemm(x, transposeA: true, step.logitGradients[0], alpha: 1 / B, into: &gE1)
        let ge1 = step.logitGradients[0].columnSums().map { $0 / B }
        var gE2 = Matrix(rows: model.E2.rows, cols: model.E2.cols), ge2 = model.e2.map { _ in 0.0 }
        if step.logitGradients.count > 1 {
            Matrix.gemm(step.sample1.b, transposeA: true, step.logitGradients[1], alpha: 1 / B, into: &gE2)
            ge2 = step.logitGradients[1].columnSums().map { $0 / B }
        }
        return (gE1, ge1, gE2, ge2)
    }

    static func ascend(_ opts: inout [String: Adam], _ lr: Double, _ name: String, _ p: inout [Double], _ g: [Double]) {
        guard !p.isEmpty else { return }
        var opt = opts[name] ?? Adam(parameterCount: p.count, learningRate: lr)
        opt.update(&p, gradient: g, .ascend); opts[name] = opt
    }

    /// One training step on the minibatch x; returns the mean single-sample ELBO before the update.
    public mutating func train(_ x: Matrix, stream: inout RandomStream) -> Double {
        let step = estimate(x, stream: &stream, update: true)
        let enc = encoderGradient(x, step)
        let gen = model.generativeGradient(x: x, b1: step.sample1.b, b2: step.sample2?.b)
        var m = model, opts = adam
        let lr = learningRate
        Self.ascend(&opts, lr, "E1", &m.E1.data, enc.E1.data); Self.ascend(&opts, lr, "e1", &m.e1, enc.e1)
        Self.ascend(&opts, lr, "Wd", &m.Wd.data, gen.Wd.data); Self.ascend(&opts, lr, "cd", &m.cd, gen.cd)
        Self.ascend(&opts, lr, "prior", &m.prior, gen.prior)
        if m.architecture == .linear2 {
            Self.ascend(&opts, lr, "E2", &m.E2.data, enc.E2.data); Self.ascend(&opts, lr, "e2", &m.e2, enc.e2)
            Self.ascend(&opts, lr, "W21", &m.W21.data, gen.W21.data); Self.ascend(&opts, lr, "c21", &m.c21, gen.c21)
        }
        model = m; adam = opts
        return step.elbo.mean
    }

    /// ln of the mean (over encoder parameters) variance of the encoder weight-gradient estimate on
    /// the minibatch x, from `draws` independent draws of the latents (learned parts frozen).
    public mutating func logGradientVariance(_ x: Matrix, draws: Int, stream: inout RandomStream) -> Double {
        var sum: [Double] = [], sumSq: [Double] = []
        for _ in 0..<draws {
            let step = estimate(x, stream: &stream, update: false)
            let e = encoderGradient(x, step)
            let flat = e.E1.data + e.e1 + e.E2.data + e.e2
            if sum.isEmpty { sum = [Double](repeating: 0, count: flat.count); sumSq = sum }
            for k in flat.indices { sum[k] += flat[k]; sumSq[k] += flat[k] * flat[k] }
        }
        let n = Double(draws)
        var total = 0.0
        for k in sum.indices { total += (sumSq[k] - sum[k] * sum[k] / n) / (n - 1) }
        return log(total / Double(sum.count))
    }
}
