import Foundation

/// RELAX's surrogate for the toy (Section 6.1): a one-hidden-layer tanh network of the relaxed
/// inputs x_i = 2 sigmoid(z_i / tau) - 1, c(z) = w2 . tanh(W x + b1) + b2, with log tau learned
/// alongside the weights.
///
/// Parameters, in order: W (hidden x inputs, row-major), b1, w2, b2, log tau.
public struct TanhSurrogate: Surrogate {
    public let inputs: Int
    public let hidden: Int
    public var parameters: [Double]

    public init(inputs: Int, hidden: Int, parameters: [Double]) {
        precondition(parameters.count == hidden * inputs + 2 * hidden + 2, "TanhSurrogate: wrong parameter count")
        self.inputs = inputs; self.hidden = hidden; self.parameters = parameters
    }
    /// Weights ~ N(0, 1 / fan-in), biases 0, log tau as given (log 0.5 in the toy).
    public init(inputs: Int, hidden: Int, logTemperature: Double, stream: inout RandomStream) {
        var p: [Double] = []
        for _ in 0..<(hidden * inputs) { p.append(stream.normal(sd: (1 / Double(inputs)).squareRoot())) }
        p += [Double](repeating: 0, count: hidden)
        for _ in 0..<hidden { p.append(stream.normal(sd: (1 / Double(hidden)).squareRoot())) }
        p += [0, logTemperature]
        self.init(inputs: inputs, hidden: hidden, parameters: p)
    }
    /// Glorot-uniform weights (U(-r, r), r = sqrt(6 / (fan-in + fan-out)), the default of a
    /// dense layer in TensorFlow and Keras), biases 0, log tau as given: the initialisation of
    /// the RELAX authors' released toy.
    public init(inputs: Int, hidden: Int, glorotUniformWithLogTemperature logTemperature: Double, stream: inout RandomStream) {
        let r1 = (6 / Double(inputs + hidden)).squareRoot(), r2 = (6 / Double(hidden + 1)).squareRoot()
        var p: [Double] = []
        for _ in 0..<(hidden * inputs) { p.append(stream.uniform(-r1, r1)) }
        p += [Double](repeating: 0, count: hidden)
        for _ in 0..<hidden { p.append(stream.uniform(-r2, r2)) }
        p += [0, logTemperature]
        self.init(inputs: inputs, hidden: hidden, parameters: p)
    }

    public var parameterNames: [String] {
        var names: [String] = []
        for k in 0..<hidden { for j in 0..<inputs { names.append("W[\(k),\(j)]") } }
        names += (0..<hidden).map { "b1[\($0)]" } + (0..<hidden).map { "w2[\($0)]" } + ["b2", "log tau"]
        return names
    }
    public var logTemperature: Double { parameters[parameters.count - 1] }

    // Offsets into `parameters`.
    private var b1Offset: Int { hidden * inputs }
    private var w2Offset: Int { hidden * inputs + hidden }
    private var b2Index: Int { hidden * inputs + 2 * hidden }
    private var logTauIndex: Int { hidden * inputs + 2 * hidden + 1 }

    public func evaluate(_ z: [Double], parameterGradients: Bool) -> SurrogateEvaluation {
        precondition(z.count == inputs)
        let n = inputs, H = hidden, p = parameters
        let tau = exp(p[logTauIndex])
        var s = [Double](repeating: 0, count: n), x = s, q = s
        for i in 0..<n {
            s[i] = Fn.sigmoid(z[i] / tau)
            x[i] = 2 * s[i] - 1
            q[i] = 2 * s[i] * (1 - s[i]) / tau        // dx_i/dz_i
        }
        var h = [Double](repeating: 0, count: H), d = h
        var value = p[b2Index]
        for k in 0..<H {
            var pre = p[b1Offset + k]
            for j in 0..<n { pre += p[k * n + j] * x[j] }
            h[k] = tanh(pre); d[k] = 1 - h[k] * h[k]
            value += p[w2Offset + k] * h[k]
        }
        // A_i = sum_k w2_k d_k W_ki, so dc/dz_i = A_i q_i.
        var A = [Double](repeating: 0, count: n)
        for k in 0..<H { let wd = p[w2Offset + k] * d[k]; for i in 0..<n { A[i] += wd * p[k * n + i] } }
        let dz = (0..<n).map { A[$0] * q[$0] }
        guard parameterGradients else { return SurrogateEvaluation(value: value, dz: dz) }

        let P = parameters.count
        var dValue = [Double](repeating: 0, count: P)
        var dDz = [[Double]](repeating: [Double](repeating: 0, count: P), count: n)
        // dx_j / d log tau = -q_j z_j; dq_i / d log tau = -q_i ((1 - 2 s_i) z_i / tau + 1).
        let dxLogTau = (0..<n).map { -q[$0] * z[$0] }
        let dqLogTau = (0..<n).map { -q[$0] * ((1 - 2 * s[$0]) * z[$0] / tau + 1) }
        for k in 0..<H {
            let w2 = p[w2Offset + k], hk = h[k], dk = d[k]
            let dd = -2 * hk * dk                     // d d_k / d pre_k
            dValue[w2Offset + k] = hk
            dValue[b1Offset + k] = w2 * dk
            var preLogTau = 0.0                        // d pre_k / d log tau
            for j in 0..<n { dValue[k * n + j] = w2 * dk * x[j]; preLogTau += p[k * n + j] * dxLogTau[j] }
            for i in 0..<n {
                let Wki = p[k * n + i]
                dDz[i][w2Offset + k] = dk * Wki * q[i]
                dDz[i][b1Offset + k] = w2 * dd * Wki * q[i]
                for j in 0..<n { dDz[i][k * n + j] = w2 * (dd * x[j] * Wki + (i == j ? dk : 0)) * q[i] }
                // the log-tau part of A_i
                dDz[i][logTauIndex] += w2 * dd * Wki * preLogTau * q[i]
            }
        }
        dValue[b2Index] = 1
        for i in 0..<n {
            dValue[logTauIndex] += A[i] * dxLogTau[i]
            dDz[i][logTauIndex] += A[i] * dqLogTau[i]
        }
        return SurrogateEvaluation(value: value, dz: dz, dValue: dValue, dDz: dDz)
    }
}
