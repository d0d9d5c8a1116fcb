import Foundation

/// Student and Welch t-tests on GSL's t distribution.
public enum TTest {
    /// One-sample t-test of H0: mean = mu0.
    public static func oneSample(_ xs: [Double], mu0: Double = 0, alternative: Alternative = .twoSided,
                                 alpha: Double, label: String = "mean") -> TestResult {
        let s = Summary(xs)
        let df = Double(s.n - 1)
        let se = s.standardError
        let t = ratio(s.mean - mu0, se)
        let p = s.n < 2 ? Double.nan : Dist.pValue(t, alternative) { Dist.tUpper($0, df: df) }
        let ci = confidenceInterval(mean: s.mean, se: se, df: df, alpha: alpha, alternative: alternative)
        return TestResult(test: "one-sample t-test (\(alternative.rawValue))",
                          null: "\(label) = \(fmt(mu0))",
                          alternative: "\(label) \(symbol(alternative)) \(fmt(mu0))",
                          statisticName: "t", statistic: t, degreesOfFreedom: df, pValue: p, alpha: alpha,
                          sampleSize: s.n, estimate: s.mean, interval: ci,
                          effectSize: s.sd > 0 ? (s.mean - mu0) / s.sd : nil)
    }

    /// Paired t-test: a one-sample test on the differences a_i - b_i (common random numbers).
    public static func paired(_ a: [Double], _ b: [Double], alternative: Alternative = .twoSided,
                              alpha: Double, label: String = "mean difference") -> TestResult {
        precondition(a.count == b.count, "paired t-test: samples of different sizes")
        var r = oneSample(zip(a, b).map { $0 - $1 }, mu0: 0, alternative: alternative, alpha: alpha, label: label)
        r.test = "paired t-test (\(alternative.rawValue))"
        return r
    }

    /// Welch's unequal-variance t-test of H0: mean(a) = mean(b).
    public static func welch(_ a: [Double], _ b: [Double], alternative: Alternative = .twoSided,
                             alpha: Double, label: String = "mean(A) - mean(B)") -> TestResult {
        let sa = Summary(a), sb = Summary(b)
        let va = sa.variance / Double(sa.n), vb = sb.variance / Double(sb.n)
        let se = (va + vb).squareRoot()
        let diff = sa.mean - sb.mean
        let t = ratio(diff, se)
        // Welch-Satterthwaite degrees of freedom.
        let df = (va + vb) * (va + vb) / (va * va / Double(sa.n - 1) + vb * vb / Double(sb.n - 1))
        // With both samples constant, df is 0/0: any positive df gives the exact answer (t is 0 or +-inf).
        let p = (sa.n < 2 || sb.n < 2) ? Double.nan
            : Dist.pValue(t, alternative) { Dist.tUpper($0, df: df.isNaN ? 1 : df) }
        let pooledSD = ((sa.variance + sb.variance) / 2).squareRoot()
        return TestResult(test: "Welch t-test (\(alternative.rawValue))", null: "\(label) = 0",
                          alternative: "\(label) \(symbol(alternative)) 0", statisticName: "t", statistic: t,
                          degreesOfFreedom: df, pValue: p, alpha: alpha, sampleSize: sa.n + sb.n, estimate: diff,
                          interval: confidenceInterval(mean: diff, se: se, df: df, alpha: alpha, alternative: alternative),
                          effectSize: pooledSD > 0 ? diff / pooledSD : nil)
    }

    /// x / se with the limits of a constant sample: 0 when x = 0, +-infinity otherwise (never NaN).
    static func ratio(_ x: Double, _ se: Double) -> Double {
        if se == 0 { return x == 0 ? 0 : (x > 0 ? .infinity : -.infinity) }
        return x / se
    }

    /// The (1 - alpha) interval matching the test: two-sided, or one-sided bound for one-sided tests.
    static func confidenceInterval(mean: Double, se: Double, df: Double, alpha: Double, alternative: Alternative) -> Interval? {
        guard df > 0, se.isFinite else { return nil }
        switch alternative {
        case .twoSided:
            let q = Dist.tUpperQuantile(alpha / 2, df: df)
            return Interval(lower: mean - q * se, upper: mean + q * se, level: 1 - alpha)
        case .greater:
            return Interval(lower: mean - Dist.tUpperQuantile(alpha, df: df) * se, upper: .infinity, level: 1 - alpha)
        case .less:
            return Interval(lower: -.infinity, upper: mean + Dist.tUpperQuantile(alpha, df: df) * se, level: 1 - alpha)
        }
    }
}

/// Two one-sided tests (TOST) for equivalence: H0 |mean - target| >= delta, H1 |mean - target| < delta.
/// Rejecting H0 (p < alpha) means the (1 - 2 alpha) interval lies inside target +- delta.
public enum Equivalence {
    public static func tost(_ xs: [Double], target: Double, margin delta: Double, alpha: Double,
                            label: String = "mean") -> TestResult {
        precondition(delta > 0, "TOST needs a positive margin")
        let s = Summary(xs)
        let df = Double(s.n - 1)
        let se = s.standardError
        let tLower = TTest.ratio(s.mean - (target - delta), se)
        let tUpper = TTest.ratio(s.mean - (target + delta), se)
        let p = s.n < 2 ? Double.nan : max(Dist.tUpper(tLower, df: df), Dist.tLower(tUpper, df: df))
        let ci = TTest.confidenceInterval(mean: s.mean, se: se, df: df, alpha: 2 * alpha, alternative: .twoSided)
        // Power at a true difference of 0 (the design point of an unbiasedness check).
        let power = tostPower(se: se, df: df, margin: delta, alpha: alpha)
        return TestResult(test: "TOST equivalence", null: "|\(label) - \(fmt(target))| >= \(fmt(delta))",
                          alternative: "|\(label) - \(fmt(target))| < \(fmt(delta))", statisticName: "t",
                          statistic: min(tLower, -tUpper), degreesOfFreedom: df, pValue: p, alpha: alpha,
                          sampleSize: s.n, estimate: s.mean, interval: ci, effectSize: nil,
                          power: power, designEffect: 0)
    }

    /// Power of TOST when the true difference is 0, taking the observed standard error as the
    /// true one (normal approximation; `Power.tost` gives the exact design power).
    public static func tostPower(se: Double, df: Double, margin: Double, alpha: Double) -> Double {
        guard se > 0, df >= 1 else { return se == 0 ? 1 : 0 }
        let q = Dist.tUpperQuantile(alpha, df: df)
        let z = margin / se - q
        return max(0, 1 - 2 * Dist.normalUpper(z))
    }
}

func symbol(_ a: Alternative) -> String {
    switch a { case .twoSided: "!="; case .greater: ">"; case .less: "<" }
}

/// Short numeric formatting for hypothesis texts.
public func fmt(_ x: Double, _ digits: Int = 4) -> String {
    if x == 0 { return "0" }
    if !x.isFinite { return x.isNaN ? "NaN" : (x > 0 ? "inf" : "-inf") }
    let a = abs(x)
    if a >= 1e-3 && a < 1e5 {
        var s = String(format: "%.\(digits)g", x)
        if s.contains("e") { s = String(format: "%.\(digits)f", x) }
        return s
    }
    return String(format: "%.\(max(1, digits - 1))e", x)
}
