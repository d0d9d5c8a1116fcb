import Datasets
import DiscreteGradients
import Foundation

/// One training run's settings (Section 1.3).
public struct BanditRunConfig: Codable, Sendable, Hashable {
    public var hiddenLayers: Int
    public var hiddenUnits: Int
    public var credit: HiddenCredit
    public var baseline: Bool
    public var learningRate: Double
    public var batchSize: Int
    public var epochs: Int
    public init(hiddenLayers: Int, hiddenUnits: Int = 200, credit: HiddenCredit, baseline: Bool,
                learningRate: Double, batchSize: Int = 50, epochs: Int) {
        self.hiddenLayers = hiddenLayers; self.hiddenUnits = hiddenUnits; self.credit = credit; self.baseline = baseline
        self.learningRate = learningRate; self.batchSize = batchSize; self.epochs = epochs
    }
}

/// What one epoch produced (one point of each Figure 1 curve).
public struct BanditEpochRecord: Codable, Sendable {
    public var epoch: Int
    /// Online training accuracy: the mean reward over the epoch's training examples.
    public var trainAccuracy: Double
    /// Accuracy of sampled actions on a fresh binarisation of the test set, after the epoch.
    public var testAccuracy: Double
    /// Mean over parameters of the per-parameter variance of the per-example gradient across a
    /// batch, averaged over the epoch's batches (Figure 1, right column, before the log).
    public var gradientVariance: Double
    /// The same over the hidden layers' parameters only (where the two estimators differ).
    public var hiddenGradientVariance: Double
}

/// The epoch loop of the contextual bandit (Section 1.3): shuffle, binarise each image afresh,
/// train on minibatches, then evaluate on a fresh binarisation of the test set.
public enum BanditTraining {
    /// Runs `config` on `data`; `progress(epoch, batch, batchesPerEpoch)` after every batch.
    public static func run(_ config: BanditRunConfig, data: ImageDataset, stream: RandomStream,
                           progress: (Int, Int, Int) -> Void = { _, _, _ in }) throws -> [BanditEpochRecord] {
        var master = stream
        var initStream = master.split(1), orderStream = master.split(2), binarizeStream = master.split(3)
        var sampleStream = master.split(4), testStream = master.split(5)
        let network = BanditNetwork.glorotUniform(inputs: data.pixelsPerImage, hidden: Array(repeating: config.hiddenUnits, count: config.hiddenLayers),
                                                  actions: data.classes, stream: &initStream)
        let trainer = NetworkTrainer(network: network, credit: config.credit, batchSize: config.batchSize,
                                    learningRate: config.learningRate, baseline: config.baseline)
        let B = config.batchSize
        let batches = data.train.count / B   // a last partial batch is dropped (a different one each epoch)
        precondition(batches > 0, "fewer training images than one batch")
        var records: [BanditEpochRecord] = []
        for epoch in 1...config.epochs {
            let order = orderStream.permutation(data.train.count)
            var rewards = 0.0, variance = 0.0, hiddenVariance = 0.0
            for b in 0..<batches {
                let indices = order[(b * B)..<((b + 1) * B)]
                trainer.withInput { DynamicBinarization.fill(&$0, from: data.train, indices: indices, stream: &binarizeStream) }
                let stats = try trainer.train(labels: indices.map { data.train.labels[$0] }[...], stream: &sampleStream)
                rewards += stats.rewardSum; variance += stats.varianceSum; hiddenVariance += stats.hiddenVarianceSum
                progress(epoch, b + 1, batches)
            }
            let parameters = Double(trainer.parameterCount)
            let hiddenParameters = Double(trainer.parameterCount - trainer.outputParameterCount)
            let record = BanditEpochRecord(
                epoch: epoch, trainAccuracy: rewards / Double(batches * B),
                testAccuracy: evaluate(trainer, on: data.test, stream: &testStream),
                gradientVariance: variance / Double(batches) / parameters,
                hiddenGradientVariance: hiddenVariance / Double(batches) / hiddenParameters)
            guard record.gradientVariance.isFinite, record.testAccuracy.isFinite else {
                throw NetworkTrainingError.nonFinite("epoch \(epoch) statistics (\(config.credit.rawValue), \(config.hiddenLayers) hidden layers)")
            }
            records.append(record)
        }
        return records
    }

    /// Accuracy of sampled actions on a fresh binarisation of `images` (no update).
    public static func evaluate(_ trainer: NetworkTrainer, on images: LabeledImages, stream: inout RandomStream) -> Double {
        let B = trainer.batchSize
        var correct = 0
        var start = 0
        while start < images.count {
            let real = min(B, images.count - start)
            // A last partial batch is padded with copies of its last image, which are not counted.
            let indices = (0..<B).map { start + min($0, real - 1) }
            trainer.withInput { DynamicBinarization.fill(&$0, from: images, indices: indices[...], stream: &stream) }
            trainer.forward(stream: &stream)
            for r in 0..<real where trainer.actions[r] == images.labels[start + r] { correct += 1 }
            start += B
        }
        return Double(correct) / Double(images.count)
    }
}
