import ArgumentParser
import Foundation
import Pipeline
import Reproductions

/// `reproduce submit --slurm`: hands the units still to run to a Slurm cluster as one job array
/// (see SlurmSubmission), plus a job that renders the reports and checks the verdicts when the
/// array has ended. Results are resumable, so resubmitting the same command retries exactly the
/// units without a result (failed, pre-empted or never run).
struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit the units without a result to Slurm as a job array, then report and check in a dependent job.",
        discussion: """
        Writes <out>/slurm/<scale>-seed-<seed>/submission-<n>/ (manifest.tsv, units.sbatch, report.sbatch, submit.sh,
        logs/) and runs sbatch. Memory and time limits per claim come from `reproduce plan --estimate` with a margin.
        --dry-run prints the scripts and writes and submits nothing. Follow progress with `reproduce status`.
        """)

    @Argument(help: "Claim ids, or 'all'.")
    var claims: [String] = ["all"]

    @OptionGroup var options: SuiteOptions

    @Flag(help: "Submit to Slurm (the only scheduler supported).")
    var slurm = false

    @Option(help: "Slurm partition (default: the cluster's default partition).")
    var partition: String?

    @Option(help: "At most this many array tasks running at once, shared among the claims.")
    var maxRunning: Int = 50

    @Option(help: "Folder for the reports the dependent job renders (default: <out>/reports/<scale>-seed-<seed>).")
    var reports: String?

    @Option(help: "Another result folder whose timing files size the limits (e.g. a quick run's); repeatable.")
    var timings: [String] = []

    @Flag(help: "Print the scripts; write and submit nothing.")
    var dryRun = false

    func run() throws {
        guard slurm else { throw UsageError(message: "submit needs --slurm (the only supported scheduler)") }
        let scale = try options.parsedScale()
        let seed = try options.validatedSeed()
        let selected = try resolveClaims(claims)
        guard maxRunning >= 1 else { throw UsageError(message: "bad --max-running \(maxRunning) (expected 1 or more)") }
        if let p = partition, p.isEmpty || p.contains(where: { $0.isWhitespace || $0 == "'" }) {
            throw UsageError(message: "bad --partition '\(p)'")
        }
        let cwd = FileManager.default.currentDirectoryPath
        let outRoot = absolute(options.out, cwd)
        guard !outRoot.contains(where: \.isWhitespace) else { throw UsageError(message: "--out must not contain white space (Slurm directives cannot quote it)") }
        let reportsDir = absolute(reports ?? "\(options.out)/reports/\(scale.rawValue)-seed-\(seed)", cwd)
        let store = ResultStore(root: URL(fileURLWithPath: outRoot))
        if !dryRun {
            if let problem = AtomicFile.checkWritable(URL(fileURLWithPath: outRoot)) { throw UsageError(message: "cannot write results: \(problem)") }
            guard which("sbatch") != nil else { throw UsageError(message: "sbatch not found on PATH (is Slurm installed, and SLURM_CONF set?)") }
        }

        // The units without a result, grouped by claim in manifest order.
        let code = codeFingerprint()
        var tasks: [SlurmSubmission.Task] = []
        var slices: [SlurmSubmission.Slice] = []
        var coreSeconds: [Double] = []
        let estimator = CostEstimator(stores: [store] + timings.map { ResultStore(root: URL(fileURLWithPath: $0)) })
        var unestimated: [String] = []
        for c in selected {
            let left = c.units(at: scale).filter { !store.isCurrent(store.resultURL(claim: c.id, scale: scale, seed: seed, unit: $0), code: code) }
            guard !left.isEmpty else { continue }
            let first = tasks.count
            tasks += left.map { .init(claim: c.id, unit: $0, resultPath: store.resultURL(claim: c.id, scale: scale, seed: seed, unit: $0).path) }
            let e = estimator.estimate(c, at: scale, units: left)
            let limits = SlurmSubmission.limits(e)
            if !limits.estimated { unestimated.append(c.id) }
            slices.append(.init(claim: c.id, first: first, last: tasks.count - 1, memoryMB: limits.memoryMB,
                                timeMinutes: limits.timeMinutes, throttle: 1, estimated: limits.estimated))
            coreSeconds.append(e.isMeasured ? e.coreSeconds : Double(left.count) * 3600)
        }
        guard !tasks.isEmpty else {
            print("nothing to submit: every unit of the \(selected.count) claim\(selected.count == 1 ? "" : "s") has a result; render with `reproduce report --scale \(scale.rawValue) --seed \(seed) --out \(options.out)`")
            return
        }
        for (i, t) in SlurmSubmission.throttles(coreSeconds: coreSeconds, tasks: slices.map { $0.last - $0.first + 1 }, maxRunning: maxRunning).enumerated() { slices[i].throttle = t }

        let base = URL(fileURLWithPath: outRoot).appendingPathComponent("slurm").appendingPathComponent("\(scale.rawValue)-seed-\(seed)")
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: base.path))?.filter { $0.hasPrefix("submission-") }.count ?? 0
        var submission = SlurmSubmission(
            directory: base.appendingPathComponent("submission-\(existing + 1)"), executable: executablePath(), workingDirectory: cwd,
            scale: scale, seed: seed, resultsRoot: outRoot, reportsDirectory: reportsDir,
            expectationsFile: absolute("Expectations/\(scale.rawValue).tsv", cwd), revision: codeRevision(), partition: partition,
            claims: selected.map(\.id), tasks: tasks, slices: slices)
        submission.code = code

        if dryRun {
            print("# dry run: \(tasks.count) units of \(slices.count) claims; nothing written or submitted")
            for (name, text) in [(submission.manifestURL, submission.manifest()), (submission.arrayScriptURL, submission.arrayScript()),
                                 (submission.finishScriptURL, submission.finishScript()),
                                 (submission.directory.appendingPathComponent("submit.sh"), submission.submitScript())] {
                print("# ---- \(name.path)")
                print(text, terminator: "")
            }
            return
        }
        try FileManager.default.createDirectory(at: submission.logDirectory, withIntermediateDirectories: true)
        try AtomicFile.write(submission.manifest(), to: submission.manifestURL)
        try AtomicFile.write(submission.arrayScript(), to: submission.arrayScriptURL)
        try AtomicFile.write(submission.finishScript(), to: submission.finishScriptURL)
        try AtomicFile.write(submission.submitScript(), to: submission.directory.appendingPathComponent("submit.sh"))
        for c in unestimated { note("note: \(c) has no timing files; its tasks get default limits (24 h, 4 GB)") }

        var jobIDs: [String] = []
        for slice in submission.slices {
            switch sbatch(submission.arrayArguments(slice) + [submission.arrayScriptURL.path]) {
            case .success(let id): jobIDs.append(id)
            case .failure(let message):
                for id in jobIDs { _ = try? runTool("scancel", [id]) }
                throw SubmitFailure(message: "sbatch failed for \(slice.claim): \(message)" + (jobIDs.isEmpty ? "" : " (cancelled the \(jobIDs.count) jobs already submitted)"))
            }
        }
        let finish: String
        switch sbatch(submission.finishArguments(after: jobIDs) + [submission.finishScriptURL.path]) {
        case .success(let id): finish = id
        case .failure(let message): throw SubmitFailure(message: "sbatch failed for the report job: \(message) (the array jobs \(jobIDs.joined(separator: ", ")) stay submitted)")
        }
        print("submitted \(tasks.count) units of \(slices.count) claims as array job\(jobIDs.count == 1 ? "" : "s") \(jobIDs.joined(separator: ", ")); report job \(finish) runs after them")
        print("files and logs: \(submission.directory.path)")
        print("progress: reproduce status \(selected.count == Registry.claims.count ? "all" : selected.map(\.id).joined(separator: " ")) --scale \(scale.rawValue) --seed \(seed) --out \(options.out)")
        print("jobs: \(jobIDs.joined(separator: " ")) \(finish)")
    }

    private func absolute(_ path: String, _ cwd: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL.path
    }

    private func sbatch(_ arguments: [String]) -> Result<String, SubmitFailure> {
        guard let r = try? runTool("sbatch", arguments) else { return .failure(SubmitFailure(message: "cannot run sbatch")) }
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        guard r.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            let why = r.stderr.split(separator: "\n").last.map(String.init) ?? "exit status \(r.status)"
            return .failure(SubmitFailure(message: why))
        }
        return .success(id)
    }
}

/// sbatch refused a job: one line on stderr, exit status 1 (the input was fine; the cluster said no).
struct SubmitFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The absolute path of this executable, so that compute nodes run the same build.
func executablePath() -> String {
    if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
    let arg0 = CommandLine.arguments[0]
    if arg0.hasPrefix("/") { return arg0 }
    if arg0.contains("/") { return URL(fileURLWithPath: arg0).standardizedFileURL.path }
    return which(arg0) ?? arg0
}

/// The full path of a program on PATH, or nil.
func which(_ program: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(program)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

/// Runs a program found on PATH and collects its output.
func runTool(_ program: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [program] + arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
