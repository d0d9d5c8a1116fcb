import Datasets
import DiscreteGradients
import Foundation
import Pipeline
import Verification

/// Every encoder-gradient estimator of the library's `VAEGradientEstimator` protocol, in the list
/// the estimators benchmark runs. Adding an estimator to the library: add a case here (and its
/// trainer in `EstimatorBenchmark.trainer`).
public enum BenchmarkEstimator: String, Codable, Sendable, CaseIterable {
    case reinforce, reinforceBaseline, leaveOneOut, disARM, fHNCA, fHNCABaseline, nvil, muprop, rebar, relax, lax

    public var label: String {
        switch self {
        case .reinforce: "REINFORCE"
        case .reinforceBaseline: "REINFORCE + baseline"
        case .leaveOneOut: "REINFORCE LOO"
        case .disARM: "DisARM"
        case .fHNCA: "f-HNCA"
        case .fHNCABaseline: "f-HNCA + baseline"
        case .nvil: "NVIL"
        case .muprop: "MuProp"
        case .rebar: "REBAR"
        case .relax: "RELAX"
        case .lax: "LAX"
        }
    }
    /// f-HNCA's baseline acts on the components with mediated connections, which a 1-layer VAE has not.
    public func available(layers L: Int) -> Bool { self != .fHNCABaseline || L >= 2 }
    public static func estimators(layers L: Int) -> [BenchmarkEstimator] { allCases.filter { $0.available(layers: L) } }
    /// The estimator every other is compared with (paired within a seed).
    public static let reference = BenchmarkEstimator.reinforceBaseline

    var scoreMethod: (VAEScoreMethod, baseline: Bool)? {
        switch self {
        case .reinforce: (.reinforce, false)
        case .reinforceBaseline: (.reinforce, true)
        case .leaveOneOut: (.leaveOneOut, false)
        case .disARM: (.disARM, false)
        case .fHNCA: (.fHNCA, false)
        case .fHNCABaseline: (.fHNCA, true)
        default: nil
        }
    }
    var controlVariateMethod: VAEControlVariateMethod? {
        switch self {
        case .nvil: .nvil
        case .muprop: .muprop
        case .rebar: .rebar
        case .relax: .relax
        case .lax: .lax
        default: nil
        }
    }
}

/// One training run of one estimator: per-epoch training ELBO and probe variance.
public struct EstimatorTrainingRecord: Codable, Sendable {
    public var layers: Int
    public var estimator: BenchmarkEstimator
    /// Online training ELBO per epoch: mean over the epoch's minibatches of the per-example f_E, nats.
    public var epochElbo: [Double]
    /// ln of the mean per-parameter encoder-gradient variance on the fixed probe minibatch
    /// (`VAETrainer.logGradientVariance`), before training (index 0) and after each epoch.
    public var logVariance: [Double]
}

/// Counted operations of one training update (`VAEOperationCount`): deterministic.
public struct EstimatorCountRow: Codable, Sendable {
    public var estimator: BenchmarkEstimator
    public var layers: Int
    public var multiplyAdds: Int
    public var transcendentals: Int
}

/// Measured CPU seconds per training update (median over updates): for the timing table only.
public struct EstimatorTimingRow: Codable, Sendable {
    public var estimator: BenchmarkEstimator
    public var layers: Int
    public var secondsPerUpdate: Double
}

public struct EstimatorUnitResult: Codable, Sendable {
    public var training: EstimatorTrainingRecord?
    public var counts: [EstimatorCountRow]?
    /// Measured CPU times: the report's timing table only (no decision reads them; there are none).
    public var timing: [EstimatorTimingRow]?
}

/// `reproduce run estimators`: a benchmark, NOT a paper claim (it is not in `Registry.claims`, has
/// no designs, no verdict and no share of the family alpha). It trains one discrete VAE with every
/// estimator of `VAEGradientEstimator` on the same model, data and budget, paired within a seed
/// (the same initial weights, minibatch order and binarisation for every estimator of a seed), and
/// measures the final training ELBO, the encoder-gradient variance along training on a fixed probe
/// minibatch, the counted operations per update against L and (timing table only) CPU time.
///
/// Setup: the RELAX draft's published VAE setup (latents in {-1, +1}, encoder input centred by the
/// pixel means, decoder output bias at their logits, static binarisation x > 0.5, batch 24, Adam
/// beta2 0.99999, control variates on their own Adam at 10x the model's rate), for every estimator:
/// it is the setup in which NVIL and the control-variate family were tuned and published, and the
/// score-function family (f-HNCA included) supports +-1 coding, so no estimator runs outside a
/// setup it was built for.
public struct EstimatorBenchmark: Claim {
    public static let targetID = "estimators"
    public let id = EstimatorBenchmark.targetID
    public let paper = "benchmark (not a paper claim)"
    public let source = "issue 11: every VAEGradientEstimator on one model"
    public let statement = "A measurement, not a claim: final training ELBO, encoder-gradient variance along training and cost per update of every encoder-gradient estimator of the library on one discrete VAE, paired within a seed."
    public let summary = "benchmark of every VAE encoder-gradient estimator (no verdict)"
    public init() {}

    public typealias UnitResult = EstimatorUnitResult
    /// No sub-claims: the benchmark decides nothing.
    public var designs: [SubClaimDesign] { [] }

    public struct Settings: Sendable {
        public var units: Int
        public var epochs: Int
        public var batch: Int
        public var learningRate: Double
        public var controlLearningRate: Double
        public var beta2: Double
        public var baselineHidden: [Int]
        public var rHidden: [Int]
        public var trainLimit: Int?
        public var paperData: Bool
        public var seeds: Int
        public var trainingLayers: [Int]
        public var varianceDraws: Int
        /// Timed updates per (estimator, L); the median is reported.
        public var timingUpdates: Int
    }
    public static let countLayers = [1, 2, 3]

    public static func settings(_ scale: Scale) -> Settings {
        switch scale {
        case .smoke: Settings(units: 8, epochs: 1, batch: 24, learningRate: 1e-3, controlLearningRate: 1e-2, beta2: 0.99999,
                              baselineHidden: [10], rHidden: [10, 10], trainLimit: 96, paperData: false, seeds: 2,
                              trainingLayers: [1, 2], varianceDraws: 4, timingUpdates: 1)
        case .quick: Settings(units: 40, epochs: 2, batch: 24, learningRate: 1e-3, controlLearningRate: 1e-2, beta2: 0.99999,
                              baselineHidden: [100], rHidden: [200, 200], trainLimit: nil, paperData: false, seeds: 3,
                              trainingLayers: [1, 2, 3], varianceDraws: 10, timingUpdates: 5)
        case .paper: Settings(units: 200, epochs: 100, batch: 24, learningRate: 1e-4, controlLearningRate: 1e-3, beta2: 0.99999,
                              baselineHidden: [100], rHidden: [200, 200], trainLimit: nil, paperData: true, seeds: 10,
                              trainingLayers: [1, 2, 3], varianceDraws: 20, timingUpdates: 9)
        }
    }

    static func config(_ L: Int, _ e: BenchmarkEstimator) -> String { "L\(L)-\(e.rawValue)" }

    public func units(at scale: Scale) -> [RunUnit] {
        let s = Self.settings(scale)
        var out = [RunUnit("counts", 0), RunUnit("timing", 0)]
        for L in s.trainingLayers {
            for e in BenchmarkEstimator.estimators(layers: L) {
                for seed in 0..<s.seeds { out.append(RunUnit(Self.config(L, e), seed)) }
            }
        }
        return out
    }

    public func evidence(from results: [(unit: RunUnit, result: EstimatorUnitResult)], scale: Scale) throws -> Evidence {
        Evidence.failure("the estimators benchmark has no verdict: `reproduce report estimators` writes Reports/ESTIMATORS.md")
    }

    // MARK: Units

    public func run(_ unit: RunUnit, context: RunContext) throws -> EstimatorUnitResult {
        let s = Self.settings(context.scale)
        let data = try ClaimImageData.load(paperData: s.paperData, trainLimit: s.trainLimit)
        context.dataset = data.summary
        let binary = StaticBinaryImages(data.train)
        switch unit.config {
        case "counts":
            return EstimatorUnitResult(counts: Self.counts(s, binary: binary, context: context))
        case "timing":
            return EstimatorUnitResult(timing: Self.timing(s, binary: binary, context: context))
        default:
            let parts = unit.config.split(separator: "-").map(String.init)
            guard parts.count == 2, parts[0].hasPrefix("L"), let L = Int(parts[0].dropFirst()),
                  let e = BenchmarkEstimator(rawValue: parts[1]), e.available(layers: L) else {
                throw ClaimError.failed("unknown configuration '\(unit.config)'")
            }
            return EstimatorUnitResult(training: try train(L, e, s, binary: binary, context: context))
        }
    }

    /// The published set-up's model (`StaticBinaryImages.publishedModel`) with L layers of the
    /// scale's units, drawn first from `stream`, so every estimator of a seed starts from the same weights.
    static func model(layers L: Int, _ s: Settings, binary: StaticBinaryImages, stream: inout RandomStream) -> DiscreteVAE {
        binary.publishedModel(latent: Array(repeating: s.units, count: L), stream: &stream)
    }

    /// Runs `body` with the estimator's trainer (the protocol's two initialisers).
    static func withTrainer<T>(_ e: BenchmarkEstimator, model: DiscreteVAE, _ s: Settings, stream: inout RandomStream,
                               _ body: (inout any EstimatorTraining) throws -> T) rethrows -> T {
        if let (method, baseline) = e.scoreMethod {
            var t: any EstimatorTraining = VAETrainer(model: model, estimator: VAEScoreEstimator(method, baseline: baseline, layers: model.layerCount),
                                                      learningRate: s.learningRate, beta2: s.beta2)
            return try body(&t)
        }
        let cv = VAEControlVariateEstimator(e.controlVariateMethod!, for: model, baselineHidden: s.baselineHidden, rHidden: s.rHidden, stream: &stream)
        var t: any EstimatorTraining = VAETrainer(model: model, estimator: cv, learningRate: s.learningRate,
                                                  controlLearningRate: s.controlLearningRate, beta2: s.beta2)
        return try body(&t)
    }

    /// One training run. Streams are keyed by (L, seed), never by estimator: every estimator of a
    /// seed gets the same initial model, the same minibatch order (its own stream, so estimators
    /// that consume different numbers of uniforms stay paired), the same binarisation (static) and
    /// the same probe minibatch; the latent draws come from one more (L, seed) stream.
    func train(_ L: Int, _ e: BenchmarkEstimator, _ s: Settings, binary: StaticBinaryImages, context: RunContext) throws -> EstimatorTrainingRecord {
        func stream(_ label: String) -> RandomStream {
            RandomStream(master: context.masterSeed, claim: id, label: "L\(L)/\(label)", index: context.unit.index)
        }
        var initStream = stream("init"), orderStream = stream("order"), latentStream = stream("latents")
        let model = Self.model(layers: L, s, binary: binary, stream: &initStream)
        let n = binary.pixels.rows, batches = n / s.batch
        guard batches > 0 else { throw ClaimError.failed("fewer training images (\(n)) than one minibatch") }
        let probe = binary.rows(0..<s.batch)
        return try Self.withTrainer(e, model: model, s, stream: &initStream) { trainer in
            var elbo: [Double] = [], logVariance: [Double] = []
            func probeVariance(_ epoch: Int) throws {
                var v = stream("variance-\(epoch)")
                let lv = trainer.logVariance(probe, draws: s.varianceDraws, stream: &v)
                guard lv.isFinite else { throw ClaimError.nonFinite("L = \(L) \(e.label): gradient variance at epoch \(epoch)") }
                logVariance.append(lv)
            }
            try probeVariance(0)
            for epoch in 1...s.epochs {
                let order = orderStream.permutation(n)
                var total = 0.0
                for k in 0..<batches {
                    let x = binary.rows(order[(k * s.batch)..<((k + 1) * s.batch)])
                    let m = trainer.step(x, stream: &latentStream)
                    guard m.isFinite else { throw ClaimError.nonFinite("L = \(L) \(e.label): ELBO \(m) at epoch \(epoch), batch \(k)") }
                    total += m
                    context.progress(step: (epoch - 1) * batches + k + 1, of: s.epochs * batches, "epoch \(epoch)/\(s.epochs)")
                }
                elbo.append(total / Double(batches))
                try probeVariance(epoch)
            }
            return EstimatorTrainingRecord(layers: L, estimator: e, epochElbo: elbo, logVariance: logVariance)
        }
    }

    /// Counted multiply-adds and transcendentals of one training update (estimate, decoder and
    /// prior gradient, the estimator's learning, the step's ELBO) at L = 1, 2, 3 on the benchmark's
    /// model shape, the first minibatch of the training set.
    static func counts(_ s: Settings, binary: StaticBinaryImages, context: RunContext) -> [EstimatorCountRow] {
        eachFreshTrainer("counts", s, binary: binary, context: context) { e, L, trainer, x, latents in
            let c = VAEOperationCount.counting { trainer.step(x, stream: &latents) }
            precondition(c.value.isFinite)
            return EstimatorCountRow(estimator: e, layers: L, multiplyAdds: c.multiplyAdds, transcendentals: c.transcendentals)
        }
    }

    /// CPU seconds per training update (median of `timingUpdates` after one warm-up update) at
    /// L = 1, 2, 3. Reported in the timing table only.
    static func timing(_ s: Settings, binary: StaticBinaryImages, context: RunContext) -> [EstimatorTimingRow] {
        eachFreshTrainer("timing", s, binary: binary, context: context) { e, L, trainer, x, latents in
            _ = trainer.step(x, stream: &latents)
            var times: [Double] = []
            for _ in 0..<s.timingUpdates {
                let start = processCPUSeconds()
                _ = trainer.step(x, stream: &latents)
                times.append(processCPUSeconds() - start)
            }
            return EstimatorTimingRow(estimator: e, layers: L, secondsPerUpdate: times.sorted()[times.count / 2])
        }
    }

    /// `body` once per (L in `countLayers`, estimator) on a fresh trainer of the benchmark's model,
    /// the first minibatch of the training set and a latent stream, all keyed by (`label`, L).
    static func eachFreshTrainer<Row>(_ label: String, _ s: Settings, binary: StaticBinaryImages, context: RunContext,
                                      _ body: (BenchmarkEstimator, Int, inout any EstimatorTraining, Matrix, inout RandomStream) -> Row) -> [Row] {
        let x = binary.rows(0..<s.batch)
        var out: [Row] = []
        for L in countLayers {
            for e in BenchmarkEstimator.estimators(layers: L) {
                var initStream = RandomStream(master: context.masterSeed, claim: EstimatorBenchmark.targetID, label: "\(label)/L\(L)/init", index: 0)
                var latents = RandomStream(master: context.masterSeed, claim: EstimatorBenchmark.targetID, label: "\(label)/L\(L)/latents", index: 0)
                let m = model(layers: L, s, binary: binary, stream: &initStream)
                out.append(withTrainer(e, model: m, s, stream: &initStream) { trainer in body(e, L, &trainer, x, &latents) })
            }
        }
        return out
    }
}

/// What the benchmark needs of a `VAETrainer`, whatever its estimator type.
protocol EstimatorTraining {
    /// One training step; the step's mean ELBO.
    mutating func step(_ x: Matrix, stream: inout RandomStream) -> Double
    func logVariance(_ x: Matrix, draws: Int, stream: inout RandomStream) -> Double
}

extension VAETrainer: EstimatorTraining {
    mutating func step(_ x: Matrix, stream: inout RandomStream) -> Double { train(x, stream: &stream).meanELBO }
    func logVariance(_ x: Matrix, draws: Int, stream: inout RandomStream) -> Double { logGradientVariance(x, draws: draws, stream: &stream) }
}
