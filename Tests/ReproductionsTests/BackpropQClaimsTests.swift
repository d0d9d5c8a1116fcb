import Testing
import Pipeline
import Reproductions
import Verification

/// Smoke runs of the Backprop-Q claims: each must complete, kill its negative controls and not
/// contradict the paper. At smoke scale some Monte Carlo tests lack power (INCONCLUSIVE is
/// allowed); the exact layers run in full. Fixed master seed; the statistical tests inside use
/// the claim's family alpha 5e-5, so a false NOT REPRODUCED has probability below 5e-5 per claim.
@Suite struct BackpropQClaimsTests {
    func smoke(_ id: String) throws -> Evidence {
        let claim = try #require(Registry.claim(id))
        let context = RunContext(claimID: id, unit: RunUnit("main"), scale: .smoke, masterSeed: 1)
        let result = try claim.run(RunUnit("main"), context: context)
        return try claim.evidenceErased(from: result, unit: RunUnit("main"), scale: .smoke)
    }

    @Test(arguments: ["bpq.theorem1", "bpq.rao-blackwell", "bpq.error-bound", "bpq.merging", "bpq.td", "bpq.techniques"])
    func smokeRunKillsItsMutantsAndSupportsTheClaim(_ id: String) throws {
        let evidence = try smoke(id)
        #expect(evidence.negativeControlsKilled, "\(id): a mutant survived")
        #expect(evidence.verdict == .reproduced || evidence.verdict == .inconclusive, "\(id): \(evidence.verdict) — \(evidence.errorReason ?? evidence.headline)")
        #expect(!evidence.figures.isEmpty)
    }

    @Test func errorBoundStatesTheConstantsAndTheirTightness() throws {
        let evidence = try smoke("bpq.error-bound")
        #expect(evidence.checks.map(\.verdict).allSatisfy { $0 == .reproduced })
        #expect(evidence.notes.contains { $0.contains("3·2^l - 2") && $0.contains("appendix") })
        #expect(evidence.checks.contains { $0.name == "l² is attained" && $0.detail.contains("l=8: 64") })
    }
}

extension Claim {
    /// Evidence from one unit's result, through the claim's own evaluation.
    func evidenceErased(from result: Any, unit: RunUnit, scale: Scale) throws -> Evidence {
        guard let typed = result as? UnitResult else { throw ClaimError.failed("unit result of the wrong type") }
        return try evidence(from: [(unit: unit, result: typed)], scale: scale)
    }
}
