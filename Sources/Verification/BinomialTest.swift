import Foundation

/// The exact binomial test of a success rate, with Clopper-Pearson intervals.
///
/// Used for rates: how often a bound is violated (CLAIMS.md rule 7), how often one method beats
/// another across seeds, and by `SignTest`.
public enum BinomialTest {
    /// Exact test of H0: rate = p0 with `successes` out of `trials`. Two-sided p-values follow the
    /// minimum-likelihood rule (sum of the probabilities of outcomes no more likely than the
    /// observed one, as R's binom.test and scipy.stats.binomtest). The interval is Clopper-Pearson
    /// at level 1 - alpha (one-sided for one-sided alternatives).
    public static func test(successes k: Int, trials n: Int, p0: Double, alternative: Alternative = .twoSided,
                            alpha: Double, label: String = "rate") -> TestResult {
        precondition(n >= 0 && k >= 0 && k <= n, "binomial test: \(k) successes out of \(n)")
        precondition(p0 >= 0 && p0 <= 1, "binomial test: p0 = \(p0)")
        let p = n == 0 ? Double.nan : pValue(successes: k, trials: n, p0: p0, alternative: alternative)
        return TestResult(test: "exact binomial test (\(alternative.rawValue))",
                          null: "\(label) = \(fmt(p0))",
                          alternative: "\(label) \(symbol(alternative)) \(fmt(p0))",
                          statisticName: "successes", statistic: Double(k), pValue: p, alpha: alpha,
                          sampleSize: n, estimate: n == 0 ? nil : Double(k) / Double(n),
                          interval: n == 0 ? nil : clopperPearson(successes: k, trials: n, level: 1 - alpha,
                                                                  alternative: alternative),
                          effectSize: n == 0 ? nil : cohensH(Double(k) / Double(n), p0))
    }

    /// For an "always" bound (CLAIMS.md rule 7): H0 violation rate >= `tolerated`, H1 rate <
    /// `tolerated`. Rejecting H0 supports the bound (design `.claimIsAlternative`); the interval is
    /// the one-sided (1 - alpha) Clopper-Pearson upper limit on the violation rate.
    public static func violations(_ count: Int, trials n: Int, tolerated rate: Double, alpha: Double,
                                  label: String = "violation rate") -> TestResult {
        var r = test(successes: count, trials: n, p0: rate, alternative: .less, alpha: alpha, label: label)
        r.null = "\(label) >= \(fmt(rate))"
        r.test = "exact binomial test of a violation rate (less)"
        return r
    }

    /// p-value of the exact test (see `test`).
    public static func pValue(successes k: Int, trials n: Int, p0: Double, alternative: Alternative) -> Double {
        switch alternative {
        case .greater: return Dist.binomialUpper(k, n: n, p: p0)
        case .less: return Dist.binomialLower(k, n: n, p: p0)
        case .twoSided:
            if p0 == 0 || p0 == 1 { return Double(k) == p0 * Double(n) ? 1 : 0 }
            // Sum each tail with GSL's CDFs (precise for small p): outcomes on the far side of the
            // mean that are no more likely than k.
            let limit = Dist.binomialPMF(k, n: n, p: p0) * (1 + 1e-7)
            let mean = p0 * Double(n)
            if Double(k) == mean { return 1 }
            if Double(k) < mean {
                var j = Int(mean.rounded(.up))
                while j <= n && Dist.binomialPMF(j, n: n, p: p0) > limit { j += 1 }
                return min(1, Dist.binomialLower(k, n: n, p: p0) + Dist.binomialUpper(j, n: n, p: p0))
            } else {
                var j = Int(mean.rounded(.down))
                while j >= 0 && Dist.binomialPMF(j, n: n, p: p0) > limit { j -= 1 }
                return min(1, Dist.binomialUpper(k, n: n, p: p0) + Dist.binomialLower(j, n: n, p: p0))
            }
        }
    }

    /// The outcomes k in 0...n the test rejects at alpha (used for exact power and size).
    public static func rejectionRegion(trials n: Int, p0: Double, alternative: Alternative, alpha: Double) -> [Int] {
        (0...n).filter { pValue(successes: $0, trials: n, p0: p0, alternative: alternative) < alpha }
    }

    /// Clopper-Pearson ("exact") interval for a binomial rate at the given level: two-sided
    /// [B(a/2; k, n-k+1), B(1-a/2; k+1, n-k)] with a = 1 - level, or the matching one-sided
    /// bound (`.greater`: lower bound only; `.less`: upper bound only).
    public static func clopperPearson(successes k: Int, trials n: Int, level: Double = 0.95,
                                      alternative: Alternative = .twoSided) -> Interval {
        precondition(n >= 1 && k >= 0 && k <= n, "Clopper-Pearson: \(k) successes out of \(n)")
        let a = 1 - level
        let tail = alternative == .twoSided ? a / 2 : a
        let lower = (alternative == .less || k == 0) ? 0
            : Dist.betaQuantile(tail, a: Double(k), b: Double(n - k + 1))
        let upper = (alternative == .greater || k == n) ? 1
            : Dist.betaUpperQuantile(tail, a: Double(k + 1), b: Double(n - k))
        return Interval(lower: lower, upper: upper, level: level)
    }

    /// One-sided upper confidence limit on a rate (e.g. of violations of an "always" bound):
    /// the p with P(X <= k | p) = 1 - level. With k = 0 it is 1 - (1 - level)^(1/n).
    public static func upperLimit(successes k: Int, trials n: Int, level: Double = 0.95) -> Double {
        clopperPearson(successes: k, trials: n, level: level, alternative: .less).upper
    }

    /// One-sided lower confidence limit on a rate.
    public static func lowerLimit(successes k: Int, trials n: Int, level: Double = 0.95) -> Double {
        clopperPearson(successes: k, trials: n, level: level, alternative: .greater).lower
    }

    /// Cohen's h, the effect size for proportions: 2 asin sqrt(p1) - 2 asin sqrt(p0).
    public static func cohensH(_ p1: Double, _ p0: Double) -> Double {
        2 * (asin(p1.squareRoot()) - asin(p0.squareRoot()))
    }
}

