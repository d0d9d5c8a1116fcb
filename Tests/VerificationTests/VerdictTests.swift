import Testing
import Verification

/// A result with the given p-value judged at alpha = 0.01, optionally with a stated power.
func result(p: Double, power: Double? = nil, statistic: Double = 2) -> TestResult {
    var r = TestResult(test: "t", null: "H0", alternative: "H1", statisticName: "t", statistic: statistic,
                       pValue: p, alpha: 0.01, sampleSize: 20)
    if let power { r = r.with(power: power, at: 0.5) }
    return r
}

@Suite("verdicts from test results and designs")
struct VerdictTests {
    let rejected = 0.001, retained = 0.2

    @Test func claimIsAlternative() {
        // Rejecting H0 supports the claim, powered or not.
        #expect(Verdict.from(result(p: rejected), design: .claimIsAlternative) == .reproduced)
        #expect(Verdict.from(result(p: rejected, power: 0.95), design: .claimIsAlternative) == .reproduced)
        // Not rejecting contradicts it only with power.
        #expect(Verdict.from(result(p: retained, power: 0.95), design: .claimIsAlternative) == .notReproduced)
        #expect(Verdict.from(result(p: retained, power: 0.5), design: .claimIsAlternative) == .inconclusive)
        #expect(Verdict.from(result(p: retained), design: .claimIsAlternative) == .inconclusive)
    }

    @Test func claimIsNull() {
        #expect(Verdict.from(result(p: rejected), design: .claimIsNull) == .notReproduced)
        #expect(Verdict.from(result(p: rejected, power: 0.95), design: .claimIsNull) == .notReproduced)
        #expect(Verdict.from(result(p: retained, power: 0.95), design: .claimIsNull) == .reproduced)
        #expect(Verdict.from(result(p: retained, power: 0.5), design: .claimIsNull) == .inconclusive)
        #expect(Verdict.from(result(p: retained), design: .claimIsNull) == .inconclusive)
    }

    @Test func equivalence() {
        #expect(Verdict.from(result(p: rejected), design: .equivalence) == .reproduced)
        #expect(Verdict.from(result(p: retained, power: 0.95), design: .equivalence) == .notReproduced)
        #expect(Verdict.from(result(p: retained, power: 0.3), design: .equivalence) == .inconclusive)
    }

    @Test func powerThresholdIsInclusiveAtTheMinimum() {
        #expect(Verdict.from(result(p: retained, power: Verdict.minimumPower), design: .claimIsNull) == .reproduced)
        #expect(Verdict.from(result(p: retained, power: Verdict.minimumPower.nextDown), design: .claimIsNull) == .inconclusive)
    }

    @Test func pAtAlphaIsNotARejection() {
        #expect(Verdict.from(result(p: 0.01, power: 0.9), design: .claimIsAlternative) == .notReproduced)
        #expect(Verdict.from(result(p: 0.01.nextDown, power: 0.9), design: .claimIsAlternative) == .reproduced)
    }

    @Test func brokenResultsAreErrors() {
        for design in [Verdict.Design.claimIsAlternative, .claimIsNull, .equivalence] {
            #expect(Verdict.from(result(p: .nan, power: 0.99), design: design) == .error)
            #expect(Verdict.from(result(p: 0.001, statistic: .nan), design: design) == .error)
        }
        // An infinite statistic (a constant sample) is a legitimate, decisive result.
        #expect(Verdict.from(result(p: 0, statistic: .infinity), design: .claimIsAlternative) == .reproduced)
    }

    @Test func realTestsFeedTheVerdict() {
        // A clear shift: the one-sided t-test rejects, so "A is larger" is REPRODUCED; the same
        // data contradict "no difference" (claimIsNull).
        let a: [Double] = [2.1, 2.5, 1.9, 2.8, 2.2, 2.6, 2.4, 2.0]
        let t = TTest.oneSample(a, mu0: 0, alternative: .greater, alpha: 0.01)
        #expect(Verdict.from(t, design: .claimIsAlternative) == .reproduced)
        #expect(Verdict.from(TTest.oneSample(a, mu0: 0, alpha: 0.01), design: .claimIsNull) == .notReproduced)
        // TOST comes with its power, so a retained wide interval is NOT REPRODUCED, not inconclusive.
        let tost = Equivalence.tost(a, target: 0, margin: 0.2, alpha: 0.01)
        #expect(tost.power != nil && Verdict.from(tost, design: .equivalence) != .reproduced)
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

    @Test func deterministicChecks() {
        #expect(Verdict.check(true) == .reproduced)
        #expect(Verdict.check(false) == .notReproduced)
    }
}
