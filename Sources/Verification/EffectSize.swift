import DiscreteGradients

/// Cohen's d in its usual forms. Report one with every comparison (CLAIMS.md rule 6) and feed
/// it to `Power` for the seeds needed at the observed effect.
public enum CohensD {
    /// (mean - mu0) / sd for one sample.
    public static func oneSample(_ xs: [Double], mu0: Double = 0) -> Double {
        let s = Summary(xs)
        return (s.mean - mu0) / s.sd
    }
    /// d_z = mean(a - b) / sd(a - b), the effect that drives a paired t-test's power.
    public static func paired(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "paired Cohen's d: samples of different sizes")
        return oneSample(zip(a, b).map { $0 - $1 })
    }
    /// (mean A - mean B) / pooled sd, pooled with n - 1 weights (the classic two-sample d).
    public static func twoSample(_ a: [Double], _ b: [Double]) -> Double {
        let sa = Summary(a), sb = Summary(b)
        let pooled = ((Double(sa.n - 1) * sa.variance + Double(sb.n - 1) * sb.variance) / Double(sa.n + sb.n - 2))
        return (sa.mean - sb.mean) / pooled.squareRoot()
    }
    /// (mean A - mean B) / sqrt((s_A^2 + s_B^2) / 2), the form `TTest.welch` reports.
    public static func averageVariance(_ a: [Double], _ b: [Double]) -> Double {
        let sa = Summary(a), sb = Summary(b)
        return (sa.mean - sb.mean) / ((sa.variance + sb.variance) / 2).squareRoot()
    }
    /// Hedges' g: the two-sample d times the small-sample correction 1 - 3 / (4 (n_A + n_B) - 9).
    public static func hedgesG(_ a: [Double], _ b: [Double]) -> Double {
        twoSample(a, b) * (1 - 3 / (4 * Double(a.count + b.count) - 9))
    }
}

/// Probability of improvement P(A > B) + P(A = B) / 2 for one scalar per seed of two methods
/// (CLAIMS.md rule 6): the chance that a random run of A beats a random run of B. 0.5 means no
/// difference; it is scale-free and robust to outlying seeds. A beats B when its value is LARGER:
/// for losses, pass negated values (or swap the arguments).
public enum ProbabilityOfImprovement {
    /// The estimate over all n_A n_B pairs (= Mann-Whitney U / (n_A n_B)).
    public static func estimate(_ a: [Double], _ b: [Double]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return .nan }
        var wins = 0.0
        for x in a { for y in b { wins += x > y ? 1 : (x == y ? 0.5 : 0) } }
        return wins / Double(a.count * b.count)
    }

    /// Percentile-bootstrap interval (each sample resampled on its own).
    public static func confidenceInterval(_ a: [Double], _ b: [Double], level: Double = 0.95,
                                          resamples: Int = 2000, stream: inout RandomStream) -> Interval {
        Bootstrap.confidenceInterval(a, b, paired: false, level: level, resamples: resamples,
                                     stream: &stream, statistic: estimate)
    }

    /// The Mann-Whitney test of H0: P(A > B) + P(A = B)/2 = 0.5, reported with the probability of
    /// improvement as its estimate and a (1 - alpha) bootstrap interval (one-sided if the test is).
    public static func test(_ a: [Double], _ b: [Double], alternative: Alternative = .greater, alpha: Double,
                            resamples: Int = 2000, stream: inout RandomStream,
                            label: String = "P(A beats B)") -> TestResult {
        var r = MannWhitney.test(a, b, alternative: alternative, alpha: alpha, label: label)
        let level = alternative == .twoSided ? 1 - alpha : 1 - 2 * alpha
        var interval = confidenceInterval(a, b, level: level, resamples: resamples, stream: &stream)
        interval.level = 1 - alpha
        if alternative == .greater { interval.upper = 1 }
        if alternative == .less { interval.lower = 0 }
        r.interval = interval
        r.test = "probability of improvement: " + r.test + ", bootstrap interval"
        return r
    }
}
