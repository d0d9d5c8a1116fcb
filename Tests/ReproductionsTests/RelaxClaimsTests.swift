import Foundation
import Testing
import DiscreteGradients
import Pipeline
import Reproductions
import Verification

/// Smoke runs of the RELAX claims (each well under 5 s): every unit runs, the evidence is built
/// from the unit results, and the deterministic parts hold. The smoke scale has too few seeds
/// and samples for the statistical checks to have power, so only exact checks are asserted.
@Suite("RELAX claims (smoke)")
struct RelaxClaimsTests {
    func smokeEvidence<C: Claim>(_ claim: C) throws -> Evidence {
        let results = try claim.units(at: .smoke).map { unit in
            (unit: unit, result: try claim.run(unit, context: RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 1)))
        }
        return try claim.evidence(from: results, scale: .smoke)
    }

    func allFinite(_ e: Evidence) -> Bool {
        e.figures.allSatisfy { $0.series.allSatisfy { $0.x.allSatisfy(\.isFinite) && $0.y.allSatisfy(\.isFinite) } }
    }

    @Test("the four claims are registered")
    func registered() {
        for id in ["relax.toy", "relax.relaxation-direction", "relax.unbiased", "relax.variance-gradient"] {
            #expect(Registry.claim(id) != nil, "\(id)")
        }
    }

    @Test("relax.unbiased at smoke scale: every estimator's exact mean passes, every mutant is killed")
    func unbiased() throws {
        let e = try smokeEvidence(RelaxUnbiasedClaim())
        #expect(e.checks.filter { $0.tests.isEmpty }.allSatisfy { $0.verdict == .reproduced })
        #expect(e.negativeControls.count == 3)
        #expect(e.negativeControlsKilled)
    }

    @Test("relax.variance-gradient at smoke scale: Eq. 14 holds exactly, both mutants are killed")
    func varianceGradient() throws {
        let e = try smokeEvidence(RelaxVarianceGradientClaim())
        #expect(e.checks.filter { $0.tests.isEmpty }.allSatisfy { $0.verdict == .reproduced })
        #expect(e.negativeControlsKilled)
        #expect(allFinite(e))
    }

    @Test("relax.toy at smoke scale: every unit trains; designs, checks, mutant and A/A controls line up")
    func toy() throws {
        let claim = RelaxToyClaim()
        // 3 methods x 2 targets, RELAX with the paper's z~, the mutant and the A/A seeds.
        #expect(claim.units(at: .smoke).count == 9 * 2)
        let e = try smokeEvidence(claim)
        #expect(e.checks.map(\.name) == claim.designs.map(\.name))
        #expect(e.checks.allSatisfy { $0.subClaim?.layer == .training })
        #expect(e.negativeControls.count == 1)
        #expect(Set(e.negativeControls[0].checks.map(\.name)).isSubset(of: Set(claim.designs.map(\.name))))
        #expect(e.aaControls.map(\.controls) == ["lower final loss", "lower gradient variance"])
        #expect(e.tables.contains { $0.title == "Setup against the released code" })
        #expect(e.figures.count == 6)
        #expect(allFinite(e))
    }

    @Test("relax.toy designs: alpha shares sum to 1, every design is decidable at quick and at paper scale")
    func toyDesigns() {
        let designs = RelaxToyClaim().designs
        #expect(abs(designs.map(\.alphaShare).reduce(0, +) - 1) < 1e-12)
        for scale in ["quick", "paper"] {
            for d in designs { #expect(d.plan(scale: scale, familyAlpha: Registry.familyAlpha).decidable, "\(d.name) at \(scale)") }
        }
    }

    @Test("relax.relaxation-direction at smoke scale: REBAR's relaxation flips sign exactly at u = sigmoid(lambda logit t - a); the sign mutant is killed there")
    func direction() throws {
        let claim = RelaxDirectionClaim()
        let e = try smokeEvidence(claim)
        #expect(e.checks.map(\.name) == claim.designs.map(\.name))
        let rebar = e.checks.first { $0.name == "REBAR, only u > threshold" }
        #expect(rebar?.verdict == .reproduced)
        let sign = e.negativeControls.first { $0.name == "sign convention flipped" }
        #expect(sign?.killedBy == ["REBAR, only u > threshold"])
        #expect(e.tables.contains { $0.title == "Setup against the released code" })
        #expect(allFinite(e))
    }

    @Test("relax.relaxation-direction designs: decidable at quick and at paper scale")
    func directionDesigns() {
        for scale in ["quick", "paper"] {
            for d in RelaxDirectionClaim().designs { #expect(d.plan(scale: scale, familyAlpha: Registry.familyAlpha).decidable, "\(d.name) at \(scale)") }
        }
    }
}
