import Datasets
import DiscreteGradients
import Foundation
import Pipeline
import Reproductions
import Testing
import Verification

/// hnca.bandit: the pre-registered designs, the paired and A/A seed sets, and the claim end to end
/// at smoke scale (seconds): every unit runs, the evidence has every sub-claim, the mutant, the A/A
/// controls and Figure 1's panels.
@Suite struct HNCABanditTests {
    @Test func unitsCoverEveryConfigurationAndSeed() {
        let claim = HNCABandit()
        let quick = claim.units(at: .quick)
        let configs = Set(quick.map(\.config))
        // 3 depths x {REINFORCE, HNCA} x {plain, baseline} + 3 mutants + 6 A/A configurations (every depth).
        #expect(configs.count == 21)
        #expect(configs.contains("d3-hnca-baseline") && configs.contains("d2-mutant-plain"))
        #expect(configs.contains("d1-reinforce-plain-aa") && configs.contains("d3-hnca-plain-aa"))
        // Every configuration runs the same seeds, so that seed i pairs across configurations.
        for scale in [Scale.smoke, .quick, .paper] {
            let units = claim.units(at: scale)
            let n = claim.designs[0].sampleSize[scale: scale.rawValue]
            #expect(units.count == 21 * n)
            for c in configs { #expect(units.filter { $0.config == c }.map(\.index) == Array(0..<n)) }
        }
    }

    /// Every sub-claim is decidable at paper scale; at quick the variance sub-claims are, the rest
    /// are INCONCLUSIVE by design; alpha shares sum to at most 1.
    @Test func designsDecideAtPaperScale() {
        let claim = HNCABandit()
        let names = claim.designs.map(\.name)
        #expect(names == ["(a) variance, no baseline", "(a) variance, baseline", "(b) accuracy", "(c) depth", "(d) baseline helps", "(d) exception"])
        #expect(claim.designs.map(\.alphaShare).reduce(0, +) <= 1 + 1e-12)
        #expect(claim.designs.first { $0.name == "(d) exception" }?.claimed == .less)   // one-sided: the improvement stays below the margin
        for d in claim.designs {
            #expect(d.plan(scale: "paper", familyAlpha: Registry.familyAlpha).decidable, "\(d.name) is not decidable at paper scale")
            let quick = d.plan(scale: "quick", familyAlpha: Registry.familyAlpha).decidable
            #expect(quick == d.name.hasPrefix("(a)"), "\(d.name): decidable at quick \(quick)")
        }
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
        #expect(evidence.checks.map(\.name) == claim.designs.map(\.name))
        #expect(evidence.checks.allSatisfy { $0.verdict != .error && $0.subClaim != nil })
        #expect(evidence.negativeControls.count == 1)
        #expect(evidence.negativeControls[0].checks.map(\.name) == ["(a) variance, no baseline"])
        #expect(evidence.aaControls.count == 38)   // every depth: 14 at depth 1 (with the exception), 12 at depths 2 and 3
        #expect(Set(evidence.aaControls.map(\.controls)) == Set(claim.designs.map(\.name)))
        #expect(evidence.figures.count == 6)
        #expect(evidence.tables.contains { $0.title.hasPrefix("Setup against the released code") })
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

    /// Pairing: one seed's stream fixes the initial weights, the data order, the binarisation and the
    /// sampling noise, so on a one-batch epoch every method's first forward pass (before any update)
    /// is the same sample: the same reward. The A/A seed set is a different stream.
    @Test func seedsPairAcrossConfigurations() throws {
        guard FileManager.default.fileExists(atPath: MNISTSubsetCSV.defaultPath()) else { return }
        var data = try StandardDatasets.mnist5k()
        data.train = data.train.subset(Array(stride(from: 0, to: data.train.count, by: 80).prefix(50)))
        data.test = data.test.subset(Array(0..<50))
        func firstReward(_ credit: HiddenCredit, _ baseline: Bool) throws -> Double {
            let config = BanditRunConfig(hiddenLayers: 2, credit: credit, baseline: baseline, learningRate: 1e-3, epochs: 1)
            return try BanditTraining.run(config, data: data, stream: RandomStream(seed: 11))[0].trainAccuracy
        }
        let reference = try firstReward(.reinforce, false)
        for (credit, baseline) in [(HiddenCredit.reinforce, true), (.hnca, false), (.hnca, true), (.hncaSampledOutputOnly, false)] {
            #expect(try firstReward(credit, baseline) == reference)
        }
        // The A/A seed set: the same configuration and seed index on independent random numbers.
        let claim = HNCABandit()
        func run(_ name: String) throws -> BanditUnitResult {
            let unit = RunUnit(name, 0)
            return try claim.run(unit, context: RunContext(claimID: claim.id, unit: unit, scale: .smoke, masterSeed: 5))
        }
        #expect(try run("d1-reinforce-plain").records.map(\.gradientVariance) != run("d1-reinforce-plain-aa").records.map(\.gradientVariance))
    }
}
