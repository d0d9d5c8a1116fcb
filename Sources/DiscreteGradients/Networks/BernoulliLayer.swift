import Foundation

/// A layer of linear Bernoulli units (Section 1.2): unit j fires with probability
/// p_j = sigma(l_j), l_j = theta_j . x + b_j, optionally clipped to [epsilon, 1 - epsilon]
/// (the paper's code clips at 1e-5 for stability). Fired/not fired is presented to the
/// children through `encoding` as {0, 1} or {-1, +1}. Everything is batched: a minibatch is a
/// Matrix with one example per row, and the linear map goes through BLAS.
public struct BernoulliLayer: Codable, Sendable, Equatable {
    /// weights [units x inputs] and bias [units].
    public var parameters: LayerParameters
    public var encoding: UnitEncoding
    /// epsilon of the clip [epsilon, 1 - epsilon] on firing probabilities, or nil for none.
    public var clip: Double?

    /// The paper's clip for the bandit experiments.
    public static let paperClip = 1e-5

    public init(weights: Matrix, bias: [Double], encoding: UnitEncoding, clip: Double? = nil) {
        precondition(clip.map { $0 > 0 && $0 < 0.5 } ?? true, "BernoulliLayer: clip must lie in (0, 0.5)")
        self.parameters = LayerParameters(weights: weights, bias: bias)
        self.encoding = encoding
        self.clip = clip
    }

    /// Glorot-uniform weights (U(-r, r), r = sqrt(6 / (in + out))) and zero biases, as in the paper's code.
    public static func glorotUniform(inputs: Int, units: Int, encoding: UnitEncoding, clip: Double? = nil,
                                     stream: inout RandomStream) -> BernoulliLayer {
        let r = (6.0 / Double(inputs + units)).squareRoot()
        var w = Matrix(rows: units, cols: inputs)
        for k in w.data.indices { w.data[k] = stream.uniform(-r, r) }
        return BernoulliLayer(weights: w, bias: .init(repeating: 0, count: units), encoding: encoding, clip: clip)
    }

    public var weights: Matrix { get { parameters.weights } set { parameters.weights = newValue } }
    public var bias: [Double] { get { parameters.bias } set { parameters.bias = newValue } }
    public var inputCount: Int { parameters.weights.cols }
    public var unitCount: Int { parameters.weights.rows }

    /// Logits L = X W^T + b for a minibatch X [batch x inputs] (one gemm).
    public func logits(_ input: Matrix) -> Matrix {
        precondition(input.cols == inputCount, "BernoulliLayer: input has \(input.cols) columns, layer takes \(inputCount)")
        var l = Matrix(rows: input.rows, cols: unitCount)
        Matrix.gemm(input, parameters.weights, transposeB: true, into: &l)
        l.addRowVector(parameters.bias)
        return l
    }

    /// The firing probability for a logit, clipped if the layer clips.
    @inlinable public func firingProbability(logit l: Double) -> Double {
        let p = Fn.sigmoid(l)
        guard let e = clip else { return p }
        return min(max(p, e), 1 - e)
    }
    /// d p / d l: sigma'(l), and 0 where the clip is active (the clipped probability is flat there).
    @inlinable public func probabilitySlope(logit l: Double) -> Double {
        let p = Fn.sigmoid(l)
        if let e = clip, p <= e || p >= 1 - e { return 0 }
        return p * (1 - p)
    }
    /// log pi(outcome | logit) for the unit's own outcome (fired or not), clip included.
    @inlinable public func logProbability(fired: Bool, logit l: Double) -> Double {
        let lp = fired ? Fn.logSigmoid(l) : Fn.logSigmoid(-l)
        guard let e = clip else { return lp }
        return min(max(lp, log(e)), log1p(-e))
    }

    /// One draw for every unit and example: fired iff u < p with u ~ U(0, 1) from `stream`.
    public func sample(_ input: Matrix, stream: inout RandomStream) -> BernoulliLayerSample {
        let l = logits(input)
        let p = l.map(firingProbability(logit:))
        var u = [Double](repeating: 0, count: p.data.count)
        stream.fillUniform(&u)
        var v = Matrix(rows: p.rows, cols: p.cols)
        for k in u.indices { v.data[k] = encoding.value(fired: u[k] < p.data[k]) }
        return BernoulliLayerSample(input: input, logits: l, probabilities: p, values: v)
    }

    /// The layer's computations for given outcomes (values in the layer's encoding): what the
    /// exact oracle uses to score every configuration.
    public func evaluate(_ input: Matrix, values: Matrix) -> BernoulliLayerSample {
        let l = logits(input)
        precondition(values.rows == l.rows && values.cols == l.cols, "BernoulliLayer.evaluate: values \(values.rows)x\(values.cols), expected \(l.rows)x\(l.cols)")
        return BernoulliLayerSample(input: input, logits: l, probabilities: l.map(firingProbability(logit:)), values: values)
    }
}

/// What a Bernoulli layer's forward pass computed for a minibatch (rows are examples).
public struct BernoulliLayerSample: Sendable {
    /// The layer's input X [batch x inputs].
    public var input: Matrix
    /// l [batch x units].
    public var logits: Matrix
    /// Firing probabilities p (clipped if the layer clips) [batch x units].
    public var probabilities: Matrix
    /// Sampled outputs in the layer's encoding [batch x units]: the next layer's input.
    public var values: Matrix
    public init(input: Matrix, logits: Matrix, probabilities: Matrix, values: Matrix) {
        self.input = input; self.logits = logits; self.probabilities = probabilities; self.values = values
    }
    public var batchSize: Int { logits.rows }
}
