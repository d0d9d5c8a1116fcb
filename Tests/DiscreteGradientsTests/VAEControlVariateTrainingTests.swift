import DiscreteGradients
import Foundation
import Testing

/// The learned parts of the control-variate estimators and the trainer on the one discrete VAE.
@Suite struct VAEControlVariateTrainingTests {
    /// d/dpsi of sum_b [w_b r(X_b) + grad r(X_b) . T_b] matches central differences.
    @Test func directionalParameterGradientMatchesFiniteDifferences() {
        var s = RandomStream(seed: 4)
        var net = TanhNetwork(inputs: 3, hidden: [4, 3], outputScale: 1, stream: &s)
        net.parameters = net.parameters.map { _ in s.normal(sd: 0.7) }
        let x = Matrix(rows: 2, cols: 3, data: (0..<6).map { _ in s.normal() })
        let t = Matrix(rows: 2, cols: 3, data: (0..<6).map { _ in s.normal() })
        let w = [0.3, -1.1]
        func objective(_ n: TanhNetwork) -> Double {
            let f = n.forward(x)
            let dx = n.backward(f, outputGradient: [1, 1], parameterGradient: false).input
            return (0..<2).reduce(0.0) { acc, b in acc + w[b] * f.output[b] + (0..<3).reduce(0.0) { $0 + dx[b, $1] * t[b, $1] } }
        }
        let g = net.parameterGradient(input: x, valueWeights: w, directions: t)
        let p = net.parameters, h = 1e-6
        for k in p.indices {
            var up = net, down = net
            var pu = p, pd = p; pu[k] += h; pd[k] -= h
            up.parameters = pu; down.parameters = pd
            let numeric = (objective(up) - objective(down)) / (2 * h)
            #expect(abs(numeric - g[k]) < 1e-6, "parameter \(k): \(numeric) vs \(g[k])")
        }
    }

    /// Random binary images from two prototypes.
    static func batch(_ prototypes: [[Double]], _ s: inout RandomStream) -> Matrix {
        Matrix(rows: 20, cols: prototypes[0].count, data: (0..<20).flatMap { r in prototypes[r % 2].map { s.uniform() < $0 ? 1.0 : 0.0 } })
    }

    /// A few hundred steps on two-prototype images move every method's ELBO up by more than a nat
    /// (1 and 2 layers, +-1 units, centred input), NVIL included: it leaves its initial plateau.
    @Test(arguments: [[4], [4, 3]]) func trainingImprovesTheELBO(_ latent: [Int]) {
        var stream = RandomStream(seed: 21)
        let pixels = 20
        let prototypes = (0..<2).map { _ in (0..<pixels).map { _ in stream.uniform() < 0.5 ? 0.9 : 0.1 } }
        for method in VAEControlVariateMethod.allCases {
            var init0 = RandomStream(seed: 5)
            var model = DiscreteVAE.glorotUniform(inputs: pixels, latent: latent, coding: .plusMinusOne, stream: &init0)
            model.inputOffset = [Double](repeating: 0.5, count: pixels)
            let estimator = VAEControlVariateEstimator(method, for: model, baselineHidden: [10], rHidden: [10, 10], stream: &init0)
            var trainer = VAETrainer(model: model, estimator: estimator, learningRate: 3e-2, controlLearningRate: 3e-2)
            var first = 0.0, last = 0.0
            var s = RandomStream(seed: 9)
            for t in 0..<200 {
                let e = trainer.train(Self.batch(prototypes, &s), stream: &s).meanELBO
                if t < 20 { first += e / 20 }
                if t >= 180 { last += e / 20 }
            }
            #expect(last.isFinite && last > first + 1, "\(method.label) \(latent): ELBO \(first) -> \(last)")
        }
    }

    /// Eq. 14's learning lowers the estimator's variance: after training eta, lambda and r on
    /// fixed model draws, RELAX's mean squared estimate on fresh draws is below its start.
    @Test func learningTheControlsLowersTheVariance() {
        var s = RandomStream(seed: 31)
        let pixels = 12
        var model = DiscreteVAE.glorotUniform(inputs: pixels, latent: [5], coding: .plusMinusOne, stream: &s)
        model.priorLogits = model.priorLogits.map { _ in s.normal() }
        let x = Matrix(rows: 50, cols: pixels, data: (0..<(50 * pixels)).map { _ in s.uniform() < 0.3 ? 1 : 0 })
        let estimator = VAEControlVariateEstimator(.relax, for: model, rHidden: [20, 20], stream: &s)
        var trainer = VAETrainer(model: model, estimator: estimator, learningRate: 1e-12, controlLearningRate: 1e-2)
        var probe = RandomStream(seed: 1)
        let before = trainer.logGradientVariance(x, draws: 200, stream: &probe)
        for _ in 0..<300 { _ = trainer.train(x, stream: &s) }
        probe = RandomStream(seed: 1)
        let after = trainer.logGradientVariance(x, draws: 200, stream: &probe)
        #expect(after < before, "ln variance \(before) -> \(after)")
    }
}
