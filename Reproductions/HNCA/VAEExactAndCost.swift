import DiscreteGradients
import Foundation

/// The deterministic layer of hnca.vae: every encoder estimator's exact mean on tiny VAEs
/// (enumeration, `VAEOracle`) against the exact gradient, for the methods and the mutant.
public struct VAEExactResult: Codable, Sendable {
    /// One row per (estimator configuration, tiny VAE): the largest |E[g] - grad| over parameters.
    public struct Row: Codable, Sendable {
        public var estimator: String
        public var shape: [Int]
        public var seed: Int
        public var maxError: Double
        public var gradientScale: Double
        /// Sum over encoder parameters of the exact per-parameter variance.
        public var totalVariance: Double
    }
    public var rows: [Row]

    static let shapes: [[Int]] = [[3], [3, 2], [2, 2, 2]]

    /// (label, estimator, baselines?) for the six methods and the mutant; baselines are arbitrary constants.
    static func configurations(layers: Int) -> [(String, VAEScoreMethod, [Double]?)] {
        let b = (0..<layers).map { -3.0 - Double($0) }
        return [(VAEMethod.reinforce.label, .reinforce, nil), (VAEMethod.reinforceBaseline.label, .reinforce, b),
                (VAEMethod.fHNCA.label, .fHNCA, nil), (VAEMethod.fHNCABaseline.label, .fHNCA, b),
                (VAEMethod.leaveOneOut.label, .leaveOneOut, nil), (VAEMethod.disARM.label, .disARM, nil),
                (VAEMethod.mutant.label, .fHNCAUnweightedRho, nil), (VAEMethod.mutantNoZeroTerm.label, .fHNCAWithoutZeroTerm, nil)]
    }

    /// Random tiny VAEs (4 pixels; weights x3 so parents matter; random biases, prior and input).
    static func tiny(_ latent: [Int], stream: inout RandomStream) -> (DiscreteVAE, Matrix) {
        var vae = DiscreteVAE.glorotUniform(inputs: 4, latent: latent, stream: &stream)
        for e in 0..<vae.layerCount {
            vae.encoder[e].parameters.weights = vae.encoder[e].parameters.weights.map { 3 * $0 }
            vae.decoder[e].parameters.weights = vae.decoder[e].parameters.weights.map { 3 * $0 }
            vae.encoder[e].parameters.bias = vae.encoder[e].parameters.bias.map { _ in stream.normal() }
            vae.decoder[e].parameters.bias = vae.decoder[e].parameters.bias.map { _ in stream.normal() }
        }
        vae.priorLogits = vae.priorLogits.map { _ in stream.normal() }
        let x = Matrix(rows: 1, cols: 4, data: (0..<4).map { _ in stream.uniform() < 0.5 ? 1 : 0 })
        return (vae, x)
    }

    static func run(networksPerShape n: Int, stream: inout RandomStream) -> VAEExactResult {
        var rows: [Row] = []
        for shape in shapes {
            for seed in 0..<n {
                let (vae, x) = tiny(shape, stream: &stream)
                let exact = VAEOracle.encoderGradient(vae, x)
                let scale = exact.map(abs).max() ?? 0
                for (label, estimator, b) in configurations(layers: shape.count) {
                    let m = VAEOracle.moments(estimator, vae, x, baselines: b)
                    rows.append(Row(estimator: label, shape: shape, seed: seed, maxError: zip(m.mean, exact).map { abs($0 - $1) }.max() ?? .nan,
                                    gradientScale: scale, totalVariance: m.variance.reduce(0, +)))
                }
            }
        }
        return VAEExactResult(rows: rows)
    }
}

/// The cost layer: counted multiply-adds and transcendental calls (`VAEOperationCount`) of one
/// encoder-gradient update (draws + estimate + decoder gradient) for L = 1, 2, 3 layers of
/// equal width (the input as wide as the latent layers, so that every layer costs the same and a
/// cost linear in L has a second difference of exactly zero). Deterministic: no clock is read.
public struct VAECostResult: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public var method: String
        public var layers: Int
        public var multiplyAdds: Int
        public var transcendentals: Int
    }
    public var width: Int
    public var batchSize: Int
    public var rows: [Row]

    static let layers = [1, 2, 3]
    /// The methods counted; the last is the negative control.
    static let methods: [(label: String, estimator: VAEScoreMethod, repass: Bool)] = [
        (VAEMethod.reinforce.label, .reinforce, false), (VAEMethod.fHNCA.label, .fHNCA, false),
        (VAEMethod.leaveOneOut.label, .leaveOneOut, false), (VAEMethod.disARM.label, .disARM, false),
        (fullRepassLabel, .fHNCA, true),
    ]
    static let fullRepassLabel = "mutant (f-HNCA with a full re-pass per layer)"

    /// The negative control: for each layer e the whole pass is evaluated again and every
    /// layer's signal recomputed from it, and only layer e's is kept (a per-layer loop around a
    /// whole-network routine). Same estimate as f-HNCA, L times its work.
    static func fullRepassGradient(_ vae: DiscreteVAE, draws: VAEDraws) -> (encoder: [LayerParameters], decoder: [LayerParameters], prior: [Double], encoderVarianceSum: Double) {
        let main = draws.main
        let values = main.encoder.map(\.values)
        let signals = (0..<vae.layerCount).map { e in
            VAEScoreMethod.fHNCA.signals(vae, VAEDraws(main: vae.evaluate(main.input, values: values)))[e]
        }
        let (enc, variance) = vae.encoderGradient(signals: signals, pass: main)
        let (dec, prior) = vae.decoderGradient(pass: main)
        return (enc, dec, prior, variance)
    }

    static func run(width: Int, batchSize: Int, stream: inout RandomStream) -> VAECostResult {
        let x = Matrix(rows: batchSize, cols: width, data: (0..<(batchSize * width)).map { _ in stream.uniform() < 0.3 ? 1 : 0 })
        var rows: [Row] = []
        for L in layers {
            let vae = DiscreteVAE.glorotUniform(inputs: width, latent: Array(repeating: width, count: L), stream: &stream)
            for m in methods {
                var s = stream.split(L)
                let counted = VAEOperationCount.counting { () -> Double in
                    let draws = vae.draw(x, partial: m.estimator.partialPasses, stream: &s)
                    return m.repass ? fullRepassGradient(vae, draws: draws).encoderVarianceSum
                                    : vae.gradient(m.estimator, draws: draws).encoderVarianceSum
                }
                precondition(counted.value.isFinite)
                rows.append(Row(method: m.label, layers: L, multiplyAdds: counted.multiplyAdds, transcendentals: counted.transcendentals))
            }
        }
        return VAECostResult(width: width, batchSize: batchSize, rows: rows)
    }

    func counts(_ method: String) -> [(multiplyAdds: Double, transcendentals: Double)] {
        Self.layers.map { L in
            let r = rows.first { $0.method == method && $0.layers == L }!
            return (Double(r.multiplyAdds), Double(r.transcendentals))
        }
    }
    /// C(3) - 2 C(2) + C(1) of multiply-adds and of transcendentals: 0 for a cost linear in L,
    /// positive for a convex (quadratic) one.
    func secondDifference(_ method: String) -> (multiplyAdds: Double, transcendentals: Double) {
        let c = counts(method)
        return (c[2].multiplyAdds - 2 * c[1].multiplyAdds + c[0].multiplyAdds,
                c[2].transcendentals - 2 * c[1].transcendentals + c[0].transcendentals)
    }
}

/// The process's CPU time (all threads): supporting data for the report's timing table only;
/// no verdict reads it.
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// CPU time of one encoder-gradient update against L (supporting data only, shown in the
/// report's timing table; the cost sub-claims are judged on `VAECostResult`'s counts).
public struct VAETimingResult: Codable, Sendable {
    public var width: Int
    public var batchSize: Int
    public var layers: [Int]
    /// seconds[method label][repetition][L index]: median CPU seconds per update.
    public var seconds: [String: [[Double]]]

    static let methods: [VAEMethod] = [.fHNCA, .leaveOneOut, .disARM, .reinforce]

    static func run(width: Int, batchSize: Int, maxLayers: Int, repetitions: Int, updates: Int, stream: inout RandomStream) -> VAETimingResult {
        let layers = Array(1...maxLayers)
        var seconds: [String: [[Double]]] = [:]
        let x = Matrix(rows: batchSize, cols: width, data: (0..<(batchSize * width)).map { _ in stream.uniform() < 0.3 ? 1 : 0 })
        let models = layers.map { L in DiscreteVAE.glorotUniform(inputs: width, latent: Array(repeating: width, count: L), stream: &stream) }
        for _ in 0..<repetitions {
            for method in methods {
                var row: [Double] = []
                for (i, _) in layers.enumerated() {
                    let vae = models[i]
                    var times: [Double] = []
                    for _ in 0..<updates {
                        let start = processCPUSeconds()
                        let draws = vae.draw(x, partial: method.scoreMethod.partialPasses, stream: &stream)
                        let sink = vae.gradient(method.scoreMethod, draws: draws).encoderVarianceSum
                        times.append(processCPUSeconds() - start)
                        precondition(!sink.isInfinite)
                    }
                    row.append(times.sorted()[times.count / 2])
                }
                seconds[method.label, default: []].append(row)
            }
        }
        return VAETimingResult(width: width, batchSize: batchSize, layers: layers, seconds: seconds)
    }
}
