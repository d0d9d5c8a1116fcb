import DiscreteGradients
import Pipeline
import Reproductions
import Testing

/// hnca.vae at smoke scale (seconds; needs the MNIST 5k subset of `make data`): every unit runs,
/// the evidence is built, the exact and cost layers pass and each kills its mutant. Smoke has two
/// seeds: every training design is INCONCLUSIVE by design there, so only its plumbing is asserted.
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
        for name in ["cost: f-HNCA linear in L", "cost: REINFORCE LOO quadratic in L", "cost: DisARM quadratic in L"] {
            let c = try #require(e.checks.first { $0.name == name })
            #expect(c.verdict == .reproduced, "\(name): \(c.detail)")
        }
        let repass = try #require(e.negativeControls.first { $0.name == "f-HNCA with a full re-pass per layer" })
        #expect(repass.killedBy == ["cost: f-HNCA linear in L"])
        #expect(e.negativeControlsKilled)
        #expect(e.verdict != .error, "\(e.errorReason ?? "")")
        #expect(e.aaControls.count == 9 && e.aaControls.allSatisfy(\.passed))   // 3 quantities at every L
        #expect(e.figures.allSatisfy { $0.series.allSatisfy { $0.y.allSatisfy(\.isFinite) } })
        // Every check is a pre-registered design of the claim, and every design is checked.
        #expect(Set(e.checks.map(\.name)) == Set(claim.designs.map(\.name)))
        #expect(e.checks.allSatisfy { $0.subClaim != nil })
        // Training designs at smoke: not decidable, so INCONCLUSIVE by design.
        #expect(e.checks.filter { $0.layer == .training }.allSatisfy { $0.verdict == .inconclusive })
        // Measured CPU times appear only in the timing tables.
        #expect(!e.timing.isEmpty)
        #expect(!e.tables.contains { $0.title.contains("CPU") })
    }

    /// The cost sub-claims read counted operations only: the same seed gives the same counts, and
    /// the training designs of every scale are fixed in code (paper: every design decidable).
    @Test func costIsCountedAndPaperDesignsAreDecidable() throws {
        let claim = HNCAVAE()
        let unit = RunUnit("cost", 0)
        let a = try claim.run(unit, context: RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 3))
        let b = try claim.run(unit, context: RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 3))
        #expect(a.cost?.rows.map(\.multiplyAdds) == b.cost?.rows.map(\.multiplyAdds))
        #expect(a.cost?.rows.map(\.transcendentals) == b.cost?.rows.map(\.transcendentals))
        for d in claim.designs where d.method != .exact {
            #expect(d.plan(scale: "paper", familyAlpha: Registry.familyAlpha).decidable, "\(d.name) is not decidable at paper scale")
        }
        #expect(claim.designs.map(\.alphaShare).reduce(0, +) <= 1 + 1e-12)
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
