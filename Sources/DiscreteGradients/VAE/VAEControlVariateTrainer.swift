import Foundation

/// Trains a `DiscreteVAE` by maximising the ELBO with a control-variate encoder estimator (RELAX
/// draft Section 6.2): the decoder and prior by their exact gradient at the drawn latents, the
/// encoder by the estimator's per-layer logit gradients through `VAEGradient`, all by one Adam
/// (per-coordinate, so the same as one Adam per block); the estimator's learned parts on their
/// own Adam (the draft's code: 10x the model's rate, the same beta2), updated on the same draws.
public struct VAEControlVariateTrainer: Sendable {
    public var model: DiscreteVAE
    public var estimator: VAEControlVariateEstimator
    var adam: Adam
    var controlOptimisers: [VAELayerControlOptimisers]

    public init(model: DiscreteVAE, estimator: VAEControlVariateEstimator, learningRate: Double, controlLearningRate: Double, beta2: Double = 0.999) {
        self.model = model; self.estimator = estimator
        adam = Adam(parameterCount: model.parameters.count, learningRate: learningRate, beta2: beta2)
        controlOptimisers = estimator.optimisers(learningRate: controlLearningRate, beta2: beta2)
    }

    /// Draws the latents and estimates (the learned parts untouched). Every method draws u and v
    /// per unit (`reparameterizedForward`), NVIL and MuProp ignoring v, so that all methods consume
    /// the same uniforms and runs paired within a seed keep the same minibatch order.
    public func estimate(_ x: Matrix, stream: inout RandomStream) -> (estimate: VAEEstimate, relaxations: [VAERelaxation]?) {
        let (pass, rx) = model.reparameterizedForward(x, stream: &stream)
        let relaxations = estimator.method.needsRelaxation ? rx : nil
        return (VAEEstimate(pass: pass, signals: (0..<model.layerCount).map { estimator.layerSignal(model, pass, layer: $0, relaxation: relaxations?[$0]) }), relaxations)
    }

    /// One step on minibatch x; returns the minibatch mean of f_E (Eq. 7: log-likelihoods plus
    /// analytic entropies at the drawn latents, an unbiased estimate of the ELBO) before the update.
    public mutating func train(_ x: Matrix, stream: inout RandomStream) -> Double {
        let (e, rx) = estimate(x, stream: &stream)
        let elbo = ELBOComponents(model, e.pass).total.mean
        let g = model.gradient(e)
        estimator.learn(model, e, relaxations: rx, optimisers: &controlOptimisers)
        var p = model.parameters
        adam.update(&p, gradient: g.flattened, .ascend)
        model.parameters = p
        return elbo
    }

    /// ln of the mean (over encoder parameters) variance of the encoder gradient on minibatch x
    /// from `draws` independent draws (learned parts frozen).
    public func logGradientVariance(_ x: Matrix, draws: Int, stream: inout RandomStream) -> Double {
        var sum: [Double] = [], sumSq: [Double] = []
        for _ in 0..<draws {
            let flat = model.gradient(estimate(x, stream: &stream).estimate).encoder.flatMap(\.flattened)
            if sum.isEmpty { sum = [Double](repeating: 0, count: flat.count); sumSq = sum }
            for k in flat.indices { sum[k] += flat[k]; sumSq[k] += flat[k] * flat[k] }
        }
        let n = Double(draws)
        var total = 0.0
        for k in sum.indices { total += (sumSq[k] - sum[k] * sum[k] / n) / (n - 1) }
        return log(total / Double(sum.count))
    }
}
