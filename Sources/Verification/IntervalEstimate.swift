import Foundation
import DiscreteGradients

/// A point estimate with its two-sided (1 - 2 alpha) interval: the one object a sub-claim's
/// verdict is read from (`SubClaimDesign.decide`). Each side of the interval is a one-sided
/// test at alpha, so "the interval excludes x on a side" is a level-alpha rejection of x.
public struct IntervalEstimate: Codable, Sendable, Equatable {
    /// How the interval was computed, e.g. "paired t (df 29)".
    public var method: String
    public var estimate: Double
    public var interval: Interval
    /// Observations (seeds, draws...); for two groups, per group.
    public var n: Int
    /// The observed sd of one observation (per group for Welch), for the report and for
    /// "how many more would decide it"; never used by a decision.
    public var observedSD: Double?
    /// The observations of a t interval on few of them (at most `keptObservations`: seeds, not
    /// Monte Carlo draws), kept so that calibration can resample the claims' own per-seed scalars
    /// (CLAIMS.md rule 15); never used by a decision.
    public var observations: [Double]?
    public static let keptObservations = 1000

    public init(method: String, estimate: Double, interval: Interval, n: Int, observedSD: Double? = nil,
                observations: [Double]? = nil) {
        self.method = method; self.estimate = estimate; self.interval = interval; self.n = n; self.observedSD = observedSD
        self.observations = observations
    }

    /// t interval on the mean of xs (also: paired differences).
    public static func mean(_ xs: [Double], alpha: Double) -> IntervalEstimate {
        let s = Summary(xs)
        let df = Double(s.n - 1)
        guard s.n >= 2, s.mean.isFinite, s.variance.isFinite else {
            return IntervalEstimate(method: "t", estimate: s.mean, interval: Interval(lower: .nan, upper: .nan, level: 1 - 2 * alpha), n: s.n)
        }
        let q = Dist.tUpperQuantile(alpha, df: df)
        let se = s.standardError
        return IntervalEstimate(method: "t (df \(s.n - 1))", estimate: s.mean,
                                interval: Interval(lower: s.mean - q * se, upper: s.mean + q * se, level: 1 - 2 * alpha),
                                n: s.n, observedSD: s.sd, observations: xs.count <= keptObservations ? xs : nil)
    }

    /// Paired t interval on mean(a_i - b_i): common random numbers, or methods paired by seed.
    public static func paired(_ a: [Double], _ b: [Double], alpha: Double) -> IntervalEstimate {
        precondition(a.count == b.count, "paired interval: samples of different sizes")
        var r = mean(zip(a, b).map { $0 - $1 }, alpha: alpha)
        r.method = "paired " + r.method
        return r
    }

    /// Hall's skew-corrected t interval on the mean of xs (`SkewCorrectedT`; the plain t below
    /// `SkewCorrectedT.minimumN` observations).
    public static func skewCorrectedMean(_ xs: [Double], alpha: Double) -> IntervalEstimate {
        var r = mean(xs, alpha: alpha)
        guard xs.count >= SkewCorrectedT.minimumN, r.interval.lower.isFinite, let sd = r.observedSD else { return r }
        let gamma = SkewCorrectedT.skewness(xs)
        let q = Dist.tUpperQuantile(alpha, df: Double(xs.count - 1))
        let b = SkewCorrectedT.bounds(mean: r.estimate, sd: sd, skewness: gamma, n: xs.count, q: q)
        r.method = "skew-corrected t (Hall 1992, df \(xs.count - 1), skewness \(fmt(gamma, 2)))"
        r.interval = Interval(lower: b.lower, upper: b.upper, level: 1 - 2 * alpha)
        return r
    }

    /// The interval on the mean of xs that a design's method names (`.t` or `.skewCorrectedT`).
    public static func mean(_ xs: [Double], alpha: Double, method: IntervalMethod) -> IntervalEstimate {
        precondition(method == .t || method == .skewCorrectedT, "mean interval: method \(method.rawValue) is not a mean")
        return method == .skewCorrectedT ? skewCorrectedMean(xs, alpha: alpha) : mean(xs, alpha: alpha)
    }

    /// The paired interval on mean(a_i - b_i) that a design's method names.
    public static func paired(_ a: [Double], _ b: [Double], alpha: Double, method: IntervalMethod) -> IntervalEstimate {
        precondition(a.count == b.count, "paired interval: samples of different sizes")
        var r = mean(zip(a, b).map { $0 - $1 }, alpha: alpha, method: method)
        r.method = "paired " + r.method
        return r
    }

    /// Welch t interval on mean(a) - mean(b) (independent groups, e.g. an A/A control).
    public static func welch(_ a: [Double], _ b: [Double], alpha: Double) -> IntervalEstimate {
        let sa = Summary(a), sb = Summary(b)
        let va = sa.variance / Double(sa.n), vb = sb.variance / Double(sb.n)
        let se = (va + vb).squareRoot()
        let diff = sa.mean - sb.mean
        var df = (va + vb) * (va + vb) / (va * va / Double(sa.n - 1) + vb * vb / Double(sb.n - 1))
        if df.isNaN { df = Double(sa.n + sb.n - 2) }   // both samples constant: any df gives the point
        guard sa.n >= 2, sb.n >= 2, se.isFinite, diff.isFinite else {
            return IntervalEstimate(method: "Welch t", estimate: diff, interval: Interval(lower: .nan, upper: .nan, level: 1 - 2 * alpha), n: min(sa.n, sb.n))
        }
        let q = Dist.tUpperQuantile(alpha, df: df)
        return IntervalEstimate(method: "Welch t (df \(fmt(df, 3)))", estimate: diff,
                                interval: Interval(lower: diff - q * se, upper: diff + q * se, level: 1 - 2 * alpha),
                                n: min(sa.n, sb.n), observedSD: ((sa.variance + sb.variance) / 2).squareRoot())
    }

    /// Clopper-Pearson interval on a rate k / n.
    public static func rate(successes k: Int, trials n: Int, alpha: Double) -> IntervalEstimate {
        IntervalEstimate(method: "Clopper-Pearson", estimate: Double(k) / Double(n),
                         interval: BinomialTest.clopperPearson(successes: k, trials: n, level: 1 - 2 * alpha), n: n)
    }

    /// Interval on log(s_A^2 / s_B^2) (CLAIMS.md rule 6, variance orderings without g*), from the
    /// delta method: each observation's influence on the log variance is (x_i - mean)^2 / s^2 - 1,
    /// so the estimate is asymptotically normal with se = sd(influence) / sqrt(n) (paired: of the
    /// per-pair difference of influences, which keeps common random numbers common). A percentile
    /// bootstrap would need > 1 / alpha resamples at the suite's alphas; this needs none, and
    /// `reproduce calibrate` measures its realised error rates.
    public static func logVarianceRatio(_ a: [Double], _ b: [Double], paired: Bool, alpha: Double) -> IntervalEstimate {
        let sa = Summary(a), sb = Summary(b)
        let est = log(sa.variance) - log(sb.variance)
        let ia = a.map { ($0 - sa.mean) * ($0 - sa.mean) / sa.variance }
        let ib = b.map { ($0 - sb.mean) * ($0 - sb.mean) / sb.variance }
        let se: Double
        if paired {
            precondition(a.count == b.count, "paired variance ratio: samples of different sizes")
            se = Summary(zip(ia, ib).map { $0 - $1 }).standardError
        } else {
            se = (Summary(ia).variance / Double(a.count) + Summary(ib).variance / Double(b.count)).squareRoot()
        }
        let q = Dist.normalUpperQuantile(alpha)
        let ok = est.isFinite && se.isFinite
        return IntervalEstimate(method: "\(paired ? "paired " : "")delta-method normal on log variance ratio",
                                estimate: est,
                                interval: ok ? Interval(lower: est - q * se, upper: est + q * se, level: 1 - 2 * alpha)
                                             : Interval(lower: .nan, upper: .nan, level: 1 - 2 * alpha),
                                n: a.count, observedSD: se * Double(a.count).squareRoot())
    }

    /// A deterministic value (exact enumeration, counted operations): a point interval.
    public static func exact(_ value: Double, method: String = "exact") -> IntervalEstimate {
        IntervalEstimate(method: method, estimate: value, interval: Interval(lower: value, upper: value, level: 1), n: 1)
    }
}
