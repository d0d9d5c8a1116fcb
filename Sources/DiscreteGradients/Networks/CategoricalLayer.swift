import Foundation

/// A layer of `groups` independent K-way categorical variables (RELAX draft, Section 4 and
/// Appendix B), linear in its input: group g of example x has logits theta_g = W_g x + b_g
/// (K of them, the paper's unnormalised log alpha_k) and emits the one-hot vector of its class.
/// A minibatch is a Matrix with one example per row; the logits are one gemm, [batch x groups K],
/// group g's classes in columns gK ..< (g + 1)K.
///
/// Why a layer of its own: a Bernoulli layer presents one number per unit; a categorical unit
/// presents K (its one-hot), and REBAR/RELAX/LAX need the whole Gumbel vector z and the
/// conditional z~ of every group (`CategoricalLayerSample`), so the K outputs must stay together.
public struct CategoricalLayer: Codable, Sendable, Equatable {
    /// weights [(groups K) x inputs] and bias [groups K].
    public var parameters: LayerParameters
    public let groups: Int
    public let classes: Int

    public init(weights: Matrix, bias: [Double], groups: Int, classes: Int) {
        precondition(groups >= 1 && classes >= 2, "CategoricalLayer: need at least one group of at least two classes")
        precondition(weights.rows == groups * classes, "CategoricalLayer: \(weights.rows) weight rows for \(groups) groups of \(classes)")
        self.parameters = LayerParameters(weights: weights, bias: bias)
        self.groups = groups; self.classes = classes
    }

    /// Glorot-uniform weights (U(-r, r), r = sqrt(6 / (in + out))) and zero biases, like `BernoulliLayer`.
    public static func glorotUniform(inputs: Int, groups: Int, classes: Int, stream: inout RandomStream) -> CategoricalLayer {
        let outputs = groups * classes
        let r = (6.0 / Double(inputs + outputs)).squareRoot()
        var w = Matrix(rows: outputs, cols: inputs)
        for k in w.data.indices { w.data[k] = stream.uniform(-r, r) }
        return CategoricalLayer(weights: w, bias: .init(repeating: 0, count: outputs), groups: groups, classes: classes)
    }

    public var inputCount: Int { parameters.weights.cols }
    /// groups * classes: the width of the one-hot output the next layer sees.
    public var outputCount: Int { groups * classes }

    /// Logits [batch x groups K] = X W^T + b (one gemm).
    public func logits(_ input: Matrix) -> Matrix {
        precondition(input.cols == inputCount, "CategoricalLayer: input has \(input.cols) columns, layer takes \(inputCount)")
        var l = Matrix(rows: input.rows, cols: outputCount)
        Matrix.gemm(input, parameters.weights, transposeB: true, into: &l)
        l.addRowVector(parameters.bias)
        return l
    }

    /// One relaxed draw for every group and example (`CategoricalLayerSample.draw`): u for every
    /// logit of the minibatch (row by row), then v likewise. The sample's `values` are the one-hot outputs.
    public func sample(_ input: Matrix, stream: inout RandomStream) -> CategoricalLayerSample {
        let l = logits(input)
        var u = Matrix(rows: l.rows, cols: l.cols), v = u
        stream.fillUniform(&u.data); stream.fillUniform(&v.data)
        return CategoricalLayerSample.draw(input: input, logits: l, groups: groups, u: u, v: v)
    }

    /// The minibatch mean of per-example parameter gradients from logit gradients G [batch x groups K]:
    /// dW = G^T X / batch (one gemm), db = column sums / batch (the convention of `LearningSignals.mean`).
    public func parameterGradient(logitGradient g: Matrix, input: Matrix) -> LayerParameters {
        precondition(g.rows == input.rows && g.cols == outputCount && input.cols == inputCount, "CategoricalLayer.parameterGradient: shapes")
        let n = Double(max(g.rows, 1))
        var w = Matrix(rows: outputCount, cols: inputCount)
        Matrix.gemm(g, transposeA: true, input, alpha: 1 / n, into: &w)
        return LayerParameters(weights: w, bias: g.columnSums().map { $0 / n })
    }
}
