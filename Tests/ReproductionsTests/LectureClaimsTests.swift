import Foundation
import Testing
import Pipeline
import Reproductions
import Verification

/// Each lecture claim at smoke scale: it completes, its verdict is not ERROR, and its negative
/// control is killed. Fixed master seed, so these tests are deterministic; the statistical checks
/// inside a claim have a family-wise false-fail rate of StatisticalPolicy.claimAlpha (5e-5), and
/// the mutant assertions rest on deterministic (exact or quadrature) layers where smoke lacks power.
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
        #expect(mutantCheck(e, "bias shrinks as τ falls")?.verdict == .notReproduced)
        // The quadrature layer (τ ≥ 0.2) is exact at every scale: it shows the real trend and kills the mutant too.
        #expect(e.checks.first { $0.name.hasPrefix("quadrature:") }?.verdict == .reproduced)
        #expect(e.negativeControls.first?.checks.first { $0.name.hasPrefix("quadrature:") }?.verdict == .notReproduced)
    }

    @Test func controlVariatesAtSmokeScaleKillTheMissingMeanMutantExactly() throws {
        let e = try run(LectureControlVariates())
        #expect(e.verdict != .error)
        #expect(e.negativeControlsKilled)
        #expect(check(e, "exact: no change of mean")?.verdict == .reproduced)
        #expect(check(e, "exact: variance factors")?.verdict == .reproduced)
        #expect(mutantCheck(e, "exact: no change of mean")?.verdict == .notReproduced)
    }

    @Test func sameSeedGivesTheSameBytesAndAnotherSeedOtherNumbers() throws {
        let a = try ResultStore.encoder.encode(run(LectureControlVariates(), seed: 7))
        let b = try ResultStore.encoder.encode(run(LectureControlVariates(), seed: 7))
        let c = try ResultStore.encoder.encode(run(LectureControlVariates(), seed: 8))
        #expect(a == b)
        #expect(a != c)
    }
}
