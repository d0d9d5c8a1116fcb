import Foundation

/// The deterministic part of a nonlinear `DiscreteVAE` mapping: tanh layers
/// h_l = tanh(h_{l-1} W_l^T + b_l), applied bottom-up to a whole minibatch (rows) through gemm,
/// before a stochastic layer's affine logits. Tucker et al. (2017)'s nonlinear model (and the
/// RELAX draft's, Section 6.2: "1 layer of Bernoulli random variables with non-linear mappings
/// between layers") puts two tanh layers of 200 units on each side of its one stochastic layer
/// (tensorflow/models research/rebar, `_create_transformation`: 2 x tanh, then a linear layer).
/// An empty stack is the identity: the mapping is affine (the linear models).
public struct TanhStack: Codable, Sendable, Equatable {
    /// layers[l]: weights [out x in] and bias [out], as `BernoulliLayer`'s parameters.
    public var layers: [LayerParameters]

    public init(_ layers: [LayerParameters] = []) {
        for l in layers.indices.dropFirst() {
            precondition(layers[l].weights.cols == layers[l - 1].weights.rows, "TanhStack: layer \(l) takes \(layers[l].weights.cols) inputs, layer \(l - 1) gives \(layers[l - 1].weights.rows)")
        }
        self.layers = layers
    }

    /// Glorot-uniform weights (U(-r, r), r = sqrt(6 / (in + out))) and zero biases, layer by layer.
    public static func glorotUniform(inputs: Int, widths: [Int], stream: inout RandomStream) -> TanhStack {
        let sizes = [inputs] + widths
        return TanhStack((0..<widths.count).map { l in
            BernoulliLayer.glorotUniform(inputs: sizes[l], units: sizes[l + 1], encoding: .zeroOne, stream: &stream).parameters
        })
    }

    public var isEmpty: Bool { layers.isEmpty }
    public var widths: [Int] { layers.map(\.weights.rows) }
    /// The width of what the stack gives for an input of `inputs` columns (itself when empty).
    public func outputCount(inputs: Int) -> Int { layers.last?.weights.rows ?? inputs }
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.count } }

    /// The activations [h_1 ... h_K] on a minibatch (empty for an empty stack; counted).
    public func forward(_ input: Matrix) -> [Matrix] {
        var out: [Matrix] = []
        for (l, p) in layers.enumerated() {
            let below = l == 0 ? input : out[l - 1]
            precondition(below.cols == p.weights.cols, "TanhStack: layer \(l) takes \(p.weights.cols) inputs, got \(below.cols)")
            VAEOperationCount.logits(rows: below.rows, inputs: p.weights.cols, units: p.weights.rows)
            VAEOperationCount.add(transcendentals: below.rows * p.weights.rows)
            var h = Matrix(rows: below.rows, cols: p.weights.rows)
            Matrix.gemm(below, p.weights, transposeB: true, into: &h)
            h.addRowVector(p.bias)
            out.append(h.map(tanh))
        }
        return out
    }

    /// Backpropagates dL/dh_K (rows) through a forward pass: the gradient along the stack's input
    /// (nil unless `wantInput`) and every layer's pre-activation gradient delta_l (bottom-up), from
    /// which the per-example parameter gradients are delta_l[b] h_{l-1}[b]^T (weights) and
    /// delta_l[b] (bias): two gemms per layer for a minibatch.
    public func backward(activations: [Matrix], outputGradient: Matrix, wantInput: Bool = true) -> (input: Matrix?, deltas: [Matrix]) {
        precondition(activations.count == layers.count)
        var g = outputGradient
        var deltas: [Matrix] = []
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let h = activations[l]
            precondition(g.rows == h.rows && g.cols == h.cols, "TanhStack.backward: gradient shape")
            var d = g
            for k in d.data.indices { d.data[k] *= 1 - h.data[k] * h.data[k] }
            VAEOperationCount.add(multiplyAdds: 2 * d.data.count)
            deltas.append(d)
            if l > 0 || wantInput {
                var below = Matrix(rows: d.rows, cols: layers[l].weights.cols)
                Matrix.gemm(d, layers[l].weights, into: &below)
                VAEOperationCount.add(multiplyAdds: d.rows * d.cols * below.cols)
                g = below
            }
        }
        return (wantInput ? g : nil, deltas.reversed())
    }
}
