import Foundation

/// A stochastic layer as the final hidden layer of an otherwise deterministic network (HNCA paper,
/// Section 1.3 and its Appendix E; released code nonlinear_contextual_bandit/): deterministic
/// convolutions (ReLU) map the image to features f, one layer of Bernoulli units fires with
/// p = sigma(W f + b), and a softmax output unit picks the action from the units' outputs.
///
/// The stochastic part is a library `StochasticNetwork` with one hidden layer (`head`) whose
/// "context" is f, so every bandit estimator of the library (`NetworkHNCA`, `NetworkReinforce`)
/// credits its units unchanged. The deterministic parameters theta enter E[R] only through the
/// Bernoulli logits l(x; theta), so dE[R]/dtheta = sum_j dE[R]/dl_j dl_j/dtheta; an estimator's
/// per-unit signal c_j (an unbiased estimate of dE[R]/dl_j: for HNCA, Eq. 3 with the unit's own
/// logit as its parameter, c_j = sigma'(l_j)(rho_j(on) - rho_j(off)) R) times dl_j/dtheta, which
/// ordinary backpropagation computes through the convolutions, is then unbiased for every
/// deterministic parameter as well (dl/dtheta is fixed given the context).
public struct ConvolutionalBernoulliNetwork: Codable, Sendable, Equatable {
    public var convolutions: [ConvolutionLayer]
    /// One hidden Bernoulli layer on the flattened features, then the softmax output unit.
    public var head: StochasticNetwork

    public init(convolutions: [ConvolutionLayer], head: StochasticNetwork) {
        precondition(!convolutions.isEmpty, "ConvolutionalBernoulliNetwork: at least one convolution")
        for k in convolutions.indices.dropFirst() {
            precondition(convolutions[k].input == convolutions[k - 1].output,
                         "ConvolutionalBernoulliNetwork: convolution \(k + 1) takes \(convolutions[k].input), convolution \(k) gives \(convolutions[k - 1].output)")
        }
        precondition(head.hidden.count == 1, "ConvolutionalBernoulliNetwork: the head has exactly one Bernoulli layer")
        precondition(head.inputCount == convolutions.last!.output.count,
                     "ConvolutionalBernoulliNetwork: the Bernoulli layer takes \(head.inputCount) inputs, the features are \(convolutions.last!.output.count)")
        self.convolutions = convolutions; self.head = head
    }

    public var inputShape: ImageShape { convolutions[0].input }
    public var featureCount: Int { head.inputCount }
    public var bernoulli: BernoulliLayer { head.hidden[0] }
    public var unitCount: Int { head.hidden[0].unitCount }
    public var actionCount: Int { head.actionCount }

    /// The released code's network with Haiku's default initialisers: convolutions of `channels[k]`
    /// output channels, `kernel` x `kernel`, stride 1, VALID padding, ReLU (`ConvolutionLayer.varianceScaling`);
    /// a dense layer of `units` Bernoulli logits and the softmax output, each hk.Linear's
    /// TruncatedNormal(sd 1 / sqrt(fan-in)) weights truncated at two sds, zero biases; no clip on the
    /// firing probabilities (the released code samples sigmoid(l) as is).
    public static func haikuDefault(input: ImageShape, channels: [Int], kernel: Int, units: Int, actions: Int,
                                    encoding: UnitEncoding = .plusMinusOne, clip: Double? = nil,
                                    stream: inout RandomStream) -> ConvolutionalBernoulliNetwork {
        var convs: [ConvolutionLayer] = []
        var shape = input
        for c in channels {
            let layer = ConvolutionLayer.varianceScaling(input: shape, outputChannels: c, kernel: kernel, stream: &stream)
            convs.append(layer); shape = layer.output
        }
        func linear(_ units: Int, _ fanIn: Int) -> LayerParameters {
            let sd = 1 / Double(fanIn).squareRoot()
            var w = Matrix(rows: units, cols: fanIn)
            for k in w.data.indices { w.data[k] = sd * stream.truncatedStandardNormal() }
            return LayerParameters(weights: w, bias: [Double](repeating: 0, count: units))
        }
        let hidden = linear(units, shape.count), output = linear(actions, units)
        let head = StochasticNetwork(hidden: [BernoulliLayer(weights: hidden.weights, bias: hidden.bias, encoding: encoding, clip: clip)],
                                     output: SoftmaxLayer(weights: output.weights, bias: output.bias))
        return ConvolutionalBernoulliNetwork(convolutions: convs, head: head)
    }

    /// N(0, scale^2) weights and biases everywhere: the small random networks the exact checks draw.
    public static func random(input: ImageShape, channels: [Int], kernels: [Int], units: Int, actions: Int,
                              encoding: UnitEncoding = .plusMinusOne, scale: Double = 1,
                              stream: inout RandomStream) -> ConvolutionalBernoulliNetwork {
        precondition(channels.count == kernels.count)
        var convs: [ConvolutionLayer] = []
        var shape = input
        for (c, k) in zip(channels, kernels) {
            var w = Matrix(rows: c, cols: k * k * shape.channels)
            for i in w.data.indices { w.data[i] = stream.normal(sd: scale) }
            let layer = ConvolutionLayer(input: shape, kernel: k, weights: w, bias: (0..<c).map { _ in stream.normal(sd: scale) })
            convs.append(layer); shape = layer.output
        }
        let head = StochasticNetwork.random(inputs: shape.count, hiddenSizes: [units], actions: actions, encoding: encoding,
                                            scale: scale, stream: &stream)
        return ConvolutionalBernoulliNetwork(convolutions: convs, head: head)
    }

    // MARK: Forward

    /// The deterministic part on a minibatch X [batch x inputShape.count]: every convolution's sample.
    public func features(_ x: Matrix) -> [ConvolutionSample] {
        var out: [ConvolutionSample] = []
        var h = x
        for c in convolutions { let s = c.forward(h); out.append(s); h = s.output }
        return out
    }

    /// Forward pass: features, then every Bernoulli unit and the action sample once per example.
    public func sample(_ x: Matrix, stream: inout RandomStream) -> ConvolutionalNetworkSample {
        let f = features(x)
        return ConvolutionalNetworkSample(convolutions: f, head: head.sample(f.last!.output, stream: &stream))
    }

    /// The forward pass, counting its arithmetic: one multiply-add per kernel weight and output
    /// position, per edge of the dense layers, and one transcendental per stochastic unit (the
    /// counts of `StochasticNetwork.sample(_:stream:count:)`), per example.
    public func sample(_ x: Matrix, stream: inout RandomStream, count: inout OperationCount) -> ConvolutionalNetworkSample {
        let f = features(x)
        count.multiplyAdds += x.rows * convolutions.reduce(0) { $0 + $1.multiplyAddsPerExample }
        return ConvolutionalNetworkSample(convolutions: f, head: head.sample(f.last!.output, stream: &stream, count: &count))
    }

    /// The forward computations for given Bernoulli outputs and actions (the exact oracle scores configurations so).
    public func evaluate(_ x: Matrix, hiddenValues: Matrix, actions: [Int]) -> ConvolutionalNetworkSample {
        let f = features(x)
        return ConvolutionalNetworkSample(convolutions: f, head: head.evaluate(f.last!.output, hiddenValues: [hiddenValues], actions: actions))
    }

    // MARK: Backward

    /// The minibatch mean of the per-example gradient estimates of every parameter, from an
    /// estimator's learning signals on the head (`BanditEstimator.signals`): the head's blocks as
    /// `LearningSignals.mean`, and the convolutions' by backpropagating c W (c: the Bernoulli units'
    /// signals, d estimate / d logit; W: their weights) through the convolutions.
    /// Counted: the head's `mean` (one multiply-add per parameter and example), B H F for c W, and per
    /// convolution one multiply-add per kernel weight and output position for its kernel gradient
    /// and, above the first, as many for its input gradient.
    public func gradient(_ s: ConvolutionalNetworkSample, signals: LearningSignals, backprop: FeatureBackprop = .chainRule,
                         count: inout OperationCount) -> ConvolutionalNetworkGradient {
        let B = s.batchSize, H = unitCount, F = featureCount
        let headGradient = signals.mean(over: s.head, count: &count)
        var c = signals.hidden[0]
        if backprop == .missingProbabilitySlope {
            // The negative control: d estimate / d logit divided by sigma'(l), i.e. (rho(on) - rho(off)) R.
            let p = s.head.hidden[0].probabilities
            for k in c.data.indices { let slope = p.data[k] * (1 - p.data[k]); c.data[k] = slope > 0 ? c.data[k] / slope : 0 }
        }
        var g = Matrix(rows: B, cols: F)
        Matrix.gemm(c, bernoulli.weights, into: &g)
        count.multiplyAdds += B * H * F
        var convGradients = [LayerParameters](repeating: LayerParameters(weights: Matrix(rows: 0, cols: 0), bias: []), count: convolutions.count)
        for k in convolutions.indices.reversed() {
            let (p, dx) = convolutions[k].backward(s.convolutions[k], outputGradient: g, scale: 1 / Double(B), inputGradient: k > 0)
            count.multiplyAdds += B * convolutions[k].multiplyAddsPerExample * (k > 0 ? 2 : 1)
            convGradients[k] = p
            if let dx { g = dx }
        }
        return ConvolutionalNetworkGradient(convolutions: convGradients, head: headGradient)
    }

    public func gradient(_ s: ConvolutionalNetworkSample, signals: LearningSignals, backprop: FeatureBackprop = .chainRule) -> ConvolutionalNetworkGradient {
        var c = OperationCount()
        return gradient(s, signals: signals, backprop: backprop, count: &c)
    }

    // MARK: Parameters as one vector

    /// Convolution by convolution (weights row by row, then biases), then the head's order
    /// (`StochasticNetwork.flattenedParameters`).
    public var flattenedParameters: [Double] { convolutions.flatMap(\.parameters.flattened) + head.flattenedParameters }
    public var parameterCount: Int { convolutions.reduce(0) { $0 + $1.parameters.count } + head.parameterCount }

    public func with(flattenedParameters theta: [Double]) -> ConvolutionalBernoulliNetwork {
        precondition(theta.count == parameterCount, "with(flattenedParameters:): \(theta.count) values for \(parameterCount) parameters")
        var copy = self
        var k = 0
        for c in copy.convolutions.indices {
            let n = copy.convolutions[c].parameters.weights.data.count, m = copy.convolutions[c].parameters.bias.count
            copy.convolutions[c].parameters.weights.data = Array(theta[k..<(k + n)]); k += n
            copy.convolutions[c].parameters.bias = Array(theta[k..<(k + m)]); k += m
        }
        copy.head = head.with(flattenedParameters: Array(theta[k...]))
        return copy
    }
}

/// How the deterministic layers receive the Bernoulli units' signals.
public enum FeatureBackprop: String, Codable, Sendable {
    /// d estimate / d logit (sigma'(l) included) times d l / d theta: the chain rule.
    case chainRule
    /// Negative control: the signal without sigma'(l) = dp/dl is backpropagated into the features
    /// (the Bernoulli layer's own weights keep the right one): biased for every deterministic parameter.
    case missingProbabilitySlope
}

/// One forward pass of a `ConvolutionalBernoulliNetwork` over a minibatch.
public struct ConvolutionalNetworkSample: Sendable {
    public var convolutions: [ConvolutionSample]
    /// The stochastic part, whose context is the last convolution's output.
    public var head: NetworkSample
    public var actions: [Int] { head.actions }
    public var batchSize: Int { head.batchSize }
}

/// A gradient shaped like a `ConvolutionalBernoulliNetwork`.
public struct ConvolutionalNetworkGradient: Codable, Sendable, Equatable {
    public var convolutions: [LayerParameters]
    public var head: NetworkGradient
    public init(convolutions: [LayerParameters], head: NetworkGradient) { self.convolutions = convolutions; self.head = head }
    /// In `ConvolutionalBernoulliNetwork.flattenedParameters` order.
    public var flattened: [Double] { convolutions.flatMap(\.flattened) + head.flattened }
}

/// Trains a `ConvolutionalBernoulliNetwork` on the contextual bandit: forward pass, the head's
/// learning signals from `estimator` (HNCA, Eq. 3, for the Bernoulli units and REINFORCE for the
/// output unit; or REINFORCE throughout), backpropagation into the convolutions, and one Adam step
/// per parameter block (every convolution's kernels and biases, the Bernoulli layer's, the output's).
///
/// ```swift
/// var stream = RandomStream(seed: 7)
/// let net = ConvolutionalBernoulliNetwork.haikuDefault(input: ImageShape(height: 28, width: 28, channels: 1),
///                                                      channels: [16, 16], kernel: 3, units: 200, actions: 10, stream: &stream)
/// let trainer = ConvolutionalNetworkTrainer(network: net, estimator: NetworkHNCA(), learningRate: 1e-4)
/// let rewardSum = trainer.train(images, labels: labels, stream: &stream)   // images [50 x 784]
/// ```
public final class ConvolutionalNetworkTrainer {
    public private(set) var network: ConvolutionalBernoulliNetwork
    public let estimator: any BanditEstimator
    public let backprop: FeatureBackprop
    /// `.ascend` (maximise E[R]); `.descend` only for the sign-flip negative control.
    public let direction: Adam.Direction
    /// The moving-average reward baseline (Section 1.3), or nil (the released nonlinear code has none).
    public private(set) var baseline: MovingAverageBaseline?
    var adam: [Adam]

    public init(network: ConvolutionalBernoulliNetwork, estimator: any BanditEstimator, learningRate: Double,
                backprop: FeatureBackprop = .chainRule, direction: Adam.Direction = .ascend, baseline: MovingAverageBaseline? = nil) {
        self.network = network; self.estimator = estimator; self.backprop = backprop; self.direction = direction
        self.baseline = baseline
        var blocks: [Int] = []
        for c in network.convolutions { blocks += [c.parameters.weights.data.count, c.parameters.bias.count] }
        for p in [network.head.hidden[0].parameters, network.head.output.parameters] { blocks += [p.weights.data.count, p.bias.count] }
        adam = blocks.map { Adam(parameterCount: $0, learningRate: learningRate) }
    }

    /// One update on the minibatch `x` [batch x inputs]; `reward(actions, &rewards)` fills each
    /// example's reward. Returns the batch's reward sum.
    @discardableResult
    public func train(_ x: Matrix, stream: inout RandomStream, reward: ([Int], inout [Double]) -> Void) throws -> Double {
        let s = network.sample(x, stream: &stream)
        var rewards = [Double](repeating: 0, count: x.rows)
        reward(s.actions, &rewards)
        let b = baseline?.value ?? 0
        let signals = estimator.signals(network.head, s.head, rewards: rewards, baseline: b)
        let g = network.gradient(s, signals: signals, backprop: backprop)
        guard g.flattened.allSatisfy({ $0.isFinite }) else { throw NetworkTrainingError.nonFinite("gradient (\(estimator.name), convolutional network)") }
        var i = 0
        for k in network.convolutions.indices {
            adam[i].update(&network.convolutions[k].parameters.weights, gradient: g.convolutions[k].weights, direction)
            adam[i + 1].update(&network.convolutions[k].parameters.bias, gradient: g.convolutions[k].bias, direction)
            i += 2
        }
        adam[i].update(&network.head.hidden[0].parameters.weights, gradient: g.head.hidden[0].weights, direction)
        adam[i + 1].update(&network.head.hidden[0].parameters.bias, gradient: g.head.hidden[0].bias, direction)
        adam[i + 2].update(&network.head.output.parameters.weights, gradient: g.head.output.weights, direction)
        adam[i + 3].update(&network.head.output.parameters.bias, gradient: g.head.output.bias, direction)
        baseline?.update(with: rewards)
        return rewards.reduce(0, +)
    }

    /// One update with reward 1 where the sampled action is the label (the contextual bandit of Section 1.3).
    @discardableResult
    public func train(_ x: Matrix, labels: [Int], stream: inout RandomStream) throws -> Double {
        precondition(labels.count == x.rows)
        return try train(x, stream: &stream) { actions, rewards in
            for r in actions.indices { rewards[r] = actions[r] == labels[r] ? 1 : 0 }
        }
    }
}
