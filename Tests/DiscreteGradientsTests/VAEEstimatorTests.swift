import DiscreteGradients
import Foundation
import Testing

/// The discrete hierarchical VAE's encoder-gradient estimators (HNCA paper Section 2.2, Eq. 6-7)
/// against the exact enumeration oracle on tiny VAEs (4 pixels, 1-3 layers of 2-3 units).
@Suite struct VAEEstimatorTests {
    /// A tiny VAE with strong weights (so parents matter), random biases and prior, and one input.
    static func tiny(_ latent: [Int], seed: UInt64) -> (DiscreteVAE, Matrix) {
        var s = RandomStream(seed: seed)
        var vae = DiscreteVAE.glorotUniform(inputs: 4, latent: latent, stream: &s)
        for e in 0..<vae.layerCount {
            vae.encoder[e].parameters.weights = vae.encoder[e].parameters.weights.map { 3 * $0 }
            vae.decoder[e].parameters.weights = vae.decoder[e].parameters.weights.map { 3 * $0 }
            vae.encoder[e].parameters.bias = vae.encoder[e].parameters.bias.map { _ in s.normal() }
            vae.decoder[e].parameters.bias = vae.decoder[e].parameters.bias.map { _ in s.normal() }
        }
        vae.priorLogits = vae.priorLogits.map { _ in s.normal() }
        let x = Matrix(rows: 1, cols: 4, data: (0..<4).map { _ in s.uniform() < 0.5 ? 1 : 0 })
        return (vae, x)
    }
    static let shapes: [[Int]] = [[3], [3, 2], [2, 2, 2]]

    @Test(arguments: shapes) func everyEstimatorIsExactlyUnbiased(latent: [Int]) {
        for seed in UInt64(1)...3 {
            let (vae, x) = Self.tiny(latent, seed: seed + 10 * UInt64(latent.count))
            let exact = VAEOracle.encoderGradient(vae, x)
            let baselines = (0..<latent.count).map { -3.0 - Double($0) }   // any constant keeps the estimate unbiased
            for (estimator, b) in [(VAEScoreMethod.reinforce, nil), (.reinforce, baselines), (.fHNCA, nil), (.fHNCA, baselines),
                                   (.leaveOneOut, nil), (.disARM, nil)] as [(VAEScoreMethod, [Double]?)] {
                let mean = VAEOracle.moments(estimator, vae, x, baselines: b).mean
                let error = zip(mean, exact).map { abs($0 - $1) }.max()!
                #expect(error < 1e-7, "\(estimator) (baseline \(b != nil)) on \(latent), seed \(seed): max |E[g] - grad| = \(error)")
            }
        }
    }

    /// The negative control: rho with its normaliser stripped of the unit's own probabilities is biased (the exact check must catch it).
    @Test func unnormalisedRhoIsBiased() {
        let (vae, x) = Self.tiny([3, 2], seed: 21)
        let exact = VAEOracle.encoderGradient(vae, x)
        let mean = VAEOracle.moments(.fHNCAUnweightedRho, vae, x).mean
        #expect(zip(mean, exact).map { abs($0 - $1) }.max()! > 1e-3)
    }

    /// The training negative control: keeping only the phi = 1 term of Eq. 6 is biased, at one layer and at several.
    @Test(arguments: shapes) func withoutZeroTermIsBiased(latent: [Int]) {
        let (vae, x) = Self.tiny(latent, seed: 22)
        let exact = VAEOracle.encoderGradient(vae, x)
        let mean = VAEOracle.moments(.fHNCAWithoutZeroTerm, vae, x).mean
        #expect(zip(mean, exact).map { abs($0 - $1) }.max()! > 1e-3)
    }

    /// Counted work of one update (draws + estimate + decoder gradient) at L = 1, 2, 3 with layers
    /// as wide as the input: f-HNCA's is exactly linear in L (second difference 0), LOO's and
    /// DisARM's are convex (a partial pass from every layer), REINFORCE's linear.
    @Test func operationCountsAgainstDepth() {
        let W = 12, B = 5
        var s = RandomStream(seed: 9)
        let x = Matrix(rows: B, cols: W, data: (0..<(B * W)).map { _ in s.uniform() < 0.5 ? 1 : 0 })
        let models = [1, 2, 3].map { DiscreteVAE.glorotUniform(inputs: W, latent: Array(repeating: W, count: $0), stream: &s) }
        func secondDifference(_ e: VAEScoreMethod) -> (Int, Int) {
            let c = models.map { vae in
                var t = RandomStream(seed: 3)
                let r = VAEOperationCount.counting { vae.gradient(e, draws: vae.draw(x, partial: e.partialPasses, stream: &t)).encoderVarianceSum }
                #expect(r.multiplyAdds > 0 && r.transcendentals > 0)
                return (r.multiplyAdds, r.transcendentals)
            }
            return (c[2].0 - 2 * c[1].0 + c[0].0, c[2].1 - 2 * c[1].1 + c[0].1)
        }
        #expect(secondDifference(.fHNCA) == (0, 0))
        #expect(secondDifference(.reinforce) == (0, 0))
        for e in [VAEScoreMethod.leaveOneOut, .disARM] {
            let d = secondDifference(e)
            #expect(d.0 > 0 && d.1 > 0, "\(e): \(d)")
        }
        // Counting is off outside `counting`: nothing accumulates, and the estimate is unchanged.
        var t1 = RandomStream(seed: 3), t2 = RandomStream(seed: 3)
        let plain = models[1].gradient(.fHNCA, draws: models[1].draw(x, partial: .none, stream: &t1)).encoderVarianceSum
        let counted = VAEOperationCount.counting { models[1].gradient(.fHNCA, draws: models[1].draw(x, partial: .none, stream: &t2)).encoderVarianceSum }
        #expect(plain == counted.value)
    }

    /// f-HNCA reduces variance relative to REINFORCE on these tiny VAEs (summed over parameters).
    @Test func fHNCAHasLowerTotalVarianceThanReinforce() {
        for seed in UInt64(30)...32 {
            let (vae, x) = Self.tiny([3, 2], seed: seed)
            let re = VAEOracle.moments(.reinforce, vae, x).variance.reduce(0, +)
            let hn = VAEOracle.moments(.fHNCA, vae, x).variance.reduce(0, +)
            #expect(hn < re, "seed \(seed): f-HNCA \(hn) vs REINFORCE \(re)")
        }
    }

    /// The flip counterfactuals equal a brute-force recomputation of the children's log-likelihood and entropy.
    @Test func flipCounterfactualsMatchRecomputation() {
        var s = RandomStream(seed: 5)
        let B = 3, J = 4, I = 5
        let x = Matrix(rows: B, cols: J, data: (0..<(B * J)).map { _ in s.uniform() < 0.5 ? 1 : 0 })
        let w = Matrix(rows: I, cols: J, data: (0..<(I * J)).map { _ in 4 * s.normal() })
        let bias = (0..<I).map { _ in s.normal() }
        let y = Matrix(rows: B, cols: I, data: (0..<(B * I)).map { _ in s.uniform() < 0.5 ? 1 : 0 })
        func logits(_ x: Matrix) -> Matrix { var l = Matrix.product(x, w, transposeB: true); l.addRowVector(bias); return l }
        func rowLogLik(_ l: Matrix, _ b: Int) -> Double { (0..<I).reduce(0) { $0 + (y[b, $1] == 1 ? Fn.logSigmoid(l[b, $1]) : Fn.logSigmoid(-l[b, $1])) } }
        func rowEntropy(_ l: Matrix, _ b: Int) -> Double { (0..<I).reduce(0) { $0 + ELBOComponents.bernoulliEntropy(logit: l[b, $1]) } }
        let l = logits(x)
        let shift = FlipCounterfactuals.logLikelihoodShift(parents: x, weights: w, childLogits: l, children: y)
        let entropy = FlipCounterfactuals.entropyShift(parents: x, weights: w, childLogits: l)
        for b in 0..<B {
            for j in 0..<J {
                var flipped = x
                flipped[b, j] = 1 - x[b, j]
                let lf = logits(flipped)
                #expect(abs(shift[b, j] - (rowLogLik(lf, b) - rowLogLik(l, b))) < 1e-10)
                #expect(abs(entropy[b, j] - (rowEntropy(lf, b) - rowEntropy(l, b))) < 1e-10)
            }
        }
    }

    /// The sampler (main pass, LOO resample, DisARM antithetic partner) draws what the oracle
    /// enumerates: a batch of 40000 copies of one input averages to the exact gradient.
    /// Per coordinate |mean - exact| <= 6 standard errors (false-fail rate < 2e-9 per coordinate).
    @Test(arguments: [VAEScoreMethod.reinforce, .fHNCA, .leaveOneOut, .disARM])
    func sampledEstimatesAverageToTheExactGradient(estimator: VAEScoreMethod) {
        let (vae, x) = Self.tiny([3, 2], seed: 41)
        let n = 40000
        let batch = Matrix(rows: n, cols: 4, data: (0..<n).flatMap { _ in x.data })
        var stream = RandomStream(seed: 77)
        let draws = vae.draw(batch, partial: estimator.partialPasses, stream: &stream)
        let g = vae.encoderGradient(signals: estimator.signals(vae, draws), pass: draws.main).gradient.flatMap(\.flattened)
        let exact = VAEOracle.moments(estimator, vae, x)
        for k in g.indices {
            let se = (exact.variance[k] / Double(n)).squareRoot()
            #expect(abs(g[k] - exact.mean[k]) <= 6 * se + 1e-12, "\(estimator) parameter \(k): \(g[k]) vs \(exact.mean[k]) (se \(se))")
        }
    }

    /// The decoder and prior gradients are exact: they match finite differences of log p on a fixed sample.
    @Test func decoderGradientMatchesFiniteDifferences() {
        let (vae, x) = Self.tiny([3, 2], seed: 51)
        var s = RandomStream(seed: 52)
        let pass = vae.forward(x, stream: &s).pass
        let values = (1...2).map { pass.phi($0) }
        let (dec, prior) = vae.decoderGradient(pass: pass)
        func elbo(_ v: DiscreteVAE) -> Double { ELBOComponents(v, v.evaluate(x, values: values)).total[0] }
        let h = 1e-6
        var up = vae, down = vae
        up.decoder[1].parameters.weights[1, 0] += h; down.decoder[1].parameters.weights[1, 0] -= h
        #expect(abs((elbo(up) - elbo(down)) / (2 * h) - dec[1].weights[1, 0]) < 1e-6)
        up = vae; down = vae
        up.decoder[0].parameters.bias[2] += h; down.decoder[0].parameters.bias[2] -= h
        #expect(abs((elbo(up) - elbo(down)) / (2 * h) - dec[0].bias[2]) < 1e-6)
        up = vae; down = vae
        up.priorLogits[1] += h; down.priorLogits[1] -= h
        #expect(abs((elbo(up) - elbo(down)) / (2 * h) - prior[1]) < 1e-6)
    }
}
