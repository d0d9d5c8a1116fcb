import DiscreteGradients
import Foundation
import Testing

/// The stochastic layers: linear maps, clipping, encodings, and sampling frequencies.
/// Sampling tests use a fixed seed and a |z| < 5 rule per frequency (false-positive rate
/// about 6e-7 per frequency checked).
@Suite("HNCA stochastic layers")
struct HNCALayerTests {
    @Test("Bernoulli logits are X W^T + b, probabilities are clipped, values use the encoding")
    func bernoulliForward() {
        let layer = BernoulliLayer(weights: Matrix([[1, -2], [30, 0], [-40, 1]]), bias: [0.5, 0, 0], encoding: .plusMinusOne, clip: 1e-5)
        let x = Matrix([[1, 0], [0, 1]])
        var s = RandomStream(seed: 3)
        let sample = layer.sample(x, stream: &s)
        #expect(sample.logits.nested == [[1.5, 30, -40], [-1.5, 0, 1]])
        #expect(abs(sample.probabilities[0, 0] - Fn.sigmoid(1.5)) < 1e-15)
        #expect(sample.probabilities[0, 1] == 1 - 1e-5 && sample.probabilities[0, 2] == 1e-5)
        #expect(layer.probabilitySlope(logit: 30) == 0 && layer.probabilitySlope(logit: 0) == 0.25)
        #expect(sample.values.data.allSatisfy { $0 == 1 || $0 == -1 })
        #expect(abs(layer.logProbability(fired: false, logit: 30) - log(1e-5)) < 1e-12)
    }

    @Test("Bernoulli units fire with their probability")
    func bernoulliFrequencies() {
        let layer = BernoulliLayer(weights: Matrix([[0.3], [-2], [1.5]]), bias: [0, 0, 0], encoding: .zeroOne)
        let n = 40_000
        var s = RandomStream(seed: 11)
        let sample = layer.sample(Matrix(rows: n, cols: 1, repeating: 1), stream: &s)
        for j in 0..<3 {
            let p = Fn.sigmoid(layer.weights[j, 0])
            let freq = (0..<n).map { sample.values[$0, j] }.reduce(0, +) / Double(n)
            let z = (freq - p) / (p * (1 - p) / Double(n)).squareRoot()
            #expect(abs(z) < 5, "unit \(j): frequency \(freq) vs \(p)")
        }
    }

    @Test("the softmax layer samples actions with softmax(Z)")
    func softmaxFrequencies() {
        let layer = SoftmaxLayer(weights: Matrix([[1], [0], [-1], [2]]), bias: [0, 0.5, 0, -1])
        let n = 40_000
        var s = RandomStream(seed: 12)
        let sample = layer.sample(Matrix(rows: n, cols: 1, repeating: 1), stream: &s)
        let pi = Fn.softmax([1, 0.5, -1, 1])
        for a in 0..<4 {
            let freq = Double(sample.actions.filter { $0 == a }.count) / Double(n)
            let z = (freq - pi[a]) / (pi[a] * (1 - pi[a]) / Double(n)).squareRoot()
            #expect(abs(z) < 5, "action \(a): \(freq) vs \(pi[a])")
            #expect(abs(sample.probabilities[0, a] - pi[a]) < 1e-15)
        }
    }

    @Test("network shapes, Glorot bounds and flattened parameters round-trip")
    func network() {
        var s = RandomStream(seed: 4)
        let net = StochasticNetwork.glorotUniform(inputs: 784, hiddenSizes: [200, 200], actions: 10, encoding: .plusMinusOne, stream: &s)
        #expect(net.parameterCount == 784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10)
        let r = (6.0 / 984).squareRoot()
        #expect(net.hidden[0].weights.data.allSatisfy { abs($0) <= r })
        #expect(net.hidden[0].clip == 1e-5)
        #expect(net.with(flattenedParameters: net.flattenedParameters) == net)
        let sample = net.sample(Matrix(rows: 5, cols: 784), stream: &s)
        #expect(sample.hidden.map(\.values.cols) == [200, 200] && sample.actions.count == 5)
    }

    @Test("with clipping active, both estimators stay unbiased and clipped units get no signal")
    func clippedNetworksAgainstOracle() throws {
        var s = RandomStream(seed: 21)
        for k in 0..<8 {
            let net = StochasticNetwork.random(inputs: 2, hiddenSizes: [3, 2], actions: 3, encoding: k % 2 == 0 ? .zeroOne : .plusMinusOne,
                                               clip: 0.02, scale: 4, stream: &s)
            let oracle = try NetworkOracle(network: net, input: [1, 1], reward: [1, -0.5, 2])
            let g = oracle.gradient
            for est in [NetworkReinforce(), NetworkHNCA()] as [any BanditEstimator] {
                let m = oracle.moments(of: est)
                #expect(zip(m.mean, g).allSatisfy { abs($0 - $1) < 1e-12 }, "\(est.name)")
            }
            let h = oracle.moments(of: NetworkHNCA()), r = oracle.moments(of: NetworkReinforce())
            #expect(zip(h.variance, r.variance).allSatisfy { $0 <= $1 + 1e-12 })
        }
    }

    @Test("the moving-average baseline follows v <- 0.99 v + 0.01 mean(R)")
    func baseline() {
        var b = MovingAverageBaseline()
        b.update(with: [1, 0, 1, 0])
        #expect(abs(b.value - 0.005) < 1e-15)
        b.update(with: [1])
        #expect(abs(b.value - (0.99 * 0.005 + 0.01)) < 1e-15)
    }
}
