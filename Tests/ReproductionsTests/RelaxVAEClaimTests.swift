import Foundation
import Testing
import DiscreteGradients
import Pipeline
import Reproductions
import Verification

/// Smoke run of relax.vae (well under 5 s): every unit runs, the evidence is built from the unit
/// results, the exact layer holds and both mutants are killed by it. The smoke scale has too few
/// seeds and steps for the ordering tests to have power, so only the exact parts are asserted.
@Suite("relax.vae (smoke)")
struct RelaxVAEClaimTests {
    @Test("relax.vae is registered")
    func registered() { #expect(Registry.claim("relax.vae") != nil) }

    @Test("relax.vae at smoke scale: exact layer passes, both mutants killed, curves finite")
    func smoke() throws {
        let claim = RelaxVAEClaim()
        let results = try claim.units(at: .smoke).map { unit in
            (unit: unit, result: try claim.run(unit, context: RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 1)))
        }
        let e = try claim.evidence(from: results, scale: .smoke)
        #expect(e.checks.first?.verdict == .reproduced, "\(e.checks.first?.detail ?? "")")
        #expect(e.negativeControls.count == 2)
        #expect(e.negativeControlsKilled)
        #expect(e.checks.count == 2 && e.checks[1].verdict != .error)
        #expect(e.figures.allSatisfy { $0.series.allSatisfy { $0.y.allSatisfy(\.isFinite) } })
    }
}
