import ArgumentParser
import Foundation
import Pipeline
import Reproductions

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render Reports/<claim>.md (with SVG figures via gnuplot) and Reports/README.md from stored results.",
        discussion: "Nothing is rerun: claims whose results are missing are listed as not yet run.")

    @Argument(help: "Claim ids, or 'all'.")
    var claims: [String] = ["all"]

    @OptionGroup var options: SuiteOptions

    @Option(help: "Folder for the reports.")
    var reports: String = "Reports"

    func run() throws {
        let scale = try options.parsedScale()
        let seed = try options.validatedSeed()
        if claims == [EstimatorBenchmark.targetID] {
            // The estimators benchmark: Reports/ESTIMATORS.md only (no verdict, not in the index's table).
            let dir = URL(fileURLWithPath: reports)
            if let problem = AtomicFile.checkWritable(dir) { throw UsageError(message: "cannot write reports: \(problem)") }
            let command = "OPENBLAS_NUM_THREADS=1 .build/release/reproduce run estimators --scale \(scale.rawValue)" + (seed == 1 ? "" : " --seed \(seed)") + " --jobs 2"
            do {
                let url = try EstimatorReport.write(store: options.store, scale: scale, seed: seed, reports: dir, command: command)
                print("rendered \(url.path)")
            } catch let error as ClaimError { throw UsageError(message: error.description) }
            return
        }
        let selected = try resolveClaims(claims)
        let dir = URL(fileURLWithPath: reports)
        if let problem = AtomicFile.checkWritable(dir) { throw UsageError(message: "cannot write reports: \(problem)") }
        let runner = Runner(store: options.store, revision: codeRevision())
        let renderer = ReportRenderer(reportsDirectory: dir, sharedDocsPrefix: sharedDocsPrefix(dir))
        let estimator = CostEstimator(stores: [runner.store])
        var rendered = 0
        for c in selected {
            guard hasAnyResult(c, runner.store, scale, seed) else { continue }
            // Unfinished claims get "k of n units" and no verdict (see PartialReport.swift).
            let progress = RunStatus.progress(of: c, store: runner.store, scale: scale, seed: seed)
            if !progress.isComplete {
                try renderer.renderPartial(info(c), progress: progress, scale: scale, seed: seed)
                rendered += 1
                continue
            }
            let (evidence, meta) = runner.evidence(c, scale: scale, seed: seed)
            try renderer.render(info(c), evidence: evidence, meta: meta,
                                validScaleVerdict: validScaleVerdict(c, evidence, scale, reports: dir, estimator: estimator))
            rendered += 1
        }
        // The index always covers every claim that has a report at this scale and seed.
        var rows: [ReportRenderer.IndexRow] = []
        var pending: [ReportRenderer.Info] = []
        for c in Registry.claims {
            if hasAnyResult(c, runner.store, scale, seed) {
                let progress = RunStatus.progress(of: c, store: runner.store, scale: scale, seed: seed)
                if !progress.isComplete {
                    rows.append(.init(info: info(c), verdict: .error, scale: scale, killed: false,
                                      seconds: progress.secondsSpent, partial: progress.fractionText))
                    continue
                }
                let (evidence, meta) = runner.evidence(c, scale: scale, seed: seed)
                rows.append(.init(info: info(c), verdict: evidence.verdict, scale: scale,
                                  killed: evidence.negativeControlsKilled, seconds: meta.seconds, checks: evidence.checks,
                                  isProxy: evidence.isProxy,
                                  validVerdict: validScaleVerdict(c, evidence, scale, reports: dir, estimator: estimator)))
            } else {
                pending.append(info(c))
            }
        }
        try renderer.renderIndex(rows, pending: pending, otherScale: otherScaleColumn(scale, reports: dir), withoutTarget: Registry.pending)
        print("rendered \(rendered) reports and the index into \(dir.path)")
    }

    /// "../" when the reports folder is a scale's subfolder (Reports/paper) whose parent holds the
    /// design log and the calibration report; "" otherwise.
    func sharedDocsPrefix(_ dir: URL) -> String {
        let fm = FileManager.default
        let here = dir.appendingPathComponent("DESIGN-LOG.md").path
        let parent = dir.deletingLastPathComponent().appendingPathComponent("DESIGN-LOG.md").path
        return !fm.fileExists(atPath: here) && fm.fileExists(atPath: parent) ? "../" : ""
    }

    /// The claim's verdict at the largest valid scale that has run, when that is not this run
    /// (CLAIMS.md, rule 14). From a quick run: the committed paper-scale verdict (Expectations/
    /// paper.tsv, with its report in `paper/`) where paper scale is valid; else, when this run
    /// is a proxy, what a valid run would cost (estimated from this run's timing files) and the
    /// command. Nil when this run's own verdict is the one to show.
    func validScaleVerdict(_ c: any Claim, _ evidence: Evidence, _ scale: Scale, reports dir: URL,
                           estimator: CostEstimator) -> String? {
        guard scale < .paper else { return nil }
        let valid = evidence.validScales
        let committed = (try? Expectations(contentsOf: URL(fileURLWithPath: "Expectations/paper.tsv")))?.verdicts ?? [:]
        if valid.contains(.paper), let v = committed[c.id],
           FileManager.default.fileExists(atPath: dir.appendingPathComponent("paper/\(c.id).md").path) {
            return "**\(v.rawValue)** (paper, [report](paper/\(c.id).md))"
        }
        guard evidence.isProxy else { return nil }
        let e = estimator.estimate(c, at: .paper)
        let cost = e.isMeasured ? String(format: "%.3g core-hours", e.coreSeconds / 3600) : "cost not yet measured"
        return "not run at a valid scale: \(cost), `reproduce submit --slurm \(c.id) --scale paper --out results`"
    }

    /// The paper-scale index's column for the quick verdicts (committed in Expectations/quick.tsv),
    /// linked to the quick reports. The quick index needs none: its valid-scale column shows the
    /// paper verdicts.
    func otherScaleColumn(_ scale: Scale, reports dir: URL) -> ReportRenderer.OtherScaleColumn? {
        guard scale == .paper else { return nil }
        let fm = FileManager.default
        let committed = (try? Expectations(contentsOf: URL(fileURLWithPath: "Expectations/quick.tsv")))?.verdicts ?? [:]
        let parent = dir.deletingLastPathComponent()
        var cells: [String: String] = [:]
        for c in Registry.claims {
            guard let v = committed[c.id] else { cells[c.id] = "not run"; continue }
            let linked = fm.fileExists(atPath: parent.appendingPathComponent("\(c.id).md").path)
            cells[c.id] = linked ? "[\(v.rawValue)](../\(c.id).md)" : v.rawValue
        }
        return .init(header: "quick verdict (proxy where quick is not valid)", cells: cells)
    }
}

func info(_ c: any Claim) -> ReportRenderer.Info {
    .init(id: c.id, paper: c.paper, source: c.source, statement: c.statement, summary: c.summary)
}

func hasAnyResult(_ c: any Claim, _ store: ResultStore, _ scale: Scale, _ seed: UInt64) -> Bool {
    c.units(at: scale).contains { store.exists(store.resultURL(claim: c.id, scale: scale, seed: seed, unit: $0)) }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare stored verdicts with Expectations/<scale>.tsv; exit 1 on any difference or ERROR.",
        discussion: "--record writes the current verdicts as the new expectations instead. With claim ids, only those claims are compared. A claim whose units are not all done has no verdict and counts as a difference.")

    @Argument(help: "Claim ids, or 'all'.")
    var claims: [String] = ["all"]

    @OptionGroup var options: SuiteOptions

    @Option(help: "Expectations file (default Expectations/<scale>.tsv).")
    var expectations: String?

    @Flag(help: "Write the current verdicts as the expectations.")
    var record = false

    @Option(help: "The committed pre-registered designs, compared with the code's.")
    var designs: String = "Expectations/design.tsv"

    func run() throws {
        let scale = try options.parsedScale()
        let seed = try options.validatedSeed()
        let path = URL(fileURLWithPath: expectations ?? "Expectations/\(scale.rawValue).tsv")
        let selected = Set(try resolveClaims(claims).map(\.id))
        let runner = Runner(store: options.store, revision: codeRevision())
        var actual: [String: Verdict] = [:]
        var unfinished: [String] = []
        for c in Registry.claims where selected.contains(c.id) && hasAnyResult(c, runner.store, scale, seed) {
            let progress = RunStatus.progress(of: c, store: runner.store, scale: scale, seed: seed)
            if !progress.isComplete { unfinished.append("\(c.id): \(progress.fractionText), no verdict yet"); continue }
            actual[c.id] = runner.evidence(c, scale: scale, seed: seed).evidence.verdict
        }
        if record {
            try AtomicFile.write(Expectations(verdicts: actual).serialized(scale: scale), to: path)
            print("recorded \(actual.count) verdicts in \(path.path)")
            return
        }
        let expected: Expectations
        do { expected = try Expectations(contentsOf: path) } catch { throw UsageError(message: "\(error)") }
        var diffs = Expectations(verdicts: expected.verdicts.filter { selected.contains($0.key) })
            .differences(from: actual).filter { d in !unfinished.contains { $0.hasPrefix(d.prefix { $0 != ":" } + ":") } }
        diffs += unfinished
        // The pre-registration: the code's designs must equal the committed table.
        let committedDesigns = URL(fileURLWithPath: designs)
        if let text = try? String(contentsOf: committedDesigns, encoding: .utf8) {
            diffs += DesignTable(parsing: text).differences(fromCode: Registry.designTable())
        } else {
            diffs.append("design: cannot read \(committedDesigns.path) (write it with `reproduce design --record`)")
        }
        let errors = actual.filter { $0.value == .error }.map(\.key).sorted()
        for d in diffs { print("DIFFERENCE \(d)") }
        for e in errors where !diffs.contains(where: { $0.hasPrefix(e + ":") }) { print("ERROR \(e)") }
        if diffs.isEmpty && errors.isEmpty {
            print("check: all \(actual.count) verdicts match \(path.path)")
        } else {
            print("check: \(diffs.count) differences, \(errors.count) claims in ERROR")
            throw ExitCode(1)
        }
    }
}

import Verification

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one `reproduce run` command per unit, for a cluster's job array.",
        discussion: "Run the commands anywhere that shares --out, in any order and in parallel; then `reproduce report` aggregates.")

    @Argument(help: "Claim ids, or 'all'.")
    var claims: [String] = ["all"]

    @OptionGroup var options: SuiteOptions

    @Flag(help: "Instead of commands: per claim, units, estimated core-hours and memory, from measured unit times (see EstimateOutput.swift).")
    var estimate = false

    @Option(help: "With --estimate: another result folder whose timing files to use (e.g. a quick run's); repeatable.")
    var timings: [String] = []

    func run() throws {
        let scale = try options.parsedScale()
        let seed = try options.validatedSeed()
        if estimate {
            let stores = [options.store] + timings.map { ResultStore(root: URL(fileURLWithPath: $0)) }
            print(EstimateTable.render(try resolveClaims(claims), scale: scale, estimator: CostEstimator(stores: stores)), terminator: "")
            return
        }
        for c in try resolveClaims(claims) {
            for u in c.units(at: scale) {
                print("reproduce run \(c.id) --unit '\(u)' --scale \(scale.rawValue) --seed \(seed) --out \(options.out) --quiet")
            }
        }
    }
}
