/// A feed-forward network of stochastic units (Section 1): hidden layers of Bernoulli units,
/// each taking the previous layer's sampled outputs, followed by one softmax output unit that
/// picks the action. The input layer is the (given) context X.
public struct StochasticNetwork: Codable, Sendable, Equatable {
    public var hidden: [BernoulliLayer]
    public var output: SoftmaxLayer

    public init(hidden: [BernoulliLayer], output: SoftmaxLayer) {
        for k in hidden.indices.dropFirst() {
            precondition(hidden[k].inputCount == hidden[k - 1].unitCount,
                         "StochasticNetwork: hidden layer \(k + 1) takes \(hidden[k].inputCount) inputs, layer \(k) has \(hidden[k - 1].unitCount) units")
        }
        precondition(output.inputCount == (hidden.last?.unitCount ?? output.inputCount),
                     "StochasticNetwork: output takes \(output.inputCount) inputs, last hidden layer has \(hidden.last?.unitCount ?? 0) units")
        self.hidden = hidden; self.output = output
    }

    /// The paper's bandit architecture: Glorot-uniform weights, zero biases.
    public static func glorotUniform(inputs: Int, hiddenSizes: [Int], actions: Int, encoding: UnitEncoding,
                                     clip: Double? = BernoulliLayer.paperClip, stream: inout RandomStream) -> StochasticNetwork {
        var layers: [BernoulliLayer] = []
        var width = inputs
        for h in hiddenSizes {
            layers.append(.glorotUniform(inputs: width, units: h, encoding: encoding, clip: clip, stream: &stream))
            width = h
        }
        return StochasticNetwork(hidden: layers, output: .glorotUniform(inputs: width, actions: actions, stream: &stream))
    }

    public var inputCount: Int { hidden.first?.inputCount ?? output.inputCount }
    public var actionCount: Int { output.actionCount }
    public var hiddenUnitCount: Int { hidden.reduce(0) { $0 + $1.unitCount } }

    /// Forward pass on a minibatch X [batch x inputs]: every unit samples once per example.
    public func sample(_ input: Matrix, stream: inout RandomStream) -> NetworkSample {
        var layers: [BernoulliLayerSample] = []
        var x = input
        for layer in hidden {
            let s = layer.sample(x, stream: &stream)
            layers.append(s)
            x = s.values
        }
        return NetworkSample(hidden: layers, output: output.sample(x, stream: &stream))
    }

    /// The forward pass, counting its arithmetic (one multiply-add per edge and example, one
    /// transcendental per unit and example) for cost comparisons with the backward pass.
    public func sample(_ input: Matrix, stream: inout RandomStream, count: inout OperationCount) -> NetworkSample {
        let s = sample(input, stream: &stream)
        for layer in hidden { count.multiplyAdds += input.rows * layer.inputCount * layer.unitCount; count.transcendentals += input.rows * layer.unitCount }
        count.multiplyAdds += input.rows * output.inputCount * output.actionCount
        count.transcendentals += input.rows * output.actionCount
        return s
    }

    /// The forward computations for given outcomes (the exact oracle scores configurations so).
    public func evaluate(_ input: Matrix, hiddenValues: [Matrix], actions: [Int]) -> NetworkSample {
        precondition(hiddenValues.count == hidden.count, "evaluate: \(hiddenValues.count) value matrices for \(hidden.count) layers")
        var layers: [BernoulliLayerSample] = []
        var x = input
        for (layer, v) in zip(hidden, hiddenValues) {
            let s = layer.evaluate(x, values: v)
            layers.append(s)
            x = v
        }
        return NetworkSample(hidden: layers, output: output.evaluate(x, actions: actions))
    }

    // MARK: parameters as one vector (the order of `reproduce exact`)

    /// Hidden layer by hidden layer (weights row by row, then biases), then the output layer.
    public var parameters: NetworkGradient { NetworkGradient(hidden: hidden.map(\.parameters), output: output.parameters) }
    public var parameterCount: Int { parameters.count }
    public var flattenedParameters: [Double] { parameters.flattened }

    /// The same network with parameters taken from a flat vector (same order as `flattenedParameters`).
    public func with(flattenedParameters theta: [Double]) -> StochasticNetwork {
        precondition(theta.count == parameterCount, "with(flattenedParameters:): \(theta.count) values for \(parameterCount) parameters")
        var copy = self
        var k = 0
        func take(_ p: inout LayerParameters) {
            for i in p.weights.data.indices { p.weights.data[i] = theta[k]; k += 1 }
            for i in p.bias.indices { p.bias[i] = theta[k]; k += 1 }
        }
        for l in copy.hidden.indices { take(&copy.hidden[l].parameters) }
        take(&copy.output.parameters)
        return copy
    }
}

/// One forward pass over a minibatch: every layer's input, logits, probabilities and outputs.
public struct NetworkSample: Sendable {
    public var hidden: [BernoulliLayerSample]
    public var output: SoftmaxLayerSample
    public init(hidden: [BernoulliLayerSample], output: SoftmaxLayerSample) { self.hidden = hidden; self.output = output }
    public var actions: [Int] { output.actions }
    public var batchSize: Int { output.batchSize }
}

public extension StochasticNetwork {
    /// A network with N(0, scale^2) weights and biases: the random small networks the exact
    /// checks and tests draw (depth = hiddenSizes.count, possibly 0).
    static func random(inputs: Int, hiddenSizes: [Int], actions: Int, encoding: UnitEncoding, clip: Double? = nil,
                       scale: Double = 1, stream: inout RandomStream) -> StochasticNetwork {
        func params(_ units: Int, _ ins: Int) -> LayerParameters {
            var w = Matrix(rows: units, cols: ins)
            for k in w.data.indices { w.data[k] = stream.normal(sd: scale) }
            return LayerParameters(weights: w, bias: (0..<units).map { _ in stream.normal(sd: scale) })
        }
        var layers: [BernoulliLayer] = []
        var width = inputs
        for h in hiddenSizes {
            let p = params(h, width)
            layers.append(BernoulliLayer(weights: p.weights, bias: p.bias, encoding: encoding, clip: clip))
            width = h
        }
        let o = params(actions, width)
        return StochasticNetwork(hidden: layers, output: SoftmaxLayer(weights: o.weights, bias: o.bias))
    }
}
