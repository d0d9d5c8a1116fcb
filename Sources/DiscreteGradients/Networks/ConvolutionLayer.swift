import Foundation

/// The shape of one image (or feature map): height x width x channels, stored per example as one
/// row of a minibatch matrix in height-major, channel-minor order (index (y * width + x) * channels + c,
/// the NHWC layout of the HNCA paper's released code).
public struct ImageShape: Codable, Sendable, Equatable, CustomStringConvertible {
    public var height: Int
    public var width: Int
    public var channels: Int
    public init(height: Int, width: Int, channels: Int) {
        precondition(height > 0 && width > 0 && channels > 0, "ImageShape: sizes must be positive")
        self.height = height; self.width = width; self.channels = channels
    }
    /// Values per example.
    public var count: Int { height * width * channels }
    public var description: String { "\(height)x\(width)x\(channels)" }
}

/// The deterministic nonlinearity after a convolution.
public enum Activation: String, Codable, Sendable {
    /// max(0, z): the released code's jax.nn.relu after each convolution.
    case relu
    /// z (no nonlinearity).
    case identity
}

/// A 2-D convolution (cross-correlation, as in every deep-learning library) with stride 1 and no
/// padding ("VALID"), square kernels, one bias per output channel, then an activation. The
/// deterministic layers of the HNCA paper's "stochastic layer as the final hidden layer of an
/// otherwise deterministic network" (Section 1.3; released code: 3 x 3 kernels, ReLU).
///
/// Whole minibatches go through BLAS: the input patches of every example and output position are
/// laid out as the rows of one matrix (im2col, [batch * outH * outW] x [k * k * inC]) and multiplied
/// by the kernel matrix in one gemm, whose [batch * outH * outW] x outC result is already the output
/// minibatch in NHWC layout. The backward pass is two gemms (kernel and patch gradients) and the
/// scatter-add of the patch gradients back to the input (col2im).
public struct ConvolutionLayer: Codable, Sendable, Equatable {
    public var input: ImageShape
    public var kernel: Int
    public var activation: Activation
    /// weights [outC x (k * k * inC)] (row o: the kernel of output channel o, in (dy, dx, c) order), bias [outC].
    public var parameters: LayerParameters

    public init(input: ImageShape, kernel: Int, activation: Activation = .relu, weights: Matrix, bias: [Double]) {
        precondition(kernel >= 1 && kernel <= input.height && kernel <= input.width, "ConvolutionLayer: kernel \(kernel) for input \(input)")
        precondition(weights.cols == kernel * kernel * input.channels,
                     "ConvolutionLayer: weights have \(weights.cols) columns, a \(kernel)x\(kernel) kernel over \(input.channels) channels needs \(kernel * kernel * input.channels)")
        self.input = input; self.kernel = kernel; self.activation = activation
        self.parameters = LayerParameters(weights: weights, bias: bias)
    }

    /// Haiku's default initialisation of `hk.Conv2D` (the released code's): weights from a normal
    /// truncated at two standard deviations, scaled to variance 1 / fan-in (VarianceScaling(1.0,
    /// "fan_in", "truncated_normal"): sd sqrt(1 / fan-in) / 0.8796...), zero biases.
    public static func varianceScaling(input: ImageShape, outputChannels: Int, kernel: Int, activation: Activation = .relu,
                                       stream: inout RandomStream) -> ConvolutionLayer {
        let fanIn = kernel * kernel * input.channels
        let sd = (1 / Double(fanIn)).squareRoot() / 0.87962566103423978
        var w = Matrix(rows: outputChannels, cols: fanIn)
        for k in w.data.indices { w.data[k] = sd * stream.truncatedStandardNormal() }
        return ConvolutionLayer(input: input, kernel: kernel, activation: activation, weights: w,
                                bias: [Double](repeating: 0, count: outputChannels))
    }

    public var outputChannels: Int { parameters.weights.rows }
    public var output: ImageShape { ImageShape(height: input.height - kernel + 1, width: input.width - kernel + 1, channels: outputChannels) }
    /// Length of one patch row: k * k * inC.
    public var patchLength: Int { kernel * kernel * input.channels }
    /// Multiply-adds of the forward pass per example (one per kernel weight and output position).
    public var multiplyAddsPerExample: Int { output.height * output.width * outputChannels * patchLength }

    /// im2col: row (b, y, x) holds the k x k x inC patch of example b at output position (y, x),
    /// in (dy, dx, c) order; each (row, dy) is one contiguous copy of k * inC values.
    public func patches(_ x: Matrix) -> Matrix {
        precondition(x.cols == input.count, "ConvolutionLayer: input has \(x.cols) columns, the layer takes \(input) = \(input.count)")
        let out = output, B = x.rows, k = kernel, C = input.channels, W = input.width, K = patchLength
        let span = k * C, inCount = input.count
        var cols = Matrix(rows: B * out.height * out.width, cols: K)
        x.data.withUnsafeBufferPointer { src in
            cols.data.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                var r = 0
                for b in 0..<B {
                    for y in 0..<out.height {
                        for xx in 0..<out.width {
                            for dy in 0..<k {
                                (d + r * K + dy * span).update(from: s + b * inCount + ((y + dy) * W + xx) * C, count: span)
                            }
                            r += 1
                        }
                    }
                }
            }
        }
        return cols
    }

    /// col2im: the transpose of `patches`, adding every patch row back onto the input positions it came from.
    public func scatterPatches(_ cols: Matrix, batch B: Int) -> Matrix {
        let out = output, k = kernel, C = input.channels, W = input.width, K = patchLength
        precondition(cols.rows == B * out.height * out.width && cols.cols == K)
        let span = k * C, inCount = input.count
        var x = Matrix(rows: B, cols: inCount)
        cols.data.withUnsafeBufferPointer { src in
            x.data.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                var r = 0
                for b in 0..<B {
                    for y in 0..<out.height {
                        for xx in 0..<out.width {
                            for dy in 0..<k {
                                let to = d + b * inCount + ((y + dy) * W + xx) * C, from = s + r * K + dy * span
                                for t in 0..<span { to[t] += from[t] }
                            }
                            r += 1
                        }
                    }
                }
            }
        }
        return x
    }

    /// Forward pass on a minibatch X [batch x input.count]: one im2col and one gemm.
    public func forward(_ x: Matrix) -> ConvolutionSample {
        let cols = patches(x)
        var z = Matrix(rows: cols.rows, cols: outputChannels)
        // Z = b + P W^T, [batch * outH * outW] x outC.
        z.data.withUnsafeMutableBufferPointer { zd in
            for r in 0..<cols.rows { for o in 0..<outputChannels { zd[r * outputChannels + o] = parameters.bias[o] } }
        }
        Matrix.gemm(cols, parameters.weights, transposeB: true, beta: 1, into: &z)
        let pre = Matrix(rows: x.rows, cols: output.count, data: z.data)
        let a: Matrix
        switch activation {
        case .relu: a = pre.map { max(0, $0) }
        case .identity: a = pre
        }
        return ConvolutionSample(input: x, patches: cols, preActivation: pre, output: a)
    }

    /// Backward pass: from d(objective)/d(output) [batch x output.count], the parameter gradient
    /// (the sum over the minibatch times `scale`) and, when `inputGradient`, d(objective)/d(input)
    /// [batch x input.count] (not scaled). Two gemms and a col2im.
    public func backward(_ s: ConvolutionSample, outputGradient g: Matrix, scale: Double, inputGradient: Bool)
        -> (parameters: LayerParameters, input: Matrix?) {
        precondition(g.rows == s.output.rows && g.cols == s.output.cols, "ConvolutionLayer.backward: gradient \(g.rows)x\(g.cols), output \(s.output.rows)x\(s.output.cols)")
        var dz = g
        if activation == .relu {
            dz.data.withUnsafeMutableBufferPointer { d in
                s.preActivation.data.withUnsafeBufferPointer { z in for i in 0..<d.count where z[i] <= 0 { d[i] = 0 } }
            }
        }
        let rows = s.patches.rows, O = outputChannels
        let dzRows = Matrix(rows: rows, cols: O, data: dz.data)
        var dw = Matrix(rows: O, cols: patchLength)
        Matrix.gemm(dzRows, transposeA: true, s.patches, alpha: scale, into: &dw)
        var db = [Double](repeating: 0, count: O)
        dzRows.data.withUnsafeBufferPointer { d in for r in 0..<rows { for o in 0..<O { db[o] += d[r * O + o] } } }
        for o in 0..<O { db[o] *= scale }
        var dx: Matrix? = nil
        if inputGradient {
            var dcols = Matrix(rows: rows, cols: patchLength)
            Matrix.gemm(dzRows, parameters.weights, into: &dcols)
            dx = scatterPatches(dcols, batch: s.input.rows)
        }
        return (LayerParameters(weights: dw, bias: db), dx)
    }
}

/// What a convolution's forward pass computed for a minibatch.
public struct ConvolutionSample: Sendable {
    /// The layer's input [batch x input.count].
    public var input: Matrix
    /// im2col of the input [batch * outH * outW x k * k * inC] (kept for the kernel gradient).
    public var patches: Matrix
    /// Before the activation [batch x output.count].
    public var preActivation: Matrix
    /// After the activation [batch x output.count]: the next layer's input.
    public var output: Matrix
}

public extension RandomStream {
    /// A standard normal truncated to [-2, 2] (by rejection), as jax's truncated_normal that Haiku's
    /// initialisers use.
    mutating func truncatedStandardNormal() -> Double {
        while true {
            let z = normal()
            if abs(z) <= 2 { return z }
        }
    }
}
