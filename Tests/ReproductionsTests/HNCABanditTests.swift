import Datasets
import DiscreteGradients
import Foundation
import Pipeline
import Reproductions
import Testing

/// hnca.bandit end to end at smoke scale (seconds): every unit runs, the evidence has the four
/// sub-claims, the exception, the negative control and Figure 1's panels.
@Suite struct HNCABanditTests {
    @Test func unitsCoverEveryConfigurationAndSeed() {
        let claim = HNCABandit()
        let quick = claim.units(at: .quick)
        let configs = Set(quick.map(\.config))
        #expect(configs.count == 15)   // 3 depths x {REINFORCE, HNCA} x {plain, baseline} + 3 mutants
        #expect(configs.contains("d3-hnca-baseline") && configs.contains("d2-mutant-plain"))
        #expect(claim.units(at: .paper).filter { $0.config == "d1-hnca-plain" }.count == 5)
    }

    @Test func smokeRunProducesCompleteEvidence() throws {
        guard FileManager.default.fileExists(atPath: MNISTSubsetCSV.defaultPath()) else {
            Issue.record("the MNIST 5k subset is missing: run `make data`")
            return
        }
        let claim = HNCABandit()
        var results: [(unit: RunUnit, result: BanditUnitResult)] = []
        for unit in claim.units(at: .smoke) {
            let context = RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 1)
            results.append((unit, try claim.run(unit, context: context)))
            #expect(context.dataset.contains("MNIST 5k subset"))
        }
        let evidence = try claim.evidence(from: results, scale: .smoke)
        #expect(evidence.checks.map(\.name) == ["(a) variance", "(b) accuracy", "(c) depth", "(d) baseline", "(d) exception"])
        #expect(evidence.checks.allSatisfy { $0.verdict != .error })
        #expect(evidence.negativeControls.count == 1)
        #expect(evidence.figures.count == 6)
        // Every epoch's statistics are finite and accuracies are proportions.
        for (_, r) in results {
            for e in r.records {
                #expect(e.gradientVariance.isFinite && e.gradientVariance > 0)
                #expect((0...1).contains(e.trainAccuracy) && (0...1).contains(e.testAccuracy))
            }
        }
    }

    @Test func sameSeedSameResult() throws {
        guard FileManager.default.fileExists(atPath: MNISTSubsetCSV.defaultPath()) else { return }
        let claim = HNCABandit()
        let unit = RunUnit("d2-hnca-baseline", 1)
        let a = try claim.run(unit, context: RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 3))
        let b = try claim.run(unit, context: RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 3))
        #expect(a.records.map(\.gradientVariance) == b.records.map(\.gradientVariance))
        #expect(a.records.map(\.testAccuracy) == b.records.map(\.testAccuracy))
    }
}
