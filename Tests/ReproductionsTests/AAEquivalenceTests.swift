import Foundation
import Testing
import DiscreteGradients
import Pipeline
import Verification

/// A/A controls judged as equivalences (issue 20): where the controlled comparison decides, the
/// interval must lie inside ±2 SESOI; an injected asymmetry of 2.5 SESOI fails it, a clean A/A
/// passes, and where the comparison cannot decide the control is shown without a judgement.
@Suite struct AAEquivalenceTests {
    /// A paired comparison like the training claims': SESOI 1, planning sd 1.5, 100 seeds (decidable at
    /// the family alpha below), 5 seeds at smoke (not decidable).
    static let design = SubClaimDesign("B > A", layer: .training, estimand: "paired difference", claimed: .greater,
                                       sesoi: 1, sesoiSource: "test", alphaShare: 0.5, method: .t, planningSD: 1.5,
                                       sampleSize: PerScale(smoke: 5, quick: 100, paper: 100), unit: "seeds")
    static let family = 4.17e-5

    /// Per-seed values of one method on a seed set: a seed effect shared by both arms of a pair plus
    /// the method's own noise (sd 1.5 / sqrt 2 each, so a paired difference has sd 1.5), plus `shift`.
    static func arm(_ n: Int, shift: Double, stream: inout RandomStream, seedEffects: [Double]) -> [Double] {
        (0..<n).map { seedEffects[$0] + 1.5 / 2.0.squareRoot() * stream.normal() + shift }
    }

    func control(shift: Double, scale: Scale, seed: UInt64) -> AAControl {
        let n = Self.design.sampleSize[scale: scale.rawValue]
        var s = RandomStream(seed: seed)
        let effects = (0..<n).map { _ in 3 * s.normal() }
        let a = Self.arm(n, shift: 0, stream: &s, seedEffects: effects)
        let b = Self.arm(n, shift: shift, stream: &s, seedEffects: effects)     // the injected asymmetry
        return .equivalence(name: "A vs A", controls: Self.design, estimate: .paired(b, a, alpha: Self.design.alpha(familyAlpha: Self.family)),
                            scale: scale, familyAlpha: Self.family)
    }

    @Test func aCleanAAControlPassesAndAnInjectedAsymmetryFailsIt() {
        #expect(Self.design.plan(scale: "quick", familyAlpha: Self.family).decidable)
        for seed in UInt64(1)...5 {
            let clean = control(shift: 0, scale: .quick, seed: seed)
            #expect(clean.judged && clean.margin == 2 && clean.passed, "seed \(seed): \(clean.estimate.interval)")
            let shifted = control(shift: 2.5, scale: .quick, seed: seed)
            #expect(shifted.judged && !shifted.passed, "seed \(seed): \(shifted.estimate.interval)")
        }
        // A failed control makes the claim ERROR.
        let exactDesign = SubClaimDesign.exact("x", estimand: "x", tolerance: 0, source: "x", unit: "x")
        let pass = Check.exact(exactDesign, asserts: "x", values: [0], detail: ""), fail = Check.exact(exactDesign, asserts: "x", values: [1], detail: "")
        let e = Evidence(headline: "", checks: [pass], negativeControls: [NegativeControl(name: "m", bug: "b", checks: [fail])],
                         aaControls: [control(shift: 2.5, scale: .quick, seed: 1)])
        #expect(e.verdict == .error && e.errorReason?.contains("outside ±2") == true)
    }

    /// False failures at the stated rate: a clean control fails with probability about the comparison's
    /// alpha (here 2e-5); 200 clean replicates must all pass (a false positive rate of 200 x 2e-5 = 0.4%).
    @Test func cleanControlsPassAtTheirStatedRate() {
        let failures = (UInt64(100)..<300).filter { !control(shift: 0, scale: .quick, seed: $0).passed }
        #expect(failures.isEmpty)
    }

    @Test func whereTheComparisonCannotDecideTheControlIsShownNotJudged() {
        #expect(!Self.design.plan(scale: "smoke", familyAlpha: Self.family).decidable)
        let c = control(shift: 5, scale: .smoke, seed: 1)
        #expect(!c.judged && c.passed)
        #expect(c.judgement.contains("not judged"))
    }
}
