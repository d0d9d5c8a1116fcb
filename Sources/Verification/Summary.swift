import CGSL

/// Sample summaries through gsl_stats_* (variance divides by n - 1).
public struct Summary: Codable, Sendable {
    public var n: Int
    public var mean: Double
    public var variance: Double
    public var sd: Double { variance.squareRoot() }
    public var standardError: Double { (variance / Double(n)).squareRoot() }

    public init(_ xs: [Double]) {
        n = xs.count
        mean = xs.isEmpty ? .nan : xs.withUnsafeBufferPointer { gsl_stats_mean($0.baseAddress, 1, xs.count) }
        variance = xs.count < 2 ? .nan : xs.withUnsafeBufferPointer { gsl_stats_variance($0.baseAddress, 1, xs.count) }
    }

    /// The q-quantile (0...1) of a sample by GSL's linear interpolation.
    public static func quantile(_ xs: [Double], _ q: Double) -> Double {
        guard !xs.isEmpty else { return .nan }
        var s = xs
        s.sort()
        return s.withUnsafeBufferPointer { gsl_stats_quantile_from_sorted_data($0.baseAddress, 1, s.count, q) }
    }
    public static func median(_ xs: [Double]) -> Double { quantile(xs, 0.5) }
}
