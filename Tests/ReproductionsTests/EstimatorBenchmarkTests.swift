import Foundation
import Testing
import Pipeline
import Reproductions

/// The estimators benchmark (`reproduce run estimators`): not a claim, so it stays out of the
/// registry; at smoke scale every unit runs in-process, then the CLI (resuming: every unit already
/// done) writes ESTIMATORS.md, whose key sections and figures must exist.
@Suite("estimators benchmark (smoke)", .serialized)
struct EstimatorBenchmarkTests {
    @Test("the benchmark is not a claim: not in the registry, no designs")
    func notAClaim() {
        #expect(Registry.claim(EstimatorBenchmark.targetID) == nil)
        #expect(!Registry.claims.contains { $0.id == EstimatorBenchmark.targetID })
        #expect(EstimatorBenchmark().designs.isEmpty)
        #expect(BenchmarkEstimator.estimators(layers: 1).count == 10)
        #expect(BenchmarkEstimator.estimators(layers: 2).count == 11)
    }

    @Test("smoke run end to end: every unit, then `reproduce run estimators` writes ESTIMATORS.md with its sections")
    func smokeEndToEnd() throws {
        let root = temporaryDirectory()
        let out = root.appendingPathComponent("results"), reports = root.appendingPathComponent("reports")
        let bench = EstimatorBenchmark()
        let runner = Runner(store: ResultStore(root: out), revision: "test")
        for unit in bench.units(at: .smoke) {
            if case .failed(let message) = runner.run(bench, unit: unit, scale: .smoke, seed: 1, force: false) {
                Issue.record("\(unit) failed: \(message)")
            }
        }
        let r = try CLI.run(["run", "estimators", "--scale", "smoke", "--out", out.path, "--reports", reports.path, "--quiet"])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        let text = try String(contentsOf: reports.appendingPathComponent("ESTIMATORS.md"), encoding: .utf8)
        for section in ["## Setup", "## Final training ELBO", "## Encoder-gradient variance along training", "## Cost per update against L",
                        "### CPU time per update", "How to read", "Regenerate:", "alpha = 0.025", "minus REINFORCE + baseline"] {
            #expect(text.contains(section), "missing \(section)")
        }
        for e in BenchmarkEstimator.allCases { #expect(text.contains("| \(e.label)"), "no row for \(e.label)") }
        #expect(!text.contains("REPRODUCED"), "a benchmark states no verdict")
        for L in [1, 2] {
            for family in ["score", "control"] {
                #expect(FileManager.default.fileExists(atPath: reports.appendingPathComponent("figures/estimators-variance-L\(L)-\(family).svg").path))
            }
        }
        // Counts are deterministic: a second counts unit gives the same numbers.
        let again = try bench.run(RunUnit("counts", 0), context: RunContext(claimID: bench.id, unit: RunUnit("counts", 0), scale: .smoke, masterSeed: 1))
        let stored = try ResultStore(root: out).read(ResultEnvelope<EstimatorUnitResult>.self,
                                                     from: ResultStore(root: out).resultURL(claim: bench.id, scale: .smoke, seed: 1, unit: RunUnit("counts", 0)))
        #expect(again.counts?.map(\.multiplyAdds) == stored.result.counts?.map(\.multiplyAdds))
        #expect(again.counts?.map(\.transcendentals) == stored.result.counts?.map(\.transcendentals))
    }

    @Test("the benchmark runs alone; list mentions it apart from the claims")
    func cli() throws {
        let out = temporaryDirectory().appendingPathComponent("results")
        let r = try CLI.run(["run", "estimators", "lecture.reinforce", "--out", out.path])
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1)
        let list = try CLI.run(["list"])
        #expect(list.stdout.contains("Benchmark (not a claim; no verdict): estimators"))
    }
}
