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
    static func configurations(layers: Int) -> [(String, VAEEncoderEstimator, [Double]?)] {
        let b = (0..<layers).map { -3.0 - Double($0) }
        return [(VAEMethod.reinforce.label, .reinforce, nil), (VAEMethod.reinforceBaseline.label, .reinforce, b),
                (VAEMethod.fHNCA.label, .fHNCA, nil), (VAEMethod.fHNCABaseline.label, .fHNCA, b),
                (VAEMethod.leaveOneOut.label, .leaveOneOut, nil), (VAEMethod.disARM.label, .disARM, nil),
                (VAEMethod.mutant.label, .fHNCAUnweightedRho, nil)]
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

/// The process's CPU time (all threads), which excludes time spent descheduled: timings stay
/// comparable when other processes share the cores.
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// The cost layer: CPU time of one encoder-gradient update (draws + estimate + decoder
/// gradient) against the number of layers L, all methods measured in the same process,
/// interleaved repetition by repetition.
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
        // Binary inputs as wide as the latent layers, so that every layer costs the same.
        let x = Matrix(rows: batchSize, cols: width, data: (0..<(batchSize * width)).map { _ in stream.uniform() < 0.3 ? 1 : 0 })
        let models = layers.map { L in DiscreteVAE.glorotUniform(inputs: width, latent: Array(repeating: width, count: L), stream: &stream) }
        for _ in 0..<repetitions {
            for method in methods {
                var row: [Double] = []
                for (i, _) in layers.enumerated() {
                    let vae = models[i]
                    // The median over updates: robust to other processes preempting this one.
                    var times: [Double] = []
                    for _ in 0..<updates {
                        let start = processCPUSeconds()
                        let draws = vae.draw(x, partial: method.estimator.partialPasses, stream: &stream)
                        let sink = vae.gradient(method.estimator, draws: draws).encoderVarianceSum
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

    /// The quadratic share at the largest L of a least-squares fit t(L) = a + b L + c L^2:
    /// c L_max^2 / t(L_max). About 0 for a cost linear in L, clearly positive for a quadratic one.
    static func quadraticShare(_ t: [Double], layers: [Int]) -> Double {
        let xs = layers.map(Double.init)
        // Normal equations for the 3-parameter polynomial fit.
        var m = [[Double]](repeating: [0, 0, 0, 0], count: 3)
        for (x, y) in zip(xs, t) {
            let basis = [1, x, x * x]
            for r in 0..<3 { for c in 0..<3 { m[r][c] += basis[r] * basis[c] }; m[r][3] += basis[r] * y }
        }
        for col in 0..<3 {
            let pivot = (col..<3).max { abs(m[$0][col]) < abs(m[$1][col]) }!
            m.swapAt(col, pivot)
            for r in 0..<3 where r != col {
                let f = m[r][col] / m[col][col]
                for c in col..<4 { m[r][c] -= f * m[col][c] }
            }
        }
        let c = m[2][3] / m[2][2]
        let top = xs.last!
        return c * top * top / t.last!
    }
}
