import DiscreteGradients
import Foundation
import Testing

/// Exact unbiasedness of the VAE encoder-gradient estimators (NVIL, MuProp, REBAR, RELAX) on tiny
/// Bernoulli VAEs (3 pixels, 2 units per layer, random weights and random learned parts): the
/// expectation over the latents (enumerated) and the relaxation noise (Gauss-Legendre quadrature
/// split where b flips; `RelaxVAEExactMean`) must equal the gradient of the enumerated ELBO
/// (central differences). Deterministic: the tolerance covers quadrature and differencing error
/// only (NVIL and MuProp are exact to ~1e-10; REBAR/RELAX quadrature errors are ~1e-6), so there
/// is no false-failure rate.
@Suite struct RelaxVAEEstimatorTests {
    static let tolerance = 2e-5

    @Test(arguments: RelaxVAEMethod.allCases)
    func bottomLayerIsUnbiasedOneLayer(_ method: RelaxVAEMethod) {
        let e = RelaxVAEExactMean.bottomLayerError(.linear1, method)
        #expect(e.error < Self.tolerance, "\(method): max |E[g] - grad ELBO| = \(e.error) (gradient scale \(e.scale))")
    }

    @Test(arguments: RelaxVAEMethod.allCases)
    func bottomLayerIsUnbiasedTwoLayers(_ method: RelaxVAEMethod) {
        let e = RelaxVAEExactMean.bottomLayerError(.linear2, method)
        #expect(e.error < Self.tolerance, "\(method): max |E[g] - grad ELBO| = \(e.error) (gradient scale \(e.scale))")
    }

    @Test(arguments: RelaxVAEMethod.allCases)
    func topLayerIsUnbiasedGivenB1(_ method: RelaxVAEMethod) {
        let e = RelaxVAEExactMean.topLayerError(method)
        #expect(e.error < Self.tolerance, "\(method): max |E[g | b1] - exact| = \(e.error) (gradient scale \(e.scale))")
    }

    /// The per-layer targets add up to the ELBO's gradient: sum_b1 q(b1) d/da2 (E[f2 | b1] + H) = dELBO/de2.
    @Test func topLayerTargetsComposeToTheELBOGradient() {
        let model = RelaxVAEExactMean.tinyModel(.linear2, seed: 11)
        let x = RelaxVAEExactMean.image
        let b1s = SigmoidBeliefVAE.allSigns(2)
        let X = Matrix(rows: b1s.rows, cols: 3, data: (0..<b1s.rows).flatMap { _ in x })
        let lq1 = SigmoidBeliefVAE.logProbability(b1s, logits: model.encoderLogits1(X))
        let h = 1e-5
        for i in 0..<2 {
            var composed = 0.0
            for k in 0..<b1s.rows {
                let b1 = Array(b1s.row(k))
                let a2 = model.encoderLogits2(Matrix(rows: 1, cols: 2, data: b1)).data
                var up = a2, down = a2; up[i] += h; down[i] -= h
                composed += exp(lq1[k]) * (model.exactTopObjective(b1: b1, a2: up) - model.exactTopObjective(b1: b1, a2: down)) / (2 * h)
            }
            var up = model, down = model; up.e2[i] += h; down.e2[i] -= h
            let exact = (up.exactELBO(x: x) - down.exactELBO(x: x)) / (2 * h)
            #expect(abs(composed - exact) < 1e-7)
        }
    }

    /// The negative controls: both plausible bugs are biased far beyond the tolerance.
    @Test func mutantsAreBiased() {
        #expect(RelaxVAEExactMean.bottomLayerError(.linear1, .muprop, .muPropWithoutMeanFieldTerm).error > 1e-2)
        #expect(RelaxVAEExactMean.bottomLayerError(.linear1, .relax, .relaxWithoutConditionalPathTerm).error > 1e-2)
        #expect(RelaxVAEExactMean.topLayerError(.muprop, .muPropWithoutMeanFieldTerm).error > 1e-2)
        #expect(RelaxVAEExactMean.topLayerError(.relax, .relaxWithoutConditionalPathTerm).error > 1e-2)
    }

    /// The trainer's ELBO estimate is a sample of the ELBO: its mean over the enumeration of b equals exactELBO.
    @Test func elboSampleAveragesToTheExactELBO() {
        let model = RelaxVAEExactMean.tinyModel(.linear1, seed: 3)
        let x = RelaxVAEExactMean.image
        let b = SigmoidBeliefVAE.allSigns(2)
        let X = Matrix(rows: b.rows, cols: 3, data: (0..<b.rows).flatMap { _ in x })
        let f = model.elboSample(x: X, b1: b, b2: nil)
        let lq = SigmoidBeliefVAE.logProbability(b, logits: model.encoderLogits1(X))
        let mean = (0..<b.rows).reduce(0) { $0 + exp(lq[$1]) * f[$1] }
        #expect(abs(mean - model.exactELBO(x: x)) < 1e-12)
    }

    /// A few training steps on random binary images keep everything finite and move the ELBO up.
    @Test(arguments: [SigmoidBeliefVAE.Architecture.linear1, .linear2])
    func trainingImprovesTheELBO(_ architecture: SigmoidBeliefVAE.Architecture) {
        var stream = RandomStream(seed: 21)
        let pixels = 20
        let prototypes = (0..<2).map { _ in (0..<pixels).map { _ in stream.uniform() < 0.5 ? 0.9 : 0.1 } }
        func batch(_ s: inout RandomStream) -> Matrix {
            Matrix(rows: 20, cols: pixels, data: (0..<20).flatMap { r in prototypes[r % 2].map { s.uniform() < $0 ? 1.0 : 0.0 } })
        }
        for method in RelaxVAEMethod.allCases {
            let model = SigmoidBeliefVAE(architecture: architecture, pixels: pixels, units: architecture == .linear1 ? [4] : [4, 3], stream: &stream)
            var trainer = RelaxVAETrainer(model: model, method: method, learningRate: 3e-2, controlLearningRate: 1e-2)
            var first = 0.0, last = 0.0
            for t in 0..<200 {
                var x = batch(&stream)
                let e = trainer.train(x, stream: &stream)
                if t < 20 { first += e / 20 }
                if t >= 180 { last += e / 20 }
                x = Matrix(rows: 0, cols: 0)
            }
            #expect(last.isFinite && last > first + 1, "\(method): ELBO \(first) -> \(last)")
        }
    }
}
