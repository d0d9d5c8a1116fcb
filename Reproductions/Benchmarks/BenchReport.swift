import DiscreteGradients
import Foundation
import Pipeline

/// Where and how a benchmark ran.
public struct BenchMachine: Codable, Sendable {
    public var nproc: Int
    public var cpu: String
    public var blasThreads: String
    public var loadBefore: String
    public var loadAfter: String
    public var date: String
    public var revision: String
    public var command: String
    public init(nproc: Int, cpu: String, blasThreads: String, loadBefore: String, loadAfter: String, date: String, revision: String, command: String) {
        self.nproc = nproc; self.cpu = cpu; self.blasThreads = blasThreads; self.loadBefore = loadBefore; self.loadAfter = loadAfter
        self.date = date; self.revision = revision; self.command = command
    }
}

/// One benchmark run under one set of OpenBLAS kernels.
public struct BenchRun: Codable, Sendable {
    public var core: String
    public var rows: [BenchRow]
    /// Median seconds per call of exp and of log1p in the same process.
    public var expSeconds: Double
    public var log1pSeconds: Double
    public init(core: String, rows: [BenchRow], libm: (exp: Double, log1p: Double)) {
        self.core = core; self.rows = rows; self.expSeconds = libm.exp; self.log1pSeconds = libm.log1p
    }
}

/// Reports/BENCH.md: the table of `reproduce bench`, the targets of issue 13 met or missed, and a
/// figures drawn from the data the command writes (figures/bench.json; the plotted series in figures/bench-*.dat).
/// `reproduce bench --from Reports/figures/bench.json` re-renders them without measuring.
public struct BenchReport: Codable, Sendable {
    public var machine: BenchMachine
    public var repeats: Int
    public var steps: Int
    public var vaeUnits: [Int]
    /// The run with the kernels OpenBLAS detects first, then any run with OPENBLAS_CORETYPE forced.
    public var runs: [BenchRun]
    var rows: [BenchRow] { runs[0].rows }

    public init(machine: BenchMachine, settings: StepBenchmark.Settings, runs: [BenchRun]) {
        self.machine = machine; self.repeats = settings.repeats; self.steps = settings.steps; self.vaeUnits = settings.vaeUnits; self.runs = runs
    }

    /// A target of issue 21: rows selected by `applies`, ratio at most `bound`.
    struct Target: Sendable { var name: String; var bound: Double; var applies: @Sendable (BenchRow) -> Bool }
    static let targets = [
        Target(name: "bandit HNCA, depth 3 (library trainer)", bound: 2.0) { $0.group == "bandit" && $0.estimator == "HNCA" && $0.depth == 3 },
        Target(name: "bandit REINFORCE (library trainer)", bound: 1.5) { $0.group == "bandit" && $0.estimator == "REINFORCE" },
        Target(name: "VAE, 200 units, every estimator but f-HNCA, L = 1, 2, 3", bound: 3.0) {
            $0.group == "vae" && $0.estimator.hasSuffix("(200 units)") && !$0.estimator.hasPrefix("f-HNCA") },
        Target(name: "VAE, 200 units, f-HNCA, L = 1, 2, 3", bound: 5.0) { $0.group == "vae" && $0.estimator.hasPrefix("f-HNCA (200 units)") },
        Target(name: "VAE, 50 units, every estimator", bound: 5.0) { $0.group == "vae" && $0.estimator.hasSuffix("(50 units)") },
    ]

    /// The authors' released JAX scripts (timing lines only), as quoted in issue 21: measured on one core of an
    /// AMD EPYC with AVX-512 by an earlier session, side by side with this suite under OPENBLAS_CORETYPE=Haswell.
    /// Per workload: (group, depth / L, our estimator label, JAX float32 ms, JAX float64 ms, ours then ms, ours then step / floor).
    static let authorsJAX: [(group: String, depth: Int, estimator: String, float32: Double, float64: Double, oursThen: Double, ratioThen: Double)] = [
        ("bandit", 1, "HNCA", 63.1, 168, 1.62, 2.08), ("bandit", 2, "HNCA", 82.2, 275, 2.89, 3.20), ("bandit", 3, "HNCA", 86.1, 301, 4.62, 3.95),
        ("bandit", 3, "REINFORCE", 79.8, 206, 2.37, 2.13),
        ("vae", 1, "f-HNCA (200 units)", 131, 431, 18.7, 8.6), ("vae", 2, "f-HNCA (200 units)", 185, 535, 58.3, 19.0),
        ("vae", 3, "f-HNCA (200 units)", 218, 682, 89.8, 24.4),
        ("vae", 3, "REINFORCE (200 units)", 60.7, 292, 22.0, 7.5),
        ("vae", 3, "REINFORCE LOO (200 units)", 93.3, 295, 27.1, 6.9), ("vae", 3, "DisARM (200 units)", 100.5, 325, 29.5, 7.2),
    ]

    public func write(to dir: URL, plotter: Plotter = Plotter()) throws {
        let figDir = dir.appendingPathComponent("figures")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: figDir.appendingPathComponent("bench.json"))
        var figures: [String] = []
        let core = runs[0].core
        figures.append(try plotter.render(StepBenchmark.figure(rows, id: "bench-bandit", title: "Bandit training step / its matrix products (\(core))",
                                                               xLabel: "hidden layers", targets: [(1.5, "target REINFORCE 1.5"), (2.0, "target HNCA 2")],
                                                               include: { $0.group == "bandit" }), stem: "bench-bandit", in: figDir))
        for width in vaeUnits {
            let suffix = "(\(width) units)"
            figures.append(try plotter.render(StepBenchmark.figure(rows, id: "bench-vae-\(width)", title: "VAE training step / its matrix products, \(width) units per layer (\(core))",
                                                                   xLabel: "stochastic layers L", targets: width == 200 ? [(3.0, "target 3"), (5.0, "target f-HNCA 5")] : [(5.0, "target 5")],
                                                                   include: { $0.group == "vae" && $0.estimator.hasSuffix(suffix) }),
                                              stem: "bench-vae-\(width)", in: figDir))
        }
        try AtomicFile.write(markdown(figures: figures.map { "figures/" + $0 }), to: dir.appendingPathComponent("BENCH.md"))
    }

    func table(_ rows: [BenchRow]) -> String {
        var md = "| " + StepBenchmark.columns.joined(separator: " | ") + " |\n"
        md += "|" + StepBenchmark.columns.map { _ in "---" }.joined(separator: "|") + "|\n"
        for r in rows { md += "| " + StepBenchmark.cells(r).joined(separator: " | ") + " |\n" }
        return md
    }

    func markdown(figures: [String]) -> String {
        var md = "# Benchmark: training steps against their BLAS floor\n\n"
        md += "Generated by `\(machine.command)` on \(machine.date) (code \(machine.revision)). "
        md += "Regenerate with `make bench` (the same command). Results only: no verdict and no test reads these numbers.\n\n"
        md += "- Machine: \(machine.nproc) cores (nproc), \(machine.cpu); shared, load average \(machine.loadBefore) before and \(machine.loadAfter) after the run\n"
        md += "- BLAS: OpenBLAS through CBLAS, OPENBLAS_NUM_THREADS=\(machine.blasThreads)\n"
        md += "- Each figure: the median over \(repeats) repeats of the mean of \(steps) consecutive training steps (after one warm-up step)\n"
        md += "- Floor: the matrix products the step itself runs (`MatrixProductLog` records their shapes while one step runs), replayed alone with random operands in the same process, timed the same way. Ratios within one process are what compare across machines and loads\n"
        md += "- Bandit (hnca.bandit): 784 binary inputs, 1-3 hidden layers of 200 Bernoulli units ({-1, +1}), softmax over 10 actions, batch 50; one step of the library's `NetworkTrainer` (forward, learning signals, gradients and their variance, Adam, baseline). \"HNCA (stateless)\" is the same step written with the stateless API (`net.sample`, `NetworkHNCA().signals(...).mean(over:)`, one `Adam` per block), the same kernels with fresh buffers\n"
        md += "- VAE (hnca.vae): 784 inputs, L = 1, 2, 3 stochastic layers of \(vaeUnits.map(String.init).joined(separator: " and ")) Bernoulli units (hnca.vae's quick scale uses 50, the paper 200), batch 50; one step of `VAETraining`'s loop (draws, encoder estimate, exact decoder and prior gradients, ELBO, Adam on every block)\n"
        md += "- Toy (relax.toy): one step of `RelaxToy.train` (one draw, the estimate and its variance gradient, Adam), without the exact-variance checkpoints; it runs no matrix product, so it has no floor\n\n"
        for f in figures { md += "![step / floor](\(f))\n\n" }
        md += "## OpenBLAS kernels: \(runs[0].core); CPU: \(machine.cpu)\n\n"
        md += table(runs[0].rows)
        for run in runs.dropFirst() {
            md += "\n## OpenBLAS kernels: \(run.core); CPU: \(machine.cpu)\n\n" + table(run.rows)
        }
        if runs.count > 1 {
            md += "\n## The same steps under each kernel set (CPU: \(machine.cpu))\n\n"
            md += "| group | depth / L | estimator | " + runs.map { "step (ms), \($0.core)" }.joined(separator: " | ") + " | "
                + runs.map { "floor (ms), \($0.core)" }.joined(separator: " | ") + " |\n"
            md += "|" + Array(repeating: "---", count: 3 + 2 * runs.count).joined(separator: "|") + "|\n"
            for (i, r) in runs[0].rows.enumerated() {
                let same = runs.map { $0.rows.indices.contains(i) ? $0.rows[i] : nil }
                md += "| \(r.group) | \(r.depth) | \(r.estimator) | " + same.map { $0.map { String(format: "%.3f", $0.stepSeconds * 1e3) } ?? "-" }.joined(separator: " | ")
                    + " | " + same.map { $0.map { $0.products > 0 ? String(format: "%.3f", $0.floorSeconds * 1e3) : "-" } ?? "-" }.joined(separator: " | ") + " |\n"
            }
        }
        md += "\n## VAE at width 50 and width 200: step / floor (CPU: \(machine.cpu))\n\n"
        md += "| L | estimator | " + runs.flatMap { run in vaeUnits.map { "\($0) units, \(run.core)" } }.joined(separator: " | ") + " |\n"
        md += "|" + Array(repeating: "---", count: 2 + runs.count * vaeUnits.count).joined(separator: "|") + "|\n"
        for L in 1...3 {
            for method in ["REINFORCE", "f-HNCA", "REINFORCE LOO", "DisARM"] {
                let cells = runs.flatMap { run in vaeUnits.map { width -> String in
                    let r = run.rows.first { $0.group == "vae" && $0.depth == L && $0.estimator == "\(method) (\(width) units)" }
                    return r?.ratio.map { String(format: "%.2f", $0) } ?? "-"
                } }
                guard cells.contains(where: { $0 != "-" }) else { continue }
                md += "| \(L) | \(method) | " + cells.joined(separator: " | ") + " |\n"
            }
        }
        md += "\n## Against the authors' JAX code\n\n"
        md += "The authors' figures (JAX float32 and float64, batch 50, ms per update) are quoted from issue 21: they were measured by an earlier session of this project on one core of an AMD EPYC with AVX-512, with `OPENBLAS_CORETYPE=Haswell` set by that environment and one thread, medians of 4-5 alternating runs of `reproduce bench` against the authors' released scripts reduced to their timing lines. The authors' timed step also logs the per-example gradient variance (our bandit step computes it too; our VAE step does not). \"Ours then\" is this suite on that machine before issue 21's changes; \"ours now\" is this run (\(machine.cpu)), one column per kernel set, not the same machine as the JAX figures.\n\n"
        md += "| workload | depth / L | JAX float32 (ms) | JAX float64 (ms) | ours then, Haswell (ms) | ours then, step / floor | " + runs.map { "ours now, \($0.core) (ms)" }.joined(separator: " | ") + " | " + runs.map { "ours now, \($0.core), step / floor" }.joined(separator: " | ") + " |\n"
        md += "|" + Array(repeating: "---", count: 6 + 2 * runs.count).joined(separator: "|") + "|\n"
        for a in Self.authorsJAX {
            let now = runs.map { run in run.rows.first { $0.group == a.group && $0.depth == a.depth && $0.estimator == a.estimator } }
            md += "| \(a.group) \(a.estimator) | \(a.depth) | \(a.float32) | \(a.float64) | \(a.oursThen) | \(a.ratioThen) | "
                + now.map { $0.map { String(format: "%.2f", $0.stepSeconds * 1e3) } ?? "not run" }.joined(separator: " | ") + " | "
                + now.map { $0.flatMap(\.ratio).map { String(format: "%.2f", $0) } ?? "-" }.joined(separator: " | ") + " |\n"
        }
        md += "\n## Targets (issue 21)\n\n"
        md += "| target | bound | " + runs.map { "worst step / floor, \($0.core)" }.joined(separator: " | ") + " |\n"
        md += "|" + Array(repeating: "---", count: 2 + runs.count).joined(separator: "|") + "|\n"
        for t in Self.targets {
            md += "| \(t.name) | <= \(t.bound) | " + runs.map { run -> String in
                let rs = run.rows.filter(t.applies).compactMap(\.ratio)
                guard let worst = rs.max() else { return "not run" }
                return String(format: "%.2f", worst) + (worst <= t.bound ? " (met)" : " (missed)")
            }.joined(separator: " | ") + " |\n"
        }
        let parted = runs[0].rows.filter { $0.parts != nil }
        if !parted.isEmpty {
            md += "\n## Bandit: where the step's time goes (\(runs[0].core))\n\n"
            md += "Parts timed alone in the same process: the forward pass (its products, the sigmoids and the draws), and Adam on blocks of the network's sizes. The rest is the learning signals (HNCA's backward kernels), the gradient products and the variance metric.\n\n"
            md += "| depth | estimator | step (ms) | floor (ms) | forward (ms) | Adam (ms) | rest (ms) |\n|---|---|---|---|---|---|---|\n"
            for r in parted {
                let f = r.parts!["forward"] ?? .nan, a = r.parts!["Adam"] ?? .nan
                md += "| \(r.depth) | \(r.estimator) | " + [r.stepSeconds, r.floorSeconds, f, a, r.stepSeconds - f - a].map { String(format: "%.3f", $0 * 1e3) }.joined(separator: " | ") + " |\n"
            }
        }
        let vae = runs[0].rows.filter { $0.transcendentals != nil }
        if !vae.isEmpty {
            let run = runs[0], perCall = (run.expSeconds + run.log1pSeconds) / 2
            md += "\n## VAE: the floor with the step's transcendentals\n\n"
            md += "Measured in the same process (\(run.core)): exp \(String(format: "%.1f", run.expSeconds * 1e9)) ns, log1p \(String(format: "%.1f", run.log1pSeconds * 1e9)) ns per call (glibc). "
            md += "Each step's exp/expm1/log/log1p calls are those `VAEOperationCount` counts; at the mean of the two costs per call they add the time below to the products' floor.\n\n"
            md += "| L | estimator | step (ms) | floor (ms) | transcendentals per step | their time (ms) | step / (floor + transcendentals) |\n|---|---|---|---|---|---|---|\n"
            for r in vae {
                let t = Double(r.transcendentals!) * perCall
                md += "| \(r.depth) | \(r.estimator) | \(String(format: "%.3f", r.stepSeconds * 1e3)) | \(String(format: "%.3f", r.floorSeconds * 1e3)) | \(r.transcendentals!) | \(String(format: "%.3f", t * 1e3)) | \(String(format: "%.2f", r.stepSeconds / (r.floorSeconds + t))) |\n"
            }
        }
        md += "\n" + Self.bounds
        return md
    }

    /// What bounds the steps that stay above their floor (measured on the machine above; see the notes in
    /// `StepBenchmark` and the library's kernels).
    static let bounds = """
    ## What bounds the steps above their floor

    The tables above are the measurements; this is how they read (see also the kernels' notes in
    `Sources/DiscreteGradients/Estimators/FlipRatios.swift` and `VAE/FlipCounterfactuals.swift`).

    - **Kernel sets.** OpenBLAS picks its kernels from the CPU at start-up; every table above names the set it ran under and the CPU. On this project's virtualised Xeons OpenBLAS 0.3.21 falls back to its Prescott (SSE3) kernels, several times slower than the Haswell or SkylakeX kernels on the same products, which flatters the ratios under "detected"; on AMD EPYC machines it detects Zen (Haswell-class kernels). Forcing the core type would change the bits of every product (a different kernel sums in a different order), so the suite never sets it: results are bit-reproducible for a given kernel set, every unit result records the set it ran under (`blas`) and every report lists it. `--cores all` adds one table per other kernel set the CPU supports, each in a child process.
    - **Swift's code is built for baseline x86-64.** The package compiles Swift for the generic x86-64 target, so the vectorised loops run on SSE2: two doubles per instruction, a quarter of the AVX-512 width this CPU has. The bandit's non-BLAS work is such loops: Adam (a division and a square root per parameter, `SIMD8` lanes lowered to SSE2; the "Adam" column), the forward pass's sigmoid (one exp) and uniform draw (GSL mt19937) per unit and example (inside "forward"), and HNCA's flip-ratio loop over (example, parent, child) triples (inside "rest": one multiply-add chain per triple, as many as the layer's forward product has multiply-adds, but not a gemm). A C shim with a per-function `target("avx512f")` attribute and a runtime CPU check would lift this; it needs a new C target in Package.swift and was not done here.
    - **The bandit's floor is thin.** With a batch of 50 every product has one dimension of 50, so the floor itself runs far below the core's peak, and per-parameter work (Adam, about 10 MB of memory traffic per step at 240k parameters) is of the same order as the products.
    - **VAE: transcendentals.** Each VAE step evaluates the ELBO's components: a log-sigmoid (exp and log1p) per decoder output, 784 per example; at hnca.vae's quick width (50 units) these dominate every estimator's step. f-HNCA's counterfactuals are in product form (issue 21): `FlipCounterfactuals.entropyShift` and `logLikelihoodShift` take one expm1 per weight per call (they depend on the parameters only), one exp per (example, child) and one log per (example, parent); per (example, parent, child) edge only selects and multiply-adds remain, in running products renormalised by their power of two. Before, `entropyShift` took an exp and a log1p per edge, as many glibc calls as the layer's product has multiply-adds, which is why f-HNCA's ratio grew with L. The transcendentals left are per unit (batch x units), at about 10 ns per glibc call (measured above); a vectorised exp/log (SLEEF or a SIMD polynomial) has not been measured yet.
    - **VAE: the ELBO twice.** `VAETraining`'s loop builds `ELBOComponents` in the estimator and again for the reported ELBO (and a third time for the baselines' targets); reusing the first would save one full set of log-sigmoids per step with bit-identical results. That loop lives in the claim's code (Reproductions/HNCA/VAETraining.swift), outside this change.
    - **LOO and DisARM** re-run a partial forward pass per layer (quadratic in L); the floor counts its products, not its sampling and sigmoids.
    - **The quick suite's wall time.** Issue 21's product form changes hnca.vae's f-HNCA estimates at rounding level only (a product and a log instead of a sum of logs); the bandit's kernels were already in product form (`FlipRatios`) and are unchanged, so hnca.bandit's results are bit-identical. The suite's time falls by f-HNCA's share of hnca.vae; the per-unit log-sigmoids of every VAE estimator remain.

    """
}
