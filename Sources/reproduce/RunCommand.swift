import ArgumentParser
import Foundation
import Pipeline
import Reproductions
import Verification

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run claims (ids or 'all') at a scale; finished units are skipped unless --force.",
        discussion: "Progress (unit, step, elapsed time and estimate) goes to stderr; one verdict line per claim to stdout. Exit status 1 when a claim ends in ERROR, 2 on bad input.")

    @Argument(help: "Claim ids, or 'all'.")
    var claims: [String] = ["all"]

    @OptionGroup var options: SuiteOptions

    @Flag(help: "Recompute units whose results exist.")
    var force = false

    @Option(help: "Run only this unit (config#index, as `reproduce plan` prints); skips evaluation.")
    var unit: String?

    @Option(help: "Units to run at once, each in its own process (BLAS stays single-threaded per process).")
    var jobs: Int = 1

    @Flag(help: "No progress lines on stderr.")
    var quiet = false

    @Option(help: "Folder for ESTIMATORS.md and its figures (`run estimators` only: the benchmark writes its report when all its units are done).")
    var reports: String = "Reports"

    func run() throws {
        let scale = try options.parsedScale()
        let seed = try options.validatedSeed()
        // The estimators benchmark is not a claim: it runs alone and ends in a report, not a verdict.
        let benchmark = claims.contains(EstimatorBenchmark.targetID)
        if benchmark && claims.count > 1 { throw UsageError(message: "'\(EstimatorBenchmark.targetID)' is a benchmark, not a claim: run it alone") }
        let selected: [any Claim] = benchmark ? [EstimatorBenchmark()] : try resolveClaims(claims)
        guard jobs >= 1 else { throw UsageError(message: "bad --jobs \(jobs) (expected 1 or more)") }
        var onlyUnit: RunUnit?
        if let u = unit {
            guard selected.count == 1 else { throw UsageError(message: "--unit needs exactly one claim id") }
            guard let parsed = RunUnit(parsing: u), selected[0].units(at: scale).contains(parsed) else {
                throw UsageError(message: "unknown unit '\(u)' for \(selected[0].id) at scale \(scale.rawValue) (see `reproduce plan \(selected[0].id) --scale \(scale.rawValue)`)")
            }
            onlyUnit = parsed
        }
        if let problem = AtomicFile.checkWritable(URL(fileURLWithPath: options.out)) {
            throw UsageError(message: "cannot write results: \(problem)")
        }
        if benchmark && onlyUnit == nil, let problem = AtomicFile.checkWritable(URL(fileURLWithPath: reports)) {
            throw UsageError(message: "cannot write reports: \(problem)")
        }
        let quiet = self.quiet
        let sink: (@Sendable (String) -> Void)? = quiet ? nil : { @Sendable line in note(line) }
        let runner = Runner(store: options.store, revision: codeRevision(), code: codeFingerprint(), progress: sink)

        if let u = onlyUnit {
            try runUnit(runner, selected[0], u, scale, seed)
            return
        }
        // Every pending unit of every selected claim.
        var pending: [(claim: any Claim, unit: RunUnit)] = []
        for c in selected {
            for u in c.units(at: scale) {
                let url = runner.store.resultURL(claim: c.id, scale: scale, seed: seed, unit: u)
                if force || !runner.store.isCurrent(url, code: runner.code) { pending.append((c, u)) }
            }
        }
        if jobs > 1 && pending.count > 1 {
            try runInParallel(pending, scale: scale, seed: seed)
        } else {
            for (i, p) in pending.enumerated() {
                if !quiet { note("[\(i + 1)/\(pending.count)] \(p.claim.id) \(p.unit)") }
                try runUnit(runner, p.claim, p.unit, scale, seed)
            }
        }
        if benchmark {
            let command = "OPENBLAS_NUM_THREADS=1 .build/release/reproduce run estimators --scale \(scale.rawValue)" + (seed == 1 ? "" : " --seed \(seed)") + " --jobs 2"
            do {
                let url = try EstimatorReport.write(store: options.store, scale: scale, seed: seed, reports: URL(fileURLWithPath: reports), command: command)
                print("estimators: benchmark (no verdict), wrote \(url.path)")
            } catch {
                print("estimators: no report: \(error)")
                throw ExitCode(1)
            }
            return
        }
        var anyError = false
        for c in selected {
            let (evidence, meta) = runner.evidence(c, scale: scale, seed: seed)
            try options.store.write(evidence, to: options.store.evidenceURL(claim: c.id, scale: scale, seed: seed))
            print("\(c.id): \(evidence.verdict.rawValue) (\(meta.units) units, \(String(format: "%.1f", meta.seconds)) s) \(evidence.headline)")
            if evidence.verdict == .error {
                anyError = true
                if let why = evidence.errorReason { print("  error: \(why)") }
            }
        }
        if anyError { throw ExitCode(1) }
    }

    private func runUnit(_ runner: Runner, _ claim: any Claim, _ unit: RunUnit, _ scale: Scale, _ seed: UInt64) throws {
        switch runner.run(claim, unit: unit, scale: scale, seed: seed, force: force) {
        case .ran(let s): if !quiet { note("  \(claim.id) \(unit): done in \(String(format: "%.1f", s)) s") }
        case .skipped: if !quiet { note("  \(claim.id) \(unit): already done, skipped") }
        case .failed(let message):
            note("reproduce: \(claim.id) \(unit) failed: \(message)")
        }
    }

    /// Runs units as child processes of this executable, `jobs` at a time.
    private func runInParallel(_ pending: [(claim: any Claim, unit: RunUnit)], scale: Scale, seed: UInt64) throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        environment["DG_REVISION"] = codeRevision()
        environment["DG_CODE"] = codeFingerprint()
        var queue = pending[...]
        var running: [(Process, String)] = []
        var started = 0
        while !queue.isEmpty || !running.isEmpty {
            while running.count < jobs, let next = queue.popFirst() {
                let p = Process()
                p.executableURL = executable
                p.arguments = ["run", next.claim.id, "--unit", next.unit.description, "--scale", scale.rawValue,
                               "--seed", String(seed), "--out", options.out] + (force ? ["--force"] : []) + (quiet ? ["--quiet"] : [])
                p.environment = environment
                try p.run()
                started += 1
                if !quiet { note("[\(started)/\(pending.count)] \(next.claim.id) \(next.unit) (pid \(p.processIdentifier))") }
                running.append((p, "\(next.claim.id) \(next.unit)"))
            }
            Thread.sleep(forTimeInterval: 0.05)
            running.removeAll { (p, name) in
                if p.isRunning { return false }
                if p.terminationStatus != 0 { note("reproduce: \(name) exited with status \(p.terminationStatus)") }
                return true
            }
        }
    }
}
