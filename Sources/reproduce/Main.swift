import ArgumentParser
import Foundation
import Pipeline
import Reproductions

/// The command-line front end. Bad input (unknown claim, bad scale, unwritable output) gets one
/// line on stderr and exit status 2, with nothing written.
@main
struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Run the DiscreteGradients reproduction suite and render its reports.",
        discussion: """
        Every claim of ../shared/CLAIMS.md is a target with an id (`reproduce list`). A run is split
        into units (configuration x replicate); each unit writes one JSON result under
        --out/<scale>/seed-<seed>/<claim>/, atomically, and a rerun skips finished units (resume).
        `reproduce report` renders Reports/<claim>.md and Reports/README.md from stored results alone.
        `reproduce check` compares verdicts with Expectations/<scale>.tsv (non-zero exit on any difference
        or ERROR). For a cluster: `reproduce plan all --scale paper --estimate` estimates the cost,
        `reproduce submit --slurm all --scale paper` submits a Slurm job array (and a report job after it),
        `reproduce status --scale paper` shows progress; `reproduce plan` prints one command per unit for other schedulers.

        Scales: smoke (seconds, for unit tests), quick (default; the whole suite in minutes on 2 cores),
        paper (the papers' own settings; hours).
        """,
        subcommands: [List.self, Run.self, Report.self, Check.self, Design.self, Plan.self, Submit.self, Status.self, Exact.self, Bench.self, Calibrate.self],
        defaultSubcommand: List.self
    )

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as UsageError {
            fail(error.message)
        } catch let error as SubmitFailure {
            FileHandle.standardError.write(Data("reproduce: error: \(error.message)\n".utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is CleanExit { exit(withError: error) }
            if let e = error as? ExitCode { Foundation.exit(e.rawValue) }
            // Parsing errors (unknown option, bad value): one line, exit 2.
            let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            fail(message.replacingOccurrences(of: "Error: ", with: ""))
        }
    }
}

/// An input error: reported as one line, exit status 2.
struct UsageError: Error { var message: String }

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("reproduce: error: \(message)\n".utf8))
    Foundation.exit(2)
}

func note(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Options shared by the commands that read or write results.
struct SuiteOptions: ParsableArguments {
    @Option(help: "Scale: smoke, quick or paper.")
    var scale: String = "quick"

    @Option(help: "Master seed (a positive integer); every random stream is derived from it, the claim and the unit.")
    var seed: UInt64 = 1

    @Option(help: "Folder for result files.")
    var out: String = "results"

    func parsedScale() throws -> Scale {
        guard let s = Scale(rawValue: scale) else {
            throw UsageError(message: "bad scale '\(scale)' (expected smoke, quick or paper)")
        }
        return s
    }
    func validatedSeed() throws -> UInt64 {
        guard seed > 0 else { throw UsageError(message: "bad seed 0 (GSL never takes seed 0; use a positive integer)") }
        return seed
    }
    var store: ResultStore { ResultStore(root: URL(fileURLWithPath: out)) }
}

/// Claim ids or "all", resolved against the registry.
func resolveClaims(_ ids: [String]) throws -> [any Claim] {
    if ids.isEmpty || ids == ["all"] { return Registry.claims }
    return try ids.map { id in
        guard let c = Registry.claim(id) else {
            throw UsageError(message: "unknown claim id '\(id)' (see `reproduce list`)")
        }
        return c
    }
}

/// Runs git with `args` in the current folder; its trimmed standard output, or nil on failure.
func git(_ args: [String]) -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["git"] + args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : nil
}

/// The folders whose contents decide the numbers (what a code change is).
let codePaths = ["Sources", "Reproductions", "Package.swift"]

/// The code revision recorded in every result: `git describe`-like, with "-dirty" for local edits.
func codeRevision() -> String {
    if let r = ProcessInfo.processInfo.environment["DG_REVISION"], !r.isEmpty { return r }
    guard let head = git(["rev-parse", "--short=12", "HEAD"]) else { return "unknown (not a git checkout)" }
    let dirty = git(["status", "--porcelain", "--untracked-files=no", "--"] + codePaths).map { !$0.isEmpty } ?? false
    return head + (dirty ? "-dirty" : "")
}

/// `CodeFingerprint` of this checkout: the committed trees of the code paths, uncommitted edits
/// and untracked files there, hashed (16 hex digits). `DG_CODE` overrides (set for child processes).
func codeFingerprint() -> String {
    if let r = ProcessInfo.processInfo.environment["DG_CODE"], !r.isEmpty { return r }
    guard let trees = git(["rev-parse"] + codePaths.map { "HEAD:" + $0 }),
          let diff = git(["diff", "HEAD", "--"] + codePaths),
          let untracked = git(["ls-files", "--others", "--exclude-standard", "--"] + codePaths) else { return CodeFingerprint.unknown }
    var bytes = Array(trees.utf8) + Array(diff.utf8)
    for path in untracked.split(separator: "\n").map(String.init).sorted() {
        bytes += Array(path.utf8) + ((try? Data(contentsOf: URL(fileURLWithPath: path))).map(Array.init) ?? [])
    }
    return String(format: "%016llx", CodeFingerprint.fnv1a(bytes))
}
