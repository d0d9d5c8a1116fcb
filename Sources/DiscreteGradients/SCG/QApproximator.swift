import Foundation

/// A learned Q-function Q_w(Sc_X) (Section 3.1): linear in features of the scope's values,
/// trained by the one-step SGD rule w <- w + alpha (Q_tar - Q_w) grad_w Q_w.
///
/// - `.tabular`: one weight per joint scope value (exact representation; TD converges to the
///   true Q with a 1/n step size);
/// - `.linear`: a bias plus one weight per non-zero value of each scope variable (no
///   interactions: cannot fit every Q, so eps of Theorem 2 stays positive).
///
/// With `tracking` set, a slow-tracking target copy (Appendix 4.3) follows the learned weights:
/// theta_t <- theta_t + tau * Delta theta, where Delta theta = w - theta_t is the part of the
/// learned parameters the target has not absorbed yet.
public struct QApproximator: Sendable, Codable {
    public enum Kind: String, Sendable, Codable { case tabular, linear }
    public enum StepSize: Sendable, Codable, Equatable {
        case constant(Double)
        /// alpha = 1 / n^power for the n-th visit of the active table entry (tabular only;
        /// linear approximators use 1 / n^power in the number of updates).
        case visitCount(power: Double)
    }

    public let kind: Kind
    public let arities: [Int]
    public private(set) var weights: [Double]
    public private(set) var visits: [Double]
    public private(set) var target: [Double]?
    public var tracking: Double?

    public init(kind: Kind, arities: [Int], initial: Double = 0, tracking: Double? = nil) {
        self.kind = kind; self.arities = arities
        let n = kind == .tabular ? arities.reduce(1, *) : 1 + arities.reduce(0) { $0 + $1 - 1 }
        weights = [Double](repeating: 0, count: n)
        weights[0] = initial
        if kind == .tabular { for i in weights.indices { weights[i] = initial } }
        visits = [Double](repeating: 0, count: n)
        self.tracking = tracking
        target = tracking == nil ? nil : weights
    }

    public func features(_ values: [Int]) -> [(Int, Double)] {
        switch kind {
        case .tabular: return [(MixedRadix.code(values, arities), 1)]
        case .linear:
            var out: [(Int, Double)] = [(0, 1)]
            var offset = 1
            for (v, a) in zip(values, arities) {
                if v > 0 { out.append((offset + v - 1, 1)) }
                offset += a - 1
            }
            return out
        }
    }

    public func value(_ values: [Int]) -> Double { features(values).reduce(0) { $0 + weights[$1.0] * $1.1 } }
    /// The value used to build other Q-functions' targets: the slow-tracking copy if any.
    public func targetValue(_ values: [Int]) -> Double {
        guard let t = target else { return value(values) }
        return features(values).reduce(0) { $0 + t[$1.0] * $1.1 }
    }

    /// One SGD step toward the sample target: w <- w + alpha * delta * grad_w Q_w (Section 3.1).
    public mutating func update(_ values: [Int], delta: Double, step: StepSize) {
        let f = features(values)
        let lead = kind == .tabular ? f[0].0 : 0
        visits[lead] += 1
        let alpha: Double
        switch step {
        case .constant(let a): alpha = a
        case .visitCount(let p): alpha = 1 / Double.pow(visits[lead], p)
        }
        for (j, v) in f { weights[j] += alpha * delta * v }
        if let tau = tracking, var t = target {
            for j in t.indices { t[j] += tau * (weights[j] - t[j]) }
            target = t
        }
    }

    /// Sets the weights directly (constructions in the Theorem 2 check).
    public mutating func setWeights(_ w: [Double]) {
        precondition(w.count == weights.count); weights = w
        if target != nil { target = w }
    }

    /// The function as a table over the scope's joint values.
    public var table: [Double] {
        var t: [Double] = []
        MixedRadix.forEach(arities) { t.append(value($0)) }
        return t
    }
}

extension Double {
    static func pow(_ x: Double, _ p: Double) -> Double { p == 1 ? x : Foundation.pow(x, p) }
}
