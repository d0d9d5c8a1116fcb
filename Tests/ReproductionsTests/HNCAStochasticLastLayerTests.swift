import Foundation
import Testing
import DiscreteGradients
import Pipeline
import Reproductions

/// hnca.stochastic-last-layer at smoke scale: every unit runs, the exact and cost layers decide
/// REPRODUCED and their mutants are killed there; the training layer cannot decide at smoke (2 seeds)
/// and says so.
@Suite struct HNCAStochasticLastLayerTests {
    @Test func smokeRunKillsTheExactAndCostMutants() throws {
        let claim = HNCAStochasticLastLayer()
        var results: [(unit: RunUnit, result: HNCAStochasticLastLayer.UnitResult)] = []
        for unit in claim.units(at: .smoke) {
            let context = RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 1)
            results.append((unit, try claim.run(unit, context: context)))
        }
        let evidence = try claim.evidence(from: results, scale: .smoke)
        #expect(evidence.verdict != .error, "\(evidence.errorReason ?? "")")
        let verdicts = Dictionary(uniqueKeysWithValues: evidence.checks.map { ($0.name, $0.verdict) })
        #expect(verdicts["(a) unbiased, every parameter"] == .reproduced)
        #expect(verdicts["(b) backward of the order of forward"] == .reproduced)
        #expect(verdicts["(c) trains"] == .inconclusive)
        #expect(evidence.negativeControls.count == 3)
        #expect(evidence.negativeControlsKilled, "a mutant survived: \(evidence.negativeControls.filter { !$0.killed }.map(\.name))")
        #expect(evidence.tables.contains { $0.title.hasPrefix("Setup against the released code") })
    }
}
