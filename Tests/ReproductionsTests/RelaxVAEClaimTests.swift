import Foundation
import Testing
import DiscreteGradients
import Pipeline
import Reproductions
import Verification

/// Smoke run of relax.vae (a few seconds): every unit runs (real methods, A/A seed sets, the
/// training mutant), the evidence is built from the unit results, the exact layer holds and both
/// mutants are killed by it. The smoke scale cannot decide the training sub-claims (they are
/// INCONCLUSIVE by design), so only the plumbing and the exact parts are asserted.
@Suite("relax.vae (smoke)")
struct RelaxVAEClaimTests {
    @Test("relax.vae is registered")
    func registered() { #expect(Registry.claim("relax.vae") != nil) }

    @Test("relax.vae's designs: exact layer, one ordering per (pair, model) with the paper's own gap (REBAR - MuProp on linear 1 layer exploratory), the mechanism; decidable at paper scale only")
    func designs() {
        let designs = RelaxVAEClaim().designs
        #expect(designs.map(\.name).count == 10)
        #expect(designs.filter { $0.layer == .training }.map(\.sesoi) == [0.44, 0.8, 0.19, 0.27, 0.53, 3.53, 0.4, 0.7, 0.1])
        #expect(RelaxVAEClaim.exploratoryNames == ["(2b) REBAR > MuProp (Tucker et al. columns), linear 1 layer"])
        #expect(designs.reduce(0) { $0 + $1.alphaShare } <= 1 + 1e-12)
        for d in designs where d.method != .exact {
            #expect(d.plan(scale: "paper", familyAlpha: Registry.familyAlpha).decidable, "\(d.name) at paper")
            #expect(!d.plan(scale: "quick", familyAlpha: Registry.familyAlpha).decidable, "\(d.name) at quick")
        }
    }

    @Test("relax.vae at smoke scale: exact layer passes, both mutants killed, A/A controls pass, curves finite")
    func smoke() throws {
        let claim = RelaxVAEClaim()
        let results = try claim.units(at: .smoke).map { unit in
            (unit: unit, result: try claim.run(unit, context: RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 1)))
        }
        let e = try claim.evidence(from: results, scale: .smoke)
        #expect(e.checks.first?.verdict == .reproduced, "\(e.checks.first?.detail ?? "")")
        #expect(e.checks.map(\.name) == claim.designs.map(\.name))
        #expect(e.checks.dropFirst().allSatisfy { $0.verdict == .inconclusive }, "training sub-claims are not decidable at smoke")
        #expect(e.negativeControls.count == 2)
        #expect(e.negativeControlsKilled)
        // The training mutants ran through training: their checks include training sub-claims.
        #expect(e.negativeControls[0].checks.count == 4 && e.negativeControls[1].checks.count == 5)
        // One A/A control per decided ordering (8) and one per model for the mechanism (3).
        #expect(e.aaControls.count == 11)
        #expect(e.verdict == .inconclusive, "\(e.errorReason ?? "")")
        #expect(e.figures.allSatisfy { $0.series.allSatisfy { $0.y.allSatisfy(\.isFinite) } })
        // The setup is reported against the authors' released code, row by row.
        #expect(e.tables.first?.title.hasPrefix("Setup against the released code") == true)
    }
}
