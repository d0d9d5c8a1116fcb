import Foundation

/// Power, sample size and detectable effect for the suite's tests (CLAIMS.md rule 3: design
/// before asserting).
///
/// The t-test powers are exact: the noncentral t probability is integrated over the sample
/// standard deviation, P(reject) = E_V[ P(Z > q sqrt(V/df) - delta) ] with V ~ chi^2(df), on a
/// probit-spaced quadrature grid (`SampleSDNodes`; relative error ~1e-4 at alphas down to 1e-7). Effects `d` are standardised (Cohen's d: mean
/// difference over the standard deviation) and are taken as magnitudes in the tested direction.
public enum Power {
    // MARK: t-tests

    /// Power of a one-sample / paired t-test with n observations at standardised effect d
    /// (one-sided unless `twoSided`).
    public static func tTest(n: Int, effect d: Double, alpha: Double, twoSided: Bool = false) -> Double {
        guard n >= 2 else { return 0 }
        return noncentralT(df: Double(n - 1), noncentrality: abs(d) * Double(n).squareRoot(),
                           alpha: alpha, twoSided: twoSided)
    }

    /// Power of a two-sample t-test with n per group at standardised effect d, equal variances
    /// (Student's df = 2n - 2; Welch's test has slightly less df, so this is its power to ~1%).
    public static func welch(nPerGroup n: Int, effect d: Double, alpha: Double, twoSided: Bool = false) -> Double {
        twoSample(nA: n, nB: n, effect: d, alpha: alpha, twoSided: twoSided)
    }

    /// Power of a two-sample t-test with group sizes nA and nB at standardised effect d.
    public static func twoSample(nA: Int, nB: Int, effect d: Double, alpha: Double, twoSided: Bool = false) -> Double {
        guard nA >= 2, nB >= 2 else { return 0 }
        let ncp = abs(d) / (1 / Double(nA) + 1 / Double(nB)).squareRoot()
        return noncentralT(df: Double(nA + nB - 2), noncentrality: ncp, alpha: alpha, twoSided: twoSided)
    }

    /// Power of Welch's test with unequal sizes and standard deviations against a true mean
    /// difference: noncentral t with noncentrality diff / sqrt(sd_A^2/n_A + sd_B^2/n_B) and the
    /// Welch-Satterthwaite df of the true variances (an approximation, good to ~1% for n >= 5).
    public static func welch(nA: Int, nB: Int, sdA: Double, sdB: Double, difference: Double, alpha: Double,
                             twoSided: Bool = false) -> Double {
        guard nA >= 2, nB >= 2, sdA > 0 || sdB > 0 else { return 0 }
        let va = sdA * sdA / Double(nA), vb = sdB * sdB / Double(nB)
        let df = (va + vb) * (va + vb) / (va * va / Double(nA - 1) + vb * vb / Double(nB - 1))
        return noncentralT(df: df, noncentrality: abs(difference) / (va + vb).squareRoot(),
                           alpha: alpha, twoSided: twoSided)
    }

    /// Smallest n for a one-sample/paired t-test to reach `power` at effect d.
    public static func sampleSize(effect d: Double, alpha: Double, power: Double = 0.8, twoSided: Bool = false) -> Int {
        guard d != 0, d.isFinite else { return Int.max }
        return smallestN(from: 2) { tTest(n: $0, effect: d, alpha: alpha, twoSided: twoSided) >= power }
    }

    /// Seeds per group for a Welch test to reach `power` at effect d.
    public static func welchSampleSize(effect d: Double, alpha: Double, power: Double = 0.8,
                                       twoSided: Bool = false) -> Int {
        guard d != 0, d.isFinite else { return Int.max }
        return smallestN(from: 2) { welch(nPerGroup: $0, effect: d, alpha: alpha, twoSided: twoSided) >= power }
    }

    /// Smallest standardised effect a one-sample/paired t-test with n observations detects with `power`.
    public static func detectableEffect(n: Int, alpha: Double, power: Double = 0.8, twoSided: Bool = false) -> Double {
        guard n >= 2 else { return .infinity }
        return smallestX { tTest(n: n, effect: $0, alpha: alpha, twoSided: twoSided) >= power }
    }

    /// Smallest standardised effect a Welch test with n per group detects with `power`.
    public static func welchDetectableEffect(nPerGroup n: Int, alpha: Double, power: Double = 0.8,
                                             twoSided: Bool = false) -> Double {
        guard n >= 2 else { return .infinity }
        return smallestX { welch(nPerGroup: n, effect: $0, alpha: alpha, twoSided: twoSided) >= power }
    }

    // MARK: TOST

    /// Exact power of TOST (`Equivalence.tost`) with n observations of standard deviation `sd`,
    /// margin delta and true difference theta from the target: P(both one-sided tests reject).
    public static func tost(n: Int, margin delta: Double, sd: Double, trueDifference theta: Double = 0,
                            alpha: Double) -> Double {
        guard n >= 2, delta > 0, sd > 0 else { return sd == 0 && abs(theta) < delta ? 1 : 0 }
        let df = Double(n - 1)
        let q = Dist.tUpperQuantile(alpha, df: df)
        let scale = sd / Double(n).squareRoot()
        let hi = (delta - theta) / scale, lo = (-delta - theta) / scale
        // Given s = S / sd: reject iff lo + q s < z < hi - q s for the standardised mean z.
        return expectOverSampleSD(df: df) { s in
            max(0, Dist.normalLower(hi - q * s) - Dist.normalLower(lo + q * s))
        }
    }

    /// Smallest n for TOST to reach `power` (margin and true difference in the units of `sd`).
    public static func tostSampleSize(margin delta: Double, sd: Double, trueDifference theta: Double = 0,
                                      alpha: Double, power: Double = 0.8) -> Int {
        guard abs(theta) < delta, sd > 0 else { return sd == 0 ? 2 : Int.max }
        return smallestN(from: 2) { tost(n: $0, margin: delta, sd: sd, trueDifference: theta, alpha: alpha) >= power }
    }

    /// Smallest margin TOST with n observations establishes with `power` when the true difference
    /// is `trueDifference` (the equivalence counterpart of a detectable effect).
    public static func tostDetectableMargin(n: Int, sd: Double, trueDifference theta: Double = 0,
                                            alpha: Double, power: Double = 0.8) -> Double {
        guard n >= 2, sd > 0 else { return sd == 0 ? abs(theta) : .infinity }
        return abs(theta) + smallestX { tost(n: n, margin: abs(theta) + $0, sd: sd, trueDifference: theta, alpha: alpha) >= power }
    }

    // MARK: Rank tests

    /// Approximate power of Mann-Whitney with n per group against a normal shift d: the Welch
    /// power at the asymptotic relative efficiency 3/pi (Lehmann). A design figure, not exact.
    public static func mannWhitney(nPerGroup n: Int, effect d: Double, alpha: Double, twoSided: Bool = false) -> Double {
        guard n >= 2 else { return 0 }
        let nEff = Double(n) * 3 / Double.pi
        let ncp = abs(d) * (nEff / 2).squareRoot()
        return Dist.normalUpper(Dist.normalUpperQuantile(twoSided ? alpha / 2 : alpha) - ncp)
    }

    // MARK: Binomial proportion

    /// Exact power of `BinomialTest.test` with `trials` trials when the true rate is p1.
    public static func binomial(trials n: Int, p0: Double, p1: Double, alpha: Double,
                                alternative: Alternative) -> Double {
        guard n >= 1 else { return 0 }
        let region = BinomialTest.rejectionRegion(trials: n, p0: p0, alternative: alternative, alpha: alpha)
        return region.reduce(0) { $0 + Dist.binomialPMF($1, n: n, p: p1) }
    }

    /// Smallest number of trials for which the exact binomial test reaches `power` at p1.
    /// Exact power is saw-toothed in n: a few larger n can fall just short of the target.
    public static func binomialSampleSize(p0: Double, p1: Double, alpha: Double, power: Double = 0.8,
                                         alternative: Alternative) -> Int {
        guard p0 != p1 else { return Int.max }
        let n = smallestN(from: 1) { binomial(trials: $0, p0: p0, p1: p1, alpha: alpha, alternative: alternative) >= power }
        guard n != Int.max else { return n }
        // Bisection assumes monotone power; look back over the saw-teeth it may have skipped.
        for m in max(1, n - 50)..<n where binomial(trials: m, p0: p0, p1: p1, alpha: alpha, alternative: alternative) >= power {
            return m
        }
        return n
    }

    /// The rate p1 the exact binomial test with `trials` trials detects with `power`: the smallest
    /// p1 > p0 for `.greater`, the largest p1 < p0 for `.less` (and, for `.twoSided`, the upward one).
    public static func binomialDetectableRate(trials n: Int, p0: Double, alpha: Double, power: Double = 0.8,
                                              alternative: Alternative) -> Double {
        let up = alternative != .less
        let ok = { (p1: Double) in binomial(trials: n, p0: p0, p1: p1, alpha: alpha, alternative: alternative) >= power }
        var lo = p0, hi = up ? 1.0 : 0.0  // lo fails (power at p0 is the size), hi is the extreme rate
        guard ok(hi) else { return .nan }
        for _ in 0..<60 {
            let mid = (lo + hi) / 2
            if ok(mid) { hi = mid } else { lo = mid }
        }
        return hi
    }

    /// Trials needed so that observing zero violations puts the one-sided (1 - alpha) upper
    /// limit on the violation rate below `rate` (CLAIMS.md rule 7): (1 - rate)^n < alpha.
    public static func zeroViolationTrials(rate: Double, alpha: Double) -> Int {
        guard rate > 0, rate < 1 else { return rate >= 1 ? 1 : Int.max }
        var n = Int((log(alpha) / log1p(-rate)).rounded(.up))
        while n > 1 && BinomialTest.upperLimit(successes: 0, trials: n - 1, level: 1 - alpha) < rate { n -= 1 }
        while BinomialTest.upperLimit(successes: 0, trials: n, level: 1 - alpha) >= rate { n += 1 }
        return n
    }

    // MARK: Machinery

    /// Power of a t statistic with noncentrality delta (>= 0) and df degrees of freedom against
    /// the central t critical value.
    static func noncentralT(df: Double, noncentrality delta: Double, alpha: Double, twoSided: Bool) -> Double {
        let q = Dist.tUpperQuantile(twoSided ? alpha / 2 : alpha, df: df)
        return expectOverSampleSD(df: df) { s in
            Dist.normalUpper(q * s - delta) + (twoSided ? Dist.normalLower(-q * s - delta) : 0)
        }
    }

    /// E[g(s)] for s = sqrt(V / df), V ~ chi^2(df): the ratio of a sample SD to the true SD.
    static func expectOverSampleSD(df: Double, _ g: (Double) -> Double) -> Double {
        var total = 0.0
        forEachSampleSDNode(df: df) { s, weight in total += weight * g(s) }
        return total
    }

    /// Calls `body(s, weight)` over the quadrature nodes of s = sqrt(V / df), V ~ chi^2(df), whose
    /// weights sum to 1: for expectations that are not a single sum (several probabilities at once).
    static func forEachSampleSDNode(df: Double, _ body: (Double, Double) -> Void) {
        for node in SampleSDNodes.shared.nodes(df: df) { body(node.s, node.weight) }
    }

    /// Smallest integer n >= start with `ok(n)`, for `ok` monotone in n (doubling, then bisection).
    static func smallestN(from start: Int, _ ok: (Int) -> Bool) -> Int {
        if ok(start) { return start }
        var lo = start, hi = max(2 * start, start + 1)
        while !ok(hi) {
            lo = hi
            if hi > 50_000_000 { return Int.max }
            hi *= 2
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if ok(mid) { hi = mid } else { lo = mid }
        }
        return hi
    }

    /// Smallest positive x with `ok(x)`, for `ok` monotone in x, to relative precision 1e-6.
    static func smallestX(_ ok: (Double) -> Bool) -> Double {
        var lo = 0.0, hi = 1e-3
        while !ok(hi) {
            lo = hi
            hi *= 2
            if hi > 1e9 { return .infinity }
        }
        while hi - lo > 1e-6 * hi {
            let mid = (lo + hi) / 2
            if ok(mid) { hi = mid } else { lo = mid }
        }
        return hi
    }
}

/// The 512 quadrature nodes s_i = sqrt(F^-1((i + 1/2) / 512) / df) of the sample-SD ratio, cached
/// per df: a TOST or power call in a loop then costs 512 normal CDFs, not 512 chi^2 inversions.
final class SampleSDNodes: @unchecked Sendable {
    static let shared = SampleSDNodes()
    private let lock = NSLock()
    private var cache: [Double: [(s: Double, weight: Double)]] = [:]

    /// Trapezoid nodes on the probit scale: V's quantile at u = Phi(z) for z on a uniform grid over
    /// [-9, 9] (step 0.02), weighted by phi(z) and normalised. Uniform steps in z resolve the tails
    /// of s, which decide the probabilities at the suite's alphas (~1e-6): with this grid the t
    /// identity E[Phi(-q s)] = alpha holds to ~1e-4 relative even at alpha = 1e-7.
    func nodes(df: Double) -> [(s: Double, weight: Double)] {
        lock.lock()
        if let hit = cache[df] { lock.unlock(); return hit }
        lock.unlock()
        let step = 0.02, half = 450
        var fresh: [(s: Double, weight: Double)] = []
        fresh.reserveCapacity(2 * half + 1)
        var total = 0.0
        for i in -half...half {
            let z = Double(i) * step
            // The upper half through the complementary quantile keeps precision as u -> 1.
            let v = z <= 0 ? Dist.chiSquaredQuantile(Dist.normalLower(z), df: df)
                           : Dist.chiSquaredUpperQuantile(Dist.normalUpper(z), df: df)
            guard v.isFinite, v >= 0 else { continue }
            let w = exp(-0.5 * z * z) * (i == -half || i == half ? 0.5 : 1)
            fresh.append((s: (v / df).squareRoot(), weight: w))
            total += w
        }
        fresh = fresh.map { (s: $0.s, weight: $0.weight / total) }
        lock.lock()
        if cache.count >= 4096 { cache.removeAll() }
        cache[df] = fresh
        lock.unlock()
        return fresh
    }
}
