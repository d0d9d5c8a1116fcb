import Foundation
import DiscreteGradients

/// Nonparametric bootstrap with percentile intervals (Efron). Resampling draws come from the
/// `RandomStream` passed in, so the same stream gives the same interval, bit for bit.
///
/// Use it where no exact or t-based interval fits: log(s_A^2 / s_B^2) without a known exact
/// gradient (CLAIMS.md rule 5), a probability of improvement across seeds (rule 6).
/// A percentile interval at level 1 - a needs resamples >> 1 / a to resolve its tails.
public enum Bootstrap {
    /// The `resamples` bootstrap replicates of `statistic` over resamples (with replacement) of xs.
    public static func replicates(_ xs: [Double], resamples: Int = 2000, stream: inout RandomStream,
                                  statistic: ([Double]) -> Double) -> [Double] {
        let n = xs.count
        var sample = [Double](repeating: 0, count: n)
        return (0..<resamples).map { _ in
            for i in 0..<n { sample[i] = xs[stream.integer(below: n)] }
            return statistic(sample)
        }
    }

    /// Percentile interval for a one-sample statistic.
    public static func confidenceInterval(_ xs: [Double], level: Double = 0.95, resamples: Int = 2000,
                                          stream: inout RandomStream,
                                          statistic: ([Double]) -> Double) -> Interval {
        guard !xs.isEmpty else { return Interval(lower: .nan, upper: .nan, level: level) }
        return percentile(replicates(xs, resamples: resamples, stream: &stream, statistic: statistic), level: level)
    }

    /// Replicates of a two-sample statistic. `paired`: resample the pairs (a_i, b_i) together,
    /// which keeps common random numbers common; otherwise resample each sample on its own.
    public static func replicates(_ a: [Double], _ b: [Double], paired: Bool, resamples: Int = 2000,
                                  stream: inout RandomStream,
                                  statistic: ([Double], [Double]) -> Double) -> [Double] {
        precondition(!paired || a.count == b.count, "paired bootstrap: samples of different sizes")
        var sa = a, sb = b
        return (0..<resamples).map { _ in
            if paired {
                for i in a.indices { let j = stream.integer(below: a.count); sa[i] = a[j]; sb[i] = b[j] }
            } else {
                for i in a.indices { sa[i] = a[stream.integer(below: a.count)] }
                for i in b.indices { sb[i] = b[stream.integer(below: b.count)] }
            }
            return statistic(sa, sb)
        }
    }

    /// Percentile interval for a two-sample statistic (see `replicates(_:_:paired:...)`).
    public static func confidenceInterval(_ a: [Double], _ b: [Double], paired: Bool, level: Double = 0.95,
                                          resamples: Int = 2000, stream: inout RandomStream,
                                          statistic: ([Double], [Double]) -> Double) -> Interval {
        guard !a.isEmpty, !b.isEmpty else { return Interval(lower: .nan, upper: .nan, level: level) }
        return percentile(replicates(a, b, paired: paired, resamples: resamples, stream: &stream,
                                     statistic: statistic), level: level)
    }

    /// The (a/2, 1 - a/2) quantiles of the replicates, a = 1 - level; NaN if any replicate is NaN.
    public static func percentile(_ replicates: [Double], level: Double) -> Interval {
        guard !replicates.isEmpty, !replicates.contains(where: \.isNaN) else {
            return Interval(lower: .nan, upper: .nan, level: level)
        }
        let a = 1 - level
        return Interval(lower: Summary.quantile(replicates, a / 2),
                        upper: Summary.quantile(replicates, 1 - a / 2), level: level)
    }

    /// log(s_A^2 / s_B^2), the variance-ordering statistic of CLAIMS.md rule 5.
    public static func logVarianceRatio(_ a: [Double], _ b: [Double]) -> Double {
        Foundation.log(Summary(a).variance) - Foundation.log(Summary(b).variance)
    }

    /// Percentile interval on log(s_A^2 / s_B^2); pass `paired: true` for common random numbers.
    public static func logVarianceRatioInterval(_ a: [Double], _ b: [Double], paired: Bool, level: Double = 0.95,
                                                resamples: Int = 2000, stream: inout RandomStream) -> Interval {
        confidenceInterval(a, b, paired: paired, level: level, resamples: resamples, stream: &stream,
                           statistic: logVarianceRatio)
    }

    /// Bootstrap test of H0: log(var A / var B) = 0 (`.less`: A has the lower variance). The
    /// p-value is the percentile-bootstrap tail, (1 + #replicates on the null side of 0) /
    /// (1 + resamples), which inverts the percentile interval; it cannot go below
    /// 1 / (1 + resamples), so use resamples > 1 / alpha. The interval is at level 1 - alpha
    /// (one-sided for one-sided alternatives). No power is stated: set it if the design has one.
    public static func varianceRatioTest(_ a: [Double], _ b: [Double], paired: Bool,
                                         alternative: Alternative = .twoSided, alpha: Double,
                                         resamples: Int = 10_000, stream: inout RandomStream,
                                         label: String = "log(var A / var B)") -> TestResult {
        let observed = logVarianceRatio(a, b)
        let reps = replicates(a, b, paired: paired, resamples: resamples, stream: &stream,
                              statistic: logVarianceRatio)
        let finite = !reps.contains(where: \.isNaN) && observed.isFinite
        let atOrAbove = Double(reps.filter { $0 >= 0 }.count), atOrBelow = Double(reps.filter { $0 <= 0 }.count)
        let b1 = Double(resamples + 1)
        var p: Double
        switch alternative {
        case .less: p = (atOrAbove + 1) / b1
        case .greater: p = (atOrBelow + 1) / b1
        case .twoSided: p = min(1, 2 * (min(atOrAbove, atOrBelow) + 1) / b1)
        }
        if !finite { p = .nan }
        var interval = percentile(reps, level: 1 - (alternative == .twoSided ? alpha : 2 * alpha))
        interval.level = 1 - alpha
        if alternative == .less { interval.lower = -.infinity }
        if alternative == .greater { interval.upper = .infinity }
        return TestResult(test: "bootstrap test of a variance ratio (\(paired ? "paired, " : "")\(resamples) resamples, \(alternative.rawValue))",
                          null: "\(label) = 0", alternative: "\(label) \(symbol(alternative)) 0",
                          statisticName: label, statistic: observed, pValue: p, alpha: alpha,
                          sampleSize: a.count + b.count, estimate: observed, interval: interval)
    }
}
