import Foundation

/// The softmax output unit (Section 1.3, Appendix D): logits Z = X W^T + b over N actions,
/// A ~ softmax(Z). Batched over a minibatch (one row per example).
public struct SoftmaxLayer: Codable, Sendable, Equatable {
    /// weights [actions x inputs] and bias [actions].
    public var parameters: LayerParameters

    public init(weights: Matrix, bias: [Double]) {
        self.parameters = LayerParameters(weights: weights, bias: bias)
    }
    public static func glorotUniform(inputs: Int, actions: Int, stream: inout RandomStream) -> SoftmaxLayer {
        let r = (6.0 / Double(inputs + actions)).squareRoot()
        var w = Matrix(rows: actions, cols: inputs)
        for k in w.data.indices { w.data[k] = stream.uniform(-r, r) }
        return SoftmaxLayer(weights: w, bias: .init(repeating: 0, count: actions))
    }

    public var weights: Matrix { get { parameters.weights } set { parameters.weights = newValue } }
    public var bias: [Double] { get { parameters.bias } set { parameters.bias = newValue } }
    public var inputCount: Int { parameters.weights.cols }
    public var actionCount: Int { parameters.weights.rows }

    public func logits(_ input: Matrix) -> Matrix {
        precondition(input.cols == inputCount, "SoftmaxLayer: input has \(input.cols) columns, layer takes \(inputCount)")
        var z = Matrix(rows: input.rows, cols: actionCount)
        Matrix.gemm(input, parameters.weights, transposeB: true, into: &z)
        z.addRowVector(parameters.bias)
        return z
    }

    /// Row-wise softmax of the logits.
    public static func probabilities(_ z: Matrix) -> Matrix {
        var p = z
        for b in 0..<z.rows {
            let off = b * z.cols
            var m = -Double.infinity
            for a in 0..<z.cols { m = max(m, z.data[off + a]) }
            var s = 0.0
            for a in 0..<z.cols { let e = exp(z.data[off + a] - m); p.data[off + a] = e; s += e }
            for a in 0..<z.cols { p.data[off + a] /= s }
        }
        return p
    }

    public func sample(_ input: Matrix, stream: inout RandomStream) -> SoftmaxLayerSample {
        let z = logits(input)
        let p = Self.probabilities(z)
        let actions = (0..<z.rows).map { b in stream.categorical(Array(p.row(b))) }
        return SoftmaxLayerSample(input: input, logits: z, probabilities: p, actions: actions)
    }
    public func evaluate(_ input: Matrix, actions: [Int]) -> SoftmaxLayerSample {
        let z = logits(input)
        precondition(actions.count == z.rows && actions.allSatisfy { $0 >= 0 && $0 < actionCount }, "SoftmaxLayer.evaluate: bad actions")
        return SoftmaxLayerSample(input: input, logits: z, probabilities: Self.probabilities(z), actions: actions)
    }
}

public struct SoftmaxLayerSample: Sendable {
    public var input: Matrix
    /// Z [batch x actions].
    public var logits: Matrix
    /// softmax(Z) [batch x actions].
    public var probabilities: Matrix
    /// The sampled action A per example.
    public var actions: [Int]
    public init(input: Matrix, logits: Matrix, probabilities: Matrix, actions: [Int]) {
        self.input = input; self.logits = logits; self.probabilities = probabilities; self.actions = actions
    }
    public var batchSize: Int { logits.rows }
}
