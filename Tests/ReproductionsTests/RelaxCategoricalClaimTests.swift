import Foundation
import Testing
import DiscreteGradients
import Pipeline
import Reproductions
import Verification

/// relax.categorical at smoke scale (a few seconds): the exact layer, the goodness of fit and the
/// toy are decidable there (only the Monte Carlo means are not), so every mutant must be killed
/// where the design says: z~ := z at the exact layer, the unconditional z~ by the goodness of fit,
/// the variance-ascent surrogate at the toy.
@Suite("relax.categorical (smoke)")
struct RelaxCategoricalClaimTests {
    @Test("registered, quoted, valid at every scale; the smoke run decides the exact, fit and toy layers and kills every mutant there")
    func smoke() throws {
        let claim = RelaxCategoricalClaim()
        #expect(Registry.claim("relax.categorical") != nil)
        #expect(claim.designs.allSatisfy { $0.quote != nil && $0.validScales == ["smoke", "quick", "paper"] })
        #expect(claim.designs.map(\.alphaShare).reduce(0, +) <= 1 + 1e-12)
        for d in claim.designs where d.method != .exact {
            #expect(d.plan(scale: "quick", familyAlpha: Registry.familyAlpha).decidable, "\(d.name) at quick")
            #expect(d.plan(scale: "paper", familyAlpha: Registry.familyAlpha).decidable, "\(d.name) at paper")
        }
        let e = try claim.evidence(context: RunContext(claimID: claim.id, unit: RunUnit("main"), scale: .smoke, masterSeed: 1))
        #expect(e.checks.map(\.name) == claim.designs.map(\.name))
        #expect(e.checks.filter { $0.layer == .exact }.allSatisfy { $0.verdict == .reproduced })
        // The fit (90 Clopper-Pearson intervals at 30,000 draws) is not decidable at smoke under the
        // 24-claim alpha: it is checked at quick.
        #expect(e.checks.first { $0.name == "conditional sample z~ ~ p(z | b)" }?.verdict != .error)
        #expect(e.checks.first { $0.layer == .training }?.verdict == .reproduced)
        #expect(e.negativeControls.count == 3)
        #expect(e.negativeControls[0].killedBy.contains("RELAX: exact mean"))

        #expect(e.negativeControls[2].killedBy == ["toy: RELAX's variance below REINFORCE's"])
        #expect(e.aaControls.allSatisfy { $0.passed })
        #expect(e.figures.allSatisfy { $0.series.allSatisfy { $0.y.allSatisfy(\.isFinite) } })
    }
}
