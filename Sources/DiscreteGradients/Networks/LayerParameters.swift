/// The parameters of one layer (or a gradient with the same shape): weights [out x in] and one
/// bias per unit. Optimisers (Adam) update these element by element.
public struct LayerParameters: Codable, Sendable, Equatable {
    public var weights: Matrix
    public var bias: [Double]
    public init(weights: Matrix, bias: [Double]) {
        precondition(bias.count == weights.rows, "LayerParameters: \(bias.count) biases for \(weights.rows) units")
        self.weights = weights; self.bias = bias
    }
    public static func zeros(units: Int, inputs: Int) -> LayerParameters {
        LayerParameters(weights: Matrix(rows: units, cols: inputs), bias: .init(repeating: 0, count: units))
    }
    public var count: Int { weights.data.count + bias.count }
    /// Weights row by row, then the biases (the order of `reproduce exact`).
    public var flattened: [Double] { weights.data + bias }
}

/// A gradient (or any per-parameter quantity) shaped like a `StochasticNetwork`: one
/// `LayerParameters` per hidden layer, then the softmax output layer.
public struct NetworkGradient: Codable, Sendable, Equatable {
    public var hidden: [LayerParameters]
    public var output: LayerParameters
    public init(hidden: [LayerParameters], output: LayerParameters) { self.hidden = hidden; self.output = output }
    /// Hidden layer by hidden layer (weights row by row, then biases), then the output layer.
    public var flattened: [Double] { hidden.flatMap(\.flattened) + output.flattened }
    public var count: Int { hidden.reduce(0) { $0 + $1.count } + output.count }
    /// Mean over all parameters (e.g. the paper's "mean gradient variance", Figure 1).
    public var meanOverParameters: Double { let f = flattened; return f.reduce(0, +) / Double(max(f.count, 1)) }
}
