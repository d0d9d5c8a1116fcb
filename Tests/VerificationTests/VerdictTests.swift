import Testing
import DiscreteGradients
import Verification

/// A directional design: the estimand exceeds 0, by at least `sesoi` for the claim to hold.
func greaterDesign(sesoi: Double = 1, sd: Double = 1, n: Int = 30) -> SubClaimDesign {
    SubClaimDesign("shift", layer: .training, estimand: "mean difference", claimed: .greater, sesoi: sesoi,
                   sesoiSource: "test", alphaShare: 1, method: .t, planningSD: sd, sampleSize: PerScale(n), unit: "seeds")
}
func interval(_ lower: Double, _ upper: Double) -> Interval { Interval(lower: lower, upper: upper, level: 0.98) }

@Suite("verdicts read off intervals against a pre-stated smallest effect")
struct VerdictTests {
    @Test func aDirectionalClaimIsDecidedByWhichValuesTheIntervalExcludes() {
        let d = greaterDesign(sesoi: 1)
        #expect(d.decide(interval(0.2, 3)) == .reproduced)        // excludes 0, reaches the SESOI
        #expect(d.decide(interval(-0.5, 0.8)) == .notReproduced)  // excludes the SESOI: too small to be the claim
        #expect(d.decide(interval(0.1, 0.9)) == .notReproduced)   // real but smaller than the claim needs
        #expect(d.decide(interval(-3, -1)) == .notReproduced)     // the other sign
        #expect(d.decide(interval(-0.5, 2)) == .inconclusive)     // neither excluded
        #expect(d.decide(interval(.nan, 1)) == .error)
    }

    @Test func theLessSideMirrorsIt() {
        var d = greaterDesign(sesoi: 0.5); d.claimed = .less
        #expect(d.decide(interval(-2, -0.1)) == .reproduced)
        #expect(d.decide(interval(-0.3, 0.4)) == .notReproduced)
        #expect(d.decide(interval(-1, 0.2)) == .inconclusive)
    }

    @Test func anEquivalenceClaimIsTOSTAgainstItsMargin() {
        let d = SubClaimDesign("unbiased", layer: .monteCarlo, estimand: "bias", claimed: .equivalent, sesoi: 0.1,
                               sesoiSource: "test", alphaShare: 1, method: .t, planningSD: 1, sampleSize: PerScale(1000), unit: "draws")
        #expect(d.decide(interval(-0.05, 0.08)) == .reproduced)
        #expect(d.decide(interval(0.12, 0.3)) == .notReproduced)   // wholly outside the margin
        #expect(d.decide(interval(0.05, 0.3)) == .inconclusive)
    }

    @Test func anExactDesignIsPassOrFail() {
        let d = SubClaimDesign.exact("bias", estimand: "max |E g - g*|", tolerance: 1e-12, source: "rounding")
        #expect(d.decide(interval(1e-13, 1e-13)) == .reproduced)
        #expect(d.decide(interval(1e-6, 1e-6)) == .notReproduced)
        let side = SubClaimDesign.exact("ratio", estimand: "tr Var / |g|^2", claimed: .greater, reference: 1, source: "paper")
        #expect(side.decide(interval(1.5, 1.5)) == .reproduced)
        #expect(side.decide(interval(0.5, 0.5)) == .notReproduced)
    }

    /// The planning probabilities follow the normal model: with many seeds both verdicts are
    /// reachable, with 3 seeds at a tiny alpha neither is.
    @Test func decidabilityGrowsWithTheSampleSize() {
        let many = greaterDesign(sesoi: 1, sd: 1, n: 200).plan(scale: "paper", familyAlpha: 5e-5)
        #expect(many.decidable && many.reproducedWhenHolds >= 0.95 && many.notReproducedWhenFails >= 0.95)
        #expect(many.falseReproduced <= 5e-5 && many.falseNotReproduced <= 5e-5 + 1e-12)
        let few = greaterDesign(sesoi: 1, sd: 1, n: 3).plan(scale: "paper", familyAlpha: 5e-5)
        #expect(!few.decidable)
        let needed = try! #require(few.neededN)
        #expect(greaterDesign(sesoi: 1, sd: 1, n: needed).plan(scale: "paper", familyAlpha: 5e-5).decidable)
        #expect(!greaterDesign(sesoi: 1, sd: 1, n: needed - 1).plan(scale: "paper", familyAlpha: 5e-5).decidable)
    }

    /// With few seeds the interval's width is itself random; the planning probabilities average
    /// over it (noncentral t). Checked against simulated t intervals: 40,000 replicates of n = 5 at
    /// a fixed seed; the binomial sd of a simulated rate near 0.5 is 0.0025, so a tolerance of 0.012
    /// is about 5 sd (false-failure rate ~1e-6). The old known-sd shortcut misses by more than that.
    @Test func planningProbabilitiesMatchSimulatedTIntervalsAtFewSeeds() {
        let n = 5, alpha = 0.01, replicates = 40_000
        let design = greaterDesign(sesoi: 1, sd: 1, n: n)
        for trueEffect in [0.0, 1.0] {
            var stream = RandomStream(seed: 20261201)
            var reproduced = 0, notReproduced = 0
            for _ in 0..<replicates {
                let xs = (0..<n).map { _ in stream.normal(mean: trueEffect, sd: 1) }
                switch design.decide(IntervalEstimate.mean(xs, alpha: alpha).interval) {
                case .reproduced: reproduced += 1
                case .notReproduced: notReproduced += 1
                default: break
                }
            }
            let planned = design.probabilities(trueEffect: trueEffect, n: n, alpha: alpha)
            #expect(abs(Double(reproduced) / Double(replicates) - planned.reproduced) < 0.012)
            #expect(abs(Double(notReproduced) / Double(replicates) - planned.notReproduced) < 0.012)
        }
    }

    /// Where the claim just holds (effect = SESOI), NOT REPRODUCED needs the upper bound below the
    /// SESOI: for a t interval that happens with probability exactly alpha (a central t). The
    /// planning quadrature must give it at the suite's tiny alphas, where the tails of the sample
    /// sd decide; a coarse grid overstated it (2.4e-5 for 2.38e-5 at n = 64).
    @Test func theFalseNotReproducedRateOfATDesignIsItsAlpha() {
        for n in [5, 11, 64, 1000] {
            for familyAlpha in [1e-2, 4.76e-5, 1e-7] {
                let plan = greaterDesign(sesoi: 1, sd: 1, n: n).plan(scale: "paper", familyAlpha: familyAlpha)
                #expect(abs(plan.falseNotReproduced - familyAlpha) <= 1e-3 * familyAlpha, "n = \(n), alpha = \(familyAlpha): \(plan.falseNotReproduced)")
            }
        }
    }

    @Test func rateDesignsUseExactBinomialSums() {
        let d = SubClaimDesign("majority", layer: .training, estimand: "success rate", claimed: .greater, reference: 0.5,
                               sesoi: 0.4, sesoiSource: "test", alphaShare: 1, method: .clopperPearson,
                               sampleSize: PerScale(30), unit: "seeds")
        let p = d.plan(scale: "quick", familyAlpha: 1e-3)
        #expect(p.reproducedWhenHolds > 0.9 && p.notReproducedWhenFails > 0.9)
        #expect(d.decide(IntervalEstimate.rate(successes: 30, trials: 30, alpha: 1e-3).interval) == .reproduced)
        #expect(d.decide(IntervalEstimate.rate(successes: 12, trials: 30, alpha: 1e-3).interval) == .notReproduced)
    }

    @Test func intervalsAreAtOneMinusTwoAlpha() {
        let xs: [Double] = [2.1, 2.5, 1.9, 2.8, 2.2, 2.6, 2.4, 2.0]
        let e = IntervalEstimate.mean(xs, alpha: 0.01)
        #expect(abs(e.interval.level - 0.98) < 1e-12)
        // Each side is the one-sided t test at alpha: the lower end equals the one-sided bound.
        let t = TTest.oneSample(xs, mu0: 0, alternative: .greater, alpha: 0.01)
        #expect(abs(e.interval.lower - t.interval!.lower) < 1e-12)
        #expect(greaterDesign(sesoi: 1).decide(e.interval) == .reproduced)
    }

    @Test func allTakesTheWorstPart() {
        // Order: ERROR > NOT REPRODUCED > INCONCLUSIVE > REPRODUCED.
        #expect(Verdict.all([.reproduced, .reproduced]) == .reproduced)
        #expect(Verdict.all([.reproduced, .inconclusive]) == .inconclusive)
        #expect(Verdict.all([.inconclusive, .notReproduced, .reproduced]) == .notReproduced)
        #expect(Verdict.all([.notReproduced, .error, .inconclusive]) == .error)
        #expect(Verdict.all([.error, .reproduced]) == .error)
        #expect(Verdict.all([]) == .error)  // nothing tested is not a reproduction
        #expect(Verdict.reproduced < .inconclusive && .inconclusive < .notReproduced && .notReproduced < .error)
    }
}
