import CGSL
import DiscreteGradients
import Foundation

/// Tail probabilities, point probabilities and quantiles from GSL. Upper tails come from the
/// `_Q` functions, never from 1 - P, so small p-values keep their precision (CLAIMS.md rule 9).
public enum Dist {
    public static func normalUpper(_ z: Double) -> Double { GSL.configure(); return gsl_cdf_ugaussian_Q(z) }
    public static func normalLower(_ z: Double) -> Double { GSL.configure(); return gsl_cdf_ugaussian_P(z) }
    public static func normalQuantile(_ p: Double) -> Double {
        GSL.configure()
        return guarded(lower: p, gsl_cdf_ugaussian_Pinv(p), start: gsl_cdf_ugaussian_Pinv(p),
                       lowerTail: gsl_cdf_ugaussian_P, upperTail: gsl_cdf_ugaussian_Q, domain: -Double.infinity...Double.infinity)
    }
    public static func normalUpperQuantile(_ q: Double) -> Double {
        GSL.configure()
        return guarded(upper: q, gsl_cdf_ugaussian_Qinv(q), start: gsl_cdf_ugaussian_Qinv(q),
                       lowerTail: gsl_cdf_ugaussian_P, upperTail: gsl_cdf_ugaussian_Q, domain: -Double.infinity...Double.infinity)
    }
    public static func tUpper(_ t: Double, df: Double) -> Double { GSL.configure(); return gsl_cdf_tdist_Q(t, df) }
    public static func tLower(_ t: Double, df: Double) -> Double { GSL.configure(); return gsl_cdf_tdist_P(t, df) }
    /// The value a t(df) variable exceeds with probability q, checked against `tUpper` and found by
    /// bracketing from the normal quantile where GSL's inversion misses.
    public static func tUpperQuantile(_ q: Double, df: Double) -> Double {
        GSL.configure()
        return guarded(upper: q, gsl_cdf_tdist_Qinv(q, df), start: gsl_cdf_ugaussian_Qinv(q),
                       lowerTail: { gsl_cdf_tdist_P($0, df) }, upperTail: { gsl_cdf_tdist_Q($0, df) }, domain: -Double.infinity...Double.infinity)
    }
    public static func chiSquaredUpper(_ x: Double, df: Double) -> Double { GSL.configure(); return gsl_cdf_chisq_Q(x, df) }
    /// The p-quantile of chi^2(df). GSL's inversion is checked (P(x) must give back p) and replaced
    /// by a bracketed root search from the Wilson-Hilferty value where it misses: with the error
    /// handler off, GSL returns finite wrong values at large df (issue 20: df 699,999, z = +3 gave
    /// 371,456 instead of 703,554) and non-finite ones where it does not converge (df ~ 1800).
    public static func chiSquaredQuantile(_ p: Double, df: Double) -> Double {
        GSL.configure()
        let start = p > 0 && p < 1 ? wilsonHilferty(z: gsl_cdf_ugaussian_Pinv(p), df: df) : .nan
        return guarded(lower: p, gsl_cdf_chisq_Pinv(p, df), start: start,
                       lowerTail: { gsl_cdf_chisq_P($0, df) }, upperTail: { gsl_cdf_chisq_Q($0, df) }, domain: 0...Double.infinity)
    }
    /// The value exceeded with probability q under chi^2(df) (precise for tiny q, unlike
    /// `chiSquaredQuantile(1 - q)`); checked and repaired as `chiSquaredQuantile`.
    public static func chiSquaredUpperQuantile(_ q: Double, df: Double) -> Double {
        GSL.configure()
        let start = q > 0 && q < 1 ? wilsonHilferty(z: gsl_cdf_ugaussian_Qinv(q), df: df) : .nan
        return guarded(upper: q, gsl_cdf_chisq_Qinv(q, df), start: start,
                       lowerTail: { gsl_cdf_chisq_P($0, df) }, upperTail: { gsl_cdf_chisq_Q($0, df) }, domain: 0...Double.infinity)
    }
    /// The chi^2(df) value at standard-normal quantile z by the Wilson-Hilferty cube-root approximation.
    static func wilsonHilferty(z: Double, df: Double) -> Double {
        let c = 2 / (9 * df)
        let root = 1 - c + z * c.squareRoot()
        return df * max(root, 0) * max(root, 0) * max(root, 0)
    }

    // MARK: - Guarded inversion

    /// Relative tolerance on the tail probability an inverted quantile must give back. GSL's good
    /// answers meet it by orders of magnitude (the tail is matched to ~1e-12 relative); the wrong
    /// ones it returns at large df miss by factors.
    public static let inversionTolerance = 1e-8

    /// Does x give back the tail probability `target` (relative error <= `inversionTolerance`)?
    /// The smaller tail is compared: for a lower-tail p > 1/2 the upper tail against 1 - p, which
    /// is exact in floating point for p in [1/2, 1].
    static func inverts(_ x: Double, lowerTarget p: Double, lowerTail: (Double) -> Double, upperTail: (Double) -> Double) -> Bool {
        guard x.isFinite else { return false }
        if p <= 0.5 { return abs(lowerTail(x) - p) <= inversionTolerance * p }
        let q = 1 - p
        return abs(upperTail(x) - q) <= inversionTolerance * q
    }

    /// A lower-tail inversion: GSL's `value` if it gives back p, else the root of the CDF found by
    /// bracketing from `start` (see `solve`).
    static func guarded(lower p: Double, _ value: Double, start: Double, lowerTail: (Double) -> Double,
                        upperTail: (Double) -> Double, domain: ClosedRange<Double>) -> Double {
        guard p > 0, p < 1 else { return value }
        if inverts(value, lowerTarget: p, lowerTail: lowerTail, upperTail: upperTail) { return value }
        // Solve on the smaller tail, on the log scale: log tail(x) - log target is smooth and
        // monotone, so the secant steps converge in a few evaluations.
        if p <= 0.5 {
            return solve(increasing: true, target: log(p), start: start, value: value, domain: domain) { log(lowerTail($0)) }
        }
        return solve(increasing: false, target: log1p(-p), start: start, value: value, domain: domain) { log(upperTail($0)) }
    }

    /// An upper-tail inversion: the x with P(X > x) = q, checked on the smaller tail as above.
    static func guarded(upper q: Double, _ value: Double, start: Double, lowerTail: (Double) -> Double,
                        upperTail: (Double) -> Double, domain: ClosedRange<Double>) -> Double {
        guard q > 0, q < 1 else { return value }
        // P(X > x) = q is P(X <= x) = 1 - q with the tails swapped; 1 - q is exact for q >= 1/2,
        // and for q < 1/2 the upper tail itself is compared.
        let ok = q < 0.5 ? value.isFinite && abs(upperTail(value) - q) <= inversionTolerance * q
                         : inverts(value, lowerTarget: 1 - q, lowerTail: lowerTail, upperTail: upperTail)
        if ok { return value }
        if q <= 0.5 {
            return solve(increasing: false, target: log(q), start: start, value: value, domain: domain) { log(upperTail($0)) }
        }
        return solve(increasing: true, target: log1p(-q), start: start, value: value, domain: domain) { log(lowerTail($0)) }
    }

    /// The x in `domain` with g(x) = target for a monotone g: a bracket grown geometrically from
    /// `start` (or GSL's `value` when `start` is not finite), then the Illinois variant of the
    /// secant method with bisection whenever a step leaves the bracket or g is not finite; stops
    /// when the bracket is a few ulps wide or g hits the target to 1e-14.
    static func solve(increasing: Bool, target: Double, start: Double, value: Double, domain: ClosedRange<Double>,
                      _ g: (Double) -> Double) -> Double {
        // h(x) = g(x) - target, oriented so that h increases with x.
        func h(_ x: Double) -> Double {
            let v = g(x) - target
            return increasing ? v : -v
        }
        var x0 = start.isFinite ? start : (value.isFinite ? value : 0)
        x0 = min(max(x0, domain.lowerBound), domain.upperBound)
        if x0 == 0 && domain.lowerBound == 0 { x0 = 1 }
        // Grow a bracket [lo, hi] with h(lo) < 0 < h(hi). On [0, inf) by factors of 2, else by
        // doubling steps.
        var lo = x0, hi = x0
        var hLo = h(lo), hHi = hLo
        if hLo.isNaN { return .nan }
        var step = max(1, abs(x0)) * 1e-3
        for _ in 0..<2000 where !(hLo < 0) {
            hi = lo; hHi = hLo
            lo = domain.lowerBound == 0 ? lo / 2 : lo - step
            step *= 2
            hLo = h(lo)
            if domain.lowerBound == 0 && lo < 1e-300 { break }
        }
        step = max(1, abs(x0)) * 1e-3
        for _ in 0..<2000 where !(hHi > 0) {
            lo = hi; hLo = hHi
            hi = domain.lowerBound == 0 ? hi * 2 : hi + step
            step *= 2
            hHi = h(hi)
        }
        guard hLo <= 0, hHi >= 0 else { return .nan }
        var side = 0
        for _ in 0..<400 {
            if hLo == 0 { return lo }
            if hHi == 0 { return hi }
            var x = (hLo.isFinite && hHi.isFinite) ? lo - hLo * (hi - lo) / (hHi - hLo) : (lo + hi) / 2
            if !(x > lo && x < hi) { x = lo + (hi - lo) / 2 }
            if x <= lo || x >= hi { break }  // the bracket is down to adjacent doubles
            let hx = h(x)
            if hx.isNaN { return .nan }
            if abs(hx) <= 1e-14 { return x }
            if hx < 0 {
                lo = x; hLo = hx
                if side == -1 { hHi /= 2 }  // Illinois: halve the stale end's value
                side = -1
            } else {
                hi = x; hHi = hx
                if side == 1 { hLo /= 2 }
                side = 1
            }
            if hi - lo <= 4 * (hi.ulp + lo.ulp) { break }
        }
        return abs(hLo) < abs(hHi) ? lo : hi
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
    /// P(X <= x) and P(X > x) for X ~ Beta(a, b).
    public static func betaLower(_ x: Double, a: Double, b: Double) -> Double { GSL.configure(); return gsl_cdf_beta_P(x, a, b) }
    public static func betaUpper(_ x: Double, a: Double, b: Double) -> Double { GSL.configure(); return gsl_cdf_beta_Q(x, a, b) }
    /// The p-quantile of Beta(a, b). GSL's inversion is checked (P(x) must give back p); where it
    /// misses or fails to converge (e.g. p = 5e-4, a = 2793, b = 1208) the CDF is inverted by
    /// bisection instead.
    public static func betaQuantile(_ p: Double, a: Double, b: Double) -> Double {
        GSL.configure()
        let x = gsl_cdf_beta_Pinv(p, a, b)
        if !(p > 0 && p < 1) || inverts(x, lowerTarget: p, lowerTail: { gsl_cdf_beta_P($0, a, b) }, upperTail: { gsl_cdf_beta_Q($0, a, b) }) {
            return x
        }
        return p <= 0.5 ? invertIncreasing(target: p) { gsl_cdf_beta_P($0, a, b) }
                        : invertIncreasing(target: -(1 - p)) { -gsl_cdf_beta_Q($0, a, b) }
    }
    /// The x with P(X > x) = q for X ~ Beta(a, b) (precise for small q); checked and repaired as above.
    public static func betaUpperQuantile(_ q: Double, a: Double, b: Double) -> Double {
        GSL.configure()
        let x = gsl_cdf_beta_Qinv(q, a, b)
        if !(q > 0 && q < 1) { return x }
        if q < 0.5 ? x.isFinite && abs(gsl_cdf_beta_Q(x, a, b) - q) <= inversionTolerance * q
                   : inverts(x, lowerTarget: 1 - q, lowerTail: { gsl_cdf_beta_P($0, a, b) }, upperTail: { gsl_cdf_beta_Q($0, a, b) }) {
            return x
        }
        return q <= 0.5 ? invertIncreasing(target: -q) { -gsl_cdf_beta_Q($0, a, b) }
                        : invertIncreasing(target: 1 - q) { gsl_cdf_beta_P($0, a, b) }
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
