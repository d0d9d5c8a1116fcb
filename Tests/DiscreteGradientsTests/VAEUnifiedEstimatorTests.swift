import DiscreteGradients
import Foundation
import Testing

/// Every encoder-gradient estimator on the one discrete VAE (`DiscreteVAE`, latents coded 0/1 or
/// +-1, L = 1 or 2 layers) is exactly unbiased: its mean, by enumeration of the latents and
/// Gauss-Legendre quadrature of the relaxation noise (`VAEOracle`), equals the gradient of the
/// enumerated ELBO (central differences). Deterministic: the tolerance covers quadrature and
/// differencing error only.
@Suite struct VAEUnifiedEstimatorTests {
    static let tolerance = 2e-5

    /// A tiny VAE (4 pixels) with moderate random weights, biases and prior, and one input.
    static func tiny(_ latent: [Int], coding: UnitEncoding, seed: UInt64) -> (DiscreteVAE, Matrix) {
        var s = RandomStream(seed: seed)
        var vae = DiscreteVAE.glorotUniform(inputs: 4, latent: latent, coding: coding, stream: &s)
        for e in 0..<vae.layerCount {
            vae.encoder[e].parameters.weights = vae.encoder[e].parameters.weights.map { 1.5 * $0 }
            vae.decoder[e].parameters.weights = vae.decoder[e].parameters.weights.map { 1.5 * $0 }
            vae.encoder[e].parameters.bias = vae.encoder[e].parameters.bias.map { _ in 0.7 * s.normal() }
            vae.decoder[e].parameters.bias = vae.decoder[e].parameters.bias.map { _ in 0.7 * s.normal() }
        }
        vae.priorLogits = vae.priorLogits.map { _ in 0.7 * s.normal() }
        return (vae, Matrix(rows: 1, cols: 4, data: [1, 0, 1, 1]))
    }
    static let cases: [(latent: [Int], coding: UnitEncoding)] = [([2], .zeroOne), ([2, 2], .zeroOne), ([2], .plusMinusOne), ([2, 2], .plusMinusOne)]
    static func error(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.max()! }

    @Test(arguments: 0..<4) func scoreFamilyIsUnbiased(_ index: Int) {
        let (latent, coding) = Self.cases[index]
        let (vae, x) = Self.tiny(latent, coding: coding, seed: 5)
        let exact = VAEOracle.encoderGradient(vae, x)
        for method in [VAEScoreMethod.reinforce, .fHNCA, .leaveOneOut, .disARM] {
            for baselines in [nil, [-2.0, -3.0].prefix(latent.count).map { $0 }] as [[Double]?] where baselines == nil || method.acceptsBaseline {
                let e = Self.error(VAEOracle.moments(method, vae, x, baselines: baselines).mean, exact)
                #expect(e < 1e-7, "\(method) baseline \(baselines != nil) on \(latent) \(coding): \(e)")
            }
        }
    }

    @Test(arguments: 0..<4) func controlVariateFamilyIsUnbiased(_ index: Int) {
        let (latent, coding) = Self.cases[index]
        let (vae, x) = Self.tiny(latent, coding: coding, seed: 5)
        let exact = VAEOracle.encoderGradient(vae, x)
        for method in VAEControlVariateMethod.allCases {
            var s = RandomStream(seed: 17)
            var estimator = VAEControlVariateEstimator(method, for: vae, baselineHidden: [3], rHidden: [3, 3], stream: &s)
            estimator.randomise(&s)
            let e = Self.error(VAEOracle.mean(estimator, vae, x), exact)
            #expect(e < Self.tolerance, "\(method.label) on \(latent) \(coding): max |E[g] - grad| = \(e)")
        }
    }

    /// The negative controls: both plausible bugs are biased far beyond the tolerance.
    @Test func mutantsAreBiased() {
        for coding in [UnitEncoding.zeroOne, .plusMinusOne] {
            let (vae, x) = Self.tiny([2, 2], coding: coding, seed: 5)
            let exact = VAEOracle.encoderGradient(vae, x)
            for (method, mutation) in [(VAEControlVariateMethod.muprop, VAEControlVariateMutation.muPropWithoutMeanFieldTerm),
                                       (.relax, .relaxWithoutConditionalPathTerm), (.rebar, .relaxWithoutConditionalPathTerm)] {
                var s = RandomStream(seed: 17)
                var estimator = VAEControlVariateEstimator(method, for: vae, baselineHidden: [3], rHidden: [3, 3], mutation: mutation, stream: &s)
                estimator.randomise(&s)
                #expect(Self.error(VAEOracle.mean(estimator, vae, x), exact) > 1e-2, "\(method.label) \(mutation)")
            }
        }
    }

    /// The continuation's gradient matches central differences, and at the drawn values of the
    /// top layer it equals the sampled signal.
    @Test(arguments: 0..<4) func continuationGradientMatchesFiniteDifferences(_ index: Int) {
        let (latent, coding) = Self.cases[index]
        let (vae, x) = Self.tiny(latent, coding: coding, seed: 8)
        expectContinuationMatchesFiniteDifferences(vae, x)
    }

    /// Sampled estimates through the protocol average to the exact gradient (a batch of 20000 copies).
    @Test func sampledEstimatesThroughTheProtocolAreCentred() {
        let (vae, x) = Self.tiny([2, 2], coding: .plusMinusOne, seed: 5)
        let exact = VAEOracle.encoderGradient(vae, x)
        let n = 20000
        let batch = Matrix(rows: n, cols: 4, data: (0..<n).flatMap { _ in x.data })
        var s = RandomStream(seed: 17)
        let estimators: [any VAEGradientEstimator] = [VAEScoreEstimator(.fHNCA), VAEScoreEstimator(.disARM)]
            + VAEControlVariateMethod.allCases.map { VAEControlVariateEstimator($0, for: vae, baselineHidden: [3], rHidden: [3, 3], stream: &s) }
        for estimator in estimators {
            let g = vae.gradient(estimator.estimate(vae, batch, stream: &s)).encoder.flatMap(\.flattened)
            // A loose, fixed bound (the estimators' sd / sqrt(n) is below 0.05 here): catches a
            // sampler that draws something other than what the oracle enumerates.
            #expect(Self.error(g, exact) < 0.15, "\(estimator.label): \(Self.error(g, exact))")
        }
    }
}

/// The continuation's dF/dv against central differences on three copies of the image x, every
/// layer, and F at v = b equal to the top layer's sampled signal (any VAE, linear or nonlinear).
func expectContinuationMatchesFiniteDifferences(_ vae: DiscreteVAE, _ x: Matrix) {
    var s = RandomStream(seed: 3)
    let X = Matrix(rows: 3, cols: x.cols, data: (0..<3).flatMap { _ in x.data })
    let pass = vae.forward(X, stream: &s).pass
    let coding = vae.coding
    for e in 0..<vae.layerCount {
        let n = vae.latentSizes[e]
        let v = Matrix(rows: 3, cols: n, data: (0..<(3 * n)).map { _ in coding.off + coding.gap * s.uniform() })
        let g = vae.continuation(layer: e, pass: pass, values: v).gradient
        let h = 1e-6
        for k in v.data.indices {
            var up = v, down = v
            up.data[k] += h; down.data[k] -= h
            let numeric = (vae.continuation(layer: e, pass: pass, values: up).value[k / v.cols]
                           - vae.continuation(layer: e, pass: pass, values: down).value[k / v.cols]) / (2 * h)
            #expect(abs(numeric - g.data[k]) < 1e-6, "layer \(e) entry \(k): \(numeric) vs \(g.data[k])")
        }
    }
    let top = vae.layerCount - 1
    let atB = vae.continuation(layer: top, pass: pass, values: pass.phi(top + 1)).value
    #expect(VAEUnifiedEstimatorTests.error(atB, ELBOComponents(vae, pass).downstream(of: top)) < 1e-10)
}
