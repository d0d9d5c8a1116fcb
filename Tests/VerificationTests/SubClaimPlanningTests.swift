import Foundation
import Testing
import DiscreteGradients
import Verification

// Whole-sub-claim planning and tail-exact calibration (issue 20; CLAIMS.md rules 2 and 15).

@Suite("whole-sub-claim planning")
struct SubClaimPlanningTests {
    func design(count: Int, n: Int) -> SubClaimDesign {
        SubClaimDesign("orderings", layer: .training, estimand: "paired difference", claimed: .greater, sesoi: 0.693,
                       sesoiSource: "test", alphaShare: 1, count: count, method: .t, planningSD: 0.15,
                       sampleSize: PerScale(n), unit: "seeds")
    }

    @Test("six intervals at 0.989 each plan as a whole to at least 1 - 6 x 0.011 and are no longer decidable")
    func conjunction() {
        let family = 5.6e-6
        let one = design(count: 1, n: 11), six = design(count: 6, n: 11)
        // The per-interval alpha is the same: one interval alone at family / 6.
        var single = one; single.alphaShare = 1.0 / 6
        let p1 = single.plan(scale: "quick", familyAlpha: family)
        let p6 = six.plan(scale: "quick", familyAlpha: family)
        #expect(abs(p1.alpha - p6.alpha) < 1e-18)
        #expect(abs(p6.reproducedWhenHolds - max(0, 1 - 6 * (1 - p1.reproducedWhenHolds))) < 1e-12)
        #expect(p6.intervalReproducedWhenHolds == p1.reproducedWhenHolds)
        // P(NOT | fails) needs only the failing interval: the per-interval value is a valid bound.
        #expect(p6.notReproducedWhenFails == p1.notReproducedWhenFails)
        // False NOT REPRODUCED: union over the six intervals; false REPRODUCED: the boundary interval's.
        #expect(abs(p6.falseNotReproduced - 6 * p1.falseNotReproduced) < 1e-15)
        #expect(p6.falseReproduced == p1.falseReproduced)
        if p1.reproducedWhenHolds < 1 - 0.05 / 6 { #expect(p6.reproducedWhenHolds < p1.reproducedWhenHolds) }
    }

    @Test("the needed sample size is the fewest that decides the whole sub-claim")
    func neededN() throws {
        let family = 4.76e-5 * 0.5
        let d = design(count: 6, n: 2)
        let a = d.alpha(familyAlpha: family)
        let n = try #require(d.neededSampleSize(alpha: a))
        var at = d; at.sampleSize = PerScale(n)
        var below = d; below.sampleSize = PerScale(n - 1)
        #expect(at.plan(scale: "quick", familyAlpha: family).decidable)
        #expect(!below.plan(scale: "quick", familyAlpha: family).decidable)
        var one = d; one.count = 1; one.alphaShare = d.alphaShare / 6
        #expect(try #require(one.neededSampleSize(alpha: a)) <= n)
    }

    @Test("under normality a t design's false NOT REPRODUCED is alpha exactly, by two independent integrations, down to 1e-7")
    func tailExact() throws {
        for (n, alpha) in [(9, 2.4e-6), (12, 9.3e-7), (700_000, 4.76e-6), (65, 1e-7)] {
            let d = SubClaimDesign("t", layer: .training, estimand: "mean", claimed: .greater, sesoi: 1, sesoiSource: "test",
                                   alphaShare: 1, count: 3, method: .t, planningSD: 1, sampleSize: PerScale(n), unit: "seeds")
            let row = try #require(TailCalibration.row(claim: "test", design: d, scale: "quick", familyAlpha: 3 * alpha))
            #expect(abs(row.falseNotInterval.value / alpha - 1) < 2e-3, "n \(n): \(row.falseNotInterval.value)")
            let check = try #require(row.falseNotIntervalCheck)
            #expect(abs(check / alpha - 1) < 1e-4, "n \(n): independent integration \(check)")
            #expect(row.falseReproduced.value <= alpha * (1 + 1e-3))
            #expect(abs(row.falseNotSubClaim - 3 * row.falseNotInterval.value) < 1e-15)
        }
    }

    @Test("resampling normal-looking scalars: exact enumeration and importance sampling agree with each other")
    func shapesEnumerationAndTilting() throws {
        // 7 scalars, n = 7: 1716 resamples, enumerated; the same rate by tilted sampling must agree
        // within its stated relative error (4 standard errors).
        let xs = [-1.3, -0.6, -0.2, 0.1, 0.4, 0.7, 1.1]
        let d = SubClaimDesign("t", layer: .training, estimand: "mean", claimed: .greater, sesoi: 1.5, sesoiSource: "test",
                               alphaShare: 1, count: 1, method: .t, planningSD: 0.8, sampleSize: PerScale(7), unit: "seeds")
        let alpha = 0.01
        let row = try #require(ShapeCalibration.calibrate(SeedScalars(claim: "c", subClaim: "t", interval: 1, scale: "quick", values: xs),
                                                          design: d, scale: "quick", familyAlpha: alpha, replicates: 40_000, masterSeed: 3))
        #expect(row.falseNotReproduced.method.hasPrefix("exact"))
        // 1716 resamples, each with its multinomial weight: the rates are probabilities.
        #expect(row.falseNotReproduced.value > 0 && row.falseNotReproduced.value < 1)
        #expect(row.atomFloor == pow(7.0, -6))
        var big = d; big.sampleSize = PerScale(40)
        let tilted = try #require(ShapeCalibration.calibrate(SeedScalars(claim: "c", subClaim: "t", interval: 1, scale: "quick", values: xs),
                                                             design: big, scale: "quick", familyAlpha: alpha, replicates: 40_000, masterSeed: 3))
        #expect(tilted.falseNotReproduced.method.contains("importance sampling") || tilted.falseNotReproduced.method.contains("Monte Carlo"))
        #expect(tilted.falseNotReproduced.relativeError < 0.2)
        // At n = 40 from a symmetric, light-tailed shape the t interval is close to calibrated.
        #expect(tilted.falseNotReproduced.value < 3 * alpha && tilted.falseNotReproduced.value > alpha / 3,
                "\(tilted.falseNotReproduced.value)")
    }

    @Test("the committed per-seed scalar table round-trips")
    func scalarTable() {
        let rows = [SeedScalars(claim: "relax.toy", subClaim: "lower final loss", interval: 2, scale: "quick", values: [-8.1e-4, 0.1, 1e-300])]
        let back = ShapeCalibration.parse(ShapeCalibration.serialize(rows, header: ["provenance"]))
        #expect(back.count == 1 && back[0].values == rows[0].values && back[0].interval == 2 && back[0].subClaim == "lower final loss")
    }
}
