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

    @Option(help: "Re-render CALIBRATION.md and its figures from a saved figures/calibration.json, without recomputing.")
    var from: String?

    func run() throws {
        if let from {
            let dir = URL(fileURLWithPath: reports)
            let report = try CalibrationReport.load(URL(fileURLWithPath: from))
            try report.write(to: dir)
            print("re-rendered \(dir.appendingPathComponent("CALIBRATION.md").path) from \(from)")
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
            let seeds = (0..<UInt64(catchSeeds)).map { seed + $0 }
            // lecture.reinforce: the converted claim's own designs (margins, alphas, quick n).
            let designs = LectureReinforce().designs.filter { $0.name.hasPrefix("Monte Carlo mean") }
            var problems = [Sensitivity.lectureReinforce(margins: designs.map(\.sesoi), alphas: designs.map { $0.alpha(familyAlpha: family) },
                                                         draws: designs[0].sampleSize.quick)]
            problems.append(Sensitivity.hnca(draws: 30_000, marginSD: 0.06, familyAlpha: family, share: 0.5))
            problems.append(Sensitivity.fHNCA(draws: 30_000, marginSD: 0.06, familyAlpha: family, share: 0.5))
            for e in Sensitivity.RelaxEstimator.allCases {
                problems.append(Sensitivity.relax(e, draws: 40_000, marginSD: 0.05, alpha: family / 4,
                                                  alphaText: "\(fmt(family, 3)) / 4 = \(fmt(family / 4, 3))"))
            }
            for p in problems {
                note("[catch] \(p.estimator) (\(p.claim)), \(seeds.count) seeds")
                sensitivity.append(Sensitivity.measure(p, seeds: seeds, progress: { note($0) }))
            }
        }
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let report = CalibrationReport(
            results: results, sensitivity: sensitivity,
            alphaNames: [0.05: "", 0.01: "", family: "the family alpha, 1e-3 / \(Registry.catalogueSize) claims of the catalogue", family / 4: "a typical per-interval alpha"].filter { !$0.value.isEmpty },
            wallSeconds: seconds,
            command: "reproduce calibrate --replicates \(replicates) --seed \(seed) --catch-seeds \(catchSeeds)",
            revision: codeRevision())
        try report.write(to: dir)
        print("wrote \(dir.appendingPathComponent("CALIBRATION.md").path) in \(String(format: "%.0f", seconds)) s")
        for f in report.findings { print("  " + f) }
    }
}
