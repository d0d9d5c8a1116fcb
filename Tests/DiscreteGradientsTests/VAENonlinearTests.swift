import DiscreteGradients
import Foundation
import Testing

/// The nonlinear discrete VAE (Tucker et al. 2017; the RELAX draft's Table 1 "Nonlinear" row):
/// the one `DiscreteVAE` with tanh stacks before its layers' logits. On tiny models (3 pixels,
/// stacks of 2-3 tanh units, 2 latent units per layer), every estimator that supports the model is
/// exactly unbiased against enumeration, and the model's gradients (encoder, decoder, continuation)
/// match central differences. f-HNCA refuses maps it cannot flip in constant time.
@Suite struct VAENonlinearTests {
    /// A tiny nonlinear VAE: 3 pixels, `latent` units, a tanh stack of widths `hidden` on each side
    /// of every layer, moderate random weights, biases and prior; and one input.
    static func tiny(_ latent: [Int], hidden: [Int], coding: UnitEncoding, seed: UInt64) -> (DiscreteVAE, Matrix) {
        var s = RandomStream(seed: seed)
        var vae = DiscreteVAE.glorotUniform(inputs: 3, latent: latent, coding: coding, hidden: hidden, stream: &s)
        vae.parameters = vae.parameters.map { 1.5 * $0 + 0.5 * s.normal() }
        return (vae, Matrix(rows: 1, cols: 3, data: [1, 0, 1]))
    }
    static let cases: [(latent: [Int], hidden: [Int], coding: UnitEncoding)] = [
        ([2], [3, 2], .plusMinusOne), ([2], [3, 3], .zeroOne), ([2, 2], [2], .plusMinusOne),
    ]
    static func error(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.max()! }

    @Test func theNonlinearModelHasTanhStacksOnEverySide() {
        let (vae, _) = Self.tiny([2], hidden: [3, 2], coding: .plusMinusOne, seed: 1)
        #expect(vae.isNonlinear && vae.inputCount == 3 && vae.latentSizes == [2])
        #expect(vae.encoderStacks[0].widths == [3, 2] && vae.decoderStacks[0].widths == [3, 2])
        // Parameters: encoder stack 3x3+3, 2x3+2; logits 2x2+2; decoder stack 3x2+3, 2x3+2; logits 3x2+3; prior 2.
        #expect(vae.encoderParameterCount == 12 + 8 + 6 && vae.parameters.count == 26 + 9 + 8 + 9 + 2)
        #expect(!vae.childrenAreAffine(ofLayer: 0))
    }

    @Test(arguments: 0..<3) func scoreFamilyIsUnbiased(_ index: Int) {
        let (latent, hidden, coding) = Self.cases[index]
        let (vae, x) = Self.tiny(latent, hidden: hidden, coding: coding, seed: 5)
        let exact = VAEOracle.encoderGradient(vae, x)
        #expect(exact.count == vae.encoderParameterCount)
        for method in [VAEScoreMethod.reinforce, .leaveOneOut, .disARM] {
            for baselines in [nil, [-2.0, -3.0].prefix(latent.count).map { $0 }] as [[Double]?] where baselines == nil || method.acceptsBaseline {
                let e = Self.error(VAEOracle.moments(method, vae, x, baselines: baselines).mean, exact)
                #expect(e < 1e-7, "\(method) baseline \(baselines != nil) on \(latent) hidden \(hidden) \(coding): \(e)")
            }
        }
    }

    /// Quadrature at 16 points per piece: the tanh stacks make the integrand over the relaxation
    /// noise less polynomial than the linear models' (on case 0 REBAR's quadrature error is 2e-4 at
    /// 8 points, 2e-8 at 16, 8e-11 at 24: convergence to the exact gradient, not a bias).
    @Test(arguments: 0..<3) func controlVariateFamilyIsUnbiased(_ index: Int) {
        let (latent, hidden, coding) = Self.cases[index]
        let (vae, x) = Self.tiny(latent, hidden: hidden, coding: coding, seed: 5)
        let exact = VAEOracle.encoderGradient(vae, x)
        for method in VAEControlVariateMethod.allCases {
            var s = RandomStream(seed: 17)
            var estimator = VAEControlVariateEstimator(method, for: vae, baselineHidden: [3], rHidden: [3, 3], stream: &s)
            estimator.randomise(&s)
            let e = Self.error(VAEOracle.mean(estimator, vae, x, pointsPerPiece: 16), exact)
            #expect(e < VAEUnifiedEstimatorTests.tolerance, "\(method.label) on \(latent) hidden \(hidden) \(coding): max |E[g] - grad| = \(e)")
        }
    }

    /// The control-variate mutants stay biased on the nonlinear model.
    @Test func mutantsAreBiased() {
        let (vae, x) = Self.tiny([2], hidden: [3, 2], coding: .plusMinusOne, seed: 5)
        let exact = VAEOracle.encoderGradient(vae, x)
        for (method, mutation) in [(VAEControlVariateMethod.muprop, VAEControlVariateMutation.muPropWithoutMeanFieldTerm),
                                   (.relax, .relaxWithoutConditionalPathTerm)] {
            var s = RandomStream(seed: 17)
            var estimator = VAEControlVariateEstimator(method, for: vae, baselineHidden: [3], rHidden: [3, 3], mutation: mutation, stream: &s)
            estimator.randomise(&s)
            #expect(Self.error(VAEOracle.mean(estimator, vae, x, pointsPerPiece: 16), exact) > 1e-2, "\(method.label) \(mutation)")
        }
    }

    /// f-HNCA's flip counterfactuals need affine children: with a tanh stack only on its own layer's
    /// input side (encoder stack 0, affine decoder) it stays exactly unbiased ...
    @Test func fHNCAIsUnbiasedWhereItsChildrenAreAffine() {
        let (base, x) = Self.tiny([2], hidden: [3, 2], coding: .plusMinusOne, seed: 5)
        var s = RandomStream(seed: 9)
        var decoder = BernoulliLayer.glorotUniform(inputs: 2, units: 3, encoding: .zeroOne, stream: &s)
        decoder.parameters.weights = decoder.parameters.weights.map { 1.5 * $0 }
        decoder.parameters.bias = decoder.parameters.bias.map { _ in 0.7 * s.normal() }
        let vae = DiscreteVAE(encoder: base.encoder, decoder: [decoder], priorLogits: base.priorLogits,
                              encoderStacks: base.encoderStacks, decoderStacks: [TanhStack()])
        #expect(vae.childrenAreAffine(ofLayer: 0))
        let exact = VAEOracle.encoderGradient(vae, x)
        for baselines in [nil, [-2.0]] as [[Double]?] {
            #expect(Self.error(VAEOracle.moments(.fHNCA, vae, x, baselines: baselines).mean, exact) < 1e-7)
        }
    }

    /// ... and on a nonlinear child map it refuses (a precondition) rather than return a biased estimate.
    @Test func fHNCARefusesNonlinearChildren() async {
        await #expect(processExitsWith: .failure) {
            let (vae, x) = VAENonlinearTests.tiny([2], hidden: [3, 2], coding: .plusMinusOne, seed: 5)
            var s = RandomStream(seed: 1)
            _ = VAEScoreEstimator(.fHNCA).estimate(vae, x, stream: &s)
        }
    }

    /// encoderGradient on given signals c is the gradient of (1/B) sum_{e,b,j} c_ebj l_ebj(theta)
    /// (the logits at fixed latent values), through every stack; decoderGradient is the gradient of
    /// the batch mean of the log-likelihoods and the log prior. Central differences, h = 1e-6.
    @Test(arguments: 0..<3) func gradientsMatchCentralDifferences(_ index: Int) {
        let (latent, hidden, coding) = Self.cases[index]
        let (vae, x) = Self.tiny(latent, hidden: hidden, coding: coding, seed: 8)
        var s = RandomStream(seed: 3)
        let X = Matrix(rows: 3, cols: 3, data: x.data + (0..<6).map { _ in s.uniform() < 0.5 ? 1.0 : 0.0 })
        let pass = vae.forward(X, stream: &s).pass
        let values = (0..<vae.layerCount).map { pass.encoder[$0].values }
        let signals = latent.map { n in Matrix(rows: 3, cols: n, data: (0..<(3 * n)).map { _ in s.normal() }) }
        let h = 1e-6
        // Encoder.
        func weighted(_ m: DiscreteVAE) -> Double {
            let p = m.evaluate(X, values: values)
            var total = 0.0
            for e in signals.indices { for k in signals[e].data.indices { total += signals[e].data[k] * p.encoder[e].logits.data[k] } }
            return total / 3
        }
        let theta = vae.encoderParameters
        let analytic = vae.encoderGradient(signals: signals, pass: pass).gradient.flatMap(\.flattened)
        #expect(analytic.count == theta.count)
        for k in theta.indices {
            var up = theta, down = theta
            up[k] += h; down[k] -= h
            let numeric = (weighted(vae.with(encoderParameters: up)) - weighted(vae.with(encoderParameters: down))) / (2 * h)
            #expect(abs(numeric - analytic[k]) < 1e-6, "encoder parameter \(k): \(numeric) vs \(analytic[k])")
        }
        // Decoder and prior.
        func logJoint(_ m: DiscreteVAE) -> Double {
            let c = ELBOComponents(m, m.evaluate(X, values: values))
            return (0..<3).map { b in c.logPrior[b] + c.logLikelihood.reduce(0) { $0 + $1[b] } }.reduce(0, +) / 3
        }
        let (dec, prior) = vae.decoderGradient(pass: pass)
        let decoderAnalytic = dec.flatMap(\.flattened) + prior
        let all = vae.parameters, start = vae.encoderParameterCount
        #expect(decoderAnalytic.count == all.count - start)
        for k in start..<all.count {
            var up = vae, down = vae
            var pu = all, pd = all
            pu[k] += h; pd[k] -= h
            up.parameters = pu; down.parameters = pd
            let numeric = (logJoint(up) - logJoint(down)) / (2 * h)
            #expect(abs(numeric - decoderAnalytic[k - start]) < 1e-6, "decoder/prior parameter \(k - start): \(numeric) vs \(decoderAnalytic[k - start])")
        }
    }

    /// The continuation's dF/dv (through decoder stack e and, above, the mean field through the
    /// stacks) matches central differences; at the drawn top-layer values it is the sampled signal.
    @Test(arguments: 0..<3) func continuationGradientMatchesFiniteDifferences(_ index: Int) {
        let (latent, hidden, coding) = Self.cases[index]
        let (vae, x) = Self.tiny(latent, hidden: hidden, coding: coding, seed: 8)
        expectContinuationMatchesFiniteDifferences(vae, x)
    }

    /// A linear model encodes without stack keys (as before stacks existed) and such JSON decodes
    /// to the linear model; a nonlinear model round-trips.
    @Test func codingKeepsLinearModelsAsTheyWere() throws {
        var s = RandomStream(seed: 2)
        var linear = DiscreteVAE.glorotUniform(inputs: 3, latent: [2, 2], coding: .plusMinusOne, stream: &s)
        linear.inputOffset = [0.1, 0.2, 0.3]
        let json = try JSONEncoder().encode(linear)
        #expect(!String(decoding: json, as: UTF8.self).contains("Stacks"))
        let back = try JSONDecoder().decode(DiscreteVAE.self, from: json)
        #expect(back == linear && !back.isNonlinear && back.encoderStacks.count == 2)
        let (nonlinear, _) = Self.tiny([2], hidden: [3, 2], coding: .plusMinusOne, seed: 1)
        #expect(try JSONDecoder().decode(DiscreteVAE.self, from: JSONEncoder().encode(nonlinear)) == nonlinear)
    }
}
