import ArgumentParser
import Foundation
import Pipeline
import Reproductions
import Verification

/// `reproduce calibrate`: the realised error rates of every test family the suite uses, beside
/// the nominal alphas and the designs' computed decision probabilities, and the smallest bias
/// the quick suite's Monte Carlo unbiasedness checks catch (Reports/CALIBRATION.md).
struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the calibration of the verdict rule's intervals and the supporting tests; write Reports/CALIBRATION.md.",
        discussion: """
        Each interval family (t, paired t, Welch, Clopper-Pearson, delta-method log variance ratio, TOST) is run on data
        simulated where the claim just fails and where it just holds, at alpha 0.05, 0.01, the family alpha and a quarter of it,
        with one independent GSL stream per (family, condition) from --seed. The full report uses the default --replicates;
        CI can pass a smaller one. "What CI can catch" injects biases into the library's estimators on the claims' own models.
        """)

    @Option(help: "Replicates per (family, condition) (fewer for families drawing more than 2,000 observations per replicate).")
    var replicates: Int = 20_000

    @Option(help: "Folder for CALIBRATION.md and its figures.")
    var reports: String = "Reports"

    @Option(help: "Master seed (a positive integer).")
    var seed: UInt64 = 1

    @Option(help: "Master seeds for the bias-injection table (0 skips it).")
    var catchSeeds: Int = 20

    @Option(help: "Re-render CALIBRATION.md and its figures from a saved figures/calibration.json, without recomputing (except the sections named by --update).")
    var from: String?

    @Option(help: "With --from: recompute these sections only (comma-separated: tail, shapes, catch).")
    var update: String?

    @Option(help: "Resamples per importance-sampling or Monte Carlo estimate of the claims' own shapes.")
    var shapeReplicates: Int = 20_000

    @Option(help: "The committed per-seed scalars of the training claims (written by --extract-scalars).")
    var scalars: String = "Reports/data/per-seed-scalars.tsv"

    @Option(help: "Write the per-seed scalars of the training claims' t intervals from the evidence in this results folder (at --scalars-scale) to --scalars, and stop.")
    var extractScalars: String?

    @Option(help: "Scale of the results --extract-scalars reads.")
    var scalarsScale: String = "quick"

    func run() throws {
        if let extractScalars { try extract(from: extractScalars); return }
        if let from {
            let dir = URL(fileURLWithPath: reports)
            var report = try CalibrationReport.load(URL(fileURLWithPath: from))
            let sections = Set((update ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            guard sections.isSubset(of: ["tail", "shapes", "catch"]) else { throw UsageError(message: "--update takes tail, shapes, catch") }
            var commands = report.sectionCommands ?? [:]
            if sections.contains("tail") {
                report.tail = tailRows()
                commands["tail"] = "reproduce calibrate --from \(from) --update tail"
            }
            if sections.contains("shapes") {
                let (rows, source) = try shapeRows()
                report.shapes = rows; report.shapesSource = source
                commands["shapes"] = "reproduce calibrate --from \(from) --update shapes --shape-replicates \(shapeReplicates) --seed \(seed)"
            }
            if sections.contains("catch") {
                guard catchSeeds > 0 else { throw UsageError(message: "--update catch needs --catch-seeds > 0") }
                report.sensitivity = catchTable(seeds: (0..<UInt64(catchSeeds)).map { seed + $0 })
                commands["catch"] = "reproduce calibrate --from \(from) --update catch --catch-seeds \(catchSeeds) --seed \(seed)"
            }
            if !sections.isEmpty { report.sectionCommands = commands; report.revision = report.revision + " (sections \(sections.sorted().joined(separator: ", ")) at \(codeRevision()))" }
            try report.write(to: dir)
            print("re-rendered \(dir.appendingPathComponent("CALIBRATION.md").path) from \(from)" + (sections.isEmpty ? "" : ", recomputing \(sections.sorted().joined(separator: ", "))"))
            return
        }
        guard seed > 0 else { throw UsageError(message: "bad seed 0 (GSL never takes seed 0; use a positive integer)") }
        guard replicates >= 10 else { throw UsageError(message: "--replicates must be at least 10") }
        guard catchSeeds >= 0 else { throw UsageError(message: "--catch-seeds must be >= 0") }
        let dir = URL(fileURLWithPath: reports)
        if let problem = AtomicFile.checkWritable(dir) { throw UsageError(message: problem) }
        let start = ContinuousClock.now
        let family = Registry.familyAlpha
        let alphas = [0.05, 0.01, family, family / 4]
        let results = Calibration.run(alphas: alphas, designAlpha: family / 4, replicates: replicates, masterSeed: seed,
                                      progress: { note($0) })

        var sensitivity: [SensitivityResult] = []
        if catchSeeds > 0 {
            sensitivity = catchTable(seeds: (0..<UInt64(catchSeeds)).map { seed + $0 })
        }
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let shapes = try? shapeRows()
        let report = CalibrationReport(
            results: results, sensitivity: sensitivity,
            alphaNames: [0.05: "", 0.01: "", family: "the family alpha, 1e-3 / \(Registry.catalogueSize) claims of the catalogue", family / 4: "a typical per-interval alpha"].filter { !$0.value.isEmpty },
            wallSeconds: seconds,
            command: "reproduce calibrate --replicates \(replicates) --seed \(seed) --catch-seeds \(catchSeeds)",
            revision: codeRevision(), tail: tailRows(), shapes: shapes?.rows, shapesSource: shapes?.source)
        try report.write(to: dir)
        print("wrote \(dir.appendingPathComponent("CALIBRATION.md").path) in \(String(format: "%.0f", seconds)) s")
        for f in report.findings { print("  " + f) }
    }

    /// "What CI can catch": bias injected into the estimators of the Monte Carlo unbiasedness
    /// checks, each with its claim's committed design (margins, per-interval alphas, quick draws).
    func catchTable(seeds: [UInt64]) -> [SensitivityResult] {
        let family = Registry.familyAlpha
        let lecture = LectureReinforce().designs.filter { $0.name.hasPrefix("Monte Carlo mean") }
        var problems = [Sensitivity.lectureReinforce(margins: lecture.map(\.sesoi), alphas: lecture.map { $0.alpha(familyAlpha: family) },
                                                     draws: lecture[0].sampleSize.quick)]
        let hnca = HNCAUnbiased().designs
        let h = hnca.named("Monte Carlo mean"), f = hnca.named("f-HNCA Monte Carlo mean")
        problems.append(Sensitivity.hnca(draws: h.sampleSize.quick, alpha: h.alpha(familyAlpha: family),
                                         alphaText: "\(fmt(family, 3)) × \(fmt(h.alphaShare)) / \(h.count) = \(fmt(h.alpha(familyAlpha: family), 3))"))
        problems.append(Sensitivity.fHNCA(draws: f.sampleSize.quick, alpha: f.alpha(familyAlpha: family),
                                          alphaText: "\(fmt(family, 3)) × \(fmt(f.alphaShare)) / \(f.count) = \(fmt(f.alpha(familyAlpha: family), 3))"))
        let relax = RelaxUnbiasedClaim().designs
        for e in Sensitivity.RelaxEstimator.allCases {
            let d = relax.named("\(e.rawValue.lowercased()): Monte Carlo mean")
            problems.append(Sensitivity.relax(e, draws: d.sampleSize.quick, margin: d.sesoi, marginText: "±\(fmt(d.sesoi, 3)) (\(d.sesoiSource))",
                                              alpha: d.alpha(familyAlpha: family),
                                              alphaText: "\(fmt(family, 3)) × \(fmt(d.alphaShare)) = \(fmt(d.alpha(familyAlpha: family), 3))"))
        }
        // One problem per worker: each draws from its own streams, so the table is the same at any
        // number of workers (deterministic), and 80 seeds take half the wall time on 2 cores.
        let all = problems
        let results = ResultSlots<SensitivityResult>(count: all.count)
        DispatchQueue.concurrentPerform(iterations: all.count) { i in
            let p = all[i]
            note("[catch] \(p.estimator) (\(p.claim)), \(seeds.count) seeds")
            results.set(i, Sensitivity.measure(p, seeds: seeds, progress: { note($0) }))
        }
        return results.values
    }

    /// Exact false-verdict rates of every committed design at quick and paper scale.
    func tailRows() -> [DesignTailRow] {
        Registry.claims.flatMap { c in
            c.designs.flatMap { d in
                ["quick", "paper"].compactMap { TailCalibration.row(claim: c.id, design: d, scale: $0, familyAlpha: Registry.familyAlpha) }
            }
        }
    }

    /// The training claims' t designs on resamples of their committed per-seed scalars.
    func shapeRows() throws -> (rows: [ShapeCalibrationRow], source: String) {
        let text = try String(contentsOfFile: scalars, encoding: .utf8)
        let source = text.split(separator: "\n").filter { $0.hasPrefix("# ") }.map { $0.dropFirst(2) }.joined(separator: " ")
        var rows: [ShapeCalibrationRow] = []
        for s in ShapeCalibration.parse(text) {
            guard let claim = Registry.claim(s.claim), let d = claim.designs.first(where: { $0.name == s.subClaim }) else {
                note("per-seed scalars for \(s.claim) / \(s.subClaim): no such design; skipped"); continue
            }
            for scale in ["quick", "paper"] {
                note("[shape] \(s.claim) / \(s.subClaim) #\(s.interval) at \(scale)")
                if let r = ShapeCalibration.calibrate(s, design: d, scale: scale, familyAlpha: Registry.familyAlpha,
                                                      replicates: shapeReplicates, masterSeed: seed) {
                    rows.append(r)
                }
            }
        }
        return (rows, "`\(scalars)`: " + source)
    }

    /// Writes the per-seed scalars of every training t interval found in the evidence of a results folder.
    func extract(from folder: String) throws {
        guard let scale = Scale(rawValue: scalarsScale) else { throw UsageError(message: "bad --scalars-scale '\(scalarsScale)'") }
        let store = ResultStore(root: URL(fileURLWithPath: folder))
        var rows: [SeedScalars] = []
        var found: [String] = []
        for c in Registry.claims {
            let url = store.evidenceURL(claim: c.id, scale: scale, seed: seed)
            guard store.exists(url) else { continue }
            let evidence = try store.read(Evidence.self, from: url)
            var any = false
            for check in evidence.checks {
                guard let d = check.subClaim, d.layer == .training, d.isMeanInterval else { continue }
                for (k, e) in check.estimates.enumerated() {
                    guard let xs = e.observations else { continue }
                    rows.append(SeedScalars(claim: c.id, subClaim: check.name, interval: k + 1, scale: scale.rawValue, values: xs))
                    any = true
                }
            }
            if any { found.append(c.id) }
        }
        let header = [
            "Per-seed scalars of the training claims' t intervals (one row per interval: the paired per-seed differences the interval is computed from), for `reproduce calibrate --update shapes`.",
            "Provenance: evidence of `reproduce run \(found.joined(separator: " ")) --scale \(scale.rawValue) --seed \(seed) --out \(folder)` (master seed \(seed)), extracted by `reproduce calibrate --extract-scalars \(folder) --scalars-scale \(scale.rawValue)` at code \(codeRevision()).",
            "Claims without rows here had no results in that folder.",
        ]
        try AtomicFile.write(ShapeCalibration.serialize(rows, header: header), to: URL(fileURLWithPath: scalars))
        print("wrote \(rows.count) intervals of \(found.joined(separator: ", ")) to \(scalars)")
    }
}

/// Results written by concurrent workers into their own slots.
final class ResultSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) { lock.lock(); slots[i] = value; lock.unlock() }
    var values: [T] { lock.lock(); defer { lock.unlock() }; return slots.map { $0! } }
}
