import Foundation
import Testing
import Pipeline
import Reproductions
import Verification

/// Each lecture claim at smoke scale: it completes, its verdict is not ERROR, and its negative
/// control is killed. Fixed master seed, so these tests are deterministic. Smoke cannot decide the
/// Monte Carlo designs (INCONCLUSIVE by design), so the mutant assertions rest on the exact
/// (enumeration or quadrature) layers.
@Suite struct LectureClaimsTests {
    func run<C: SingleRunClaim>(_ claim: C, seed: UInt64 = 1) throws -> Evidence {
        try claim.evidence(context: RunContext(claimID: claim.id, unit: RunUnit("main"), scale: .smoke, masterSeed: seed))
    }
    func check(_ e: Evidence, _ name: String) -> Check? { e.checks.first { $0.name == name } }
    func mutantCheck(_ e: Evidence, _ name: String) -> Check? { e.negativeControls.first?.checks.first { $0.name == name } }

    @Test func lectureClaimsAreRegistered() {
        let ids = Set(LectureClaims.all.map(\.id))
        #expect(ids == ["lecture.reinforce", "lecture.reparam", "lecture.concrete", "lecture.control-variates"])
    }

    @Test func reinforceAtSmokeScale() throws {
        let e = try run(LectureReinforce())
        #expect(e.verdict != .error)
        #expect(e.negativeControlsKilled)
        #expect(check(e, "exact mean")?.verdict == .reproduced)
    }

    @Test func reparamAtSmokeScaleKillsTheChainFactorMutantExactly() throws {
        let e = try run(LectureReparam())
        #expect(e.verdict != .error)
        #expect(e.negativeControlsKilled)
        #expect(check(e, "exact means")?.verdict == .reproduced)
        #expect(check(e, "exact variance ordering")?.verdict == .reproduced)
        // The deterministic layer alone kills the mutant (smoke lacks power for the TOSTs).
        #expect(mutantCheck(e, "exact means")?.verdict == .notReproduced)
    }

    @Test func concreteAtSmokeScaleKillsTheMissingTemperatureMutant() throws {
        let e = try run(LectureConcrete())
        #expect(e.verdict != .error)
        #expect(e.negativeControlsKilled)
        #expect(check(e, "exact oracle")?.verdict == .reproduced)
        // The quadrature layer (τ ≥ 0.2) is exact at every scale: it shows the trade-off and kills the mutant.
        for name in ["exact: quadrature converged", "exact: biased at τ = 0.5", "exact: bias shrinks as τ falls (5 → 0.2)",
                     "exact: variance grows as τ falls (5 → 0.2)", "exact: monotone on the grid τ ∈ [0.2, 5]"] {
            #expect(check(e, name)?.verdict == .reproduced, "\(name)")
        }
        #expect(mutantCheck(e, "exact: bias shrinks as τ falls (5 → 0.2)")?.verdict == .notReproduced)
        #expect(mutantCheck(e, "exact: monotone on the grid τ ∈ [0.2, 5]")?.verdict == .notReproduced)
        // Smoke cannot decide the Monte Carlo layer (τ = 0.05): INCONCLUSIVE by design, never REPRODUCED.
        #expect(e.checks.filter { $0.layer == .monteCarlo }.allSatisfy { $0.verdict == .inconclusive && !$0.decidable })
        #expect(e.aaControls.count == 1 && e.aaControls.allSatisfy(\.passed))
    }

    @Test func controlVariatesAtSmokeScaleKillTheMissingMeanMutantExactly() throws {
        let e = try run(LectureControlVariates())
        #expect(e.verdict != .error)
        #expect(e.negativeControlsKilled)
        for name in ["exact: no change of mean", "exact: factor 1 - ρ² at a*", "exact: corr > 0 with a = 1 reduces variance",
                     "exact: negative correlation with a = 1 increases variance"] {
            #expect(check(e, name)?.verdict == .reproduced, "\(name)")
        }
        #expect(mutantCheck(e, "exact: no change of mean")?.verdict == .notReproduced)
        // Forgetting E[c] shifts the mean but not the variance: the variance checks cannot see it.
        #expect(mutantCheck(e, "exact: factor 1 - ρ² at a*")?.verdict == .reproduced)
        #expect(e.aaControls.count == 3 && e.aaControls.allSatisfy(\.passed))
    }

    /// The new verdict rule: every check is decided under a declared design of the same name, the
    /// mutants run through the same designs, alpha shares sum to at most 1, exact designs take none,
    /// and margins and planning sds do not depend on the seed.
    @Test(arguments: ["lecture.reparam", "lecture.concrete", "lecture.control-variates"])
    func everyCheckHasItsPreRegisteredDesign(_ id: String) throws {
        let claim = try #require(LectureClaims.all.first { $0.id == id })
        let designs = claim.designs
        #expect(!designs.isEmpty)
        #expect(Set(designs.map(\.name)).count == designs.count)
        #expect(designs.map(\.alphaShare).reduce(0, +) <= 1 + 1e-12)
        #expect(designs.filter { $0.method == .exact }.allSatisfy { $0.alphaShare == 0 })
        #expect(designs.filter { $0.method != .exact }.allSatisfy { $0.sesoi > 0 && $0.planningSD.isFinite && $0.planningSD > 0 })
        // Decidable at paper scale (rule 4).
        #expect(designs.allSatisfy { $0.plan(scale: "paper", familyAlpha: Registry.familyAlpha).decidable })
        let e: Evidence
        switch id {
        case "lecture.reparam": e = try run(LectureReparam())
        case "lecture.concrete": e = try run(LectureConcrete())
        default: e = try run(LectureControlVariates())
        }
        #expect(Set(e.checks.map(\.name)) == Set(designs.map(\.name)))
        #expect(e.checks.allSatisfy { c in c.subClaim == designs.first { $0.name == c.name } })
        for m in e.negativeControls { #expect(m.checks.allSatisfy { c in designs.contains { $0.name == c.name } }) }
    }

    @Test func sameSeedGivesTheSameBytesAndAnotherSeedOtherNumbers() throws {
        let a = try ResultStore.encoder.encode(run(LectureControlVariates(), seed: 7))
        let b = try ResultStore.encoder.encode(run(LectureControlVariates(), seed: 7))
        let c = try ResultStore.encoder.encode(run(LectureControlVariates(), seed: 8))
        #expect(a == b)
        #expect(a != c)
    }
}
