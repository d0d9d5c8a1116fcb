import Foundation

/// Trains a `DiscreteVAE` by maximising the ELBO with any encoder-gradient estimator: the decoder
/// and prior by their exact gradient at the drawn latents, the encoder by the estimator's
/// per-layer logit signals through `VAEGradient`, all by one Adam (per coordinate, so the same
/// numbers as one Adam per block, as the HNCA paper's code and the RELAX draft's code keep); the
/// estimator's learned parts by the estimator itself (`VAEGradientEstimator.learn`), on the same
/// draws and before the model moves.
public struct VAETrainer<Estimator: VAEGradientEstimator>: Sendable {
    public var model: DiscreteVAE
    public var estimator: Estimator
    var adam: Adam

    public init(model: DiscreteVAE, estimator: Estimator, learningRate: Double, beta2: Double = 0.999) {
        self.model = model; self.estimator = estimator
        adam = Adam(parameterCount: model.parameters.count, learningRate: learningRate, beta2: beta2)
    }

    /// What one step measured, before the update.
    public struct Step: Sendable {
        /// f_E per example (Eq. 7: log-likelihoods plus analytic entropies at the drawn latents, an
        /// unbiased estimate of each example's ELBO).
        public var elbo: [Double]
        /// `VAEGradient.encoderVarianceSum`: the across-batch variance of the per-example encoder
        /// estimates, summed over encoder parameters (HNCA Figure 3's metric).
        public var encoderVarianceSum: Double
        public var meanELBO: Double { elbo.mean }
    }

    /// The estimate on minibatch x (nothing learned, nothing moved).
    public func estimate(_ x: Matrix, stream: inout RandomStream) -> VAEEstimate {
        estimator.estimate(model, x, stream: &stream)
    }

    /// One step on minibatch x (rows): estimate, the exact decoder and prior gradient, the
    /// estimator's learning, then Adam ascends the ELBO.
    @discardableResult
    public mutating func train(_ x: Matrix, stream: inout RandomStream) -> Step {
        let e = estimate(x, stream: &stream)
        let g = model.gradient(e)
        estimator.learn(model, from: e)
        let step = Step(elbo: ELBOComponents(model, e.pass).total, encoderVarianceSum: g.encoderVarianceSum)
        // One Adam step over `DiscreteVAE.parameters`' layout, block by block in place (the same numbers as
        // flattening the parameters and the gradient, one update, and unflattening: Adam is per coordinate).
        let c = adam.beginStep(.ascend)
        var offset = 0, block = 0
        func advance(_ adam: inout Adam, _ p: inout LayerParameters, _ g: LayerParameters, _ offset: inout Int) {
            adam.update(segment: &p.weights.data, gradient: g.weights.data, offset: &offset, c)
            adam.update(segment: &p.bias, gradient: g.bias, offset: &offset, c)
        }
        for e in model.encoder.indices {
            for l in model.encoderStacks[e].layers.indices { advance(&adam, &model.encoderStacks[e].layers[l], g.encoder[block], &offset); block += 1 }
            advance(&adam, &model.encoder[e].parameters, g.encoder[block], &offset); block += 1
        }
        block = 0
        for k in model.decoder.indices {
            for l in model.decoderStacks[k].layers.indices { advance(&adam, &model.decoderStacks[k].layers[l], g.decoder[block], &offset); block += 1 }
            advance(&adam, &model.decoder[k].parameters, g.decoder[block], &offset); block += 1
        }
        adam.update(segment: &model.priorLogits, gradient: g.prior, offset: &offset, c)
        precondition(offset == adam.firstMoment.count, "VAETrainer: \(offset) parameters updated, Adam has \(adam.firstMoment.count)")
        return step
    }

    /// ln of the mean (over encoder parameters) variance of the encoder gradient on minibatch x
    /// from `draws` independent draws (learned parts frozen).
    public func logGradientVariance(_ x: Matrix, draws: Int, stream: inout RandomStream) -> Double {
        var sum: [Double] = [], sumSq: [Double] = []
        for _ in 0..<draws {
            let flat = model.gradient(estimate(x, stream: &stream)).encoder.flatMap(\.flattened)
            if sum.isEmpty { sum = [Double](repeating: 0, count: flat.count); sumSq = sum }
            for k in flat.indices { sum[k] += flat[k]; sumSq[k] += flat[k] * flat[k] }
        }
        let n = Double(draws)
        var total = 0.0
        for k in sum.indices { total += (sumSq[k] - sum[k] * sum[k] / n) / (n - 1) }
        return log(total / Double(sum.count))
    }
}

public extension VAETrainer where Estimator == VAEControlVariateEstimator {
    /// A control-variate trainer whose learned parts train on their own Adam at
    /// `controlLearningRate` (the RELAX draft's code: 10x the model's rate, the same beta2).
    init(model: DiscreteVAE, estimator: VAEControlVariateEstimator, learningRate: Double, controlLearningRate: Double, beta2: Double = 0.999) {
        var estimator = estimator
        estimator.learnLearnedParts(learningRate: controlLearningRate, beta2: beta2)
        self.init(model: model, estimator: estimator, learningRate: learningRate, beta2: beta2)
    }
}
