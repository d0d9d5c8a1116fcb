import DiscreteGradients
import Pipeline
import Reproductions
import Testing

/// hnca.ablation at smoke scale (seconds; needs the MNIST 5k subset of `make data`): every unit
/// runs, the exact layer passes and kills the upstream-miscount mutant; the training designs are
/// INCONCLUSIVE by design below paper scale, where the training mutants therefore do not run.
@Suite struct HNCAAblationClaimTests {
    @Test func smokeRunBuildsEvidenceAndKillsTheExactMutant() throws {
        let claim = HNCAAblation()
        #expect(Registry.claim("hnca.ablation") != nil)
        #expect(Registry.pending.isEmpty)
        let results = try claim.units(at: .smoke).map { unit in
            (unit: unit, result: try claim.run(unit, context: RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 1)))
        }
        let e = try claim.evidence(from: results, scale: .smoke)
        #expect(Set(e.checks.map(\.name)) == Set(claim.designs.map(\.name)))
        let exact = try #require(e.checks.first { $0.layer == .exact })
        #expect(exact.verdict == .reproduced, "\(exact.detail)")
        #expect(e.negativeControls.count == 1)
        #expect(e.negativeControls[0].killedBy == [exact.name])
        #expect(e.checks.filter { $0.layer == .training }.allSatisfy { $0.verdict == .inconclusive && $0.proxy == true })
        #expect(e.verdict == .inconclusive, "\(e.errorReason ?? "")")
        #expect(e.aaControls.count == 2 && e.aaControls.allSatisfy(\.passed))
    }

    /// Every verdict sub-claim is quoted; the training ones are the paper's only at paper scale,
    /// where they decide and where both training mutants run.
    @Test func paperScaleDecidesAndRunsTheTrainingMutants() {
        let claim = HNCAAblation()
        #expect(claim.designs.allSatisfy { $0.quote != nil })
        for d in claim.designs where d.method != .exact {
            #expect(d.validScales == ["paper"])
            #expect(d.plan(scale: "paper", familyAlpha: Registry.familyAlpha).decidable, "\(d.name) at paper")
        }
        let paperConfigs = Set(claim.units(at: .paper).map(\.config))
        #expect(paperConfigs.contains("L3-mutantAllChildIgnored") && paperConfigs.contains("L3-mutantUpstreamWithDirect"))
        #expect(!Set(claim.units(at: .quick).map(\.config)).contains("L3-mutantAllChildIgnored"))
        #expect(claim.designs.map(\.alphaShare).reduce(0, +) <= 1 + 1e-12)
    }
}
