import Foundation
import Verification

/// Turns evidence into the Markdown report a reader grasps in thirty seconds: verdict and key
/// number first, then the main figure, then sub-claims, negative controls, setup, tests, detail.
public struct ReportRenderer: Sendable {
    public let reportsDirectory: URL
    public let plotter: Plotter
    /// Path from this folder to the folder holding DESIGN-LOG.md and CALIBRATION.md ("" when it is
    /// this folder; "../" for a scale's subfolder such as Reports/paper).
    public let sharedDocsPrefix: String

    public init(reportsDirectory: URL, plotter: Plotter = Plotter(), sharedDocsPrefix: String = "") {
        self.reportsDirectory = reportsDirectory; self.plotter = plotter; self.sharedDocsPrefix = sharedDocsPrefix
    }

    public struct Info: Sendable {
        public var id, paper, source, statement, summary: String
        public init(id: String, paper: String, source: String, statement: String, summary: String) {
            self.id = id; self.paper = paper; self.source = source; self.statement = statement; self.summary = summary
        }
    }

    /// Writes `<dir>/<id>.md` and its figures under `<dir>/figures/`. `validScaleVerdict` is the
    /// claim's verdict at the largest valid scale that has run (Markdown), or what running it costs;
    /// a report whose own run is a proxy opens with it (CLAIMS.md, rule 14).
    public func render(_ info: Info, evidence: Evidence, meta: RunMeta, validScaleVerdict: String? = nil) throws {
        let figDir = reportsDirectory.appendingPathComponent("figures")
        var figureFiles: [(Figure, String)] = []
        for f in evidence.figures {
            let file = try plotter.render(f, stem: "\(info.id)-\(f.id)", in: figDir)
            figureFiles.append((f, "figures/" + file))
        }
        let v = evidence.verdict
        let scaleName = meta.scale.rawValue
        var md: String
        if evidence.isProxy {
            let validNames = evidence.validScales.map(\.rawValue)
            md = "# \(info.id): \(scaleName) proxy \(v.rawValue)\n\n"
            md += "**Verdict at a valid scale:** \(validScaleVerdict ?? "not run at a valid scale") (valid: \(validNames.isEmpty ? "no single scale" : validNames.map { "`\($0)`" }.joined(separator: ", "))).\n\n"
            md += "**\(scaleName.prefix(1).uppercased() + scaleName.dropFirst()) proxy verdict: \(v.rawValue)** at scale `\(scaleName)`. A proxy, not the paper's verdict: "
            md += evidence.proxyChecks.map(\.name).joined(separator: "; ")
            md += " \(evidence.proxyChecks.count == 1 ? "measures" : "measure") the paper's estimand only at \(Set(evidence.proxyChecks.flatMap { $0.subClaim?.validScales ?? [] }).sorted().map { "`\($0)`" }.joined(separator: ", ")) scale. It is kept in `Expectations/\(scaleName).tsv` so that CI catches regressions.\n\n"
        } else {
            md = "# \(info.id): \(v.rawValue)\n\n"
            md += "**Verdict: \(v.rawValue)** at scale `\(scaleName)`, a valid scale: every sub-claim's estimand here is the paper's"
            md += meta.scale == .paper ? " (the paper's settings, with the sample sizes the designs need).\n\n"
                : " (exact enumeration, Monte Carlo on the paper's own model, or the paper's own toy setting; which, per sub-claim: the setup below)" + (validScaleVerdict.map { "; at the largest valid scale run: \($0)" } ?? "") + ".\n\n"
        }
        let undecidable = evidence.verdictChecks.filter { !$0.decidable }
        if !undecidable.isEmpty {
            md += "**Not decidable at this scale, by design:** " + undecidable.map { c in
                "\(c.name) (n = \(c.plan?.n ?? 0)" + (c.plan?.neededN.map { "; needs \($0) \(c.subClaim?.unit ?? "")" } ?? "") + ")"
            }.joined(separator: ", ") + ". These are INCONCLUSIVE whatever the data; the expectation says so in advance.\n\n"
        }
        md += "**Key numbers:** \(evidence.headline)\n\n"
        if let why = evidence.errorReason { md += "**Why ERROR:** \(why)\n\n" }
        md += "> \(info.statement)\n>\n> — \(info.paper), \(info.source)\n\n"
        if let (f, file) = figureFiles.first { md += figureBlock(f, file) }

        md += "## Sub-claims\n\n"
        md += "Each verdict is read off the two-sided (1 - 2α) interval at the corrected α: REPRODUCED when it excludes the reference on the claimed side, NOT REPRODUCED when it excludes the smallest effect of interest (SESOI; for equivalence: lies wholly outside ±margin), INCONCLUSIVE otherwise.\n\n"
        md += "| sub-claim | the paper's words | layer | asserts | verdict | estimate [interval] vs design | decidable here |\n|---|---|---|---|---|---|---|\n"
        for c in evidence.checks {
            var detail = c.detail
            if let n = c.needed { detail += "; \(n)" }
            let quote = c.subClaim?.quote.map { "“\(PaperQuote.normalised($0.text))”" } ?? "-"
            if let why = c.subClaim?.descriptiveBecause {
                md += "| \(cell(c.name)) | descriptive: \(cell(why)) | \(c.layer?.rawValue ?? "") | \(cell(c.assertion)) | no verdict (the interval alone says \(c.verdict.rawValue)) | \(cell(detail)) | - |\n"
                continue
            }
            let shown = c.proxy == true ? "\(c.verdict.rawValue) (proxy)" : c.verdict.rawValue
            md += "| \(cell(c.name)) | \(cell(quote)) | \(c.layer?.rawValue ?? "") | \(cell(c.assertion)) | **\(shown)** | \(cell(detail)) | \(c.decidable ? "yes" : "**no**") |\n"
        }
        md += "\n## Negative controls\n\n"
        md += "Each mutant is a plausible bug run through the same checks. It is killed only where a check that the real method passes (REPRODUCED) comes out NOT REPRODUCED for the mutant; a mutant that kills nothing, or a deciding layer with no mutant killed there, makes the claim ERROR.\n\n"
        if evidence.negativeControls.isEmpty {
            md += "No negative control was run, so the verdict is ERROR (a test that cannot fail is a defect); mutant survived by default.\n\n"
        } else {
            md += "| mutant | the bug | killed? | killed by | each check: mutant verdict (real verdict) |\n|---|---|---|---|---|\n"
            for n in evidence.negativeControls {
                let detail = n.checks.map { mc in
                    let real = evidence.checks.first { $0.name == mc.name }?.verdict.rawValue ?? "-"
                    return "\(mc.name): \(mc.verdict.rawValue) (real: \(real)); \(mc.detail)"
                }.joined(separator: " · ")
                let layers = n.killedLayers(evidence.checks).map(\.rawValue).sorted().joined(separator: ", ")
                md += "| \(cell(n.name)) | \(cell(n.bug)) | \(n.killed ? "killed" : "**survived**") | \(cell(n.killedBy.joined(separator: ", ")))\(layers.isEmpty ? "" : " (\(layers))") | \(cell(detail)) |\n"
            }
            md += "\n"
        }
        if !evidence.aaControls.isEmpty {
            md += "## A/A controls\n\nEach method compared with itself on independent seeds through the same pairing and interval as the comparison it controls. Where that comparison decides at this scale, the control is an equivalence: its interval must lie inside ±2 SESOI (false-failure rate about the comparison's alpha; an asymmetry of about twice the SESOI fails it). Where it cannot decide, the control is shown without a judgement. Controls without a margin must not declare a winner (their interval must contain 0).\n\n"
            md += "| control | controls | estimate [interval] | judgement |\n|---|---|---|---|\n"
            for a in evidence.aaControls {
                let e = a.estimate
                md += "| \(cell(a.name)) | \(cell(a.controls)) | \(fmt(e.estimate)) [\(fmt(e.interval.lower)), \(fmt(e.interval.upper))] (\(e.method)) | \(a.judgement) |\n"
            }
            md += "\n"
        }
        let designed = evidence.checks.filter { $0.subClaim != nil && $0.plan != nil }
        if !designed.isEmpty {
            md += "## Pre-registered design\n\n"
            md += "Written in code and committed in `Expectations/design.tsv` (`reproduce design \(info.id)`); every change, and whether it was made before or after a first look at results, is in [the design log](\(sharedDocsPrefix)DESIGN-LOG.md#\(info.id.replacingOccurrences(of: ".", with: ""))). "
            md += "α is the per-interval alpha after the claim's weighted Bonferroni split of the family alpha. P(REP | holds) is the probability of REPRODUCED at the SESOI (no bias for equivalence); P(NOT | fails) of NOT REPRODUCED at no effect (a bias of twice the margin for equivalence); the two error rates are the false REPRODUCED rate where the claim just fails and the false NOT REPRODUCED rate where it just holds. Both probabilities >= 0.95 make the sub-claim decidable at this scale.\n\n"
            md += "| sub-claim | estimand | claimed | SESOI / margin (source) | α | n | interval | P(REP \\| holds) | P(NOT \\| fails) | false REP | false NOT | decidable | valid at |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
            for c in designed {
                let d = c.subClaim!, p = c.plan!
                md += "| \(cell(d.name)) | \(cell(d.estimand)) | \(d.claimed.rawValue) \(fmt(d.reference)) | \(fmt(d.sesoi)) (\(cell(d.sesoiSource))) | \(fmt(p.alpha, 3))\(d.count > 1 ? " x \(d.count)" : "") | \(p.n) \(d.unit) | \(d.method.rawValue) | \(fmt(p.reproducedWhenHolds, 3)) | \(fmt(p.notReproducedWhenFails, 3)) | \(fmt(p.falseReproduced, 2)) | \(fmt(p.falseNotReproduced, 2)) | \(p.decidable ? "yes" : "no") | \(d.validScales.joined(separator: ", ")) |\n"
            }
            md += "\n"
        }

        md += "## Setup\n\n"
        md += "- Scale: `\(meta.scale.rawValue)`" + (meta.scale == .paper ? " (the paper's settings)" : evidence.isProxy ? " (reduced; not the paper's scale: a proxy)" : " (valid for every sub-claim; see each design's valid scales)") + "\n"
        md += "- Master seed: \(meta.seed); random numbers: GSL mt19937, one stream per (seed, claim, unit)\n"
        md += "- Units run: \(meta.units); total run time: \(String(format: "%.1f", meta.seconds)) s\n"
        md += "- Data: \(meta.datasets.joined(separator: "; "))\n"
        md += "- Code revision: \(meta.revisions.joined(separator: ", "))\n"
        if let kernels = meta.blasKernels, !kernels.isEmpty { md += "- BLAS kernels: \(kernels.joined(separator: ", ")) (results are bit-reproducible under one kernel set)\n" }
        for s in evidence.setup { md += "- \(s)\n" }
        md += "\n"

        let tested = evidence.checks.filter { !$0.tests.isEmpty } + evidence.negativeControls.flatMap { n in n.checks.filter { !$0.tests.isEmpty }.map { var c = $0; c.name = "mutant \(n.name): \(c.name)"; return c } }
        if !tested.isEmpty {
            md += "## Supporting tests\n\n"
            md += "Tests printed for the reader (p-values, rank checks). Verdicts come from the intervals above, not from these rows.\n\n"
            md += "| sub-claim | test | H0 | H1 | statistic | p | alpha | estimate [CI] | effect | power |\n|---|---|---|---|---|---|---|---|---|---|\n"
            for c in tested {
                for t in c.tests {
                    var est = t.estimate.map { fmt($0) } ?? ""
                    if let ci = t.interval { est += " [\(fmt(ci.lower)), \(fmt(ci.upper))] (\(fmt(ci.level * 100, 6))%)" }
                    let stat = "\(t.statisticName) = \(fmt(t.statistic, 4))" + (t.degreesOfFreedom.map { ", df \(fmt($0, 4))" } ?? "") + ", n = \(t.sampleSize)"
                    let power = t.power.map { fmt($0, 3) + (t.designEffect.map { " at \(fmt($0, 3))" } ?? "") } ?? ""
                    md += "| \(cell(c.name)) | \(cell(t.test)) | \(cell(t.null)) | \(cell(t.alternative)) | \(stat) | \(fmt(t.pValue, 3)) | \(fmt(t.alpha, 3)) | \(cell(est)) | \(t.effectSize.map { fmt($0, 3) } ?? "") | \(cell(power)) |\n"
                }
            }
            md += "\n"
        }
        if figureFiles.count > 1 {
            md += "## More figures\n\n"
            for (f, file) in figureFiles.dropFirst() { md += figureBlock(f, file) }
        }
        for t in evidence.tables + evidence.timing.map({ var t = $0; t.title += " (measured time: supporting data, outside every verdict)"; return t }) {
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
        public var checks: [Check]
        /// Set for a claim whose units are not all done: "k of n units" replaces the verdict.
        public var partial: String?
        /// The claim's verdict at the other committed scale (Markdown: a linked verdict, or how to run it).
        public var otherScale: String?
        /// Whether this row's verdict is a proxy (CLAIMS.md, rule 14).
        public var isProxy: Bool
        /// The verdict at the largest valid scale that has run (Markdown), or the cost and command
        /// of a valid run; nil: this row's own verdict is that.
        public var validVerdict: String?
        public init(info: Info, verdict: Verdict, scale: Scale, killed: Bool, seconds: Double, checks: [Check] = [],
                    partial: String? = nil, otherScale: String? = nil, isProxy: Bool = false, validVerdict: String? = nil) {
            self.info = info; self.verdict = verdict; self.scale = scale; self.killed = killed; self.seconds = seconds
            self.checks = checks; self.partial = partial; self.otherScale = otherScale
            self.isProxy = isProxy; self.validVerdict = validVerdict
        }
    }

    /// The column of the other scale in the index: its header and, for claims not run here, the cell.
    public struct OtherScaleColumn: Sendable {
        public var header: String
        public var cells: [String: String]
        public init(header: String, cells: [String: String]) { self.header = header; self.cells = cells }
    }

    /// Writes `<dir>/README.md`: one row per claim.
    public func renderIndex(_ rows: [IndexRow], pending: [Info], otherScale: OtherScaleColumn? = nil,
                            withoutTarget: [(id: String, why: String)] = []) throws {
        let scaleName = rows.first?.scale.rawValue
        var md = scaleName == "paper" ? "# Reproduction reports at paper scale\n\n" : "# Reproduction reports\n\n"
        md += "One report per claim of `../shared/CLAIMS.md`, generated by `reproduce report` from stored results. "
        md += "Each sub-claim's verdict is read off an interval against a smallest effect of interest fixed in advance: REPRODUCED (the interval excludes no effect on the claimed side), NOT REPRODUCED (it excludes the smallest effect that would still be the claim, or an exact check failed), INCONCLUSIVE (neither, or not decidable at this scale by design), ERROR (the run failed, a mutant killed nothing the real method passes, a deciding layer had no kill, or an A/A control declared a winner). Designs: `Expectations/design.tsv`; changes: [DESIGN-LOG.md](\(sharedDocsPrefix)DESIGN-LOG.md); the tests' own error rates: [CALIBRATION.md](\(sharedDocsPrefix)CALIBRATION.md); the training steps' speed against their BLAS floor: [BENCH.md](\(sharedDocsPrefix)BENCH.md); every VAE gradient estimator on one model (a benchmark, no verdict): [ESTIMATORS.md](\(sharedDocsPrefix)ESTIMATORS.md).\n\n"
        let finished = rows.filter { $0.partial == nil }
        let counts = Dictionary(grouping: finished.filter { !$0.isProxy }, by: \.verdict).mapValues(\.count)
        let unfinished = rows.count - finished.count
        let proxies = finished.filter(\.isProxy)
        let validRun = proxies.filter { $0.validVerdict?.hasPrefix("**") == true }.count
        md += "At a valid scale: " + (Verdict.allCases.compactMap { v in counts[v].map { "\($0) \(v.rawValue)" } }
            + (proxies.count - validRun > 0 ? ["\(proxies.count - validRun) not run at a valid scale"] : [])
            + (validRun > 0 ? ["\(validRun) judged at a larger valid scale"] : [])
            + (unfinished > 0 ? ["\(unfinished) unfinished"] : [])).joined(separator: " · ")
        if !proxies.isEmpty {
            md += ". \(scaleName ?? "") proxies (regression checks, not the papers' verdicts): " + Verdict.allCases.compactMap { v in
                let k = proxies.filter { $0.verdict == v }.count
                return k > 0 ? "\(k) \(v.rawValue)" : nil
            }.joined(separator: " · ")
        }
        md += ".\n\n"
        md += "A verdict is **valid** at a scale where every sub-claim's estimand is the paper's (CLAIMS.md, rule 14: exact and Monte Carlo checks, and toys run in the paper's own setting, are valid at every scale; training comparisons on MNIST only at paper scale). Elsewhere it is a **proxy**: computed and compared with the committed expectations so that CI catches regressions, never the paper's verdict.\n\n"
        let extra = otherScale.map { " \($0.header) |" } ?? ""
        let proxyHeader = "\(scaleName ?? "this scale") proxy"
        md += "| claim | paper | statement | verdict (valid scale) | \(proxyHeader) |\(extra) negative control | runtime |\n|---|---|---|---|---|\(otherScale == nil ? "" : "---|")---|---|\n"
        for r in rows {
            let other = otherScale.map { " \($0.cells[r.info.id] ?? "") |" } ?? ""
            let valid: String, proxy: String
            if let p = r.partial {
                valid = p; proxy = "-"
            } else if r.isProxy {
                valid = r.validVerdict ?? "not run at a valid scale"; proxy = "\(r.verdict.rawValue) (proxy)"
            } else {
                let here = "**\(r.verdict.rawValue)** (\(r.scale.rawValue))"
                valid = r.validVerdict.map { "\($0); \(here)" } ?? here; proxy = "- (valid here)"
            }
            md += "| [\(r.info.id)](\(r.info.id).md) | \(cell(r.info.paper)) | \(cell(r.info.summary)) | \(valid) | \(proxy) |\(other) \(r.partial != nil ? "not yet known" : r.killed ? "killed" : "survived") | \(String(format: "%.1f s", r.seconds)) |\n"
        }
        let designed = rows.flatMap { r in r.checks.map { (r.info.id, $0) } }
        if !designed.isEmpty {
            md += "\n## Every sub-claim\n\nSESOI / margin fixed in advance (`Expectations/design.tsv`, changes in [DESIGN-LOG.md](\(sharedDocsPrefix)DESIGN-LOG.md)); the interval is at level 1 - 2α; false REP / false NOT are the design's two error rates at this scale; calibration of the tests themselves: [CALIBRATION.md](\(sharedDocsPrefix)CALIBRATION.md).\n\n"
            md += "| claim | sub-claim | layer | claimed, SESOI / margin | estimate [interval] | false REP / false NOT | decidable here | verdict |\n|---|---|---|---|---|---|---|---|\n"
            // Sub-claims that ran as proxies say so in the verdict cell.
            for (id, c) in designed {
                let design = c.subClaim.map(\.sideText) ?? "legacy test (no design)"
                let interval = c.estimates.map { e in e.interval.level >= 1 ? fmt(e.estimate) : "\(fmt(e.estimate)) [\(fmt(e.interval.lower)), \(fmt(e.interval.upper))]" }.joined(separator: "; ")
                let rates = c.plan.map { "\(fmt($0.falseReproduced, 2)) / \(fmt($0.falseNotReproduced, 2))" } ?? ""
                md += "| \(id) | \(cell(c.name)) | \(c.layer?.rawValue ?? "") | \(cell(design)) | \(cell(interval.count > 160 ? String(interval.prefix(157)) + "..." : interval)) | \(rates) | \(c.decidable ? "yes" : "**no**") | \(c.isDescriptive ? "descriptive (no verdict)" : c.verdict.rawValue + (c.proxy == true ? " (proxy)" : "")) |\n"
            }
        }
        if !pending.isEmpty {
            md += "\nNot yet run at this scale: " + pending.map { "`\($0.id)`" }.joined(separator: ", ") + "\n"
        }
        if !withoutTarget.isEmpty {
            md += "\nIn the catalogue (`../shared/CLAIMS.md`) without a reproduction target yet (the alpha budget counts them): " + withoutTarget.map { "`\($0.id)` (\($0.why))" }.joined(separator: "; ") + "\n"
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
