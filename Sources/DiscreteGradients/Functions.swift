import Foundation

/// Scalar functions used across estimators, written to stay finite for large |x|.
public enum Fn {
    @inlinable public static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + exp(-x)) : { let e = exp(x); return e / (1 + e) }()
    }
    /// log sigmoid(x) = -softplus(-x).
    @inlinable public static func logSigmoid(_ x: Double) -> Double { -softplus(-x) }
    /// log(1 + e^x).
    @inlinable public static func softplus(_ x: Double) -> Double {
        x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
    }
    @inlinable public static func logit(_ p: Double) -> Double { log(p) - log1p(-p) }
    public static func logSumExp(_ xs: [Double]) -> Double {
        guard let m = xs.max(), m.isFinite else { return xs.max() ?? -.infinity }
        return m + log(xs.reduce(0) { $0 + exp($1 - m) })
    }
    public static func softmax(_ xs: [Double]) -> [Double] {
        let m = xs.max() ?? 0
        let e = xs.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}

/// Plain summaries of a sample (the GSL-backed ones live in Verification).
public extension Array where Element == Double {
    var mean: Double { isEmpty ? .nan : reduce(0, +) / Double(count) }
    /// Unbiased sample variance (divides by n - 1), like gsl_stats_variance.
    var sampleVariance: Double {
        guard count > 1 else { return .nan }
        let m = mean
        return reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(count - 1)
    }
}
