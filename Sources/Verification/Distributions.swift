import CGSL

/// Tail probabilities, point probabilities and quantiles from GSL. Upper tails come from the
/// `_Q` functions, never from 1 - P, so small p-values keep their precision (CLAIMS.md rule 9).
public enum Dist {
    public static func normalUpper(_ z: Double) -> Double { gsl_cdf_ugaussian_Q(z) }
    public static func normalLower(_ z: Double) -> Double { gsl_cdf_ugaussian_P(z) }
    public static func normalQuantile(_ p: Double) -> Double { gsl_cdf_ugaussian_Pinv(p) }
    public static func normalUpperQuantile(_ q: Double) -> Double { gsl_cdf_ugaussian_Qinv(q) }
    public static func tUpper(_ t: Double, df: Double) -> Double { gsl_cdf_tdist_Q(t, df) }
    public static func tLower(_ t: Double, df: Double) -> Double { gsl_cdf_tdist_P(t, df) }
    public static func tUpperQuantile(_ q: Double, df: Double) -> Double { gsl_cdf_tdist_Qinv(q, df) }
    public static func chiSquaredUpper(_ x: Double, df: Double) -> Double { gsl_cdf_chisq_Q(x, df) }
    public static func chiSquaredQuantile(_ p: Double, df: Double) -> Double { gsl_cdf_chisq_Pinv(p, df) }
    public static func fUpper(_ x: Double, df1: Double, df2: Double) -> Double { gsl_cdf_fdist_Q(x, df1, df2) }
    /// P(X >= k) for X ~ Binomial(n, p).
    public static func binomialUpper(_ k: Int, n: Int, p: Double) -> Double {
        if k <= 0 { return 1 }
        if k > n { return 0 }
        return gsl_cdf_binomial_Q(UInt32(k - 1), p, UInt32(n))
    }
    /// P(X <= k) for X ~ Binomial(n, p).
    public static func binomialLower(_ k: Int, n: Int, p: Double) -> Double {
        if k < 0 { return 0 }
        if k >= n { return 1 }
        return gsl_cdf_binomial_P(UInt32(k), p, UInt32(n))
    }
    /// P(X = k) for X ~ Binomial(n, p).
    public static func binomialPMF(_ k: Int, n: Int, p: Double) -> Double {
        k < 0 || k > n ? 0 : gsl_ran_binomial_pdf(UInt32(k), p, UInt32(n))
    }
    /// P(X = k) for the hypergeometric law: k marked items among `draws` taken without
    /// replacement from `marked` marked and `unmarked` unmarked items.
    public static func hypergeometricPMF(_ k: Int, marked: Int, unmarked: Int, draws: Int) -> Double {
        guard k >= 0, k <= marked, draws - k >= 0, draws - k <= unmarked else { return 0 }
        return gsl_ran_hypergeometric_pdf(UInt32(k), UInt32(marked), UInt32(unmarked), UInt32(draws))
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

    /// Two-sided p-value of a discrete statistic by the "minimum likelihood" rule (as in R's
    /// binom.test and fisher.test): the total probability of outcomes no more likely than the
    /// observed one. A relative tolerance of 1e-7 treats floating-point ties as ties.
    /// `pmf` is evaluated over `support`; `observed` must lie in it.
    static func minimumLikelihoodPValue(observed: Int, support: ClosedRange<Int>, pmf: (Int) -> Double) -> Double {
        let limit = pmf(observed) * (1 + 1e-7)
        var total = 0.0
        for k in support {
            let p = pmf(k)
            if p <= limit { total += p }
        }
        return min(1, total)
    }
}
