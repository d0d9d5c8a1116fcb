import CGSL
import DiscreteGradients
import Foundation

/// Tail probabilities, point probabilities and quantiles from GSL. Upper tails come from the
/// `_Q` functions, never from 1 - P, so small p-values keep their precision (CLAIMS.md rule 9).
public enum Dist {
    public static func normalUpper(_ z: Double) -> Double { GSL.configure(); return gsl_cdf_ugaussian_Q(z) }
    public static func normalLower(_ z: Double) -> Double { GSL.configure(); return gsl_cdf_ugaussian_P(z) }
    public static func normalQuantile(_ p: Double) -> Double { GSL.configure(); return gsl_cdf_ugaussian_Pinv(p) }
    public static func normalUpperQuantile(_ q: Double) -> Double { GSL.configure(); return gsl_cdf_ugaussian_Qinv(q) }
    public static func tUpper(_ t: Double, df: Double) -> Double { GSL.configure(); return gsl_cdf_tdist_Q(t, df) }
    public static func tLower(_ t: Double, df: Double) -> Double { GSL.configure(); return gsl_cdf_tdist_P(t, df) }
    public static func tUpperQuantile(_ q: Double, df: Double) -> Double { GSL.configure(); return gsl_cdf_tdist_Qinv(q, df) }
    public static func chiSquaredUpper(_ x: Double, df: Double) -> Double { GSL.configure(); return gsl_cdf_chisq_Q(x, df) }
    /// The p-quantile of chi^2(df). GSL's inversion fails to converge for some large df (seen
    /// from df ~ 1800); there the Wilson-Hilferty cube-root approximation is used (relative
    /// error ~1e-5 at such df).
    public static func chiSquaredQuantile(_ p: Double, df: Double) -> Double {
        GSL.configure()
        let exact = gsl_cdf_chisq_Pinv(p, df)
        if exact.isFinite || !(p > 0 && p < 1) { return exact }
        return wilsonHilferty(z: normalQuantile(p), df: df)
    }
    /// The value exceeded with probability q under chi^2(df) (precise for tiny q, unlike
    /// `chiSquaredQuantile(1 - q)`); Wilson-Hilferty where GSL's inversion does not converge.
    public static func chiSquaredUpperQuantile(_ q: Double, df: Double) -> Double {
        GSL.configure()
        let exact = gsl_cdf_chisq_Qinv(q, df)
        if exact.isFinite || !(q > 0 && q < 1) { return exact }
        return wilsonHilferty(z: normalUpperQuantile(q), df: df)
    }
    /// The chi^2(df) value at standard-normal quantile z by the Wilson-Hilferty cube-root approximation.
    private static func wilsonHilferty(z: Double, df: Double) -> Double {
        let c = 2 / (9 * df)
        let root = 1 - c + z * c.squareRoot()
        return df * root * root * root
    }
    public static func fUpper(_ x: Double, df1: Double, df2: Double) -> Double { GSL.configure(); return gsl_cdf_fdist_Q(x, df1, df2) }
    /// P(X >= k) for X ~ Binomial(n, p).
    public static func binomialUpper(_ k: Int, n: Int, p: Double) -> Double {
        if k <= 0 { return 1 }
        if k > n { return 0 }
        GSL.configure()
        return gsl_cdf_binomial_Q(UInt32(k - 1), p, UInt32(n))
    }
    /// P(X <= k) for X ~ Binomial(n, p).
    public static func binomialLower(_ k: Int, n: Int, p: Double) -> Double {
        if k < 0 { return 0 }
        if k >= n { return 1 }
        GSL.configure()
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
    /// The p-quantile of Beta(a, b). GSL's inversion fails to converge for some large a, b
    /// (e.g. p = 5e-4, a = 2793, b = 1208); there the CDF is inverted by bisection instead.
    public static func betaQuantile(_ p: Double, a: Double, b: Double) -> Double {
        GSL.configure()
        let x = gsl_cdf_beta_Pinv(p, a, b)
        if x.isFinite || !(p > 0 && p < 1) { return x }
        return invertIncreasing(target: p) { gsl_cdf_beta_P($0, a, b) }
    }
    /// The x with P(X > x) = q for X ~ Beta(a, b) (precise for small q); bisection fallback as above.
    public static func betaUpperQuantile(_ q: Double, a: Double, b: Double) -> Double {
        GSL.configure()
        let x = gsl_cdf_beta_Qinv(q, a, b)
        if x.isFinite || !(q > 0 && q < 1) { return x }
        return invertIncreasing(target: -q) { -gsl_cdf_beta_Q($0, a, b) }
    }

    /// The x in [0, 1] where an increasing `f` crosses `target`, by bisection to machine precision.
    static func invertIncreasing(target: Double, _ f: (Double) -> Double) -> Double {
        var lo = 0.0, hi = 1.0
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if mid <= lo || mid >= hi { break }
            if f(mid) < target { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

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
