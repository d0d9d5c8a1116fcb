import Foundation
import DiscreteGradients

// Calibration, measured (issue 9 part 5): every test family the suite uses, run on data simulated
// where the claim just fails and where it just holds, at the nominal alphas; the realised rates of
// the verdicts beside the nominal ones and beside the design's computed decision probabilities.
// Pure computation (no I/O): `reproduce calibrate` renders it (Pipeline/CalibrationReport.swift),
// `CalibrationMeasuredTests` runs a reduced version.

/// A rate realised over simulated replicates, with its Clopper-Pearson interval.
public struct RealisedRate: Codable, Sendable, Equatable {
    public var events: Int
    public var replicates: Int
    public init(events: Int, replicates: Int) { self.events = events; self.replicates = replicates }
    public var rate: Double { replicates > 0 ? Double(events) / Double(replicates) : .nan }
    /// The two-sided Clopper-Pearson interval at `level` (95% in the report).
    public func interval(level: Double = 0.95) -> Interval {
        BinomialTest.clopperPearson(successes: events, trials: max(replicates, 1), level: level)
    }
    /// The interval lies wholly above `nominal`: the realised rate exceeds it (anti-conservative).
    public func exceeds(_ nominal: Double, level: Double = 0.95) -> Bool { interval(level: level).lower > nominal }
    /// The interval lies wholly below `computed`.
    public func fallsShortOf(_ computed: Double, level: Double = 0.95) -> Bool { interval(level: level).upper < computed }
}

/// Noise with mean 0 and variance 1: normal, or heavy-tailed like per-draw gradient estimates.
public enum CalibrationNoise: String, Codable, Sendable, CaseIterable {
    case normal
    /// Student t with 5 degrees of freedom, standardised: finite kurtosis 9 but an infinite 8th
    /// moment, so the variance of a sample variance is itself estimated erratically.
    case t5 = "t5"
    /// exp(Z) standardised: skewness 6.18, kurtosis 114.
    case lognormal

    public var label: String {
        switch self { case .normal: "normal"; case .t5: "t, 5 df"; case .lognormal: "lognormal (σ = 1)" }
    }

    /// One draw (mean 0, variance 1) from a GSL stream.
    @inline(__always)
    public func draw(_ s: inout RandomStream) -> Double {
        switch self {
        case .normal:
            return s.normal()
        case .t5:
            // t_5 = Z / sqrt(chi2_5 / 5), chi2_5 = 2 (E1 + E2) + Z'^2; var t_5 = 5/3.
            let z = s.normal(), z2 = s.normal()
            let chi = 2 * (s.exponential() + s.exponential()) + z2 * z2
            return z / (chi / 5).squareRoot() / (5.0 / 3).squareRoot()
        case .lognormal:
            let e = exp(1.0)
            return (exp(s.normal()) - e.squareRoot()) / ((e - 1) * e).squareRoot()
        }
    }

    static let lognormalKurtosis: Double = {
        let e4: Double = exp(4.0), e3: Double = exp(3.0), e2: Double = exp(2.0)
        return e4 + 2 * e3 + 3 * e2 - 3
    }()
    /// The kurtosis E[x^4] (x standardised).
    public var kurtosis: Double {
        switch self {
        case .normal: 3
        case .t5: 9
        case .lognormal: Self.lognormalKurtosis
        }
    }
}

/// One interval family of the verdict rule, on one kind of data at one sample size: what
/// `SubClaimDesign.decide` reads for `.mean`, `.paired`, `.welch`, `.rate` and `.logVarianceRatio`.
public struct IntervalFamily: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// One-sample t interval (`IntervalEstimate.mean`); the effect shifts the mean.
        case mean
        /// Paired t on (A, B) with corr(A, B) = rho (common random numbers); the effect shifts A.
        case paired(correlation: Double)
        /// Welch t, A with sd 1, B with sd `sdRatio`; the effect shifts A.
        case welch(sdRatio: Double)
        /// Clopper-Pearson on a rate of n trials with reference p0; the effect moves the rate.
        case rate(p0: Double)
        /// Delta-method log(s_A^2 / s_B^2); paired: B = rho A + sqrt(1 - rho^2) Y. The effect is
        /// the true log variance ratio (A scaled by exp(effect / 2)).
        case logVarianceRatio(paired: Bool, correlation: Double)
    }
    public var kind: Kind
    public var noise: CalibrationNoise
    public var n: Int
    /// greater / less (directional, SESOI) or equivalent (TOST, margin).
    public var claimed: SubClaimDesign.Claimed

    public init(_ kind: Kind, noise: CalibrationNoise = .normal, n: Int, claimed: SubClaimDesign.Claimed = .greater) {
        self.kind = kind; self.noise = noise; self.n = n; self.claimed = claimed
    }

    public var method: IntervalMethod {
        switch kind {
        case .mean, .paired: .t
        case .welch: .welch
        case .rate: .clopperPearson
        case .logVarianceRatio: .normal
        }
    }

    public var name: String {
        let side = claimed == .equivalent ? "TOST, " : ""
        switch kind {
        case .mean: return "\(side)t (mean)"
        case .paired(let r): return "\(side)paired t (ρ = \(fmt(r)))"
        case .welch(let k): return "\(side)Welch t" + (k == 1 ? "" : " (sd_B = \(fmt(k)) sd_A)")
        case .rate(let p0): return "\(side)Clopper-Pearson rate (p0 = \(fmt(p0)))"
        case .logVarianceRatio(let paired, let r): return "\(side)log variance ratio, " + (paired ? "paired (ρ = \(fmt(r)))" : "unpaired")
        }
    }
    public var dataLabel: String {
        if case .rate = kind { return "Bernoulli" }
        return noise.label
    }
    public var unit: String {
        switch kind {
        case .mean, .paired: n >= 100 ? "draws" : "seeds"
        case .welch: "seeds per group"
        case .rate: "trials"
        case .logVarianceRatio: "draws"
        }
    }
    /// Observations drawn per replicate (for budgeting replicates).
    public var drawsPerReplicate: Int {
        switch kind {
        case .mean: n
        case .rate: 1
        case .paired, .welch, .logVarianceRatio: 2 * n
        }
    }

    /// The sd of one observation the design plans with, exact for this model: 1 for the mean;
    /// sd(A - B) = sqrt(2 (1 - rho)) for pairs; the RMS group sd for Welch; for the log variance
    /// ratio the sd of the influence (x^2 - 1 per group, unpaired: sqrt(2 (kappa - 1)); paired: of
    /// the difference of the influences, from the moments of A and B = rho A + sqrt(1 - rho^2) Y).
    public var planningSD: Double {
        switch kind {
        case .mean: return 1
        case .paired(let r): return (2 * (1 - r)).squareRoot()
        case .welch(let k): return ((1 + k * k) / 2).squareRoot()
        case .rate: return .nan
        case .logVarianceRatio(let paired, let r):
            let k = noise.kurtosis
            if !paired { return (2 * (k - 1)).squareRoot() }
            let s = (1 - r * r).squareRoot()
            let b4 = pow(r, 4) * k + 6 * r * r * s * s + pow(s, 4) * k
            let cov = r * r * (k - 1)
            return ((k - 1) + (b4 - 1) - 2 * cov).squareRoot()
        }
    }

    /// The standard error the design plans with for n observations.
    var plannedSE: Double {
        method == .welch ? planningSD * (2 / Double(n)).squareRoot() : planningSD / Double(n).squareRoot()
    }

    /// The design judged: the SESOI (or margin) is the smallest at which the design is just
    /// decidable at `designAlpha` (both probabilities 0.95; the claim alpha the suite uses), so
    /// the calibration tests each family where the suite's own designs sit.
    public func design(designAlpha: Double) -> SubClaimDesign {
        let reference: Double
        if case .rate(let p0) = kind { reference = p0 } else { reference = 0 }
        func make(_ sesoi: Double) -> SubClaimDesign {
            SubClaimDesign(name, layer: .monteCarlo, estimand: name, claimed: claimed, reference: reference, sesoi: sesoi,
                           sesoiSource: "smallest decidable at alpha \(fmt(designAlpha, 3))", alphaShare: 1, count: 1,
                           method: method, planningSD: planningSD, sampleSize: PerScale(n), unit: unit)
        }
        if case .rate(let p0) = kind {
            // Smallest decidable rate difference on a 0.01 grid (exact binomial sums).
            // Decidability grows with d: bisect over the grid.
            let room = claimed == .less ? p0 : 1 - p0
            var lo = 0, hi = Int((room * 100).rounded(.down)) - 1
            func ok(_ k: Int) -> Bool { make(Double(k) / 100).plan(scale: "quick", familyAlpha: designAlpha).decidable }
            if !ok(hi) { return make(Double(hi) / 100) }
            while hi - lo > 1 { let mid = (lo + hi) / 2; if ok(mid) { hi = mid } else { lo = mid } }
            return make(Double(hi) / 100)
        }
        let df: Double? = switch method { case .t: Double(n - 1); case .welch: Double(2 * n - 2); default: nil }
        let q = df.map { Dist.tUpperQuantile(designAlpha, df: $0) } ?? Dist.normalUpperQuantile(designAlpha)
        let z = Dist.normalUpperQuantile(claimed == .equivalent ? 0.025 : 0.05)
        // The known-sd value (q + z) se, grown by 1% steps until the exact (noncentral t) plan
        // calls it decidable: the smallest decidable SESOI to 1%.
        var sesoi = (q + z) * plannedSE
        for _ in 0..<1000 where !make(sesoi).plan(scale: "quick", familyAlpha: designAlpha).decidable { sesoi *= 1.01 }
        return make(sesoi)
    }

    /// One simulated sample at a true effect (estimand - reference).
    public struct Sample { var a: [Double]; var b: [Double]; var successes: Int }

    public func draw(effect: Double, _ s: inout RandomStream) -> Sample {
        switch kind {
        case .mean:
            return Sample(a: (0..<n).map { _ in effect + noise.draw(&s) }, b: [], successes: 0)
        case .paired(let r):
            var a = [Double](repeating: 0, count: n), b = a
            let c = (1 - r * r).squareRoot()
            for i in 0..<n { let x = noise.draw(&s), y = noise.draw(&s); a[i] = effect + x; b[i] = r * x + c * y }
            return Sample(a: a, b: b, successes: 0)
        case .welch(let k):
            let a = (0..<n).map { _ in effect + noise.draw(&s) }
            let b = (0..<n).map { _ in k * noise.draw(&s) }
            return Sample(a: a, b: b, successes: 0)
        case .rate(let p0):
            return Sample(a: [], b: [], successes: s.binomial(min(1, max(0, p0 + effect)), trials: n))
        case .logVarianceRatio(let paired, let r):
            let scale = exp(effect / 2)
            var a = [Double](repeating: 0, count: n), b = a
            if paired {
                let c = (1 - r * r).squareRoot()
                for i in 0..<n { let x = noise.draw(&s), y = noise.draw(&s); a[i] = scale * x; b[i] = r * x + c * y }
            } else {
                for i in 0..<n { a[i] = scale * noise.draw(&s) }
                for i in 0..<n { b[i] = noise.draw(&s) }
            }
            return Sample(a: a, b: b, successes: 0)
        }
    }

    /// The interval the suite computes from this sample at per-interval alpha.
    public func interval(_ x: Sample, alpha: Double) -> IntervalEstimate {
        switch kind {
        case .mean: .mean(x.a, alpha: alpha)
        case .paired: .paired(x.a, x.b, alpha: alpha)
        case .welch: .welch(x.a, x.b, alpha: alpha)
        case .rate: .rate(successes: x.successes, trials: n, alpha: alpha)
        case .logVarianceRatio(let paired, _): .logVarianceRatio(x.a, x.b, paired: paired, alpha: alpha)
        }
    }
}

/// One family's calibration at one alpha.
public struct IntervalCalibrationRow: Codable, Sendable {
    public var alpha: Double
    /// The design's computed probabilities at this alpha (`SubClaimDesign.plan`).
    public var plan: DesignPlan
    /// P(REPRODUCED) where the claim just fails: no effect (directional); bias = +margin (TOST).
    public var falseReproduced: RealisedRate
    /// TOST only: P(REPRODUCED) at bias = -margin (the other boundary; differs for skewed data).
    public var falseReproducedLow: RealisedRate?
    /// P(NOT REPRODUCED) where the claim just holds: effect = SESOI; no bias (TOST).
    public var falseNotReproduced: RealisedRate
    /// P(REPRODUCED) where the claim holds (SESOI; no bias), beside `plan.reproducedWhenHolds`.
    public var reproducedWhenHolds: RealisedRate
    /// P(NOT REPRODUCED) where it fails (no effect; bias = 2 margins), beside `plan.notReproducedWhenFails`.
    public var notReproducedWhenFails: RealisedRate
    /// The worse of the two false-REPRODUCED boundaries.
    public var worstFalseReproduced: RealisedRate {
        guard let low = falseReproducedLow, low.rate > falseReproduced.rate else { return falseReproduced }
        return low
    }
}

public struct IntervalCalibration: Codable, Sendable {
    public var family: String
    public var data: String
    public var method: IntervalMethod
    public var claimed: SubClaimDesign.Claimed
    public var n: Int
    public var unit: String
    public var sesoi: Double
    public var planningSD: Double
    public var replicates: Int
    public var rows: [IntervalCalibrationRow]
}

/// A supporting (old-style, p-value) test family: size under H0 and power at a design effect.
public struct TestCalibrationRow: Codable, Sendable {
    public var alpha: Double
    /// Rejections under H0 (the family-wise error for Holm).
    public var size: RealisedRate
    /// The exact size where it is computable (discrete tests, Holm on independent tests).
    public var exactSize: Double?
    public var power: RealisedRate?
    /// The power `Power` (or an exact enumeration) computes at the design effect.
    public var computedPower: Double?
}

public struct TestCalibration: Codable, Sendable {
    public var family: String
    public var data: String
    public var n: String
    public var designEffect: String
    public var powerSource: String
    public var replicates: Int
    public var rows: [TestCalibrationRow]
}

public struct CalibrationResults: Codable, Sendable {
    public var masterSeed: UInt64
    public var baseReplicates: Int
    public var alphas: [Double]
    public var designAlpha: Double
    public var intervals: [IntervalCalibration]
    public var tests: [TestCalibration]
}

/// The calibration experiments.
public enum Calibration {
    /// The interval families of the full run: the sample sizes the suite uses (5-30 seeds, 30-100
    /// trials, 100-10,000 draws), normal and heavy-tailed data.
    public static let standardFamilies: [IntervalFamily] = {
        var f: [IntervalFamily] = []
        for n in [5, 10, 30] { f.append(IntervalFamily(.mean, n: n)) }
        f.append(IntervalFamily(.mean, noise: .lognormal, n: 30))
        for n in [5, 10, 30] { f.append(IntervalFamily(.paired(correlation: 0.8), n: n)) }
        for n in [5, 10, 30] { f.append(IntervalFamily(.welch(sdRatio: 1), n: n)) }
        for n in [5, 10] { f.append(IntervalFamily(.welch(sdRatio: 3), n: n)) }
        f.append(IntervalFamily(.rate(p0: 0.5), n: 30))
        f.append(IntervalFamily(.rate(p0: 0.5), n: 100, claimed: .less))
        f.append(IntervalFamily(.logVarianceRatio(paired: false, correlation: 0), n: 1000, claimed: .less))
        for noise in [CalibrationNoise.t5, .lognormal] {
            for n in [100, 1000, 10000] {
                f.append(IntervalFamily(.logVarianceRatio(paired: false, correlation: 0), noise: noise, n: n, claimed: .less))
            }
        }
        f.append(IntervalFamily(.logVarianceRatio(paired: true, correlation: 0.8), n: 1000, claimed: .less))
        for noise in [CalibrationNoise.t5, .lognormal] {
            for n in [1000, 10000] {
                f.append(IntervalFamily(.logVarianceRatio(paired: true, correlation: 0.8), noise: noise, n: n, claimed: .less))
            }
        }
        for n in [10, 30] { f.append(IntervalFamily(.mean, n: n, claimed: .equivalent)) }
        for noise in [CalibrationNoise.t5, .lognormal] {
            f.append(IntervalFamily(.mean, noise: noise, n: 1000, claimed: .equivalent))
        }
        f.append(IntervalFamily(.mean, noise: .lognormal, n: 10000, claimed: .equivalent))
        return f
    }()

    /// Replicates for a family: the base count, fewer where one replicate draws more than 2,000
    /// observations (cost), never fewer than a tenth of the base.
    public static func replicates(base: Int, draws: Int) -> Int {
        draws <= 2000 ? base : max(base / 10, base * 2000 / draws)
    }

    /// The stream of one (family, condition): independent, seeded from the master seed.
    static func stream(master: UInt64, _ family: String, _ condition: String) -> RandomStream {
        RandomStream(master: master, claim: "calibrate", label: family + "/" + condition)
    }

    /// Counts of REPRODUCED and NOT REPRODUCED per alpha over `replicates` samples at `effect`.
    static func count(_ family: IntervalFamily, design: SubClaimDesign, effect: Double, alphas: [Double],
                      replicates: Int, stream: RandomStream) -> [(rep: Int, not: Int)] {
        var s = stream
        var counts = [(rep: Int, not: Int)](repeating: (0, 0), count: alphas.count)
        // A rate's interval is a function of the count alone: decide each count once.
        var rateVerdicts: [[Verdict]] = []
        if case .rate = family.kind {
            rateVerdicts = (0...family.n).map { k in
                alphas.map { design.decide(IntervalEstimate.rate(successes: k, trials: family.n, alpha: $0).interval) }
            }
        }
        for _ in 0..<replicates {
            let x = family.draw(effect: effect, &s)
            for (j, a) in alphas.enumerated() {
                let v = rateVerdicts.isEmpty ? design.decide(family.interval(x, alpha: a).interval) : rateVerdicts[x.successes][j]
                if v == .reproduced { counts[j].rep += 1 } else if v == .notReproduced { counts[j].not += 1 }
            }
        }
        return counts
    }

    /// Calibrates one interval family at every alpha.
    public static func calibrate(_ family: IntervalFamily, alphas: [Double], designAlpha: Double, replicates: Int,
                                 masterSeed: UInt64) -> IntervalCalibration {
        let design = family.design(designAlpha: designAlpha)
        let id = "\(family.name) | \(family.dataLabel) | n=\(family.n)"
        func run(_ condition: String, _ effect: Double) -> [(rep: Int, not: Int)] {
            count(family, design: design, effect: effect, alphas: alphas, replicates: replicates,
                  stream: stream(master: masterSeed, id, condition))
        }
        let d = design.sesoi
        var rows: [IntervalCalibrationRow] = []
        let rate = { (k: Int) in RealisedRate(events: k, replicates: replicates) }
        if family.claimed == .equivalent {
            let atUpper = run("bias=+margin", d), atLower = run("bias=-margin", -d)
            let atZero = run("bias=0", 0), atTwo = run("bias=2margin", 2 * d)
            for (j, a) in alphas.enumerated() {
                rows.append(IntervalCalibrationRow(
                    alpha: a, plan: design.plan(scale: "quick", familyAlpha: a),
                    falseReproduced: rate(atUpper[j].rep), falseReproducedLow: rate(atLower[j].rep),
                    falseNotReproduced: rate(atZero[j].not), reproducedWhenHolds: rate(atZero[j].rep),
                    notReproducedWhenFails: rate(atTwo[j].not)))
            }
        } else {
            let atZero = run("effect=0", 0), atSESOI = run("effect=SESOI", design.claimHoldsEffect)
            for (j, a) in alphas.enumerated() {
                rows.append(IntervalCalibrationRow(
                    alpha: a, plan: design.plan(scale: "quick", familyAlpha: a),
                    falseReproduced: rate(atZero[j].rep), falseReproducedLow: nil,
                    falseNotReproduced: rate(atSESOI[j].not), reproducedWhenHolds: rate(atSESOI[j].rep),
                    notReproducedWhenFails: rate(atZero[j].not)))
            }
        }
        return IntervalCalibration(family: family.name, data: family.dataLabel, method: family.method, claimed: family.claimed,
                                   n: family.n, unit: family.unit, sesoi: d, planningSD: family.planningSD,
                                   replicates: replicates, rows: rows)
    }

    // MARK: - Supporting tests (p-values; they never decide a verdict)

    public enum SupportingFamily: Sendable, Equatable {
        /// One-sided (greater) Mann-Whitney, n per group, normal data; design effect d sd.
        case mannWhitney(n: Int, effect: Double)
        /// One-sided exact binomial test of p0 with n trials; power at p1.
        case binomial(n: Int, p0: Double, p1: Double)
        /// One-sided Fisher exact test, n per group, both at p under H0; power at (pA, pB).
        case fisher(n: Int, p: Double, pA: Double, pB: Double)
        /// Holm over k one-sided one-sample t tests (n seeds each, independent) under the global
        /// null: the family-wise error.
        case holm(k: Int, n: Int)
    }

    public static let standardSupporting: [SupportingFamily] = [
        .mannWhitney(n: 5, effect: 2), .mannWhitney(n: 10, effect: 1.5), .mannWhitney(n: 30, effect: 1), .mannWhitney(n: 60, effect: 0.8),
        .binomial(n: 30, p0: 0.5, p1: 0.85),
        .fisher(n: 25, p: 0.4, pA: 0.8, pB: 0.2),
        .holm(k: 5, n: 10), .holm(k: 20, n: 10),
    ]

    public static func calibrate(_ family: SupportingFamily, alphas: [Double], replicates: Int, masterSeed: UInt64) -> TestCalibration {
        switch family {
        case .mannWhitney(let n, let d):
            let id = "Mann-Whitney n=\(n)"
            // Continuous data have no ties, so the p-value is a function of U alone: the library's
            // test runs once per distinct U (the exact null distribution is costly at n = 30).
            var byU: [Double: Double] = [:]
            func rejections(_ effect: Double, _ condition: String) -> [Int] {
                var s = stream(master: masterSeed, id, condition)
                var c = [Int](repeating: 0, count: alphas.count)
                for _ in 0..<replicates {
                    let a = (0..<n).map { _ in effect + s.normal() }, b = (0..<n).map { _ in s.normal() }
                    let ranked = MannWhitney.ranks(a + b)
                    let u = ranked.ranks[0..<n].reduce(0, +) - Double(n * (n + 1)) / 2
                    let p: Double
                    if !ranked.hasTies, let known = byU[u] { p = known } else {
                        p = MannWhitney.test(a, b, alternative: .greater, alpha: 0.05).pValue
                        if !ranked.hasTies { byU[u] = p }
                    }
                    for (j, al) in alphas.enumerated() where p < al { c[j] += 1 }
                }
                return c
            }
            let null = rejections(0, "null"), alt = rejections(d, "effect")
            let exact = n * n <= MannWhitney.exactPairLimit
            var sizes: [Double?] = alphas.map { _ in nil }
            if exact {
                let pmf = MannWhitney.exactDistribution(m: n, n: n)
                sizes = alphas.map { al in
                    pmf.indices.filter { MannWhitney.exactPValue(u: Double($0), m: n, n: n, alternative: .greater) < al }
                        .reduce(0.0) { $0 + pmf[$1] }
                }
            }
            return TestCalibration(
                family: "Mann-Whitney U (one-sided, \(exact ? "exact" : "normal approx."))", data: "normal", n: "\(n) per group",
                designEffect: "shift \(fmt(d)) sd", powerSource: "Power.mannWhitney (ARE 3/π approximation)", replicates: replicates,
                rows: alphas.indices.map { j in
                    TestCalibrationRow(alpha: alphas[j], size: RealisedRate(events: null[j], replicates: replicates), exactSize: sizes[j],
                                       power: RealisedRate(events: alt[j], replicates: replicates),
                                       computedPower: Power.mannWhitney(nPerGroup: n, effect: d, alpha: alphas[j]))
                })
        case .binomial(let n, let p0, let p1):
            let id = "binomial n=\(n)"
            let pv = (0...n).map { BinomialTest.pValue(successes: $0, trials: n, p0: p0, alternative: .greater) }
            func rejections(_ p: Double, _ condition: String) -> [Int] {
                var s = stream(master: masterSeed, id, condition)
                var c = [Int](repeating: 0, count: alphas.count)
                for _ in 0..<replicates {
                    let k = s.binomial(p, trials: n)
                    for (j, al) in alphas.enumerated() where pv[k] < al { c[j] += 1 }
                }
                return c
            }
            let null = rejections(p0, "null"), alt = rejections(p1, "effect")
            return TestCalibration(
                family: "exact binomial test (one-sided)", data: "Bernoulli", n: "\(n) trials", designEffect: "p = \(fmt(p1)) vs p0 = \(fmt(p0))",
                powerSource: "Power.binomial (exact sum)", replicates: replicates,
                rows: alphas.indices.map { j in
                    let region = (0...n).filter { pv[$0] < alphas[j] }
                    return TestCalibrationRow(alpha: alphas[j], size: RealisedRate(events: null[j], replicates: replicates),
                                              exactSize: region.reduce(0.0) { $0 + Dist.binomialPMF($1, n: n, p: p0) },
                                              power: RealisedRate(events: alt[j], replicates: replicates),
                                              computedPower: Power.binomial(trials: n, p0: p0, p1: p1, alpha: alphas[j], alternative: .greater))
                })
        case .fisher(let n, let p, let pA, let pB):
            let id = "Fisher n=\(n)"
            // p-value of every table (a successes of n in A, c of n in B), computed once.
            let pv = (0...n).map { a in (0...n).map { c in FisherExact.pValue(a, n - a, c, n - c, alternative: .greater) } }
            func rejections(_ qa: Double, _ qb: Double, _ condition: String) -> [Int] {
                var s = stream(master: masterSeed, id, condition)
                var cnt = [Int](repeating: 0, count: alphas.count)
                for _ in 0..<replicates {
                    let a = s.binomial(qa, trials: n), c = s.binomial(qb, trials: n)
                    for (j, al) in alphas.enumerated() where pv[a][c] < al { cnt[j] += 1 }
                }
                return cnt
            }
            func exactRate(_ qa: Double, _ qb: Double, _ al: Double) -> Double {
                var t = 0.0
                for a in 0...n { for c in 0...n where pv[a][c] < al { t += Dist.binomialPMF(a, n: n, p: qa) * Dist.binomialPMF(c, n: n, p: qb) } }
                return t
            }
            let null = rejections(p, p, "null"), alt = rejections(pA, pB, "effect")
            return TestCalibration(
                family: "Fisher exact test (one-sided)", data: "Bernoulli", n: "\(n) per group", designEffect: "\(fmt(pA)) vs \(fmt(pB)); H0 both \(fmt(p))",
                powerSource: "exact enumeration of all tables", replicates: replicates,
                rows: alphas.indices.map { j in
                    TestCalibrationRow(alpha: alphas[j], size: RealisedRate(events: null[j], replicates: replicates),
                                       exactSize: exactRate(p, p, alphas[j]),
                                       power: RealisedRate(events: alt[j], replicates: replicates),
                                       computedPower: exactRate(pA, pB, alphas[j]))
                })
        case .holm(let k, let n):
            var s = stream(master: masterSeed, "Holm k=\(k) n=\(n)", "global null")
            var c = [Int](repeating: 0, count: alphas.count)
            for _ in 0..<replicates {
                let p = (0..<k).map { _ in TTest.oneSample((0..<n).map { _ in s.normal() }, alternative: .greater, alpha: 0.05).pValue }
                for (j, al) in alphas.enumerated() where Holm.adjust(p, alpha: al).rejected.contains(true) { c[j] += 1 }
            }
            return TestCalibration(
                family: "Holm over \(k) one-sided t tests (family-wise error)", data: "normal, independent", n: "\(n) seeds per test",
                designEffect: "—", powerSource: "—", replicates: replicates,
                rows: alphas.indices.map { j in
                    TestCalibrationRow(alpha: alphas[j], size: RealisedRate(events: c[j], replicates: replicates),
                                       exactSize: 1 - pow(1 - alphas[j] / Double(k), Double(k)), power: nil, computedPower: nil)
                })
        }
    }

    /// The whole calibration: every interval family and every supporting test, one independent
    /// stream per (family, condition) from `masterSeed`.
    public static func run(families: [IntervalFamily] = standardFamilies, supporting: [SupportingFamily] = standardSupporting,
                           alphas: [Double], designAlpha: Double, replicates: Int, masterSeed: UInt64,
                           progress: ((String) -> Void)? = nil) -> CalibrationResults {
        var intervals: [IntervalCalibration] = []
        for (k, f) in families.enumerated() {
            progress?("[\(k + 1)/\(families.count)] \(f.name), \(f.dataLabel), n = \(f.n)")
            intervals.append(calibrate(f, alphas: alphas, designAlpha: designAlpha,
                                       replicates: Self.replicates(base: replicates, draws: f.drawsPerReplicate), masterSeed: masterSeed))
        }
        var tests: [TestCalibration] = []
        for (k, f) in supporting.enumerated() {
            progress?("[supporting \(k + 1)/\(supporting.count)] \(f)")
            tests.append(calibrate(f, alphas: alphas, replicates: replicates, masterSeed: masterSeed))
        }
        return CalibrationResults(masterSeed: masterSeed, baseReplicates: replicates, alphas: alphas, designAlpha: designAlpha,
                                  intervals: intervals, tests: tests)
    }
}
