import Datasets
import DiscreteGradients
import Foundation

/// The six methods of Figure 3 and the two negative controls, as encoder estimator + baseline.
public enum VAEMethod: String, Codable, Sendable, CaseIterable {
    case reinforce, reinforceBaseline, fHNCA, fHNCABaseline, leaveOneOut, disARM, mutant, mutantNoZeroTerm
    public var estimator: VAEEncoderEstimator {
        switch self {
        case .reinforce, .reinforceBaseline: .reinforce
        case .fHNCA, .fHNCABaseline: .fHNCA
        case .leaveOneOut: .leaveOneOut
        case .disARM: .disARM
        case .mutant: .fHNCAUnweightedRho
        case .mutantNoZeroTerm: .fHNCAWithoutZeroTerm
        }
    }
    /// The six methods of Figure 3.
    public static let paperMethods: [VAEMethod] = [.reinforce, .reinforceBaseline, .fHNCA, .fHNCABaseline, .leaveOneOut, .disARM]
    public var baseline: Bool { self == .reinforceBaseline || self == .fHNCABaseline }
    public var label: String {
        switch self {
        case .reinforce: "REINFORCE"
        case .reinforceBaseline: "REINFORCE + baseline"
        case .fHNCA: "f-HNCA"
        case .fHNCABaseline: "f-HNCA + baseline"
        case .leaveOneOut: "REINFORCE LOO"
        case .disARM: "DisARM"
        case .mutant: "mutant (unweighted rho)"
        case .mutantNoZeroTerm: "mutant (f-HNCA without the phi = 0 term)"
        }
    }
}

/// One VAE training run's settings (Section 2.2).
public struct VAERunConfig: Codable, Sendable, Hashable {
    public var layers: Int
    public var units: Int
    public var method: VAEMethod
    public var learningRate: Double
    public var batchSize: Int
    public var epochs: Int
}

/// One epoch of training: a point of each Figure 3 curve.
public struct VAEEpochRecord: Codable, Sendable {
    public var epoch: Int
    /// Online training ELBO: mean f_E over the epoch's examples (main encoder pass), nats.
    public var trainELBO: Double
    /// ln of the mean over encoder parameters and batches of the per-parameter variance of the
    /// per-example estimate across a batch (Figure 3, right column).
    public var logEncoderVariance: Double
}

/// The epoch loop: shuffle, binarise afresh, estimate, Adam-ascend every block.
public enum VAETraining {
    /// `shared` draws the initial weights, the minibatch order and the binarisation: the methods
    /// compared within a seed get the same `shared` stream (paired: same init, same minibatches).
    /// `samples` draws the latent samples, which differ between methods.
    public static func run(_ config: VAERunConfig, data: ImageDataset, shared: RandomStream, samples: RandomStream,
                           progress: (Int, Int, Int) -> Void = { _, _, _ in }) throws -> (records: [VAEEpochRecord], vae: DiscreteVAE) {
        var master = shared
        var initStream = master.split(1), orderStream = master.split(2), binarizeStream = master.split(3)
        var sampleStream = samples
        var vae = DiscreteVAE.glorotUniform(inputs: data.pixelsPerImage, latent: Array(repeating: config.units, count: config.layers), stream: &initStream)
        let lr = config.learningRate
        var encoderAdam = vae.encoder.map { (Adam(parameterCount: $0.parameters.weights.data.count, learningRate: lr), Adam(parameterCount: $0.unitCount, learningRate: lr)) }
        var decoderAdam = vae.decoder.map { (Adam(parameterCount: $0.parameters.weights.data.count, learningRate: lr), Adam(parameterCount: $0.unitCount, learningRate: lr)) }
        var priorAdam = Adam(parameterCount: vae.priorLogits.count, learningRate: lr)
        var baselines = Array(repeating: MovingAverageBaseline(decay: 0.99), count: config.layers)
        let estimator = config.method.estimator
        let B = config.batchSize, batches = data.train.count / B
        precondition(batches > 0)
        var x = Matrix(rows: B, cols: data.pixelsPerImage)
        var records: [VAEEpochRecord] = []
        for epoch in 1...config.epochs {
            let order = orderStream.permutation(data.train.count)
            var elbo = 0.0, variance = 0.0
            for b in 0..<batches {
                DynamicBinarization.fill(&x, from: data.train, indices: order[(b * B)..<((b + 1) * B)], stream: &binarizeStream)
                let draws = vae.draw(x, partial: estimator.partialPasses, stream: &sampleStream)
                let g = vae.gradient(estimator, draws: draws, baselines: config.method.baseline ? baselines.map(\.value) : nil)
                if config.method.baseline {
                    for (e, target) in estimator.baselineTargets(vae, draws.main).enumerated() { baselines[e].update(with: [target]) }
                }
                elbo += ELBOComponents(vae, draws.main).total.reduce(0, +)
                variance += g.encoderVarianceSum
                for e in 0..<config.layers {
                    encoderAdam[e].0.update(&vae.encoder[e].parameters.weights, gradient: g.encoder[e].weights, .ascend)
                    encoderAdam[e].1.update(&vae.encoder[e].parameters.bias, gradient: g.encoder[e].bias, .ascend)
                    decoderAdam[e].0.update(&vae.decoder[e].parameters.weights, gradient: g.decoder[e].weights, .ascend)
                    decoderAdam[e].1.update(&vae.decoder[e].parameters.bias, gradient: g.decoder[e].bias, .ascend)
                }
                priorAdam.update(&vae.priorLogits, gradient: g.prior, .ascend)
                progress(epoch, b + 1, batches)
            }
            let record = VAEEpochRecord(epoch: epoch, trainELBO: elbo / Double(batches * B),
                                        logEncoderVariance: log(variance / Double(batches * vae.encoderParameterCount)))
            guard record.trainELBO.isFinite, record.logEncoderVariance.isFinite else {
                throw VAETrainingError.nonFinite("epoch \(epoch) of \(config.method.label), L = \(config.layers)")
            }
            records.append(record)
        }
        return (records, vae)
    }

    /// The K-sample importance-weighted bound (Appendix J's multi-sample ELBO), mean over `images`:
    /// log (1/K sum_k p(X, Phi^k) / q(Phi^k | X)), Phi^k drawn from the encoder.
    public static func importanceWeightedBound(_ vae: DiscreteVAE, images: LabeledImages, samples K: Int, batchSize B: Int,
                                               stream: inout RandomStream) -> Double {
        var total = 0.0, count = 0
        var x = Matrix(rows: B, cols: images.pixelsPerImage)
        for start in stride(from: 0, to: images.count - B + 1, by: B) {
            DynamicBinarization.fill(&x, from: images, indices: Array(start..<(start + B))[...], stream: &stream)
            var logWeights = Array(repeating: [Double](), count: B)
            for _ in 0..<K {
                let pass = vae.forward(x, stream: &stream).pass
                let c = ELBOComponents(vae, pass)
                var w = c.logPrior
                for k in 0..<vae.layerCount {
                    let logQ = ELBOComponents.logBernoulli(pass.encoder[k].values, logits: pass.encoder[k].logits)
                    for b in 0..<B { w[b] += c.logLikelihood[k][b] - logQ.row(b).reduce(0, +) }
                }
                for b in 0..<B { logWeights[b].append(w[b]) }
            }
            for b in 0..<B { total += Fn.logSumExp(logWeights[b]) - log(Double(K)); count += 1 }
        }
        return total / Double(max(count, 1))
    }
}

public enum VAETrainingError: Error, CustomStringConvertible {
    case nonFinite(String)
    public var description: String { switch self { case .nonFinite(let s): "non-finite training statistics: \(s)" } }
}
