import Foundation

/// A small fully connected network with tanh hidden layers and one linear output, evaluated on a
/// whole minibatch (rows) through gemm: the learned parts of the VAE control variates (NVIL's
/// input-dependent baseline C(x), Mnih and Gregor 2014 Section 3.2; RELAX's r_psi, RELAX draft
/// Section 6.2: "a 2-layer tanh network of 200 units" on the data and the samples so far).
public struct TanhNetwork: Codable, Sendable, Equatable {
    /// weights[k]: [out x in] (logits = input W^T + b, as `BernoulliLayer`); the last has one row.
    public var weights: [Matrix]
    public var biases: [[Double]]

    /// Glorot-uniform weights and zero biases; `outputScale` multiplies the output layer's weights
    /// (0 starts the network at the zero function, as a baseline or control should start).
    public init(inputs: Int, hidden: [Int], outputScale: Double = 0, stream: inout RandomStream) {
        let sizes = [inputs] + hidden + [1]
        weights = []; biases = []
        for k in 0..<(sizes.count - 1) {
            let limit = (6 / Double(sizes[k] + sizes[k + 1])).squareRoot() * (k == sizes.count - 2 ? outputScale : 1)
            weights.append(Matrix(rows: sizes[k + 1], cols: sizes[k], data: (0..<(sizes[k] * sizes[k + 1])).map { _ in limit * (2 * stream.uniform() - 1) }))
            biases.append([Double](repeating: 0, count: sizes[k + 1]))
        }
    }

    public var inputCount: Int { weights[0].cols }
    public var parameterCount: Int { zip(weights, biases).reduce(0) { $0 + $1.0.data.count + $1.1.count } }
    /// Weights then bias, layer by layer.
    public var parameters: [Double] {
        get { zip(weights, biases).flatMap { $0.0.data + $0.1 } }
        set {
            var k = 0
            for l in weights.indices {
                let n = weights[l].data.count, m = biases[l].count
                weights[l].data = Array(newValue[k..<(k + n)]); biases[l] = Array(newValue[(k + n)..<(k + n + m)])
                k += n + m
            }
        }
    }

    /// The activations of every layer (activations[0] = input; the last = outputs as a column).
    public struct Forward: Sendable {
        public var activations: [Matrix]
        public var output: [Double] { activations.last!.data }
    }

    public func forward(_ input: Matrix) -> Forward {
        precondition(input.cols == inputCount, "TanhNetwork: input has \(input.cols) columns, expected \(inputCount)")
        var acts = [input]
        for l in weights.indices {
            var y = Matrix(rows: input.rows, cols: weights[l].rows)
            Matrix.gemm(acts[l], weights[l], transposeB: true, into: &y)
            y.addRowVector(biases[l])
            if l < weights.count - 1 { y = y.map(tanh) }
            acts.append(y)
        }
        return Forward(activations: acts)
    }

    /// Backpropagates dOutput (one per row) through a forward pass: the gradient along the input
    /// rows and (summed over rows) along the parameters, laid out as `parameters`.
    public func backward(_ f: Forward, outputGradient: [Double], parameterGradient wantParameters: Bool = true)
        -> (input: Matrix, parameters: [Double]) {
        var delta = Matrix(rows: outputGradient.count, cols: 1, data: outputGradient)
        var grads: [[Double]] = Array(repeating: [], count: weights.count)
        for l in stride(from: weights.count - 1, through: 0, by: -1) {
            if wantParameters {
                var gw = Matrix(rows: weights[l].rows, cols: weights[l].cols)
                Matrix.gemm(delta, transposeA: true, f.activations[l], into: &gw)
                grads[l] = gw.data + delta.columnSums()
            }
            var below = Matrix(rows: delta.rows, cols: weights[l].cols)
            Matrix.gemm(delta, weights[l], into: &below)
            if l > 0 {
                let a = f.activations[l]
                for k in below.data.indices { below.data[k] *= 1 - a.data[k] * a.data[k] }
            }
            delta = below
        }
        return (delta, grads.flatMap { $0 })
    }
}
