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
        return try claim.backpropQSmokeEvidence()
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
    /// Runs every unit at smoke scale (master seed 1) and evaluates the claim.
    func backpropQSmokeEvidence() throws -> Evidence {
        let results = try units(at: .smoke).map { unit in
            (unit: unit, result: try run(unit, context: RunContext(claimID: id, unit: unit, scale: .smoke, masterSeed: 1)))
        }
        return try evidence(from: results, scale: .smoke)
    }
}
