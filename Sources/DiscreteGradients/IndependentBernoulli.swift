/// A vector of independent Bernoullis b_i ~ Bern(sigmoid(a_i)), parameterised by logits a.
/// The building block of the lecture's and the RELAX draft's toy problems.
public struct IndependentBernoulli: Sendable {
    public var logits: [Double]
    public init(logits: [Double]) { self.logits = logits }

    public var count: Int { logits.count }
    public var probabilities: [Double] { logits.map(Fn.sigmoid) }

    /// One sample, b_i in {0, 1}.
    public func sample(_ stream: inout RandomStream) -> [Double] {
        logits.map { stream.uniform() < Fn.sigmoid($0) ? 1 : 0 }
    }
    public func logProbability(_ b: [Double]) -> Double {
        zip(b, logits).reduce(0) { $0 + ($1.0 > 0.5 ? Fn.logSigmoid($1.1) : Fn.logSigmoid(-$1.1)) }
    }
    /// The score d/da log p(b) = b - sigmoid(a), per coordinate.
    public func score(_ b: [Double]) -> [Double] { zip(b, logits).map { $0 - Fn.sigmoid($1) } }

    /// Every configuration with its probability (2^n of them): the exact oracle for small n.
    public func enumerate() -> [(b: [Double], p: Double)] {
        precondition(count <= 24, "IndependentBernoulli.enumerate: 2^\(count) configurations is too many")
        return (0..<(1 << count)).map { code in
            let b = (0..<count).map { Double((code >> $0) & 1) }
            return (b, exp(logProbability(b)))
        }
    }
    /// E[f(b)] exactly.
    public func expectation(_ f: ([Double]) -> Double) -> Double {
        enumerate().reduce(0) { $0 + $1.p * f($1.b) }
    }
    /// d/da E[f(b)] exactly: sum_b p(b) f(b) (b - sigmoid(a)).
    public func gradient(_ f: ([Double]) -> Double) -> [Double] {
        var g = [Double](repeating: 0, count: count)
        for (b, p) in enumerate() {
            let fb = f(b)
            for (i, s) in score(b).enumerated() { g[i] += p * fb * s }
        }
        return g
    }
}

import Foundation
