import Testing
import DiscreteGradients

/// The convolution layer against central differences, and the convolutional Bernoulli network's
/// gradient estimators against the exact oracle (enumeration of the Bernoulli layer and the action).
@Suite struct ConvolutionalNetworkTests {
    /// A random tiny network: 6x6x2 image, 3x3 then 2x2 convolutions of 2 channels (3x3x2 = 18
    /// features), 7 {-1, +1} Bernoulli units, 3 actions.
    static func tiny(seed: UInt64) -> (ConvolutionalBernoulliNetwork, [Double], [Double]) {
        var s = RandomStream(seed: seed)
        var net: ConvolutionalBernoulliNetwork, image: [Double]
        repeat {   // at least half of the features active, so that the convolutions have a gradient to check
            net = ConvolutionalBernoulliNetwork.random(input: ImageShape(height: 6, width: 6, channels: 2), channels: [2, 2], kernels: [3, 2],
                                                       units: 7, actions: 3, scale: 0.6, stream: &s)
            image = (0..<72).map { _ in s.uniform() }
        } while 2 * ConvolutionalNetworkOracle.directFeatures(net, image).filter({ $0 > 0 }).count < net.featureCount
        let reward = (0..<3).map { _ in s.uniform(-1, 1) }
        return (net, image, reward)
    }

    @Test(arguments: [Activation.relu, .identity])
    func convolutionGradientsMatchCentralDifferences(_ activation: Activation) {
        var s = RandomStream(seed: 11)
        let shape = ImageShape(height: 5, width: 6, channels: 3)
        var w = Matrix(rows: 4, cols: 3 * 3 * 3)
        for k in w.data.indices { w.data[k] = s.normal() }
        let layer = ConvolutionLayer(input: shape, kernel: 3, activation: activation, weights: w, bias: (0..<4).map { _ in s.normal() })
        let x = Matrix(rows: 2, cols: shape.count, data: (0..<(2 * shape.count)).map { _ in s.normal() })
        let g = Matrix(rows: 2, cols: layer.output.count, data: (0..<(2 * layer.output.count)).map { _ in s.normal() })
        func objective(_ l: ConvolutionLayer, _ x: Matrix) -> Double { zip(l.forward(x).output.data, g.data).reduce(0) { $0 + $1.0 * $1.1 } }
        let (p, dx) = layer.backward(layer.forward(x), outputGradient: g, scale: 1, inputGradient: true)
        let h = 1e-6
        var worst = 0.0
        for k in w.data.indices {
            var up = layer, down = layer
            up.parameters.weights.data[k] += h; down.parameters.weights.data[k] -= h
            worst = max(worst, abs((objective(up, x) - objective(down, x)) / (2 * h) - p.weights.data[k]))
        }
        for k in layer.parameters.bias.indices {
            var up = layer, down = layer
            up.parameters.bias[k] += h; down.parameters.bias[k] -= h
            worst = max(worst, abs((objective(up, x) - objective(down, x)) / (2 * h) - p.bias[k]))
        }
        for k in x.data.indices {
            var up = x, down = x
            up.data[k] += h; down.data[k] -= h
            worst = max(worst, abs((objective(layer, up) - objective(layer, down)) / (2 * h) - dx!.data[k]))
        }
        #expect(worst < 1e-6, "largest error \(worst)")
    }

    @Test func batchedForwardMatchesDirectLoops() {
        let (net, image, _) = Self.tiny(seed: 3)
        let batched = net.features(Matrix(rows: 1, cols: image.count, data: image)).last!.output.data
        let direct = ConvolutionalNetworkOracle.directFeatures(net, image)
        #expect(zip(batched, direct).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    /// The exact gradient (enumeration + backprop) against central differences of the exact
    /// objective, and the exact means of HNCA and REINFORCE against it, for every parameter;
    /// the two mutants must be biased.
    @Test(arguments: [UInt64(1), 2, 3])
    func hncaIsExactlyUnbiasedForEveryParameter(_ seed: UInt64) throws {
        let (net, image, reward) = Self.tiny(seed: seed)
        let oracle = try ConvolutionalNetworkOracle(network: net, image: image, reward: reward)
        let exact = oracle.gradient, fd = oracle.finiteDifferenceGradient()
        let scale = exact.map(abs).max()!
        #expect(scale > 1e-3)
        #expect(zip(exact, fd).map { abs($0 - $1) }.max()! < 1e-7 * max(1, scale))
        for estimator in [NetworkHNCA() as any BanditEstimator, NetworkHNCA(messages: .direct), NetworkReinforce()] {
            let mean = oracle.mean(of: estimator)
            #expect(zip(mean, exact).map { abs($0 - $1) }.max()! < 1e-10 * max(1, scale), "\(estimator.name)")
        }
        let convCount = net.convolutions.reduce(0) { $0 + $1.parameters.count }
        #expect(exact.prefix(convCount).map(abs).max()! > 1e-3 * scale, "the convolutions have a gradient to check")
        let wrongLogit = oracle.mean(of: NetworkHNCA(messages: .direct, variant: .ignoresCurrentValue))
        #expect(zip(wrongLogit, exact).map { abs($0 - $1) }.max()! > 1e-3 * scale)
        let noSlope = oracle.mean(of: NetworkHNCA(), backprop: .missingProbabilitySlope)
        #expect(zip(noSlope.prefix(convCount), exact.prefix(convCount)).map { abs($0 - $1) }.max()! > 1e-3 * scale)
        // The mutant leaves the head's parameters alone.
        #expect(zip(noSlope.dropFirst(convCount), exact.dropFirst(convCount)).map { abs($0 - $1) }.max()! < 1e-10 * max(1, scale))
    }

    /// The counted backward pass stays a bounded multiple of the forward pass as the Bernoulli layer widens.
    @Test func countedBackwardIsOfTheOrderOfTheForward() {
        var s = RandomStream(seed: 5)
        var ratios: [Double] = []
        for units in [50, 200, 800] {
            let net = ConvolutionalBernoulliNetwork.haikuDefault(input: ImageShape(height: 10, width: 10, channels: 1), channels: [4, 4], kernel: 3,
                                                                 units: units, actions: 10, stream: &s)
            let x = Matrix(rows: 2, cols: 100, data: (0..<200).map { _ in s.bernoulli(0.5) ? 1 : 0 })
            var forward = OperationCount(), backward = OperationCount()
            let sample = net.sample(x, stream: &s, count: &forward)
            let signals = NetworkHNCA().signals(net.head, sample.head, rewards: [1, 0], baseline: 0, count: &backward)
            _ = net.gradient(sample, signals: signals, count: &backward)
            ratios.append(Double(backward.total) / Double(forward.total))
        }
        #expect(ratios.max()! / ratios.min()! < 1.3, "\(ratios)")
        #expect(ratios.allSatisfy { $0 < 4 }, "\(ratios)")
    }
}
