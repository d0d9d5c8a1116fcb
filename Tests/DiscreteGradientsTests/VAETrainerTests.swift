import DiscreteGradients
import Testing

/// `VAETrainer` trains a `DiscreteVAE` with any estimator of the one protocol.
@Suite struct VAETrainerTests {
    /// Random binary images from two prototypes.
    static func batch(_ prototypes: [[Double]], _ s: inout RandomStream) -> Matrix {
        Matrix(rows: 20, cols: prototypes[0].count, data: (0..<20).flatMap { r in prototypes[r % 2].map { s.uniform() < $0 ? 1.0 : 0.0 } })
    }

    /// Mean step ELBO over the first and the last 20 of 200 steps.
    static func improvement<E: VAEGradientEstimator>(_ estimator: E, model: DiscreteVAE, prototypes: [[Double]]) -> (first: Double, last: Double) {
        var trainer = VAETrainer(model: model, estimator: estimator, learningRate: 3e-2)
        var first = 0.0, last = 0.0
        var s = RandomStream(seed: 9)
        for t in 0..<200 {
            let e = trainer.train(batch(prototypes, &s), stream: &s).meanELBO
            if t < 20 { first += e / 20 }
            if t >= 180 { last += e / 20 }
        }
        return (first, last)
    }

    /// The HNCA paper's score-function estimators (with and without their moving-average
    /// baselines) raise the ELBO by more than a nat through the same trainer as the control
    /// variates (whose test is `VAEControlVariateTrainingTests`), on 0/1 and +-1 latents.
    @Test(arguments: [[4], [4, 3]], [UnitEncoding.zeroOne, .plusMinusOne])
    func scoreEstimatorsTrainTheVAE(_ latent: [Int], _ coding: UnitEncoding) {
        var stream = RandomStream(seed: 21)
        let pixels = 20
        let prototypes = (0..<2).map { _ in (0..<pixels).map { _ in stream.uniform() < 0.5 ? 0.9 : 0.1 } }
        var init0 = RandomStream(seed: 5)
        let model = DiscreteVAE.glorotUniform(inputs: pixels, latent: latent, coding: coding, stream: &init0)
        var estimators: [VAEScoreEstimator] = [.init(.reinforce), .init(.reinforce, baseline: true, layers: latent.count),
                                               .init(.leaveOneOut), .init(.disARM), .init(.fHNCA)]
        if latent.count > 1 { estimators.append(.init(.fHNCA, baseline: true, layers: latent.count)) }
        for estimator in estimators {
            let (first, last) = Self.improvement(estimator, model: model, prototypes: prototypes)
            #expect(last.isFinite && last > first + 1, "\(estimator.label) \(latent) \(coding): ELBO \(first) -> \(last)")
        }
    }

    /// The moving-average baseline learns through the protocol: after one step it holds
    /// (1 - 0.99) x the step's baseline target, per layer, and the estimate used none.
    @Test func scoreBaselineIsAMovingAverageOfItsTargets() {
        var s = RandomStream(seed: 3)
        let model = DiscreteVAE.glorotUniform(inputs: 6, latent: [3, 2], stream: &s)
        let x = Matrix(rows: 5, cols: 6, data: (0..<30).map { _ in s.uniform() < 0.4 ? 1 : 0 })
        var estimator = VAEScoreEstimator(.reinforce, baseline: true, layers: 2)
        #expect(estimator.baselines == [0, 0])
        let e = estimator.estimate(model, x, stream: &s)
        estimator.learn(model, from: e)
        let targets = VAEScoreMethod.reinforce.baselineTargets(model, e.pass)
        #expect(estimator.baselines! == targets.map { (1 - 0.99) * $0 })
    }
}
