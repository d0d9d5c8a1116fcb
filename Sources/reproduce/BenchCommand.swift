import ArgumentParser
import DiscreteGradients
import Foundation
import Pipeline
import Reproductions

/// `reproduce bench [bandit|vae|toy|all]`: the speed of the training steps the claims run, each
/// against the floor set by the step's own matrix products on the same shapes (recorded while the
/// step runs, then replayed alone in the same process). With `--report`, Reports/BENCH.md and its
/// figure. Numbers are results only: no verdict and no test reads them.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (not timed tests): training steps of the bandit, the VAE estimators and the RELAX toy against their BLAS floor.",
        discussion: "Medians over repeats. Set OPENBLAS_NUM_THREADS=1 for figures comparable with runs (make bench does).")

    @Argument(help: "What to benchmark: bandit, vae, toy or all.")
    var target: String = "all"

    @Option(help: "Timed repeats per figure (the median is reported).")
    var repeats: Int = 9

    @Option(help: "Training steps per repeat.")
    var steps: Int = 5

    @Option(help: "OpenBLAS kernels: 'auto' (what OpenBLAS detects) or 'all' (also every core type the CPU supports among Haswell and SkylakeX, each in a child process with OPENBLAS_CORETYPE set).")
    var cores: String = "auto"

    @Option(help: .hidden)
    var rowsJSON: String?

    @Option(help: "Re-render BENCH.md and its figures from a saved figures/bench.json, without measuring.")
    var from: String?

    @Option(help: "Units per stochastic layer of the VAE, comma-separated (50: hnca.vae's quick scale; 200: the paper's).")
    var vaeUnits: String = "50,200"

    @Flag(help: "Write BENCH.md, its data and its figure into --reports (atomically).")
    var report = false

    @Option(help: "Folder for BENCH.md and figures/ (with --report).")
    var reports: String = "Reports"

    func run() throws {
        if let from {
            let dir = URL(fileURLWithPath: reports)
            let saved = try JSONDecoder().decode(BenchReport.self, from: Data(contentsOf: URL(fileURLWithPath: from)))
            try saved.write(to: dir)
            print("re-rendered \(dir.appendingPathComponent("BENCH.md").path) from \(from)")
            return
        }
        let targets = target == "all" ? ["bandit", "vae", "toy"] : [target]
        guard targets.allSatisfy({ ["bandit", "vae", "toy"].contains($0) }) else {
            throw UsageError(message: "unknown benchmark '\(target)' (expected: bandit, vae, toy or all)")
        }
        let widths = vaeUnits.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard repeats >= 1, steps >= 1, !widths.isEmpty, widths.allSatisfy({ $0 >= 1 }) else { throw UsageError(message: "--repeats, --steps and --vae-units must be at least 1") }
        guard cores == "auto" || cores == "all" else { throw UsageError(message: "--cores must be auto or all") }
        let dir = URL(fileURLWithPath: reports)
        if report, let problem = AtomicFile.checkWritable(dir) { throw UsageError(message: problem) }
        GSL.configure()
        let threads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset (OpenBLAS default)"
        let settings = StepBenchmark.Settings(repeats: repeats, steps: steps, vaeUnits: widths)
        let loadBefore = Self.loadAverage()
        var rows: [BenchRow] = []
        let progress: (String) -> Void = { FileHandle.standardError.write(Data("bench: \($0)\n".utf8)) }
        for t in targets {
            switch t {
            case "bandit": rows += try StepBenchmark.bandit(settings, progress: progress)
            case "vae": rows += StepBenchmark.vae(settings, progress: progress)
            default: rows += try StepBenchmark.toy(settings, progress: progress)
            }
        }
        let loadAfter = Self.loadAverage()
        let core = BLASKernels.coreName() ?? "unknown"
        let libm = StepBenchmark.libmSeconds(settings)
        if let rowsJSON {
            try AtomicFile.write(try JSONEncoder().encode(BenchRun(core: core, rows: rows, libm: libm)), to: URL(fileURLWithPath: rowsJSON))
            return
        }
        var runs = [BenchRun(core: core + " (detected)", rows: rows, libm: libm)]
        if cores == "all" {
            for other in Self.supportedCores() where other.lowercased() != core.lowercased() {
                progress("child process with OPENBLAS_CORETYPE=\(other)")
                runs.append(try childRun(core: other))
            }
        }
        print("OpenBLAS core: \(core)")
        print("median of \(repeats) repeats x \(steps) steps; OPENBLAS_NUM_THREADS=\(threads); load average \(loadBefore) -> \(loadAfter)")
        print("floor = the step's own matrix products (recorded while it runs) replayed alone on the same shapes")
        print("")
        print(StepBenchmark.text(rows))
        for run in runs.dropFirst() {
            print("\nOpenBLAS core \(run.core):")
            print(StepBenchmark.text(run.rows))
        }
        guard report else { return }
        var args = ["reproduce", "bench", target]
        if repeats != 9 { args += ["--repeats", String(repeats)] }
        if steps != 5 { args += ["--steps", String(steps)] }
        if vaeUnits != "50,200" { args += ["--vae-units", vaeUnits] }
        if cores != "auto" { args += ["--cores", cores] }
        let machine = BenchMachine(nproc: ProcessInfo.processInfo.activeProcessorCount, cpu: Self.cpuModel(), blasThreads: threads,
                                   loadBefore: loadBefore, loadAfter: loadAfter,
                                   date: ISO8601DateFormatter().string(from: Date()), revision: codeRevision(),
                                   command: "OPENBLAS_NUM_THREADS=\(threads) .build/release/" + (args + ["--report"]).joined(separator: " "))
        try BenchReport(machine: machine, settings: settings, runs: runs).write(to: dir)
        print("\nwrote \(dir.appendingPathComponent("BENCH.md").path)")
    }

    /// This benchmark again in a child process with OPENBLAS_CORETYPE=`core` (OpenBLAS reads it once, at load).
    func childRun(core: String) throws -> BenchRun {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(getpid())-\(core).json")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        p.arguments = ["bench", target, "--repeats", String(repeats), "--steps", String(steps), "--vae-units", vaeUnits, "--rows-json", tmp.path]
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_CORETYPE"] = core
        p.environment = env
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ValidationError("bench child with OPENBLAS_CORETYPE=\(core) failed (exit \(p.terminationStatus))") }
        var run = try JSONDecoder().decode(BenchRun.self, from: Data(contentsOf: tmp))
        run.core += " (OPENBLAS_CORETYPE=\(core))"
        return run
    }

    /// OpenBLAS core types this CPU can run besides the detected one: Haswell (AVX2, FMA), SkylakeX (AVX-512).
    static func supportedCores() -> [String] {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }).map { " " + String($0) + " " } ?? ""
        var cores: [String] = []
        if flags.contains(" avx2 ") && flags.contains(" fma ") { cores.append("Haswell") }
        if flags.contains(" avx512f ") { cores.append("SkylakeX") }
        return cores
    }

    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":") else { return "unknown" }
        let flags = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }).map { String($0) } ?? ""
        let simd = ["avx512f", "avx2", "fma"].filter { flags.contains(" \($0)") }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) + (simd.isEmpty ? "" : " (" + simd.joined(separator: ", ") + ")")
    }
    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
    }
}
