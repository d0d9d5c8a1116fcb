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

public extension TanhNetwork {
    /// The parameter gradient of sum_b [w_b r(X_b) + grad_X r(X_b) . T_b]: the network's value
    /// weighted by w plus its directional derivative along T (rows like X), by reverse mode over
    /// the forward-mode tangent. What the variance gradient of Eq. 14 needs when the estimator
    /// holds dr/dz (RELAX's and LAX's control variates).
    func parameterGradient(input x: Matrix, valueWeights w: [Double], directions t: Matrix) -> [Double] {
        precondition(t.rows == x.rows && t.cols == x.cols && w.count == x.rows)
        let f = forward(x)
        let last = weights.count - 1
        // Tangents: dA[l] of layer l's pre-activation; dH[l] of activation l (dH[0] = T).
        var dH = [t], dA: [Matrix] = []
        for l in weights.indices {
            var a = Matrix(rows: x.rows, cols: weights[l].rows)
            Matrix.gemm(dH[l], weights[l], transposeB: true, into: &a)
            dA.append(a)
            if l < last {
                let h = f.activations[l + 1]
                var d = a
                for k in d.data.indices { d.data[k] *= 1 - h.data[k] * h.data[k] }
                dH.append(d)
            }
        }
        // Adjoints of the value (A) and of the tangent (dA) at the output.
        var adjA = Matrix(rows: x.rows, cols: 1, data: w)
        var adjDA = Matrix(rows: x.rows, cols: 1, repeating: 1)
        var grads: [[Double]] = Array(repeating: [], count: weights.count)
        for l in stride(from: last, through: 0, by: -1) {
            var gw = Matrix(rows: weights[l].rows, cols: weights[l].cols)
            Matrix.gemm(adjA, transposeA: true, f.activations[l], into: &gw)
            Matrix.gemm(adjDA, transposeA: true, dH[l], beta: 1, into: &gw)
            grads[l] = gw.data + adjA.columnSums()
            guard l > 0 else { break }
            var adjH = Matrix(rows: x.rows, cols: weights[l].cols), adjDH = adjH
            Matrix.gemm(adjA, weights[l], into: &adjH)
            Matrix.gemm(adjDA, weights[l], into: &adjDH)
            // H = tanh(A), dH = (1 - H^2) dA.
            let h = f.activations[l], da = dA[l - 1]
            var nextA = adjH, nextDA = adjDH
            for k in nextA.data.indices {
                let slope = 1 - h.data[k] * h.data[k]
                nextDA.data[k] = slope * adjDH.data[k]
                nextA.data[k] = slope * (adjH.data[k] - 2 * h.data[k] * da.data[k] * adjDH.data[k])
            }
            adjA = nextA; adjDA = nextDA
        }
        return grads.flatMap { $0 }
    }
}
