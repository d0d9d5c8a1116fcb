import Foundation
import Verification

/// Turns evidence into the Markdown report a reader grasps in thirty seconds: verdict and key
/// number first, then the main figure, then sub-claims, negative controls, setup, tests, detail.
public struct ReportRenderer: Sendable {
    public let reportsDirectory: URL
    public let plotter: Plotter
    public init(reportsDirectory: URL, plotter: Plotter = Plotter()) {
        self.reportsDirectory = reportsDirectory; self.plotter = plotter
    }

    public struct Info: Sendable {
        public var id, paper, source, statement, summary: String
        public init(id: String, paper: String, source: String, statement: String, summary: String) {
            self.id = id; self.paper = paper; self.source = source; self.statement = statement; self.summary = summary
        }
    }

    /// Writes `<dir>/<id>.md` and its figures under `<dir>/figures/`.
    public func render(_ info: Info, evidence: Evidence, meta: RunMeta) throws {
        let figDir = reportsDirectory.appendingPathComponent("figures")
        var figureFiles: [(Figure, String)] = []
        for f in evidence.figures {
            let file = try plotter.render(f, stem: "\(info.id)-\(f.id)", in: figDir)
            figureFiles.append((f, "figures/" + file))
        }
        let v = evidence.verdict
        var md = "# \(info.id): \(v.rawValue)\n\n"
        md += "**Verdict: \(v.rawValue)** at scale `\(meta.scale.rawValue)`. \(evidence.headline)\n\n"
        if let why = evidence.errorReason { md += "**Why ERROR:** \(why)\n\n" }
        md += "> \(info.statement)\n>\n> — \(info.paper), \(info.source)\n\n"
        if let (f, file) = figureFiles.first { md += figureBlock(f, file) }

        md += "## Sub-claims\n\n| sub-claim | asserts | verdict | key numbers |\n|---|---|---|---|\n"
        for c in evidence.checks {
            var detail = c.detail
            if let n = c.needed { detail += "; needed: \(n)" }
            md += "| \(cell(c.name)) | \(cell(c.assertion)) | **\(c.verdict.rawValue)** | \(cell(detail)) |\n"
        }
        md += "\n## Negative controls\n\n"
        md += "Each mutant is a plausible bug run through the same tests; it must come out NOT REPRODUCED (killed).\n\n"
        if evidence.negativeControls.isEmpty {
            md += "No negative control was run, so the verdict is ERROR (a test that cannot fail is a defect); mutant survived by default.\n\n"
        } else {
            md += "| mutant | the bug | verdict | killed? | key numbers |\n|---|---|---|---|---|\n"
            for n in evidence.negativeControls {
                let detail = n.checks.map { "\($0.name): \($0.verdict.rawValue) (\($0.detail))" }.joined(separator: "; ")
                md += "| \(cell(n.name)) | \(cell(n.bug)) | \(n.verdict.rawValue) | \(n.killed ? "killed" : "**survived**") | \(cell(detail)) |\n"
            }
            md += "\n"
        }

        md += "## Setup\n\n"
        md += "- Scale: `\(meta.scale.rawValue)`" + (meta.scale == .paper ? " (the paper's settings)" : " (reduced; not the paper's scale)") + "\n"
        md += "- Master seed: \(meta.seed); random numbers: GSL mt19937, one stream per (seed, claim, unit)\n"
        md += "- Units run: \(meta.units); total run time: \(String(format: "%.1f", meta.seconds)) s\n"
        md += "- Data: \(meta.datasets.joined(separator: "; "))\n"
        md += "- Code revision: \(meta.revisions.joined(separator: ", "))\n"
        for s in evidence.setup { md += "- \(s)\n" }
        md += "\n"

        let tested = evidence.checks.filter { !$0.tests.isEmpty } + evidence.negativeControls.flatMap { n in n.checks.filter { !$0.tests.isEmpty }.map { var c = $0; c.name = "mutant \(n.name): \(c.name)"; return c } }
        if !tested.isEmpty {
            md += "## Hypothesis tests\n\n"
            md += "Each test states H0 and H1; alpha is the per-test level after Holm correction within the claim (family-wise about 1e-3 per suite run). "
            md += "Design: `claimIsAlternative` means rejecting H0 supports the claim; `claimIsNull` means rejecting H0 contradicts it; `equivalence` is TOST. A non-rejection with power under \(Verdict.minimumPower) at the design effect is INCONCLUSIVE.\n\n"
            md += "| sub-claim | test | H0 | H1 | statistic | p | alpha | estimate [CI] | effect | power | design |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
            for c in tested {
                for t in c.tests {
                    var est = t.estimate.map { fmt($0) } ?? ""
                    if let ci = t.interval { est += " [\(fmt(ci.lower)), \(fmt(ci.upper))] (\(fmt(ci.level * 100, 6))%)" }
                    let stat = "\(t.statisticName) = \(fmt(t.statistic, 4))" + (t.degreesOfFreedom.map { ", df \(fmt($0, 4))" } ?? "") + ", n = \(t.sampleSize)"
                    let power = t.power.map { fmt($0, 3) + (t.designEffect.map { " at \(fmt($0, 3))" } ?? "") } ?? ""
                    md += "| \(cell(c.name)) | \(cell(t.test)) | \(cell(t.null)) | \(cell(t.alternative)) | \(stat) | \(fmt(t.pValue, 3)) | \(fmt(t.alpha, 3)) | \(cell(est)) | \(t.effectSize.map { fmt($0, 3) } ?? "") | \(cell(power)) | \(c.design?.rawValue ?? "") |\n"
                }
            }
            md += "\n"
        }
        if figureFiles.count > 1 {
            md += "## More figures\n\n"
            for (f, file) in figureFiles.dropFirst() { md += figureBlock(f, file) }
        }
        for t in evidence.tables {
            md += "## \(t.title)\n\n| " + t.columns.map(cell).joined(separator: " | ") + " |\n|" + t.columns.map { _ in "---" }.joined(separator: "|") + "|\n"
            for r in t.rows { md += "| " + r.map(cell).joined(separator: " | ") + " |\n" }
            md += "\n"
        }
        if !evidence.notes.isEmpty {
            md += "## Notes\n\n" + evidence.notes.map { "- \($0)\n" }.joined() + "\n"
        }
        md += "## Regenerate\n\n```\n"
        md += "reproduce run \(info.id) --scale \(meta.scale.rawValue) --seed \(meta.seed)\nreproduce report --scale \(meta.scale.rawValue) --seed \(meta.seed)\n```\n\n"
        md += "(from a checkout: `swift run -c release reproduce run \(info.id) --scale \(meta.scale.rawValue) --seed \(meta.seed)`; `make reproduce` runs the whole quick suite.)\n"
        try AtomicFile.write(md, to: reportsDirectory.appendingPathComponent("\(info.id).md"))
    }

    public struct IndexRow: Sendable {
        public var info: Info
        public var verdict: Verdict
        public var scale: Scale
        public var killed: Bool
        public var seconds: Double
        /// Set for a claim whose units are not all done: "k of n units" replaces the verdict.
        public var partial: String?
        public init(info: Info, verdict: Verdict, scale: Scale, killed: Bool, seconds: Double, partial: String? = nil) {
            self.info = info; self.verdict = verdict; self.scale = scale; self.killed = killed; self.seconds = seconds
            self.partial = partial
        }
    }

    /// Writes `<dir>/README.md`: one row per claim.
    public func renderIndex(_ rows: [IndexRow], pending: [Info]) throws {
        var md = "# Reproduction reports\n\n"
        md += "One report per claim of `../shared/CLAIMS.md`, generated by `reproduce report` from stored results. "
        md += "Verdicts: REPRODUCED, NOT REPRODUCED, INCONCLUSIVE (not enough power at this scale), ERROR (the run failed, or a negative control survived).\n\n"
        let counts = Dictionary(grouping: rows.filter { $0.partial == nil }, by: \.verdict).mapValues(\.count)
        let unfinished = rows.filter { $0.partial != nil }.count
        md += (Verdict.allCases.compactMap { v in counts[v].map { "\($0) \(v.rawValue)" } } + (unfinished > 0 ? ["\(unfinished) unfinished"] : [])).joined(separator: " · ") + "\n\n"
        md += "| claim | paper | statement | scale | verdict | negative control | runtime |\n|---|---|---|---|---|---|---|\n"
        for r in rows {
            md += "| [\(r.info.id)](\(r.info.id).md) | \(cell(r.info.paper)) | \(cell(r.info.summary)) | \(r.scale.rawValue) | \(r.partial ?? "**\(r.verdict.rawValue)**") | \(r.partial != nil ? "not yet known" : r.killed ? "killed" : "survived") | \(String(format: "%.1f s", r.seconds)) |\n"
        }
        if !pending.isEmpty {
            md += "\nNot yet run at this scale: " + pending.map { "`\($0.id)`" }.joined(separator: ", ") + "\n"
        }
        try AtomicFile.write(md, to: reportsDirectory.appendingPathComponent("README.md"))
    }

    private func figureBlock(_ f: Figure, _ file: String) -> String {
        "![\(f.title)](\(file))\n\n" + (f.caption.isEmpty ? "" : "*\(f.caption)*\n\n")
    }
    private func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
