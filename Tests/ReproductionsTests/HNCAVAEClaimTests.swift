import DiscreteGradients
import Pipeline
import Reproductions
import Testing

/// hnca.vae at smoke scale (a few seconds; needs the MNIST 5k subset of `make data`): every unit
/// runs, the evidence is built, the exact layer passes and kills the mutant. The smoke scale has
/// too few seeds and epochs for the statistical checks to have power, so only the exact check is asserted.
@Suite struct HNCAVAEClaimTests {
    @Test func smokeRunBuildsEvidenceAndKillsTheMutant() throws {
        let claim = HNCAVAE()
        #expect(Registry.claim("hnca.vae") != nil)
        let results = try claim.units(at: .smoke).map { unit in
            (unit: unit, result: try claim.run(unit, context: RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 1)))
        }
        let e = try claim.evidence(from: results, scale: .smoke)
        let exact = try #require(e.checks.first { $0.name == "exact unbiasedness" })
        #expect(exact.verdict == .reproduced, "\(exact.detail)")
        #expect(e.negativeControlsKilled)
        #expect(e.verdict != .error, "\(e.errorReason ?? "")")
        #expect(e.figures.allSatisfy { $0.series.allSatisfy { $0.y.allSatisfy(\.isFinite) } })
    }

    /// Same seed, same bytes: a training unit is deterministic.
    @Test func trainingUnitIsDeterministic() throws {
        let claim = HNCAVAE()
        let unit = RunUnit("L2-fHNCABaseline", 0)
        let a = try claim.run(unit, context: RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 7))
        let b = try claim.run(unit, context: RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 7))
        #expect(a.training?.records.map(\.trainELBO) == b.training?.records.map(\.trainELBO))
        #expect(a.training?.testBound == b.training?.testBound)
    }
}
