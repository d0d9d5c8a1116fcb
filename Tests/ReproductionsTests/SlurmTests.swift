import Foundation
import Testing
import Pipeline
import Reproductions

/// Cluster support without a cluster: status and partial reports on a half-finished folder, the
/// cost estimate's arithmetic, and the scripts `submit --slurm --dry-run` prints. The submission
/// to a real (local) Slurm is scripts/slurm-test.sh, which `make test` runs as root.
@Suite(.serialized) struct SlurmTests {
    static let claimID = "relax.toy"   // a few units at smoke scale, well under a second in all

    /// A folder where 7 of relax.toy's smoke units are done and one more failed.
    /// The code fingerprint the half-finished folder's results record (the CLI is told it is
    /// running that code through DG_CODE, so it counts them as finished, not stale).
    static let halfFinishedCode = "slurm-test-code"
    static func halfFinishedFolder(_ name: String = #function) throws -> (out: URL, units: [RunUnit]) {
        let out = temporaryDirectory(name).appendingPathComponent("results")
        let claim = try #require(Registry.claim(claimID))
        let units = claim.units(at: .smoke)
        let runner = Runner(store: ResultStore(root: out), revision: "test", code: halfFinishedCode)
        for u in units.prefix(7) {
            guard case .ran = runner.run(claim, unit: u, scale: .smoke, seed: 1, force: false) else {
                Issue.record("unit \(u) did not run"); continue
            }
        }
        try AtomicFile.write("killed by the test\n", to: runner.store.failureURL(claim: claimID, scale: .smoke, seed: 1, unit: units[7]))
        return (out, units)
    }

    @Test func statusOnAHalfFinishedFolderCountsDoneFailedAndPending() throws {
        let (out, units) = try Self.halfFinishedFolder()
        let claim = try #require(Registry.claim(Self.claimID))
        let p = RunStatus.progress(of: claim, store: ResultStore(root: out), scale: .smoke, seed: 1)
        let n = units.count   // the claim's smoke units: 7 done, 1 failed, the rest pending
        #expect((p.total, p.done.count, p.failed.count, p.pending.count) == (n, 7, 1, n - 8))
        #expect(p.remaining.count == n - 7 && p.remaining.contains(units[7]))
        #expect(p.fractionText == "7 of \(n) units")
        #expect(p.secondsSpent > 0)

        let r = try CLI.run(["status", Self.claimID, "lecture.reinforce", "--scale", "smoke", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let row = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix(Self.claimID + " ") })
        #expect(Array(row.split(separator: " ").prefix(5)) == [Substring(Self.claimID), Substring("\(n)"), "7", "1", Substring("\(n - 8)")], "\(row)")
        let other = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("lecture.reinforce ") })
        #expect(Array(other.split(separator: " ").prefix(5)) == ["lecture.reinforce", "1", "0", "0", "1"], "\(other)")
        let total = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("total ") })
        #expect(Array(total.split(separator: " ").prefix(5)) == ["total", Substring("\(n + 1)"), "7", "1", Substring("\(n - 7)")], "\(total)")
        #expect(r.stdout.contains("killed by the test"))
    }

    @Test func aPartialFolderGetsKOfNUnitsAndNoVerdict() throws {
        let (out, units) = try Self.halfFinishedFolder()
        let n = units.count
        let reports = out.deletingLastPathComponent().appendingPathComponent("Reports")
        let r = try CLI.run(["report", "--scale", "smoke", "--out", out.path, "--reports", reports.path])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOf: reports.appendingPathComponent("\(Self.claimID).md"), encoding: .utf8)
        #expect(page.hasPrefix("# \(Self.claimID): 7 of \(n) units"))
        for verdict in ["NOT REPRODUCED", "REPRODUCED", "INCONCLUSIVE", "ERROR"] { #expect(!page.contains(verdict)) }
        let index = try String(contentsOf: reports.appendingPathComponent("README.md"), encoding: .utf8)
        let row = try #require(index.split(separator: "\n").first { $0.contains("[\(Self.claimID)]") })
        #expect(row.contains("| 7 of \(n) units |"))

        let check = try CLI.run(["check", Self.claimID, "--scale", "smoke", "--out", out.path,
                                 "--expectations", out.deletingLastPathComponent().appendingPathComponent("none.tsv").path])
        #expect(check.status == 2)   // no expectations file: input error, one line
        let expectations = out.deletingLastPathComponent().appendingPathComponent("smoke.tsv")
        try AtomicFile.write("\(Self.claimID)\tERROR\n", to: expectations)
        let c2 = try CLI.run(["check", Self.claimID, "--scale", "smoke", "--out", out.path, "--expectations", expectations.path])
        #expect(c2.status == 1)
        #expect(c2.stdout.contains("\(Self.claimID): 7 of \(n) units, no verdict yet"), "\(c2.stdout)")
    }

    @Test func resubmittingListsOnlyTheUnitsWithoutAResult() throws {
        let (out, units) = try Self.halfFinishedFolder()
        let r = try CLI.run(["submit", "--slurm", Self.claimID, "--scale", "smoke", "--out", out.path, "--dry-run", "--max-running", "3"],
                            environment: ["DG_CODE": Self.halfFinishedCode])
        #expect(r.status == 0, "\(r.stderr)")
        let manifest = r.stdout.split(separator: "\n").filter { $0.hasPrefix(Self.claimID + "\t") }
        #expect(manifest.map { String($0.split(separator: "\t")[1]) } == units.suffix(units.count - 7).map(\.description))
        #expect(r.stdout.contains("--array=0-\(units.count - 8)%3"))
        for needed in ["#SBATCH --cpus-per-task=1", "OPENBLAS_NUM_THREADS=1", "--dependency=afterany", "/logs/%A_%a.log",
                       "report \(Self.claimID) --scale smoke", "--mem=", "--time="] {
            #expect(r.stdout.contains(needed), "missing \(needed)")
        }
        // A dry run writes nothing.
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("slurm").path))
    }

    @Test(arguments: [["--scale", "smoke"], ["--slurm", "--max-running", "0"], ["--slurm", "--partition", "a b"], ["--slurm", "--scale", "huge"]])
    func badSubmitInputIsOneLineExitTwo(_ extra: [String]) throws {
        let out = temporaryDirectory().appendingPathComponent("results")
        let r = try CLI.run(["submit", "lecture.reinforce", "--out", out.path, "--dry-run"] + extra)
        #expect(r.status == 2, "\(extra): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(extra): \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    /// Quick timing files of 10 s and 100 MB per unit: paper units cost 10 s times the work ratio,
    /// and memory grows by the extra images; a claim without a work model is not scaled.
    @Test func theEstimateScalesMeasuredUnitsByTheWorkRatio() throws {
        let out = temporaryDirectory().appendingPathComponent("results")
        let store = ResultStore(root: out)
        let bandit = try #require(Registry.claim("hnca.bandit"))
        let model = try #require(bandit as? any WorkModeled)
        for u in bandit.units(at: .quick) {
            try AtomicFile.write("10.0\n", to: store.timingURL(claim: bandit.id, scale: .quick, seed: 1, unit: u))
            try AtomicFile.write("104857600\n", to: store.memoryURL(claim: bandit.id, scale: .quick, seed: 1, unit: u))
        }
        let e = CostEstimator(stores: [store]).estimate(bandit, at: .paper)
        #expect(e.measuredScale == .quick && e.workModeled && e.units.count == bandit.units(at: .paper).count)
        let u = try #require(bandit.units(at: .paper).first)
        let ratio = model.work(of: u, at: .paper).work / model.work(of: u, at: .quick).work
        #expect(abs(try #require(e.seconds[u]) - 10 * ratio) < 1e-9 * ratio)
        #expect(ratio > 50)   // 100 epochs of 60000 images against 10 epochs of 4000
        let extraImages = model.work(of: u, at: .paper).imagesInMemory - model.work(of: u, at: .quick).imagesInMemory
        #expect(abs(try #require(e.peakBytes) - (104857600 + Double(extraImages) * UnitWork.bytesPerImage)) < 1)

        let exact = try #require(Registry.claim("hnca.theorem1"))
        #expect(!(exact is any WorkModeled))
        for u in exact.units(at: .smoke) {
            try AtomicFile.write("2.5\n", to: store.timingURL(claim: exact.id, scale: .smoke, seed: 3, unit: u))
        }
        let x = CostEstimator(stores: [store]).estimate(exact, at: .paper)
        #expect(x.measuredScale == .smoke && !x.workModeled && abs(x.coreSeconds - 2.5 * Double(x.units.count)) < 1e-9)
        #expect(x.basis.contains("unscaled"))

        let r = try CLI.run(["plan", "hnca.bandit", "hnca.theorem1", "lecture.reinforce", "--scale", "paper", "--estimate", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("ESTIMATE"))
        let row = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("hnca.bandit ") })
        #expect(row.contains(CostFormat.coreHours(e.coreSeconds)) && row.contains("work model"), "\(row)")
        #expect(r.stdout.split(separator: "\n").contains { $0.hasPrefix("lecture.reinforce ") && $0.contains("?") })
    }

    @Test func limitsAndThrottlesHaveMargins() {
        var e = ClaimEstimate(claim: "x", units: [RunUnit("a")], seconds: [RunUnit("a"): 3600], peakBytes: 1_073_741_824,
                              measuredScale: .quick, timingFiles: 1, timingFolders: [], workModeled: true)
        let l = SlurmSubmission.limits(e)
        #expect(l.timeMinutes == 180 && l.memoryMB == 1536 + 256 && l.estimated)
        e.measuredScale = nil
        #expect(SlurmSubmission.limits(e) == (4096, 1440, false))
        #expect(SlurmSubmission.throttles(coreSeconds: [90, 10, 0], tasks: [100, 100, 5], maxRunning: 20) == [18, 2, 1])
        #expect(SlurmSubmission.throttles(coreSeconds: [90, 10], tasks: [3, 100], maxRunning: 20) == [3, 2])
    }
}
