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

    @Test("relax.unbiased at smoke scale: every estimator's exact mean passes, every mutant is killed exactly")
    func unbiased() throws {
        let e = try smokeEvidence(RelaxUnbiasedClaim())
        let exact = e.checks.filter { $0.layer == .exact }
        #expect(exact.count == 4 && exact.allSatisfy { $0.verdict == .reproduced })
        #expect(e.negativeControls.count == 3)
        #expect(e.negativeControlsKilled)
        // Each mutant runs through the checks of the estimator it breaks, and its exact mean fails there.
        for m in e.negativeControls { #expect(m.checks.contains { $0.layer == .exact && m.killedBy.contains($0.name) }) }
        // Smoke cannot decide the Monte Carlo means: INCONCLUSIVE by design.
        #expect(e.checks.filter { $0.layer == .monteCarlo }.allSatisfy { !$0.decidable && $0.verdict == .inconclusive })
        #expect(e.verdict == .inconclusive)
    }

    @Test("relax.variance-gradient at smoke scale: Eq. 14 holds exactly, both mutants are killed exactly")
    func varianceGradient() throws {
        let e = try smokeEvidence(RelaxVarianceGradientClaim())
        let exact = e.checks.filter { $0.layer == .exact }
        #expect(exact.count == 3 && exact.allSatisfy { $0.verdict == .reproduced })
        #expect(e.negativeControlsKilled)
        for m in e.negativeControls { #expect(m.killedBy.contains("relax: Eq. 14 exactly")) }
        #expect(allFinite(e))
    }

    @Test("relax.unbiased and relax.variance-gradient: margins and planning sds are fixed in code, decidable at quick and paper scale")
    func designsAreFixed() {
        for claim in [RelaxUnbiasedClaim().designs, RelaxVarianceGradientClaim().designs] {
            #expect(claim.map(\.alphaShare).reduce(0, +) <= 1 + 1e-12)
            for d in claim where d.method != .exact {
                #expect(d.claimed == .equivalent && d.sesoi > 0 && d.planningSD > 0)
                #expect(d.plan(scale: "quick", familyAlpha: Registry.familyAlpha).decidable, "\(d.name)")
                #expect(d.plan(scale: "paper", familyAlpha: Registry.familyAlpha).decidable, "\(d.name)")
            }
        }
        // The Monte Carlo setting does not depend on the master seed: the designs are the same values every time.
        #expect(RelaxUnbiasedClaim().designs == RelaxUnbiasedClaim().designs)
        // relax.unbiased's margin is 10% of the exact gradient at a = 0.4, t = 0.3.
        let g = SquaredDistance(targets: [0.3]).exactGradient(logits: [0.4])[0]
        #expect(RelaxUnbiasedClaim().designs.filter { $0.layer == .monteCarlo }.allSatisfy { abs($0.sesoi - 0.1 * abs(g)) < 1e-15 })
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
