import Foundation

/// The exact oracle for a small `ConvolutionalBernoulliNetwork` (CLAIMS.md, "Ground truth by exact
/// enumeration"): for one image and a reward table R(a), every configuration of the Bernoulli
/// layer and the action with its probability (`NetworkOracle` on the head, whose context is the
/// image's features), hence E[R], its gradient for every parameter, deterministic and stochastic,
/// and any estimator's exact mean.
///
/// The objective computes the features by direct scalar loops over kernel positions, independently
/// of the im2col/gemm layers, so central differences of it check the batched forward and backward passes.
public struct ConvolutionalNetworkOracle: Sendable {
    public let network: ConvolutionalBernoulliNetwork
    public let image: [Double]
    public let reward: [Double]
    let head: NetworkOracle

    public init(network: ConvolutionalBernoulliNetwork, image: [Double], reward: [Double]) throws {
        guard image.count == network.inputShape.count else {
            throw NetworkOracle.Problem.shape("image has \(image.count) values, the network takes \(network.inputShape.count)")
        }
        self.network = network; self.image = image; self.reward = reward
        head = try NetworkOracle(network: network.head, input: Self.directFeatures(network, image), reward: reward)
    }

    /// The convolutions (ReLU) by direct loops: out[y, x, o] = b_o + sum_{dy, dx, c} W_o[dy, dx, c] in[y + dy, x + dx, c].
    public static func directFeatures(_ net: ConvolutionalBernoulliNetwork, _ image: [Double]) -> [Double] {
        var h = image
        for layer in net.convolutions {
            let i = layer.input, o = layer.output, k = layer.kernel
            var out = [Double](repeating: 0, count: o.count)
            for y in 0..<o.height {
                for x in 0..<o.width {
                    for oc in 0..<o.channels {
                        var z = layer.parameters.bias[oc]
                        for dy in 0..<k { for dx in 0..<k { for c in 0..<i.channels {
                            z += layer.parameters.weights[oc, (dy * k + dx) * i.channels + c] * h[((y + dy) * i.width + x + dx) * i.channels + c]
                        } } }
                        out[(y * o.width + x) * o.channels + oc] = layer.activation == .relu ? max(0, z) : z
                    }
                }
            }
            h = out
        }
        return h
    }

    /// E[R] by enumeration.
    public var objective: Double { head.objective }

    /// The exact dE[R]/dtheta in `ConvolutionalBernoulliNetwork.flattenedParameters` order: the
    /// head's by `NetworkOracle.gradient`; the convolutions' from dE[R]/dl_j (the Bernoulli biases'
    /// exact gradient, since dl_j/db_j = 1) backpropagated through W and the convolutions.
    public var gradient: [Double] {
        let headGradient = head.gradient
        let H = network.unitCount, F = network.featureCount
        let biasOffset = H * F
        let dl = Matrix(rows: 1, cols: H, data: Array(headGradient[biasOffset..<(biasOffset + H)]))
        var g = Matrix.product(dl, network.bernoulli.weights)
        let samples = network.features(Matrix(rows: 1, cols: image.count, data: image))
        var conv: [[Double]] = Array(repeating: [], count: network.convolutions.count)
        for k in network.convolutions.indices.reversed() {
            let (p, dx) = network.convolutions[k].backward(samples[k], outputGradient: g, scale: 1, inputGradient: k > 0)
            conv[k] = p.flattened
            if let dx { g = dx }
        }
        return conv.flatMap { $0 } + headGradient
    }

    /// Central finite differences of the exact objective, every parameter.
    public func finiteDifferenceGradient(step h: Double = 1e-5) -> [Double] {
        let theta = network.flattenedParameters
        func f(_ t: [Double]) -> Double { (try! ConvolutionalNetworkOracle(network: network.with(flattenedParameters: t), image: image, reward: reward)).objective }
        return theta.indices.map { k in
            var up = theta, down = theta
            up[k] += h; down[k] -= h
            return (f(up) - f(down)) / (2 * h)
        }
    }

    /// The exact mean of an estimator's gradient for every parameter: the estimator runs on every
    /// configuration (Bernoulli outputs and action) as one minibatch, each example's signals are
    /// weighted by its probability, and `ConvolutionalBernoulliNetwork.gradient` (the training code)
    /// turns them into parameter gradients (linear in the signals, so the weighted batch mean is the
    /// expectation).
    public func mean(of estimator: any BanditEstimator, backprop: FeatureBackprop = .chainRule, baseline: Double = 0) -> [Double] {
        let configs = head.configurations()
        let n = configs.count, H = network.unitCount
        let x = Matrix(rows: n, cols: image.count, data: Array(repeating: image, count: n).flatMap { $0 })
        let values = Matrix(rows: n, cols: H, data: configs.flatMap { $0.hidden[0] })
        let s = network.evaluate(x, hiddenValues: values, actions: configs.map(\.action))
        var signals = estimator.signals(network.head, s.head, rewards: configs.map { reward[$0.action] }, baseline: baseline)
        for r in 0..<n {
            let w = configs[r].probability * Double(n)
            for j in 0..<signals.hidden[0].cols { signals.hidden[0][r, j] *= w }
            for a in 0..<signals.output.cols { signals.output[r, a] *= w }
        }
        return network.gradient(s, signals: signals, backprop: backprop).flattened
    }
}
