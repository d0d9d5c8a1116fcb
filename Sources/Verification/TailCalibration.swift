import CGSL
import DiscreteGradients
import Foundation

// Tail-exact calibration (issue 20; CLAIMS.md rules 2 and 15). Simulation cannot see rates of
// 1e-6: 20,000 replicates bound them at 1.8e-4. Here the committed designs' false-verdict rates
// are computed exactly where the family allows it (t under normality: the noncentral t by
// quadrature, cross-checked by an independent integration over the chi-square density;
// Clopper-Pearson: exact binomial sums), and the claims' own per-seed scalars are resampled
// exactly (enumeration of every resample) or by importance sampling (exponential tilting of the
// resampling distribution) with a stated relative error.

/// A probability with how it was obtained and its relative standard error (0 when exact).
public struct TailRate: Codable, Sendable, Equatable {
    public var value: Double
    public var relativeError: Double
    public var method: String
    public init(_ value: Double, relativeError: Double = 0, method: String) {
        self.value = value; self.relativeError = relativeError; self.method = method
    }
}

/// One committed design at one scale: its nominal and exact false-verdict rates.
public struct DesignTailRow: Codable, Sendable {
    public var claim: String
    public var subClaim: String
    public var scale: String
    public var method: IntervalMethod
    public var claimed: SubClaimDesign.Claimed
    public var n: Int
    public var count: Int
    public var alpha: Double
    public var decidable: Bool
    /// P(REPRODUCED) at the boundary where the claim fails, for the interval at that boundary:
    /// the whole sub-claim's false-REPRODUCED rate is at most this. Nominal: alpha.
    public var falseReproduced: TailRate
    /// The same by the independent integration (t designs).
    public var falseReproducedCheck: Double?
    /// P(NOT REPRODUCED) of one interval where the claim holds at the SESOI (no bias for TOST).
    public var falseNotInterval: TailRate
    public var falseNotIntervalCheck: Double?
    /// Nominal per-interval bound on the false NOT REPRODUCED rate: alpha (2 alpha for TOST).
    public var nominalFalseNot: Double { claimed == .equivalent ? 2 * alpha : alpha }
    /// The whole sub-claim's false NOT REPRODUCED rate: at most count x the interval's (union bound).
    public var falseNotSubClaim: Double { min(1, Double(count) * falseNotInterval.value) }
}

public enum TailCalibration {
    /// Nodes s = sqrt(V / df), V ~ chi^2(df), with weights from Simpson's rule on the density of s
    /// (2 df s f_chi2(df s^2)) over the range between the 1e-25 quantiles: an integration that
    /// shares nothing with `SampleSDNodes` but the range's end points.
    public static func simpsonSampleSDNodes(df: Double, intervals: Int = 6000) -> [(s: Double, weight: Double)] {
        GSL.configure()
        let lo = (Dist.chiSquaredQuantile(1e-25, df: df) / df).squareRoot()
        let hi = (Dist.chiSquaredUpperQuantile(1e-25, df: df) / df).squareRoot()
        let m = intervals % 2 == 0 ? intervals : intervals + 1
        let h = (hi - lo) / Double(m)
        var nodes: [(s: Double, weight: Double)] = []
        nodes.reserveCapacity(m + 1)
        for i in 0...m {
            let s = lo + Double(i) * h
            let density = 2 * df * s * gsl_ran_chisq_pdf(df * s * s, df)
            let c: Double = (i == 0 || i == m) ? 1 : (i % 2 == 1 ? 4 : 2)
            nodes.append((s: s, weight: c * h / 3 * (density.isFinite ? density : 0)))
        }
        return nodes
    }

    /// The exact rates of one committed design at one scale.
    public static func row(claim: String, design d: SubClaimDesign, scale: String, familyAlpha: Double) -> DesignTailRow? {
        guard d.method != .exact else { return nil }
        let n = d.sampleSize[scale: scale]
        let a = d.alpha(familyAlpha: familyAlpha)
        let boundary: Double = d.claimed == .equivalent ? d.sesoi : 0
        let how: String
        var repCheck: Double?, notCheck: Double?
        switch d.method {
        case .clopperPearson: how = "exact binomial sum"
        case .t, .skewCorrectedT, .welch: how = "exact (noncentral t, probit quadrature)"
        default: how = "normal (known sd)"
        }
        let rep = d.probabilities(trueEffect: boundary, n: n, alpha: a).reproduced
        let not = d.probabilities(trueEffect: d.claimHoldsEffect, n: n, alpha: a).notReproduced
        if d.isMeanInterval || d.method == .welch, n >= 2 {
            let nodes = simpsonSampleSDNodes(df: Double(n - 1))
            repCheck = d.probabilities(trueEffect: boundary, n: n, alpha: a, sampleSDNodes: nodes).reproduced
            notCheck = d.probabilities(trueEffect: d.claimHoldsEffect, n: n, alpha: a, sampleSDNodes: nodes).notReproduced
        }
        let plan = d.plan(scale: scale, familyAlpha: familyAlpha)
        return DesignTailRow(claim: claim, subClaim: d.name, scale: scale, method: d.method, claimed: d.claimed, n: n,
                             count: d.count, alpha: a, decidable: plan.decidable,
                             falseReproduced: TailRate(rep, method: how), falseReproducedCheck: repCheck,
                             falseNotInterval: TailRate(not, method: how), falseNotIntervalCheck: notCheck)
    }
}

// MARK: - The claims' own shapes

/// One interval's per-seed scalars (a training claim's committed results) and the design that
/// judges them.
public struct SeedScalars: Codable, Sendable {
    public var claim: String
    public var subClaim: String
    /// 1-based index of the interval within the sub-claim.
    public var interval: Int
    /// The scale the scalars come from.
    public var scale: String
    public var values: [Double]
    public init(claim: String, subClaim: String, interval: Int, scale: String, values: [Double]) {
        self.claim = claim; self.subClaim = subClaim; self.interval = interval; self.scale = scale; self.values = values
    }
}

/// The realised rates of one interval's t design when its observations are drawn with
/// replacement from the committed per-seed scalars, centred and shifted to the effect judged.
public struct ShapeCalibrationRow: Codable, Sendable {
    public var claim: String
    public var subClaim: String
    public var interval: Int
    /// Scalars resampled from (m) and the n each resample has.
    public var m: Int
    public var n: Int
    public var scale: String
    public var alpha: Double
    public var count: Int
    public var decidable: Bool
    /// Skewness and excess kurtosis of the scalars (sample moments).
    public var skewness: Double
    public var kurtosis: Double
    /// sd of the scalars, and the design's planning sd.
    public var observedSD: Double
    public var planningSD: Double
    /// false REPRODUCED at the failure boundary (no effect; +margin and -margin for TOST: the worse).
    public var falseReproduced: TailRate
    /// false NOT REPRODUCED where the claim just holds (SESOI; no bias for TOST).
    public var falseNotReproduced: TailRate
    /// P(REPRODUCED | SESOI) realised, and the normal-theory value at the observed sd.
    public var power: TailRate
    public var normalPower: Double
    public var planPower: Double
    /// P(NOT REPRODUCED | fails) realised.
    public var notWhenFails: TailRate
    /// The probability of a resample whose values are all equal (sd 0: a point interval), m^(1 - n).
    public var atomFloor: Double
    /// The realised rate exceeds its nominal bound beyond twice its relative error.
    public var antiConservative: Bool {
        let bound = alpha
        func over(_ r: TailRate, _ b: Double) -> Bool { r.value > b * (1 + 2 * r.relativeError) + 1e-300 }
        return over(falseNotReproduced, claimedEquivalent ? 2 * bound : bound) || over(falseReproduced, bound)
    }
    public var claimedEquivalent: Bool
    /// The design's interval (nil in rows written before skew-corrected designs existed: plain t).
    public var method: IntervalMethod?
    /// Hall's correction was applied at this n (skew-corrected design, n >= `SkewCorrectedT.minimumN`).
    public var skewCorrectedApplied: Bool?
    /// For a skew-corrected design: the plain t's false-verdict rates on the same shape.
    public var plainTFalseReproduced: TailRate?
    public var plainTFalseNotReproduced: TailRate?
}

public enum ShapeCalibration {
    /// Resamples of n from m values are enumerated when there are at most this many multisets.
    public static let enumerationLimit = 1_500_000

    /// Number of multisets of size n from m values, C(n + m - 1, n), as a Double.
    static func multisets(m: Int, n: Int) -> Double {
        exp(lgamma(Double(n + m)) - lgamma(Double(n + 1)) - lgamma(Double(m)))
    }

    /// The power sums Σx, Σx², Σx³ of one resample: all a mean interval (plain or skew-corrected t) reads.
    public typealias PowerSums = (sum: Double, sumSq: Double, sumCube: Double)

    /// One resample's interval under the design's method (plain t, or Hall's skew-corrected t).
    static func bounds(_ method: IntervalMethod, _ p: PowerSums, n: Int, q: Double) -> (lower: Double, upper: Double) {
        if method == .skewCorrectedT { return SkewCorrectedT.bounds(sum: p.sum, sumSq: p.sumSq, sumCube: p.sumCube, n: n, q: q) }
        let mean = p.sum / Double(n)
        let v = max(0, (p.sumSq - Double(n) * mean * mean) / Double(n - 1))
        let half = q * (v / Double(n)).squareRoot()
        return (mean - half, mean + half)
    }

    /// The verdict of one resample's interval.
    static func verdict(_ d: SubClaimDesign, _ p: PowerSums, n: Int, q: Double) -> Verdict {
        let b = bounds(d.method, p, n: n, q: q)
        return d.decide(Interval(lower: b.lower, upper: b.upper, level: 0))
    }

    /// Exact P(event) over all resamples (multinomial weights), for the values `x` (already shifted).
    static func enumerate(_ x: [Double], n: Int, _ event: @escaping (PowerSums) -> Bool) -> Double {
        let m = x.count
        let logM = log(Double(m))
        var total = 0.0
        // Depth-first over counts k_0..k_{m-1}, with running sums and log(n! / prod k_i!).
        func go(_ i: Int, _ left: Int, _ p: PowerSums, _ logCoef: Double) {
            let xi = x[i]
            if i == m - 1 {
                let k = Double(left)
                if event((p.sum + k * xi, p.sumSq + k * xi * xi, p.sumCube + k * xi * xi * xi)) {
                    total += exp(logCoef - lgamma(k + 1) - Double(n) * logM)
                }
                return
            }
            for k in 0...left {
                let kd = Double(k)
                go(i + 1, left - k, (p.sum + kd * xi, p.sumSq + kd * xi * xi, p.sumCube + kd * xi * xi * xi), logCoef - lgamma(kd + 1))
            }
        }
        go(0, n, (0, 0, 0), lgamma(Double(n + 1)))
        return min(1, total)
    }

    /// P(event) by importance sampling: the resampling distribution tilted to p_i ∝ exp(theta x_i)
    /// (theta = 0: plain Monte Carlo). Returns the estimate and its relative standard error.
    static func tilted(_ x: [Double], n: Int, theta: Double, replicates: Int, stream: inout RandomStream,
                       _ event: @escaping (PowerSums) -> Bool) -> (value: Double, relativeError: Double) {
        let m = x.count
        let centre = x.reduce(0, +) / Double(m)
        let w = x.map { exp(theta * ($0 - centre)) }
        let z = w.reduce(0, +)
        var cumulative: [Double] = []
        var acc = 0.0
        for wi in w { acc += wi / z; cumulative.append(acc) }
        // log of the per-draw likelihood ratio (1/m) / p_i = log(z / m) - theta (x_i - centre).
        let logZ = log(z / Double(m))
        var s1 = 0.0, s2 = 0.0
        for _ in 0..<replicates {
            var sum = 0.0, sumSq = 0.0, sumCube = 0.0, logLR = 0.0
            for _ in 0..<n {
                let u = stream.uniform()
                var lo = 0, hi = m - 1
                while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < u { lo = mid + 1 } else { hi = mid } }
                let v = x[lo]
                sum += v; sumSq += v * v; sumCube += v * v * v
                logLR += logZ - theta * (v - centre)
            }
            if event((sum, sumSq, sumCube)) { let lr = exp(logLR); s1 += lr; s2 += lr * lr }
        }
        let r = Double(replicates)
        let mean = s1 / r
        guard mean > 0 else { return (0, .infinity) }
        let variance = max(0, s2 / r - mean * mean) / r
        return (mean, variance.squareRoot() / mean)
    }

    /// P(event), exactly when the resamples are few enough to enumerate, else by importance
    /// sampling with the tilt (among a grid in units of 1 / sd, on the side `direction`) whose pilot
    /// run has the smallest relative error.
    static func rate(_ x: [Double], n: Int, direction: Double, replicates: Int, stream: inout RandomStream,
                     _ event: @escaping (PowerSums) -> Bool) -> TailRate {
        if multisets(m: x.count, n: n) <= Double(enumerationLimit) {
            return TailRate(enumerate(x, n: n, event), method: "exact enumeration of the resamples")
        }
        if direction == 0 {
            let r = tilted(x, n: n, theta: 0, replicates: replicates, stream: &stream, event)
            return TailRate(r.value, relativeError: r.relativeError, method: "Monte Carlo (\(replicates) resamples)")
        }
        let sd = Summary(x).sd
        var best = (theta: 0.0, err: Double.infinity)
        for k in 0...8 {
            let theta = direction * Double(k) * 0.4 / max(sd, 1e-300) / Double(n).squareRoot() * 3
            let pilot = tilted(x, n: n, theta: theta, replicates: max(500, replicates / 20), stream: &stream, event)
            if pilot.relativeError < best.err { best = (theta, pilot.relativeError) }
        }
        let r = tilted(x, n: n, theta: best.theta, replicates: replicates, stream: &stream, event)
        let how = best.theta == 0 ? "Monte Carlo (\(replicates) resamples)"
            : "importance sampling, exponential tilt θ·sd·√n = \(fmt(best.theta * sd * Double(n).squareRoot(), 2)) (\(replicates) resamples)"
        return TailRate(r.value, relativeError: r.relativeError, method: how)
    }

    /// The four realised rates of a mean-interval design on resamples of `centred` (shifted to the
    /// effect judged) at n: false REPRODUCED, false NOT REPRODUCED, P(REP | holds), P(NOT | fails).
    static func rates(_ d: SubClaimDesign, centred: [Double], n: Int, q: Double, replicates: Int,
                      stream: inout RandomStream) -> (falseRep: TailRate, falseNot: TailRate, power: TailRate, notFails: TailRate) {
        func shifted(_ effect: Double) -> [Double] { centred.map { d.reference + effect + $0 } }
        func event(_ v: Verdict) -> (PowerSums) -> Bool { { p in verdict(d, p, n: n, q: q) == v } }
        // Tilt directions: towards the side where the wrong verdict lies.
        let towardsClaim: Double = d.claimed == .less ? -1 : 1
        if d.claimed == .equivalent {
            // REPRODUCED at +margin needs the mean pulled down, at -margin pulled up.
            let up = rate(shifted(d.sesoi), n: n, direction: -1, replicates: replicates, stream: &stream, event(.reproduced))
            let down = rate(shifted(-d.sesoi), n: n, direction: 1, replicates: replicates, stream: &stream, event(.reproduced))
            // NOT REPRODUCED at no bias: wholly above +margin or wholly below -margin.
            let hi = rate(shifted(0), n: n, direction: 1, replicates: replicates, stream: &stream) { p in
                bounds(d.method, p, n: n, q: q).lower > d.reference + d.sesoi
            }
            let lo = rate(shifted(0), n: n, direction: -1, replicates: replicates, stream: &stream) { p in
                bounds(d.method, p, n: n, q: q).upper < d.reference - d.sesoi
            }
            return (up.value >= down.value ? up : down,
                    TailRate(hi.value + lo.value, relativeError: max(hi.relativeError, lo.relativeError), method: hi.method),
                    rate(shifted(0), n: n, direction: 0, replicates: replicates, stream: &stream, event(.reproduced)),
                    rate(shifted(2 * d.sesoi), n: n, direction: 0, replicates: replicates, stream: &stream, event(.notReproduced)))
        }
        return (rate(shifted(0), n: n, direction: towardsClaim, replicates: replicates, stream: &stream, event(.reproduced)),
                rate(shifted(d.claimHoldsEffect), n: n, direction: -towardsClaim, replicates: replicates, stream: &stream, event(.notReproduced)),
                rate(shifted(d.claimHoldsEffect), n: n, direction: 0, replicates: replicates, stream: &stream, event(.reproduced)),
                rate(shifted(0), n: n, direction: 0, replicates: replicates, stream: &stream, event(.notReproduced)))
    }

    /// The realised rates of a mean-interval design (plain or skew-corrected t) on resamples of
    /// `scalars` at n = the design's size at `scale`; for a skew-corrected design also the plain
    /// t's false-verdict rates on the same shape, for comparison.
    public static func calibrate(_ scalars: SeedScalars, design d: SubClaimDesign, scale: String, familyAlpha: Double,
                                 replicates: Int, masterSeed: UInt64) -> ShapeCalibrationRow? {
        guard d.isMeanInterval, scalars.values.count >= 2 else { return nil }
        let n = d.sampleSize[scale: scale]
        guard n >= 2 else { return nil }
        let a = d.alpha(familyAlpha: familyAlpha)
        let q = Dist.tUpperQuantile(a, df: Double(n - 1))
        let summary = Summary(scalars.values)
        let centred = scalars.values.map { $0 - summary.mean }
        let m = Double(centred.count)
        let m2 = centred.reduce(0) { $0 + $1 * $1 } / m
        let m3 = centred.reduce(0) { $0 + $1 * $1 * $1 } / m
        let m4 = centred.reduce(0) { $0 + $1 * $1 * $1 * $1 } / m
        let label = "shape/\(scalars.claim)/\(scalars.subClaim)/\(scalars.interval)/\(scale)"
        var stream = RandomStream(master: masterSeed, claim: "calibrate", label: label)
        let r = rates(d, centred: centred, n: n, q: q, replicates: replicates, stream: &stream)
        var plainT: (falseRep: TailRate, falseNot: TailRate)?
        if d.method == .skewCorrectedT {
            var t = d; t.method = .t
            var tStream = RandomStream(master: masterSeed, claim: "calibrate", label: label + "/plain-t")
            let tr = rates(t, centred: centred, n: n, q: q, replicates: replicates, stream: &tStream)
            plainT = (tr.falseRep, tr.falseNot)
        }
        var observed = d; observed.planningSD = summary.sd; observed.count = 1
        var single = d; single.count = 1
        return ShapeCalibrationRow(
            claim: scalars.claim, subClaim: scalars.subClaim, interval: scalars.interval, m: centred.count, n: n, scale: scale,
            alpha: a, count: d.count, decidable: d.plan(scale: scale, familyAlpha: familyAlpha).decidable,
            skewness: m2 > 0 ? m3 / pow(m2, 1.5) : 0, kurtosis: m2 > 0 ? m4 / (m2 * m2) - 3 : 0,
            observedSD: summary.sd, planningSD: d.planningSD,
            falseReproduced: r.falseRep, falseNotReproduced: r.falseNot, power: r.power,
            normalPower: observed.probabilities(trueEffect: d.claimHoldsEffect, n: n, alpha: a).reproduced,
            planPower: single.probabilities(trueEffect: d.claimHoldsEffect, n: n, alpha: a).reproduced,
            notWhenFails: r.notFails, atomFloor: pow(Double(centred.count), Double(1 - n)), claimedEquivalent: d.claimed == .equivalent,
            method: d.method, skewCorrectedApplied: d.method == .skewCorrectedT && n >= SkewCorrectedT.minimumN,
            plainTFalseReproduced: plainT?.falseRep, plainTFalseNotReproduced: plainT?.falseNot)
    }

    // MARK: The committed table of scalars

    public static let tsvColumns = ["claim", "sub-claim", "interval", "scale", "n", "values"]

    public static func serialize(_ rows: [SeedScalars], header: [String]) -> String {
        var out = header.map { "# " + $0 }.joined(separator: "\n") + "\n"
        out += tsvColumns.joined(separator: "\t") + "\n"
        for r in rows {
            let values: String = r.values.map { String(format: "%.17g", $0) }.joined(separator: ",")
            let fields: [String] = [r.claim, r.subClaim, String(r.interval), r.scale, String(r.values.count), values]
            out += fields.joined(separator: "\t") + "\n"
        }
        return out
    }

    public static func parse(_ text: String) -> [SeedScalars] {
        var rows: [SeedScalars] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            let c: [String] = line.split(separator: "\t", omittingEmptySubsequences: false).map { String($0) }
            guard c.count == tsvColumns.count, c != tsvColumns, let k = Int(c[2]) else { continue }
            let values: [Double] = c[5].split(separator: ",").compactMap { Double(String($0)) }
            rows.append(SeedScalars(claim: c[0], subClaim: c[1], interval: k, scale: c[3], values: values))
        }
        return rows
    }
}
