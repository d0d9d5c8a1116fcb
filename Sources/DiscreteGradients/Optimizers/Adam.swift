import CKernels
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
        // The loop is C (`dg_adam_step`, CKernels): per parameter m = b1 m + (1 - b1) g,
        // v = b2 v + ((1 - b2) g) g, p = p + (rate (m inverseC1)) / (sqrt(v inverseC2) + eps), the operations
        // and order of the former Swift loop (bit-for-bit the same results), vectorised with AVX2 where the
        // CPU has it: a square root and a division per parameter bound the loop, and SSE2 does two at a time.
        let count = parameters.count
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
                gradient.withUnsafeBufferPointer { g in
                    parameters.withUnsafeMutableBufferPointer { p in
                        dg_adam_step(count, p.baseAddress, g.baseAddress, m.baseAddress, v.baseAddress,
                                     b1, b2, inverseC1, inverseC2, signedRate, eps)
                    }
                }
            }
        }
    }

    /// The per-step constants of `update`, for a step taken block by block (`beginStep`, then `update(segment:)`
    /// on consecutive ranges of the moments): the same numbers as one `update` of the blocks' concatenation,
    /// without building it.
    struct StepConstants { let inverseC1: Double, inverseC2: Double, signedRate: Double }
    mutating func beginStep(_ direction: Direction) -> StepConstants {
        step += 1
        return StepConstants(inverseC1: 1 / (1 - pow(beta1, Double(step))), inverseC2: 1 / (1 - pow(beta2, Double(step))),
                             signedRate: direction == .descend ? -learningRate : learningRate)
    }
    /// Updates `parameters` with `gradient` against moments [offset, offset + count), and advances offset.
    mutating func update(segment parameters: inout [Double], gradient: [Double], offset: inout Int, _ c: StepConstants) {
        let count = parameters.count
        precondition(gradient.count == count && offset + count <= firstMoment.count, "Adam: segment out of range")
        let (b1, b2, eps, start) = (beta1, beta2, epsilon, offset)
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
                gradient.withUnsafeBufferPointer { g in
                    parameters.withUnsafeMutableBufferPointer { p in
                        guard count > 0 else { return }
                        dg_adam_step(count, p.baseAddress, g.baseAddress, m.baseAddress! + start, v.baseAddress! + start,
                                     b1, b2, c.inverseC1, c.inverseC2, c.signedRate, eps)
                    }
                }
            }
        }
        offset += count
    }

    /// One Adam step on a matrix of parameters.
    public mutating func update(_ parameters: inout Matrix, gradient: Matrix, _ direction: Direction = .descend) {
        precondition(parameters.rows == gradient.rows && parameters.cols == gradient.cols, "Adam: gradient shape differs from parameters")
        update(&parameters.data, gradient: gradient.data, direction)
    }
}
