import Testing
import Pipeline
import Reproductions
import Verification

/// Smoke runs of the Backprop-Q claims: each must complete, kill every mutant on a check the real
/// method passes, and not contradict the paper. Smoke is plumbing: sub-claims a smoke run cannot
/// decide come out INCONCLUSIVE by design; the exact layers run in full. Fixed master seed.
@Suite struct BackpropQClaimsTests {
    static let ids = ["bpq.theorem1", "bpq.rao-blackwell", "bpq.error-bound", "bpq.merging", "bpq.td", "bpq.techniques"]

    func smoke(_ id: String) throws -> Evidence {
        let claim = try #require(Registry.claim(id))
        return try claim.backpropQSmokeEvidence()
    }

    @Test(arguments: ids)
    func smokeRunKillsItsMutantsAndSupportsTheClaim(_ id: String) throws {
        let evidence = try smoke(id)
        #expect(evidence.negativeControlsKilled, "\(id): a mutant survived")
        #expect(evidence.verdict == .reproduced || evidence.verdict == .inconclusive, "\(id): \(evidence.verdict) — \(evidence.errorReason ?? evidence.headline)")
        #expect(!evidence.figures.isEmpty)
        #expect(evidence.aaControls.allSatisfy { $0.passed })
    }

    /// Every check is decided under a pre-registered design of the same name, and every design is checked.
    @Test(arguments: ids)
    func everyCheckIsDecidedUnderItsDesign(_ id: String) throws {
        let claim = try #require(Registry.claim(id))
        let evidence = try smoke(id)
        #expect(evidence.checks.map(\.name).sorted() == claim.designs.map(\.name).sorted())
        for check in evidence.checks { #expect(check.subClaim?.name == check.name) }
        for mutant in evidence.negativeControls {
            for check in mutant.checks { #expect(claim.designs.contains { $0.name == check.name }, "\(id): mutant check \(check.name) has no design") }
        }
    }

    /// The rules on the designs themselves: alpha shares sum to at most 1, exact designs take
    /// none, and paper scale decides every sub-claim.
    @Test(arguments: ids)
    func designsFollowTheRules(_ id: String) throws {
        let claim = try #require(Registry.claim(id))
        let designs = claim.designs
        #expect(!designs.isEmpty)
        #expect(designs.map(\.alphaShare).reduce(0, +) <= 1 + 1e-12)
        for d in designs where d.method == .exact { #expect(d.alphaShare == 0) }
        for d in designs {
            #expect(d.plan(scale: "paper", familyAlpha: Registry.familyAlpha).decidable, "\(id): \(d.name) is not decidable at paper scale")
            #expect(d.plan(scale: "quick", familyAlpha: Registry.familyAlpha).decidable, "\(id): \(d.name) is not decidable at quick scale")
        }
    }

    @Test func errorBoundStatesTheConstantsAndTheirTightness() throws {
        let evidence = try smoke("bpq.error-bound")
        #expect(evidence.checks.map(\.verdict).allSatisfy { $0 == .reproduced })
        #expect(evidence.notes.contains { $0.contains("3·2^l - 2") && $0.contains("appendix") })
        #expect(evidence.checks.contains { $0.name == "l² is attained" && $0.detail.contains("l=8: 64") })
    }

    /// The techniques' mutants die at the exact layer already at smoke scale, except the sign
    /// error in the baseline, which only the variance comparison over random graphs can catch.
    @Test func techniquesKillTheirMutantsWhereTheBugLives() throws {
        let evidence = try smoke("bpq.techniques")
        func killers(_ name: String) -> [String] { evidence.negativeControls.first { $0.name == name }?.killedBy ?? [] }
        #expect(killers("replay summing one source").contains("replay keeps the fixed point"))
        #expect(killers("frozen target").contains("slow target follows the learned weights"))
        #expect(killers("baseline from a child").contains("advantages keep the gradient unbiased"))
        #expect(killers("baseline added") == ["advantages reduce variance"])
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
