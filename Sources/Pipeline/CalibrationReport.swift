import Foundation
import Verification

/// Renders `Reports/CALIBRATION.md` (atomically) and its figures under `Reports/figures/`.
public struct CalibrationReport: Codable, Sendable {
    public var results: CalibrationResults
    public var sensitivity: [SensitivityResult]
    /// Named alphas for the text, e.g. [4.76e-5: "family alpha"].
    public var alphaNames: [Double: String]
    public var wallSeconds: Double
    public var command: String
    public var revision: String
    /// Exact false-verdict rates of every committed design at quick and paper scale (issue 20).
    public var tail: [DesignTailRow]?
    /// The training claims' t designs on resamples of their own per-seed scalars.
    public var shapes: [ShapeCalibrationRow]?
    /// Where the per-seed scalars come from, and the commands that recomputed each section.
    public var shapesSource: String?
    public var sectionCommands: [String: String]?

    public init(results: CalibrationResults, sensitivity: [SensitivityResult], alphaNames: [Double: String],
                wallSeconds: Double, command: String, revision: String, tail: [DesignTailRow]? = nil,
                shapes: [ShapeCalibrationRow]? = nil, shapesSource: String? = nil, sectionCommands: [String: String]? = nil) {
        self.results = results; self.sensitivity = sensitivity; self.alphaNames = alphaNames
        self.wallSeconds = wallSeconds; self.command = command; self.revision = revision
        self.tail = tail; self.shapes = shapes; self.shapesSource = shapesSource; self.sectionCommands = sectionCommands
    }

    func rate(_ r: RealisedRate) -> String {
        let ci = r.interval()
        return "\(fmtRate(r.rate)) [\(fmtRate(ci.lower)), \(fmtRate(ci.upper))]"
    }
    func fmtRate(_ x: Double) -> String {
        if x == 0 { return "0" }
        if x == 1 { return "1" }
        if x < 0.001 { return String(format: "%.2g", x) }
        if x > 0.99995 { return "> 0.9999" }
        return String(format: "%.4f", x).replacingOccurrences(of: "0+$", with: "", options: .regularExpression)
            .replacingOccurrences(of: "\\.$", with: "", options: .regularExpression)
    }
    func alphaLabel(_ a: Double) -> String {
        alphaNames[a].map { "\(fmt(a, 3)) (\($0))" } ?? fmt(a, 3)
    }

    /// A false-verdict rate against its nominal bound: flagged when the 95% interval lies above it.
    func judged(_ r: RealisedRate, bound: Double) -> String {
        let ratio = r.rate / bound
        return rate(r) + (r.exceeds(bound) ? " **⚠ above α (×\(fmt(ratio, 2)))**" : "")
    }
    /// A realised probability against the design's computed one.
    func versus(_ r: RealisedRate, computed: Double) -> String {
        let ci = r.interval()
        let mark = ci.upper < computed ? " **⚠ below**" : (ci.lower > computed ? " (above: conservative)" : "")
        return rate(r) + " vs \(fmtRate(computed))" + mark
    }

    /// Every anti-conservative false-verdict rate and every power shortfall, in words.
    public var findings: [String] {
        var out: [String] = []
        for f in results.intervals {
            for row in f.rows {
                let label = "\(f.family), \(f.data), n = \(f.n), α = \(fmt(row.alpha, 3))"
                for (side, fr) in [(row.falseReproducedLow == nil ? "" : " (bias = +margin)", row.falseReproduced)] + (row.falseReproducedLow.map { [(" (bias = −margin)", $0)] } ?? [])
                where fr.exceeds(row.alpha) {
                    out.append("false REPRODUCED\(side): \(label): \(rate(fr)) = \(fmt(fr.rate / row.alpha, 2))× nominal")
                }
                let bound = f.claimed == .equivalent ? 2 * row.alpha : row.alpha
                if row.falseNotReproduced.exceeds(bound) {
                    out.append("false NOT REPRODUCED: \(label): \(rate(row.falseNotReproduced)) = \(fmt(row.falseNotReproduced.rate / bound, 2))× nominal")
                }
                if row.reproducedWhenHolds.fallsShortOf(row.plan.reproducedWhenHolds) {
                    out.append("P(REPRODUCED | SESOI) below the design's: \(label): \(rate(row.reproducedWhenHolds)) vs computed \(fmtRate(row.plan.reproducedWhenHolds))")
                }
                if row.notReproducedWhenFails.fallsShortOf(row.plan.notReproducedWhenFails) {
                    out.append("P(NOT REPRODUCED | fails) below the design's: \(label): \(rate(row.notReproducedWhenFails)) vs computed \(fmtRate(row.plan.notReproducedWhenFails))")
                }
            }
        }
        for t in results.tests {
            for row in t.rows where row.size.exceeds(row.alpha) {
                out.append("size: \(t.family), \(t.n), α = \(fmt(row.alpha, 3)): \(rate(row.size)) = \(fmt(row.size.rate / row.alpha, 2))× nominal")
            }
        }
        return out
    }

    public func write(to reports: URL, plotter: Plotter = Plotter()) throws {
        let figDir = reports.appendingPathComponent("figures")
        let figure = try plotter.render(nominalFigure, stem: "calibration-realised-vs-nominal", in: figDir)
        let power = try plotter.render(powerFigure, stem: "calibration-power", in: figDir)
        try AtomicFile.write(markdown(figure: "figures/" + figure, power: "figures/" + power),
                             to: reports.appendingPathComponent("CALIBRATION.md"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(try encoder.encode(self), to: reports.appendingPathComponent("figures/calibration.json"))
    }

    /// A report saved by `write` (figures/calibration.json), to re-render without recomputing.
    public static func load(_ url: URL) throws -> CalibrationReport {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(CalibrationReport.self, from: Data(contentsOf: url))
    }

    /// The false-verdict rate whose nominal bound a family attains when calibrated: false NOT
    /// REPRODUCED at the SESOI for a directional design (P(upper < SESOI) = alpha), the worse
    /// boundary's false REPRODUCED for TOST. (A directional design's false REPRODUCED at no
    /// effect also needs the interval to reach the SESOI, so it sits far below alpha.)
    static func boundingRate(_ f: IntervalCalibration, _ row: IntervalCalibrationRow) -> RealisedRate {
        f.claimed == .equivalent ? row.worstFalseReproduced : row.falseNotReproduced
    }

    /// Per family: the worst false-verdict rate against its bound, and the largest shortfall of
    /// the realised P(REPRODUCED | holds) below the computed one.
    var digest: String {
        var md = "| family | data | n | worst false REP / α | worst false NOT / bound | largest P(REP \\| holds) shortfall (realised − computed) |\n|---|---|---|---|---|---|\n"
        func ratio(_ r: RealisedRate, _ bound: Double, _ a: Double) -> String {
            let ci = r.interval()
            let flag = ci.lower > bound ? " **⚠**" : ""
            return "\(fmt(r.rate / bound, 2)) [\(fmt(ci.lower / bound, 2)), \(fmt(ci.upper / bound, 2))] at α = \(fmt(a, 3))\(flag)"
        }
        for f in results.intervals {
            func bound(_ row: IntervalCalibrationRow) -> Double { f.claimed == .equivalent ? 2 * row.alpha : row.alpha }
            let rep = f.rows.max { a, b in
                a.worstFalseReproduced.interval().lower / a.alpha < b.worstFalseReproduced.interval().lower / b.alpha
            }!
            let not = f.rows.max { a, b in
                a.falseNotReproduced.interval().lower / bound(a) < b.falseNotReproduced.interval().lower / bound(b)
            }!
            let short = f.rows.min { a, b in
                a.reproducedWhenHolds.rate - a.plan.reproducedWhenHolds < b.reproducedWhenHolds.rate - b.plan.reproducedWhenHolds
            }!
            let gap = short.reproducedWhenHolds.rate - short.plan.reproducedWhenHolds
            let gapFlag = short.reproducedWhenHolds.fallsShortOf(short.plan.reproducedWhenHolds) ? " **⚠**" : ""
            md += "| \(f.family) (\(f.claimed.rawValue)) | \(f.data) | \(f.n) \(f.unit) | \(ratio(rep.worstFalseReproduced, rep.alpha, rep.alpha)) | \(ratio(not.falseNotReproduced, bound(not), not.alpha)) | \(fmt(gap, 3)) (\(fmtRate(short.reproducedWhenHolds.rate)) vs \(fmtRate(short.plan.reproducedWhenHolds)) at α = \(fmt(short.alpha, 3)))\(gapFlag) |\n"
        }
        return md
    }

    /// The family groups of the figures.
    static let groups: [(String, @Sendable (IntervalCalibration) -> Bool)] = [
        ("t / paired t / Welch t, normal seeds", { ($0.method == .t || $0.method == .welch) && $0.data == "normal" && $0.claimed != .equivalent }),
        ("t, lognormal seeds", { $0.method == .t && $0.data != "normal" && $0.claimed != .equivalent }),
        ("Clopper-Pearson", { $0.method == .clopperPearson }),
        ("log variance ratio, normal draws", { $0.method == .normal && $0.data == "normal" }),
        ("log variance ratio, heavy-tailed draws", { $0.method == .normal && $0.data != "normal" }),
        ("TOST on a mean, normal", { $0.claimed == .equivalent && $0.data == "normal" }),
        ("TOST on a mean, heavy-tailed draws", { $0.claimed == .equivalent && $0.data != "normal" }),
    ]

    var nominalFigure: Figure {
        // One line per family group across the alphas: at each alpha the group's worst family
        // (the largest realised bounding rate), with its 95% Clopper-Pearson bar.
        // The diagonal first: it takes the first colour of the cycle, the 7 groups the other 7.
        let a = results.alphas
        var series: [Figure.Series] = [.init("realised = nominal", x: [a.min()! / 2, a.max()! * 2], y: [a.min()! / 2, a.max()! * 2])]
        for (k, (name, member)) in Self.groups.enumerated() {
            let fams = results.intervals.filter(member)
            guard !fams.isEmpty else { continue }
            var x: [Double] = [], y: [Double] = [], lo: [Double] = [], hi: [Double] = []
            for (j, a) in results.alphas.enumerated().sorted(by: { $0.element < $1.element }) {
                let worst = fams.map { Self.boundingRate($0, $0.rows[j]) }.max { $0.rate < $1.rate }!
                let ci = worst.interval()
                x.append(a * pow(1.06, Double(k) - 3.5))
                y.append(worst.events > 0 ? worst.rate : .nan)
                lo.append(max(ci.lower, 1e-7)); hi.append(ci.upper)
            }
            series.append(.init(name, x: x, y: y, style: .errorbars, yLow: lo, yHigh: hi))
        }
        return Figure(id: "realised-vs-nominal", title: "Realised false-verdict rate vs nominal alpha (worst family of each group)",
                      xLabel: "nominal alpha (per interval)", yLabel: "realised rate (95% Clopper-Pearson)", logX: true, logY: true,
                      series: series, caption: "")
    }

    var powerFigure: Figure {
        // Realised minus computed P(REPRODUCED | holds), the worst family of each group per alpha.
        let a = results.alphas
        var series: [Figure.Series] = [.init("realised = computed", x: [a.min()! / 2, a.max()! * 2], y: [0, 0])]
        for (k, (name, member)) in Self.groups.enumerated() {
            let fams = results.intervals.filter(member)
            guard !fams.isEmpty else { continue }
            var x: [Double] = [], y: [Double] = [], lo: [Double] = [], hi: [Double] = []
            for (j, al) in a.enumerated().sorted(by: { $0.element < $1.element }) {
                let worst = fams.map { $0.rows[j] }.min { $0.reproducedWhenHolds.rate - $0.plan.reproducedWhenHolds < $1.reproducedWhenHolds.rate - $1.plan.reproducedWhenHolds }!
                let c = worst.plan.reproducedWhenHolds, ci = worst.reproducedWhenHolds.interval()
                x.append(al * pow(1.06, Double(k) - 3)); y.append(worst.reproducedWhenHolds.rate - c)
                lo.append(ci.lower - c); hi.append(ci.upper - c)
            }
            series.append(.init(name, x: x, y: y, style: .errorbars, yLow: lo, yHigh: hi))
        }
        return Figure(id: "power", title: "P(REPRODUCED | claim holds at the SESOI): realised minus the design's computed value",
                      xLabel: "nominal alpha (per interval)", yLabel: "realised - computed (95% Clopper-Pearson)", logX: true,
                      series: series)
    }

    func markdown(figure: String, power: String) -> String {
        let r = results
        var md = "# Calibration, measured\n\n"
        md += "Every interval family the verdict rule uses (`SubClaimDesign.decide` on `IntervalEstimate`), and the supporting tests, run on simulated data "
        md += "where the claim just fails and where it just holds, at the nominal per-interval alphas \(r.alphas.map { alphaLabel($0) }.joined(separator: ", ")). "
        md += "Generated by `\(command)` (code \(revision)); master seed \(r.masterSeed); one independent GSL stream (mt19937) per (family, condition), seeded from the master seed, the family and the condition. "
        md += "Wall time of this run: \(Duration.format(wallSeconds)).\n\n"
        md += tailSection + shapeSection

        md += "## Digest per family\n\n"
        md += "The worst false-verdict rate of each family against its nominal bound (the alpha whose interval gives the most evidence of excess), realised / nominal with the 95% interval of the ratio, and the largest shortfall of the realised P(REPRODUCED | holds) below the design's computed one. ⚠: the 95% interval lies wholly beyond the bound.\n\n"
        md += digest + "\n"
        md += "## Findings\n\n"
        let f = findings
        if f.isEmpty { md += "No false-verdict rate's 95% interval lies above its nominal alpha, and no realised decision probability lies below the design's computed one.\n\n" }
        else {
            md += "Each line is a rate whose 95% Clopper-Pearson interval lies wholly above its nominal alpha (anti-conservative), or a realised decision probability whose interval lies wholly below the design's computed one (the plan is optimistic). "
            md += "With \(r.intervals.count * r.alphas.count * 4 + r.tests.count * r.alphas.count) rates checked, about 2.5% of exactly calibrated rates land here by chance (one-sided), so a lone line with a ratio near 1 at α = 0.05 is not evidence; ratios far from 1, or a pattern across n and α, are.\n\n"
            md += f.map { "- " + $0 }.joined(separator: "\n") + "\n\n"
        }

        md += "## Interval decisions\n\n"
        md += "Each family is judged with a design whose SESOI (equivalence margin for TOST) is the smallest that makes it just decidable at α = \(fmt(r.designAlpha, 3)) (both decision probabilities 0.95 by `SubClaimDesign.probabilities`), "
        md += "with the exact planning sd of the simulated model; the same design is then judged at every alpha, on the same simulated data.\n\n"
        md += "- **false REP**: P(REPRODUCED) where the claim just fails: no effect for a directional design; bias = +margin and −margin for TOST (each a boundary). Nominal bound α.\n"
        md += "- **false NOT**: P(NOT REPRODUCED) where the claim just holds: effect = SESOI; no bias for TOST. Nominal bound α (2α for TOST).\n"
        md += "- **P(REP | holds)**, **P(NOT | fails)**: realised beside the design's computed `plan` (at the SESOI / no bias; at no effect / a bias of 2 margins). ⚠ below: the computed probability is optimistic.\n"
        md += "- Realised rates with 95% Clopper-Pearson intervals; replicates per condition in the table.\n\n"
        md += "| family | data | n | SESOI | replicates | α | false REP | false NOT | P(REP \\| holds) realised vs computed | P(NOT \\| fails) realised vs computed |\n"
        md += "|---|---|---|---|---|---|---|---|---|---|\n"
        for c in r.intervals {
            for row in c.rows {
                let bound = c.claimed == .equivalent ? 2 * row.alpha : row.alpha
                var fr = judged(row.falseReproduced, bound: row.alpha)
                if let low = row.falseReproducedLow { fr = "+m: " + fr + "; −m: " + judged(low, bound: row.alpha) }
                md += "| \(c.family) (\(c.claimed.rawValue)) | \(c.data) | \(c.n) \(c.unit) | \(fmt(c.sesoi, 3)) | \(c.replicates) | \(fmt(row.alpha, 3)) | \(fr) | \(judged(row.falseNotReproduced, bound: bound)) | \(versus(row.reproducedWhenHolds, computed: row.plan.reproducedWhenHolds)) | \(versus(row.notReproducedWhenFails, computed: row.plan.notReproducedWhenFails)) |\n"
            }
        }
        md += "\n![realised vs nominal](\(figure))\n\n"
        md += "*The false-verdict rate each family's nominal alpha bounds (false NOT REPRODUCED at the SESOI for directional designs; false REPRODUCED at the worse margin for TOST), for the worst family of each group at each alpha, against the nominal alpha, log-log, with 95% Clopper-Pearson bars; a rate of zero events is not drawn (its upper bound is in the table). On the diagonal: calibrated; under it: conservative; above it: anti-conservative. A directional design's false REPRODUCED at no effect sits far below alpha (the interval must also reach the SESOI) and is in the table.*\n\n"
        md += "![power](\(power))\n\n"
        md += "*The realised P(REPRODUCED) where the claim holds at the SESOI (no bias for TOST) minus the design's computed value (`SubClaimDesign.probabilities`: for t and Welch intervals the normal estimate averaged over the sample sd (noncentral t); the normal interval with known sd; exact binomial sums for rates), for the worst family of each group at each alpha. Below zero: the computed decision probability is optimistic.*\n\n"

        md += "## Supporting tests (p-values; they never decide a verdict)\n\n"
        md += "| test | data | n | replicates | α | size (H0) realised | exact size | power realised vs computed | design effect | computed power from |\n|---|---|---|---|---|---|---|---|---|---|\n"
        for t in r.tests {
            for row in t.rows {
                let p = row.power.map { p in row.computedPower.map { versus(p, computed: $0) } ?? rate(p) } ?? "—"
                md += "| \(t.family) | \(t.data) | \(t.n) | \(t.replicates) | \(fmt(row.alpha, 3)) | \(judged(row.size, bound: row.alpha)) | \(row.exactSize.map { fmtRate($0) } ?? "—") | \(p) | \(t.designEffect) | \(t.powerSource) |\n"
            }
        }
        md += "\n"

        if !sensitivity.isEmpty {
            md += "## What CI can catch\n\n"
            md += "The smallest bias injected into a library estimator that the quick suite's Monte Carlo unbiasedness check flags on at least 95% of master seeds "
            md += "(the ⌈0.95 S⌉-th smallest of the per-seed thresholds over S seeds), on the claim's own small model, with the claim's quick draws, margins and per-interval alphas. "
            md += "The bias is injected into the estimator's output on the same noise (common random numbers): relative g → (1 + ε) g; additive g → g + ε |g*| on every coordinate (|g*| the exact gradient's norm, per network); "
            md += "variance inflation g → g* + k (g − g*) (the variance × k²). \"NOT REPRODUCED\" is what the check reports as a failure; \"verdict changes\" also counts INCONCLUSIVE, which `reproduce check` flags against Expectations/quick.tsv just the same. "
            md += "A wider interval can only turn the TOST INCONCLUSIVE, so variance inflation is caught only as a verdict change. "
            md += "The model is fixed at the one the claim builds at master seed 1; the Monte Carlo draws come from the seed's own stream.\n\n"
            md += "Each threshold is the 95th percentile over the seeds, with its distribution-free 95% interval in brackets (order statistics: ranks l < u with P(x_(l) ≤ ξ₀.₉₅ < x_(u)) ≥ 0.95 under Binomial(S, 0.95); \"∞\": S is too small for an upper rank).\n\n"
            md += "| estimator | claim | model | draws | margin | alpha per interval | design | REPRODUCED without injection | smallest flagged relative bias ε (NOT REPRODUCED / verdict changes) | additive bias ε·\\|g*\\| (NOT / changes) | smallest flagged variance inflation k² (verdict changes) | seeds |\n"
            md += "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
            for s in sensitivity {
                func v(_ xs: [Double]) -> String {
                    let x = SensitivityResult.flaggedAt95(xs)
                    let ci = SensitivityResult.percentileInterval(xs)
                    func f(_ y: Double) -> String { y.isFinite ? fmt(y, 3) : (y > 0 ? "∞" : "−∞") }
                    return (x.isFinite ? fmt(x, 3) : "> 1000") + " [\(f(ci.lower)), \(f(ci.upper))]"
                }
                let k = SensitivityResult.flaggedAt95(s.inflationChanged)
                func cell(_ t: String) -> String { t.replacingOccurrences(of: "|", with: "\\|") }
                md += "| \(s.estimator) | \(s.claim) | \(cell(s.model)) | \(s.draws) | \(cell(s.marginText)) | \(s.alphaText) | \(s.designSource) | \(s.reproducedWithoutInjection)/\(s.seeds.count) | \(v(s.relativeNot)) / \(v(s.relativeChanged)) | \(v(s.additiveNot)) / \(v(s.additiveChanged)) | \(k.isFinite ? fmt(k * k, 3) + " (sd × " + fmt(k, 3) + ")" : "> 10^6") | \(s.seeds.count) (\(s.seeds.first!)–\(s.seeds.last!)) |\n"
            }
            if sensitivity.contains(where: { $0.designSource.hasPrefix("assumed") }) {
                md += "\n**Stale:** the rows marked \"assumed\" were measured before hnca.unbiased and relax.unbiased were converted to the new verdict rule, with their pre-conversion quick margins "
                md += "(HNCA and f-HNCA: 0.06 × each coordinate's exact sd at 30,000 draws; RELAX, REBAR, LAX, REINFORCE: 0.05 × the estimator's exact sd, a quarter of the family alpha each), not the committed designs "
                md += "(hnca.unbiased: max(10% |g*_c|, 5% |∇E|) per coordinate at 112,000 quick draws; relax.unbiased: ±0.0096 at 40,000). `reproduce calibrate --from Reports/figures/calibration.json --update catch --catch-seeds 80` "
                md += "recomputes every row from the committed designs (about 27 CPU-seconds per seed; 72 seeds are the fewest for which the 95th percentile's interval has a finite upper end). lecture.reinforce's row uses its committed designs.\n\n"
            } else {
                md += "\nEvery row uses its claim's committed design (margins, per-interval alphas and quick draws as in `Expectations/design.tsv`)"
                md += sectionCommands?["catch"].map { "; recomputed by `\($0)`" } ?? ""
                md += ".\n\n"
            }
        }

        md += "## Method\n\n"
        md += "- Data: the mean families shift normal (or standardised lognormal) data; paired t uses B = ρA + √(1 − ρ²)Y; Welch uses sd 1 for A and the stated multiple for B; rates draw Binomial(n, p0 + effect); the log variance ratio scales A by exp(effect / 2) (paired: B = ρA + √(1 − ρ²)Y from the same noise, so Var A = Var B at no effect). Heavy tails: Student t with 5 df (kurtosis 9, infinite 8th moment) and lognormal with σ = 1 (skewness 6.2, kurtosis 114), both standardised.\n"
        md += "- Planning sds are exact for the simulated model (for the log variance ratio, the sd of the delta-method influence from the noise's kurtosis), so a gap between realised and computed probabilities is the approximation of `SubClaimDesign.probabilities` (a normal estimate with known sd, Student-t critical values, df 2n − 2 for Welch), not a wrong planning sd.\n"
        md += "- The interval of each replicate is computed once per alpha with the suite's own `IntervalEstimate` call and judged by `SubClaimDesign.decide`; a rate's interval depends on the count alone and is computed once per count.\n"
        md += "- Families with more than 2,000 draws per replicate run fewer replicates (base × 2,000 / draws, at least a tenth of the base) to bound the run time.\n"
        md += "- At α = \(fmt(r.alphas.min()!, 3)) a few thousand replicates see no false verdict at all when calibrated; the 95% upper bound (≈ 3.7 / replicates) is then the statement, and only a gross anti-conservative tail (tens of times α) can show.\n"
        return md
    }
}
