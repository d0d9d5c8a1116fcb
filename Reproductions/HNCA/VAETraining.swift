import Datasets
import DiscreteGradients
import Foundation

/// The six methods of Figure 3 and the two negative controls, as the library's score-function
/// estimator with or without its moving-average baseline.
public enum VAEMethod: String, Codable, Sendable, CaseIterable {
    case reinforce, reinforceBaseline, fHNCA, fHNCABaseline, leaveOneOut, disARM, mutant, mutantNoZeroTerm
    /// hnca.ablation's settings of the released switches, all with the baseline (Section 2.2's
    /// ablation is on f-HNCA with Baseline), and its two negative controls.
    case fHNCAAllChildFullRewardBaseline, fHNCAFullRewardBaseline, mutantAllChildIgnored, mutantUpstreamWithDirect
    public var scoreMethod: VAEScoreMethod {
        switch self {
        case .reinforce, .reinforceBaseline: .reinforce
        case .fHNCA, .fHNCABaseline: .fHNCA
        case .leaveOneOut: .leaveOneOut
        case .disARM: .disARM
        case .mutant: .fHNCAUnweightedRho
        case .mutantNoZeroTerm: .fHNCAWithoutZeroTerm
        case .fHNCAAllChildFullRewardBaseline: .fHNCAAllChildFullReward
        // The mutant is the all_child = true run with the switch not wired: it trains as all_child = false.
        case .fHNCAFullRewardBaseline, .mutantAllChildIgnored: .fHNCAFullReward
        case .mutantUpstreamWithDirect: .fHNCAUpstreamWithDirect
        }
    }
    /// The estimator for an L-layer VAE.
    public func estimator(layers L: Int) -> VAEScoreEstimator { VAEScoreEstimator(scoreMethod, baseline: baseline, layers: L) }
    /// The six methods of Figure 3.
    public static let paperMethods: [VAEMethod] = [.reinforce, .reinforceBaseline, .fHNCA, .fHNCABaseline, .leaveOneOut, .disARM]
    public var baseline: Bool {
        switch self {
        case .reinforceBaseline, .fHNCABaseline, .fHNCAAllChildFullRewardBaseline, .fHNCAFullRewardBaseline, .mutantAllChildIgnored, .mutantUpstreamWithDirect: true
        default: false
        }
    }
    public var label: String {
        self == .mutantAllChildIgnored ? "mutant (all_child switch ignored) + baseline" : scoreMethod.label + (baseline ? " + baseline" : "")
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

/// The epoch loop: shuffle, binarise afresh, one `VAETrainer` step per minibatch.
public enum VAETraining {
    /// `shared` draws the initial weights, the minibatch order and the binarisation: the methods
    /// compared within a seed get the same `shared` stream (paired: same init, same minibatches).
    /// `samples` draws the latent samples, which differ between methods.
    public static func run(_ config: VAERunConfig, data: ImageDataset, shared: RandomStream, samples: RandomStream,
                           progress: (Int, Int, Int) -> Void = { _, _, _ in }) throws -> (records: [VAEEpochRecord], vae: DiscreteVAE) {
        var master = shared
        var initStream = master.split(1), orderStream = master.split(2), binarizeStream = master.split(3)
        var sampleStream = samples
        let vae = DiscreteVAE.glorotUniform(inputs: data.pixelsPerImage, latent: Array(repeating: config.units, count: config.layers), stream: &initStream)
        var trainer = VAETrainer(model: vae, estimator: config.method.estimator(layers: config.layers), learningRate: config.learningRate)
        let B = config.batchSize, batches = data.train.count / B
        precondition(batches > 0)
        var x = Matrix(rows: B, cols: data.pixelsPerImage)
        var records: [VAEEpochRecord] = []
        for epoch in 1...config.epochs {
            let order = orderStream.permutation(data.train.count)
            var elbo = 0.0, variance = 0.0
            for b in 0..<batches {
                DynamicBinarization.fill(&x, from: data.train, indices: order[(b * B)..<((b + 1) * B)], stream: &binarizeStream)
                let step = trainer.train(x, stream: &sampleStream)
                elbo += step.elbo.reduce(0, +)
                variance += step.encoderVarianceSum
                progress(epoch, b + 1, batches)
            }
            let record = VAEEpochRecord(epoch: epoch, trainELBO: elbo / Double(batches * B),
                                        logEncoderVariance: log(variance / Double(batches * vae.encoderParameterCount)))
            guard record.trainELBO.isFinite, record.logEncoderVariance.isFinite else {
                throw VAETrainingError.nonFinite("epoch \(epoch) of \(config.method.label), L = \(config.layers)")
            }
            records.append(record)
        }
        return (records, trainer.model)
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
