import CGSL

/// Tail probabilities and quantiles from GSL's CDFs. Upper tails come from the `_Q`
/// functions, never from 1 - P, so small p-values keep their precision.
public enum Dist {
    public static func normalUpper(_ z: Double) -> Double { gsl_cdf_ugaussian_Q(z) }
    public static func normalLower(_ z: Double) -> Double { gsl_cdf_ugaussian_P(z) }
    public static func normalQuantile(_ p: Double) -> Double { gsl_cdf_ugaussian_Pinv(p) }
    public static func normalUpperQuantile(_ q: Double) -> Double { gsl_cdf_ugaussian_Qinv(q) }
    public static func tUpper(_ t: Double, df: Double) -> Double { gsl_cdf_tdist_Q(t, df) }
    public static func tLower(_ t: Double, df: Double) -> Double { gsl_cdf_tdist_P(t, df) }
    public static func tUpperQuantile(_ q: Double, df: Double) -> Double { gsl_cdf_tdist_Qinv(q, df) }
    public static func chiSquaredUpper(_ x: Double, df: Double) -> Double { gsl_cdf_chisq_Q(x, df) }
    public static func fUpper(_ x: Double, df1: Double, df2: Double) -> Double { gsl_cdf_fdist_Q(x, df1, df2) }
    /// P(X >= k) for X ~ Binomial(n, p).
    public static func binomialUpper(_ k: Int, n: Int, p: Double) -> Double {
        k <= 0 ? 1 : gsl_cdf_binomial_Q(UInt32(k - 1), p, UInt32(n))
    }
    /// P(X <= k) for X ~ Binomial(n, p).
    public static func binomialLower(_ k: Int, n: Int, p: Double) -> Double {
        k < 0 ? 0 : gsl_cdf_binomial_P(UInt32(k), p, UInt32(n))
    }
    public static func betaQuantile(_ p: Double, a: Double, b: Double) -> Double { gsl_cdf_beta_Pinv(p, a, b) }
    public static func betaUpperQuantile(_ q: Double, a: Double, b: Double) -> Double { gsl_cdf_beta_Qinv(q, a, b) }

    /// p-value of a statistic with a symmetric null distribution, for the given alternative.
    static func pValue(_ stat: Double, _ alt: Alternative, upper: (Double) -> Double) -> Double {
        switch alt {
        case .greater: return upper(stat)
        case .less: return upper(-stat)
        case .twoSided: return min(1, 2 * upper(abs(stat)))
        }
    }
}
