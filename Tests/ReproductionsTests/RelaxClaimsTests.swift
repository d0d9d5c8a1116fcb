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

    @Test("relax.toy at smoke scale: every unit trains, figures and table are built")
    func toy() throws {
        let claim = RelaxToyClaim()
        #expect(claim.units(at: .smoke).count == 14)
        let e = try smokeEvidence(claim)
        #expect(e.figures.count == 5)
        #expect(allFinite(e))
        #expect(e.negativeControls.count == 1)
    }

    @Test("relax.relaxation-direction at smoke scale: REBAR's relaxation flips sign exactly at u = sigmoid(lambda logit t)")
    func direction() throws {
        let e = try smokeEvidence(RelaxDirectionClaim())
        let rebar = e.checks.filter { $0.name.hasPrefix("REBAR") }
        #expect(rebar.count == 2)
        #expect(rebar.allSatisfy { $0.verdict == .reproduced })
        #expect(allFinite(e))
    }
}
