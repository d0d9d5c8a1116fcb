import Testing
import DiscreteGradients
import Verification

// Calibration, measured (issue 9 part 5): a reduced `reproduce calibrate`. Each interval family of
// the verdict rule is judged with a design that is just decidable at `designAlpha`, on data
// simulated where the claim just fails (no effect; bias = ±margin for TOST) and where it just
// holds (effect = SESOI; no bias for TOST), with `replicates` data sets per condition from the
// project's GSL streams and a fixed master seed.
//
// What is asserted:
// - every false-verdict rate (false REPRODUCED, false NOT REPRODUCED) has a Clopper-Pearson
//   interval that covers or lies below its nominal alpha (2 alpha for TOST's false NOT);
// - where `SubClaimDesign.probabilities` is exact (Clopper-Pearson: binomial sums) or asymptotic
//   with large n (1,000 draws), the realised P(REPRODUCED | holds) and P(NOT REPRODUCED | fails)
//   have intervals that cover the computed ones or lie above them;
// - the anti-conservative and optimistic cases that `Reports/CALIBRATION.md` documents are
//   pinned with `withKnownIssue`, so a fix (or a regression elsewhere) shows up here.
//
// The test's own false-failure rate: with plain 95% intervals each exactly calibrated rate would
// fail one-sidedly with probability 2.5%, and with ~80 assertions the test would fail for ~40% of
// seeds. Each assertion therefore reads a Bonferroni interval, two-sided level 1 - 2 (0.01 / K)
// for the K assertions of its test, so each test fails by chance with probability <= 1% over the
// choice of seed (the seed is fixed, so the outcome is deterministic). The known-issue checks have
// effects of 1.7x to 20x nominal and fail to reproduce with probability < 1e-6 at this size.

private let replicates = 2000
private let masterSeed: UInt64 = 20_251_201
/// Registry.familyAlpha (1e-3 over 21 claims); Reproductions is not a dependency of this target.
private let familyAlpha = 1e-3 / 21
private let alphas = [0.05, 0.01, familyAlpha]

private func bonferroniLevel(_ assertions: Int) -> Double { 1 - 2 * 0.01 / Double(assertions) }

private func calibrated(_ f: IntervalFamily, designAlpha: Double = familyAlpha) -> IntervalCalibration {
    Calibration.calibrate(f, alphas: alphas, designAlpha: designAlpha, replicates: replicates, masterSeed: masterSeed)
}

@Suite("calibration, measured")
struct CalibrationMeasuredTests {
    /// The families on well-behaved data: normal seeds, Bernoulli trials, normal draws.
    static let wellBehaved: [IntervalFamily] = [
        IntervalFamily(.mean, n: 10),
        IntervalFamily(.paired(correlation: 0.8), n: 10),
        IntervalFamily(.welch(sdRatio: 1), n: 10),
        IntervalFamily(.welch(sdRatio: 3), n: 10),
        IntervalFamily(.rate(p0: 0.5), n: 30),
        IntervalFamily(.logVarianceRatio(paired: false, correlation: 0), n: 1000, claimed: .less),
        IntervalFamily(.logVarianceRatio(paired: true, correlation: 0.8), n: 1000, claimed: .less),
        IntervalFamily(.mean, n: 30, claimed: .equivalent),
        IntervalFamily(.mean, n: 1000, claimed: .equivalent),
    ]

    @Test func falseVerdictRatesAreAtMostNominal() {
        let results = Self.wellBehaved.map { calibrated($0) }
        let k = results.reduce(0) { $0 + $1.rows.count * ($1.claimed == .equivalent ? 3 : 2) }
        let level = bonferroniLevel(k)
        for c in results {
            for row in c.rows {
                let label = "\(c.family), n = \(c.n), alpha \(row.alpha)"
                #expect(row.falseReproduced.interval(level: level).lower <= row.alpha,
                        "false REPRODUCED \(row.falseReproduced.rate) above \(row.alpha): \(label)")
                if let low = row.falseReproducedLow {
                    #expect(low.interval(level: level).lower <= row.alpha, "false REPRODUCED at -margin \(low.rate): \(label)")
                }
                let bound = c.claimed == .equivalent ? 2 * row.alpha : row.alpha
                #expect(row.falseNotReproduced.interval(level: level).lower <= bound,
                        "false NOT REPRODUCED \(row.falseNotReproduced.rate) above \(bound): \(label)")
            }
        }
    }

    /// Where the computed probabilities are exact (binomial sums) or asymptotic with 1,000
    /// observations, the realised ones agree with them or are higher (conservative computation).
    @Test func decisionProbabilitiesMatchThePlanWhereItIsExactOrAsymptotic() {
        let families = [
            IntervalFamily(.rate(p0: 0.5), n: 30),
            IntervalFamily(.rate(p0: 0.5), n: 100, claimed: .less),
            IntervalFamily(.logVarianceRatio(paired: false, correlation: 0), n: 1000, claimed: .less),
            IntervalFamily(.mean, n: 1000, claimed: .equivalent),
        ]
        let results = families.map { calibrated($0) }
        let level = bonferroniLevel(results.reduce(0) { $0 + 2 * $1.rows.count })
        for c in results {
            for row in c.rows {
                let label = "\(c.family), n = \(c.n), alpha \(row.alpha)"
                #expect(row.reproducedWhenHolds.interval(level: level).upper >= row.plan.reproducedWhenHolds,
                        "P(REPRODUCED | holds) \(row.reproducedWhenHolds.rate) below computed \(row.plan.reproducedWhenHolds): \(label)")
                #expect(row.notReproducedWhenFails.interval(level: level).upper >= row.plan.notReproducedWhenFails,
                        "P(NOT REPRODUCED | fails) \(row.notReproducedWhenFails.rate) below computed \(row.plan.notReproducedWhenFails): \(label)")
            }
        }
        // The design search made every family just decidable at the family alpha.
        for c in results { #expect(c.rows.last!.plan.decidable) }
    }

    @Test func supportingTestsHoldTheirSize() {
        let families: [Calibration.SupportingFamily] = [
            .mannWhitney(n: 10, effect: 1.5), .binomial(n: 30, p0: 0.5, p1: 0.85),
            .fisher(n: 25, p: 0.4, pA: 0.8, pB: 0.2), .holm(k: 5, n: 10),
        ]
        let results = families.map { Calibration.calibrate($0, alphas: alphas, replicates: replicates, masterSeed: masterSeed) }
        let level = bonferroniLevel(results.reduce(0) { $0 + 2 * $1.rows.count })
        for t in results {
            for row in t.rows {
                let ci = row.size.interval(level: level)
                #expect(ci.lower <= row.alpha, "\(t.family): size \(row.size.rate) above \(row.alpha)")
                // Where the size is known exactly (discrete tests, Holm on independent tests), the
                // realised rate is consistent with it.
                if let exact = row.exactSize { #expect(ci.contains(exact), "\(t.family): size \(row.size.rate) vs exact \(exact)") }
                // Exact power (binomial sums, table enumeration) agrees with the realised power.
                if let p = row.power, let computed = row.computedPower, t.powerSource.contains("exact") {
                    #expect(p.interval(level: level).contains(computed), "\(t.family): power \(p.rate) vs exact \(computed)")
                }
            }
        }
    }

    // MARK: - Known departures, documented in Reports/CALIBRATION.md

    /// The delta-method log variance ratio on lognormal draws (n = 1,000): the standard error of a
    /// variance ratio is itself estimated from fourth moments, which a skewed sample underestimates,
    /// so the interval is too narrow and a claim that holds at its SESOI is refuted too often
    /// (about 2.5x alpha at 0.05 in the full run).
    @Test func deltaMethodOnLognormalDrawsIsAntiConservative() {
        let c = calibrated(IntervalFamily(.logVarianceRatio(paired: true, correlation: 0.8), noise: .lognormal, n: 1000, claimed: .less))
        withKnownIssue("delta-method log variance ratio is anti-conservative on lognormal draws at n = 1000") {
            #expect(!c.rows[0].falseNotReproduced.exceeds(0.05, level: 0.999))
        }
    }

    /// TOST on the mean of skewed draws (lognormal, n = 1,000): the t interval's tails are
    /// asymmetric under skew, so at the margin on the short-tailed side the test passes
    /// equivalence too often (about 1.7x alpha at 0.05 in the full run).
    @Test func tostOnSkewedDrawsIsAntiConservative() {
        let c = calibrated(IntervalFamily(.mean, noise: .lognormal, n: 1000, claimed: .equivalent))
        withKnownIssue("TOST on a t interval is anti-conservative on lognormal draws at n = 1000") {
            #expect(!c.rows[0].worstFalseReproduced.exceeds(0.05, level: 0.999))
        }
    }

    /// `SubClaimDesign.probabilities` plans a Welch interval at df n - 1, the lower end of the
    /// Welch-Satterthwaite df: at n = 5 with sd_B = 3 sd_A and the claim alpha the realised
    /// P(REPRODUCED | SESOI) must not fall short of the computed one (at df 2n - 2 it did:
    /// ~0.41 against 0.95 in the full run).
    @Test func planHoldsForSmallSampleWelchAtTheClaimAlpha() {
        let c = calibrated(IntervalFamily(.welch(sdRatio: 3), n: 5))
        let row = c.rows[2]
        #expect(!row.reproducedWhenHolds.fallsShortOf(row.plan.reproducedWhenHolds, level: 0.999))
    }
}
