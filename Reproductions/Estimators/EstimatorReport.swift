import DiscreteGradients
import Foundation
import Pipeline
import Verification

/// Reports/ESTIMATORS.md from the stored unit results of `reproduce run estimators`: a measurement
/// table, no verdicts. Written atomically (temporary file, then rename), figures beside it in figures/.
public enum EstimatorReport {
    /// Per side of every interval: the intervals are two-sided 95% (1 - 2 alpha). No multiplicity
    /// correction: nothing is decided from them.
    public static let alpha = 0.025

    /// Renders the report into `dir` (ESTIMATORS.md and figures/estimators-*); returns its URL.
    /// Throws when a unit's result is missing (the message says how many and the command).
    @discardableResult
    public static func write(store: ResultStore, scale: Scale, seed: UInt64, reports dir: URL, command: String,
                             plotter: Plotter = Plotter()) throws -> URL {
        let bench = EstimatorBenchmark()
        let s = EstimatorBenchmark.settings(scale)
        var training: [EstimatorTrainingRecord] = [], counts: [EstimatorCountRow] = [], timing: [EstimatorTimingRow] = []
        var revisions: [String] = [], datasets: [String] = [], blas: [String] = [], missing: [RunUnit] = []
        var coreSeconds = 0.0
        for unit in bench.units(at: scale) {
            let url = store.resultURL(claim: bench.id, scale: scale, seed: seed, unit: unit)
            guard let env = try? store.read(ResultEnvelope<EstimatorUnitResult>.self, from: url) else { missing.append(unit); continue }
            if !revisions.contains(env.revision) { revisions.append(env.revision) }
            if !datasets.contains(env.dataset) { datasets.append(env.dataset) }
            if let b = env.blas, !blas.contains(b) { blas.append(b) }
            coreSeconds += store.coreSeconds(claim: bench.id, scale: scale, seed: seed, unit: unit) ?? 0
            if let t = env.result.training { training.append(t) }
            counts += env.result.counts ?? []
            timing += env.result.timing ?? []
        }
        guard missing.isEmpty else {
            throw ClaimError.missingResults("\(missing.count) of \(bench.units(at: scale).count) units of the estimators benchmark have no result (first: \(missing[0])); run `reproduce run estimators --scale \(scale.rawValue) --seed \(seed)`")
        }
        // Seeds are the unit indices, in order, so per-estimator lists line up seed by seed.
        func records(_ L: Int, _ e: BenchmarkEstimator) -> [EstimatorTrainingRecord] {
            training.filter { $0.layers == L && $0.estimator == e }
        }
        let figDir = dir.appendingPathComponent("figures")
        var md = "# Estimators benchmark: every VAE encoder-gradient estimator on one model\n\n"
        md += "**A measurement, not a claim.** No verdict, no pre-registered design, not part of the claims' index or family alpha. "
        md += "**How to read:** higher final ELBO is better; a difference against \(BenchmarkEstimator.reference.label) whose interval excludes 0 is a difference these \(s.seeds) paired seeds resolve (95% two-sided t interval, alpha = \(alpha) per side, no multiplicity correction, so treat single exclusions among the \(BenchmarkEstimator.allCases.count - 1) comparisons with care); lower ln variance is better; counts are exact and machine-independent, CPU times are one run on a shared machine.\n\n"
        md += "## Setup\n\n"
        md += "- Scale **\(scale.rawValue)**: \(s.seeds) seeds (master seed \(seed)), \(s.epochs) epoch\(s.epochs == 1 ? "" : "s") of minibatches of \(s.batch), L = \(s.trainingLayers.map(String.init).joined(separator: ", ")) stochastic layers of \(s.units) units for training; L = \(EstimatorBenchmark.countLayers.map(String.init).joined(separator: ", ")) for counts and times\n"
        md += "- Data: \(datasets.joined(separator: "; ")); static binarisation x > 0.5\n"
        md += "- Model and coding (the RELAX draft's published VAE setup, for every estimator): linear Bernoulli layers with latents in {-1, +1}, encoder input centred by the binarised training pixel means, decoder output bias at their logits (clipped to [1e-3, 1 - 1e-3]), learned prior from 0, Glorot-uniform weights. Why: it is the setup NVIL and the control-variate family (MuProp, REBAR, RELAX, LAX) were tuned and published in, and the score-function family (f-HNCA included) supports +-1 coding, so no estimator runs outside a setup it was built for\n"
        md += "- Optimiser: Adam lr \(estFmt(s.learningRate)), beta2 \(s.beta2) on the model; learned parts of the control-variate estimators on their own Adam at lr \(estFmt(s.controlLearningRate)) (NVIL/MuProp baseline network \(s.baselineHidden.map(String.init).joined(separator: "x")) tanh units, RELAX/LAX r \(s.rHidden.map(String.init).joined(separator: "x"))); moving-average baselines decay 0.99\n"
        md += "- Pairing: every random stream is keyed by (L, seed), never by estimator: within a seed every estimator starts from the same weights, sees the same minibatch order (its own stream), the same binarisation (static) and the same probe minibatch\n"
        md += "- Final training ELBO: the last epoch's online training ELBO (mean per-example f_E over the epoch's minibatches, nats)\n"
        md += "- Gradient variance: ln of the mean over encoder parameters of the variance of the encoder-gradient estimate over \(s.varianceDraws) independent draws on a fixed probe minibatch (the first \(s.batch) training images), learned parts frozen (`VAETrainer.logGradientVariance`), before training (epoch 0) and after each epoch. NVIL's estimate is divided by its running signal sd (max(1, sd)), which lowers its variance as it lowers its step\n"
        md += "- Code: \(revisions.joined(separator: ", "))\(revisions.count > 1 ? " (a resumed run: units ran at more than one revision; each unit's result file records its own)" : ""); BLAS kernels: \(blas.isEmpty ? "unknown" : blas.joined(separator: ", ")); \(bench.units(at: scale).count) units, \(String(format: "%.0f", coreSeconds)) CPU-seconds in total\n"
        md += "- Regenerate: `\(command)` (resumable: finished units are skipped unless --force; `reproduce report estimators --scale \(scale.rawValue)` re-renders from stored results). Paper scale (documented, not run): \(paperLine())\n\n"

        // At a glance: one row per estimator, the headline numbers side by side.
        md += "## At a glance\n\n"
        let Lmax = s.trainingLayers.max()!
        let refFinal = s.trainingLayers.map { L in "L = \(L): \(f2(records(L, BenchmarkEstimator.reference).map { $0.epochElbo.last! }.benchMean))" }
        md += "Per estimator: final training ELBO minus that of \(BenchmarkEstimator.reference.label) (paired within a seed, mean over seeds, nats; positive = better; * where the 95% paired interval excludes 0; the reference's own final ELBO: \(refFinal.joined(separator: ", "))), ln encoder-gradient variance at the final epoch (mean over seeds; lower = better), and counted multiply-adds (millions) and CPU milliseconds per update at L = \(Lmax). Intervals and per-epoch values in the sections below.\n\n"
        var glanceColumns = ["estimator"]
        glanceColumns += s.trainingLayers.map { "ELBO minus ref., L = \($0)" }
        glanceColumns += s.trainingLayers.map { "ln var, L = \($0)" } + ["MA (M), L = \(Lmax)", "ms, L = \(Lmax)"]
        var glance: [[String]] = []
        for e in BenchmarkEstimator.allCases {
            var row = [varianceLabel(e)]
            for L in s.trainingLayers {
                guard e.available(layers: L) else { row.append("n/a"); continue }
                if e == BenchmarkEstimator.reference { row.append("0 (reference)"); continue }
                let d = IntervalEstimate.paired(records(L, e).map { $0.epochElbo.last! }, records(L, BenchmarkEstimator.reference).map { $0.epochElbo.last! }, alpha: alpha)
                row.append(signed(d.estimate) + (d.interval.lower > 0 || d.interval.upper < 0 ? "*" : ""))
            }
            for L in s.trainingLayers {
                row.append(e.available(layers: L) ? f2(records(L, e).map { $0.logVariance.last! }.benchMean) : "n/a")
            }
            row.append(counts.first { $0.estimator == e && $0.layers == Lmax }.map { String(format: "%.3g", Double($0.multiplyAdds) / 1e6) + (e.controlVariateMethod != nil ? " (lower bound)" : "") } ?? "n/a")
            row.append(timing.first { $0.estimator == e && $0.layers == Lmax }.map { String(format: "%.3g", $0.secondsPerUpdate * 1e3) } ?? "n/a")
            glance.append(row)
        }
        md += table(glanceColumns, glance)

        // ELBO.
        md += "## Final training ELBO\n\n"
        md += "Mean over \(s.seeds) seeds with its t interval, and the paired difference against **\(BenchmarkEstimator.reference.label)** (same seed: same initial weights, minibatches and binarisation) with its paired t interval. Sorted by mean ELBO.\n\n"
        for L in s.trainingLayers {
            let ref = records(L, BenchmarkEstimator.reference).map { $0.epochElbo.last! }
            var rows: [(Double, [String])] = []
            for e in BenchmarkEstimator.estimators(layers: L) {
                let finals = records(L, e).map { $0.epochElbo.last! }
                let m = IntervalEstimate.mean(finals, alpha: alpha)
                var diff = "(reference)", excl = ""
                if e != BenchmarkEstimator.reference {
                    let d = IntervalEstimate.paired(finals, ref, alpha: alpha)
                    diff = "\(signed(d.estimate)) \(interval(d))"
                    excl = d.interval.lower > 0 ? "higher" : d.interval.upper < 0 ? "lower" : "not resolved"
                }
                rows.append((m.estimate, [e.label, "\(f2(m.estimate)) \(interval(m))", diff, excl, "\(finals.count)"]))
            }
            md += "**L = \(L)**\n\n"
            md += table(["estimator", "final ELBO (nats) [95% CI]", "minus \(BenchmarkEstimator.reference.label) [95% paired CI]", "vs reference", "seeds"],
                        rows.sorted { $0.0 > $1.0 }.map(\.1))
        }

        // Variance.
        md += "## Encoder-gradient variance along training\n\n"
        md += "ln of the mean per-parameter variance on the fixed probe minibatch, mean over seeds (figures: mean with 95% t error bars; the score-function family and the control-variate family in separate panels, \(BenchmarkEstimator.reference.label) in both). Sorted by the final epoch.\n\n"
        let epochs = (0...s.epochs).map(Double.init)
        let scoreFamily: [BenchmarkEstimator] = [.reinforce, .reinforceBaseline, .leaveOneOut, .disARM, .fHNCA, .fHNCABaseline]
        let cvFamily: [BenchmarkEstimator] = [.reinforceBaseline, .nvil, .muprop, .rebar, .relax, .lax]
        for L in s.trainingLayers {
            for (family, name, title) in [(scoreFamily, "score", "score-function family"), (cvFamily, "control", "control-variate family")] {
                let series = family.filter { $0.available(layers: L) }.map { e in
                    Figure.Series.meanOverSeeds(e.label, epochs, records(L, e).map(\.logVariance))
                }
                let figure = Figure(id: "estimators-variance-L\(L)-\(name)", title: "Encoder-gradient variance, L = \(L), \(title) (scale \(scale.rawValue))",
                                    xLabel: "epoch", yLabel: "ln mean per-parameter variance (probe minibatch)", series: series)
                let file = try plotter.render(figure, stem: figure.id, in: figDir)
                md += "![\(figure.title)](figures/\(file))\n"
            }
            md += "\n**L = \(L)**\n\n"
            var rows: [(Double, [String])] = []
            for e in BenchmarkEstimator.estimators(layers: L) {
                let r = records(L, e)
                let perEpoch = (0...s.epochs).map { k in r.map { $0.logVariance[k] }.benchMean }
                let last = IntervalEstimate.mean(r.map { $0.logVariance.last! }, alpha: alpha)
                rows.append((perEpoch.last!, [varianceLabel(e)] + perEpoch.map(f2) + [interval(last)]))
            }
            md += table(["estimator"] + (0...s.epochs).map { "epoch \($0)" } + ["final epoch [95% CI]"], rows.sorted { $0.0 < $1.0 }.map(\.1))
        }

        // Counts.
        md += "## Cost per update against L\n\n"
        md += "Counted operations of one training update (`VAEOperationCount`: draws, estimate, decoder and prior gradient, the estimator's own learning and the step's ELBO) on the benchmark's model shape (784 inputs, \(s.units) units per layer, minibatch \(s.batch)): deterministic, no clock. Millions of multiply-adds (MA) and thousands of transcendental calls (exp, log, log1p; T). \"2nd diff\" is C(3) - 2 C(2) + C(1) of multiply-adds: 0 for a cost linear in L, positive for a quadratic one. Only the library's instrumented routines are counted: the control-variate estimators' continuations F_e, relaxations and tanh networks (NVIL/MuProp baselines, RELAX/LAX r) are not, so their rows are **lower bounds** (their CPU times below show the missing work).\n\n"
        var countRows: [[String]] = []
        for e in BenchmarkEstimator.allCases {
            let c = EstimatorBenchmark.countLayers.map { L in counts.first { $0.estimator == e && $0.layers == L } }
            func ma(_ r: EstimatorCountRow?) -> String { r.map { String(format: "%.3g", Double($0.multiplyAdds) / 1e6) } ?? "n/a" }
            func tr(_ r: EstimatorCountRow?) -> String { r.map { String(format: "%.3g", Double($0.transcendentals) / 1e3) } ?? "n/a" }
            var second = "n/a"
            if c.allSatisfy({ $0 != nil }) {
                let v = c.map { Double($0!.multiplyAdds) }
                second = String(format: "%.3g", (v[2] - 2 * v[1] + v[0]) / 1e6)
            }
            countRows.append([e.label + (e.controlVariateMethod != nil ? " (lower bound)" : "")] + c.map(ma) + c.map(tr) + [second])
        }
        md += table(["estimator"] + EstimatorBenchmark.countLayers.map { "MA (M), L = \($0)" } + EstimatorBenchmark.countLayers.map { "T (k), L = \($0)" } + ["2nd diff of MA (M)"], countRows)

        md += "### CPU time per update (timing table only)\n\n"
        md += "Median CPU seconds (this process, all threads) over \(s.timingUpdates) updates after one warm-up, same update and shape as the counts, one run on a shared 2-core machine: indicative only, nothing reads it. Milliseconds.\n\n"
        var timeRows: [[String]] = []
        for e in BenchmarkEstimator.allCases {
            timeRows.append([e.label] + EstimatorBenchmark.countLayers.map { L in
                timing.first { $0.estimator == e && $0.layers == L }.map { String(format: "%.3g", $0.secondsPerUpdate * 1e3) } ?? "n/a"
            })
        }
        md += table(["estimator"] + EstimatorBenchmark.countLayers.map { "ms, L = \($0)" }, timeRows)

        md += "## What this does not show\n\n"
        md += "- A short budget: \(s.epochs) epoch\(s.epochs == 1 ? "" : "s") is far from convergence; rankings early in training need not hold at the paper scale's budget\n"
        md += "- One set of hyperparameters for all (the RELAX draft's); no estimator was tuned for this benchmark\n"
        md += "- f-HNCA + baseline exists only for L >= 2 (a 1-layer VAE has no mediated components for its baseline)\n"
        md += "- Variance on one fixed probe minibatch with the estimators' learned parts frozen; it is the variance of the update direction each estimator hands to Adam (which rescales per coordinate), so a lower variance need not mean a faster ELBO (NVIL's is lowered by its own normalisation)\n"
        md += "- Why an estimator ranks where it does (e.g. NVIL below REINFORCE + baseline, as in relax.vae's quick run): not examined here; the exact unbiasedness of every estimator is tested in Tests/DiscreteGradientsTests/VAEUnifiedEstimatorTests.swift\n"
        md += "- Counted operations of the control-variate estimators are lower bounds (see above)\n"
        let url = dir.appendingPathComponent("ESTIMATORS.md")
        try AtomicFile.write(md, to: url)
        return url
    }

    /// NVIL's estimate is divided by its running signal sd: its variance is not on the others' scale.
    static func varianceLabel(_ e: BenchmarkEstimator) -> String { e == .nvil ? "NVIL (scaled: / running sd)" : e.label }

    static func paperLine() -> String {
        let p = EstimatorBenchmark.settings(.paper)
        return "\(p.units) units, \(p.epochs) epochs, \(p.seeds) seeds, L = \(p.trainingLayers.map(String.init).joined(separator: ", ")), full MNIST (MNIST_DIR), lr \(estFmt(p.learningRate)) (the RELAX draft's), \(p.trainingLayers.reduce(0) { $0 + BenchmarkEstimator.estimators(layers: $1).count } * p.seeds) training units"
    }

    static func table(_ columns: [String], _ rows: [[String]]) -> String {
        var md = "| " + columns.joined(separator: " | ") + " |\n|" + columns.map { _ in "---" }.joined(separator: "|") + "|\n"
        for r in rows { md += "| " + r.joined(separator: " | ") + " |\n" }
        return md + "\n"
    }
    static func f2(_ x: Double) -> String { String(format: "%.2f", x) }
    static func signed(_ x: Double) -> String { String(format: "%+.2f", x) }
    static func interval(_ e: IntervalEstimate) -> String { "[\(f2(e.interval.lower)), \(f2(e.interval.upper))]" }
}

private func estFmt(_ x: Double) -> String { String(format: "%g", x) }

private extension Array where Element == Double {
    var benchMean: Double { isEmpty ? .nan : reduce(0, +) / Double(count) }
}
