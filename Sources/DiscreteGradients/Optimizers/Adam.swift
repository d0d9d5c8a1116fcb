import Foundation

/// Adam (Kingma and Ba, 2014, Algorithm 1) for one block of parameters: a matrix or a vector.
///
/// Keep one `Adam` per parameter block (a layer's weights, its biases); every block of a network
/// steps together, so their step counters agree. With gradient g_t at step t:
///   m_t = beta1 m_{t-1} + (1 - beta1) g_t,   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2,
///   theta_t = theta_{t-1} -/+ lr * mhat_t / (sqrt(vhat_t) + eps),  mhat_t = m_t / (1 - beta1^t), vhat_t = v_t / (1 - beta2^t).
/// Defaults are the paper's: beta1 0.9, beta2 0.999, eps 1e-8.
public struct Adam: Sendable, Codable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public private(set) var step: Int = 0
    public private(set) var firstMoment: [Double]
    public private(set) var secondMoment: [Double]

    public init(parameterCount: Int, learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        precondition(learningRate > 0 && (0..<1).contains(beta1) && (0..<1).contains(beta2) && epsilon > 0, "Adam: bad hyperparameters")
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        firstMoment = [Double](repeating: 0, count: parameterCount)
        secondMoment = firstMoment
    }

    /// Whether a step moves against the gradient (minimising a loss) or along it (maximising a reward).
    public enum Direction: Sendable { case descend, ascend }

    /// One Adam step on `parameters` with `gradient`.
    public mutating func update(_ parameters: inout [Double], gradient: [Double], _ direction: Direction = .descend) {
        precondition(parameters.count == firstMoment.count && gradient.count == firstMoment.count,
                     "Adam: \(parameters.count) parameters and \(gradient.count) gradients for a block of \(firstMoment.count)")
        step += 1
        let b1 = beta1, b2 = beta2, eps = epsilon
        // Bias corrections as in Algorithm 1 (eps added to sqrt(vhat), not to sqrt(v)).
        let inverseC1 = 1 / (1 - pow(b1, Double(step))), inverseC2 = 1 / (1 - pow(b2, Double(step)))
        let signedRate = direction == .descend ? -learningRate : learningRate
        let count = parameters.count
        firstMoment.withUnsafeMutableBufferPointer { mBuffer in
            secondMoment.withUnsafeMutableBufferPointer { vBuffer in
                gradient.withUnsafeBufferPointer { gBuffer in
                    parameters.withUnsafeMutableBufferPointer { pBuffer in
                        let m = mBuffer.baseAddress!, v = vBuffer.baseAddress!
                        let g = gBuffer.baseAddress!, p = pBuffer.baseAddress!
                        // Eight parameters at a time: the same operations in the same order as the scalar
                        // tail below, so the result is bit-for-bit the scalar loop's (a scalar loop here is
                        // not vectorised and waits on every division and square root in turn).
                        typealias Lanes = SIMD8<Double>
                        let lb1 = Lanes(repeating: b1), lb2 = Lanes(repeating: b2)
                        let lOneMinusB1 = Lanes(repeating: 1 - b1), lOneMinusB2 = Lanes(repeating: 1 - b2)
                        let lc1 = Lanes(repeating: inverseC1), lc2 = Lanes(repeating: inverseC2)
                        let lRate = Lanes(repeating: signedRate), lEps = Lanes(repeating: eps)
                        var start = 0
                        while start + 8 <= count {
                            let gi = UnsafeRawPointer(g + start).loadUnaligned(as: Lanes.self)
                            let mi = lb1 * UnsafeRawPointer(m + start).loadUnaligned(as: Lanes.self) + lOneMinusB1 * gi
                            let vi = lb2 * UnsafeRawPointer(v + start).loadUnaligned(as: Lanes.self) + lOneMinusB2 * gi * gi
                            UnsafeMutableRawPointer(m + start).storeBytes(of: mi, as: Lanes.self)
                            UnsafeMutableRawPointer(v + start).storeBytes(of: vi, as: Lanes.self)
                            let pi = UnsafeRawPointer(p + start).loadUnaligned(as: Lanes.self)
                                + lRate * (mi * lc1) / ((vi * lc2).squareRoot() + lEps)
                            UnsafeMutableRawPointer(p + start).storeBytes(of: pi, as: Lanes.self)
                            start += 8
                        }
                        for i in start..<count {
                            let gi = g[i]
                            let mi = b1 * m[i] + (1 - b1) * gi
                            let vi = b2 * v[i] + (1 - b2) * gi * gi
                            m[i] = mi
                            v[i] = vi
                            p[i] += signedRate * (mi * inverseC1) / ((vi * inverseC2).squareRoot() + eps)
                        }
                    }
                }
            }
        }
    }

    /// One Adam step on a matrix of parameters.
    public mutating func update(_ parameters: inout Matrix, gradient: Matrix, _ direction: Direction = .descend) {
        precondition(parameters.rows == gradient.rows && parameters.cols == gradient.cols, "Adam: gradient shape differs from parameters")
        update(&parameters.data, gradient: gradient.data, direction)
    }
}
