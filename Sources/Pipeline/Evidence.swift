import Verification

/// One sub-claim and how it came out: its pre-registered design and the interval(s) its verdict
/// is read from (`Check.decide`, `Check.exact`), or an error.
public struct Check: Codable, Sendable {
    public var name: String
    /// What is asserted, in words.
    public var assertion: String
    public var verdict: Verdict
    /// The key numbers, one line.
    public var detail: String
    /// Supporting tests (p-values, rank checks): printed, never deciding.
    public var tests: [TestResult]
    /// For INCONCLUSIVE results: how much more data would be needed (e.g. "~40 seeds").
    public var needed: String?
    /// The pre-registered design this check is decided under.
    public var subClaim: SubClaimDesign?
    /// The interval(s) the verdict is read from, each at level 1 - 2 alpha.
    public var estimates: [IntervalEstimate]
    /// The design's planning numbers at the scale that ran.
    public var plan: DesignPlan?
    /// True when the scale that ran is not one at which the design's estimand is the paper's
    /// (CLAIMS.md, rule 14): the verdict is a proxy, kept so that CI catches regressions, never
    /// shown as the paper's. Nil (older results, exact checks): not a proxy.
    public var proxy: Bool?

    public init(name: String, assertion: String, verdict: Verdict, detail: String, tests: [TestResult] = [],
                needed: String? = nil, subClaim: SubClaimDesign? = nil,
                estimates: [IntervalEstimate] = [], plan: DesignPlan? = nil) {
        self.name = name; self.assertion = assertion; self.verdict = verdict; self.detail = detail
        self.tests = tests; self.needed = needed; self.subClaim = subClaim
        self.estimates = estimates; self.plan = plan
    }

    /// Whether the scale that ran can decide this check (exact checks always can).
    public var decidable: Bool { plan?.decidable ?? true }
    /// A descriptive check (the paper does not state it): shown, never part of a verdict.
    public var isDescriptive: Bool { subClaim?.isDescriptive ?? false }
    public var layer: EvidenceLayer? { subClaim?.layer }

    /// The suite's one decision rule (CLAIMS.md, Statistical method 3): the verdict read off the
    /// interval(s) under the pre-registered design. At a scale where the design cannot reach
    /// both verdicts with probability >= 0.95 the sub-claim is INCONCLUSIVE by design, whatever
    /// the interval says (the interval is still shown).
    public static func decide(_ design: SubClaimDesign, asserts assertion: String, _ estimates: [IntervalEstimate],
                              scale: Scale, familyAlpha: Double, detail: String? = nil,
                              supporting: [TestResult] = []) -> Check {
        precondition(estimates.count == design.count,
                     "check \(design.name): \(estimates.count) intervals for a design of \(design.count)")
        let alpha = design.alpha(familyAlpha: familyAlpha)
        for e in estimates where design.method != .exact && e.interval.level.isFinite {
            precondition(abs(e.interval.level - (1 - 2 * alpha)) < 1e-9 * max(1, alpha) + 1e-12,
                         "check \(design.name): interval at level \(e.interval.level), the design needs 1 - 2 x \(alpha)")
        }
        let plan = design.plan(scale: scale.rawValue, familyAlpha: familyAlpha)
        let outcome = Verdict.all(estimates.map { design.decide($0.interval) })
        var verdict = outcome
        var needed: String?
        if !plan.decidable && outcome != .error {
            verdict = .inconclusive
            needed = plan.neededN.map { "not decidable at this scale by design: needs n >= \($0) \(design.unit) (runs \(plan.n)); the interval alone says \(outcome.rawValue)" }
                ?? "not decidable at this scale by design (no n up to the search cap suffices); the interval alone says \(outcome.rawValue)"
        } else if verdict == .inconclusive, let sd = estimates.compactMap(\.observedSD).first, sd > 0 {
            var observed = design; observed.planningSD = sd
            if let n = observed.neededSampleSize(alpha: alpha) { needed = "about \(n) \(design.unit) at the observed sd \(fmt(sd, 3))" }
        }
        let text = detail ?? estimates.map { Check.describe($0, design: design) }.joined(separator: "; ")
        var check = Check(name: design.name, assertion: assertion, verdict: verdict, detail: text, tests: supporting,
                          needed: needed, subClaim: design, estimates: estimates, plan: plan)
        check.proxy = !design.isValid(at: scale.rawValue)
        return check
    }

    /// A deterministic check under an exact design: value(s) within the design's tolerance.
    public static func exact(_ design: SubClaimDesign, asserts assertion: String, values: [Double],
                             detail: String) -> Check {
        precondition(design.method == .exact, "check \(design.name): not an exact design")
        let estimates = values.map { IntervalEstimate.exact($0) }
        var d = design; d.count = values.count
        let verdict = Verdict.all(estimates.map { d.decide($0.interval) })
        return Check(name: design.name, assertion: assertion, verdict: verdict, detail: detail,
                     subClaim: design, estimates: estimates,
                     plan: .exact)
    }

    /// One interval in words: estimate, interval and what the design needs.
    public static func describe(_ e: IntervalEstimate, design: SubClaimDesign) -> String {
        let ci = e.interval.level >= 1 ? "" : ", \(fmt(e.interval.level * 100, 8))% CI [\(fmt(e.interval.lower)), \(fmt(e.interval.upper))]"
        return "\(fmt(e.estimate))\(ci) vs \(design.sideText)"
    }

    /// A part that could not run.
    public static func error(_ name: String, _ message: String) -> Check {
        Check(name: name, assertion: "", verdict: .error, detail: message)
    }

    public static func describe(_ r: TestResult) -> String {
        var s = "\(r.statisticName) = \(fmt(r.statistic, 3)), p = \(fmt(r.pValue, 3)), alpha = \(fmt(r.alpha, 3))"
        if let e = r.estimate { s += ", estimate \(fmt(e))" }
        if let ci = r.interval { s += ", \(fmt(ci.level * 100, 6))% CI [\(fmt(ci.lower)), \(fmt(ci.upper))]" }
        if let d = r.effectSize { s += ", d = \(fmt(d, 3))" }
        if let p = r.power { s += ", power \(fmt(p, 2))" }
        return s
    }
}

public extension SubClaimDesign {
    /// "> 0 (SESOI 0.05)" and the like: the side the paper claims, in the estimand's units.
    var sideText: String {
        if method == .exact && claimed == .greater { return "exactly > \(fmt(reference))" }
        if method == .exact && claimed == .less { return "exactly < \(fmt(reference))" }
        return switch claimed {
        case .greater: "claimed > \(fmt(reference)), SESOI \(fmt(sesoi))"
        case .less: "claimed < \(fmt(reference)), SESOI \(fmt(sesoi))"
        case .equivalent: "claimed \(fmt(reference)) ± \(fmt(sesoi))"
        case .exact: "exactly \(fmt(reference)) ± \(fmt(sesoi))"
        }
    }
}

/// A plausible bug run through the same tests. It is killed only where a check that the real
/// method passes (REPRODUCED) comes out NOT REPRODUCED for the mutant (CLAIMS.md, "Negative
/// controls"); `Evidence` works that out, because it needs the real checks.
public struct NegativeControl: Codable, Sendable {
    public var name: String
    /// The bug, in words.
    public var bug: String
    public var checks: [Check]
    /// Names of the checks that killed it: REPRODUCED for the real method, NOT REPRODUCED here.
    /// Filled in by `Evidence`.
    public internal(set) var killedBy: [String] = []
    public var verdict: Verdict { Verdict.all(checks.map(\.verdict)) }
    public var killed: Bool { !killedBy.isEmpty }
    public init(name: String, bug: String, checks: [Check]) {
        self.name = name; self.bug = bug; self.checks = checks
    }
    /// The layers at which it was killed.
    public func killedLayers(_ real: [Check]) -> Set<EvidenceLayer> {
        Set(checks.filter { killedBy.contains($0.name) }.compactMap { c in c.layer ?? real.first { $0.name == c.name }?.layer })
    }
}

/// An A/A control (CLAIMS.md, Statistical method 9): a method compared with itself on
/// independent seeds through the same interval as a real comparison; a failure makes the claim
/// ERROR, because the comparison itself is biased.
///
/// Judged as an equivalence where the controlled comparison decides at the run's scale (made by
/// `equivalence`): the interval, at the comparison's alpha, must lie inside ± `margin` = 2 SESOI,
/// so its false-failure rate is about alpha and an asymmetry of about twice the SESOI fails it.
/// Where the comparison cannot decide, the control is shown without a judgement. A control made
/// with a plain `init` and no margin keeps the older rule: the interval must contain the reference.
public struct AAControl: Codable, Sendable {
    public var name: String
    /// The sub-claim (check name) whose comparison it controls.
    public var controls: String
    public var estimate: IntervalEstimate
    public var reference: Double
    /// The equivalence margin (2 SESOI of the controlled comparison), when judged as an equivalence.
    public var margin: Double?
    /// False: shown only (the controlled comparison cannot decide at this scale).
    public var judged: Bool
    public var passed: Bool {
        guard judged else { return true }
        guard let m = margin else { return estimate.interval.contains(reference) }
        return estimate.interval.lower >= reference - m && estimate.interval.upper <= reference + m
    }
    public init(name: String, controls: String, estimate: IntervalEstimate, reference: Double = 0,
                margin: Double? = nil, judged: Bool = true) {
        self.name = name; self.controls = controls; self.estimate = estimate; self.reference = reference
        self.margin = margin; self.judged = judged
    }
    /// The control of `design`'s comparison: an equivalence within ±2 SESOI where the design
    /// decides at `scale`, shown without a judgement elsewhere. `estimate` must be the same
    /// interval as the comparison's (same pairing, the design's alpha).
    public static func equivalence(name: String, controls design: SubClaimDesign, estimate: IntervalEstimate,
                                   scale: Scale, familyAlpha: Double) -> AAControl {
        let decides = design.plan(scale: scale.rawValue, familyAlpha: familyAlpha).decidable
        return AAControl(name: name, controls: design.name, estimate: estimate, reference: 0,
                         margin: 2 * design.sesoi, judged: decides)
    }
    /// How the report states the judgement.
    public var judgement: String {
        guard judged else { return "shown, not judged (the comparison cannot decide at this scale)" }
        guard let m = margin else { return passed ? "no winner declared (passed)" : "**winner declared (failed)**" }
        return passed ? "inside ±\(fmt(m)) (passed)" : "**outside ±\(fmt(m)) (failed)**"
    }
    enum CodingKeys: String, CodingKey { case name, controls, estimate, reference, margin, judged }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), controls: try c.decode(String.self, forKey: .controls),
                  estimate: try c.decode(IntervalEstimate.self, forKey: .estimate), reference: try c.decode(Double.self, forKey: .reference),
                  margin: try c.decodeIfPresent(Double.self, forKey: .margin), judged: try c.decodeIfPresent(Bool.self, forKey: .judged) ?? true)
    }
}

/// A table for the report.
public struct Table: Codable, Sendable {
    public var title: String
    public var columns: [String]
    public var rows: [[String]]
    public init(title: String, columns: [String], rows: [[String]]) {
        self.title = title; self.columns = columns; self.rows = rows
    }
}

/// A figure drawn by gnuplot from the series it holds.
public struct Figure: Codable, Sendable {
    public enum Style: String, Codable, Sendable { case lines, points, linespoints, steps, boxes, errorbars }
    public struct Series: Codable, Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        /// Optional error bars (same length as y): lower and upper ends.
        public var yLow: [Double]?
        public var yHigh: [Double]?
        public var style: Style
        public init(_ name: String, x: [Double], y: [Double], style: Style = .lines,
                    yLow: [Double]? = nil, yHigh: [Double]? = nil) {
            precondition(x.count == y.count, "Series \(name): \(x.count) x values for \(y.count) y values")
            self.name = name; self.x = x; self.y = y; self.style = style; self.yLow = yLow; self.yHigh = yHigh
        }
    }
    /// File stem, unique within the claim (e.g. "variance-ratio").
    public var id: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var logX: Bool
    public var logY: Bool
    public var series: [Series]
    /// What the reader should see in it, one sentence under the figure.
    public var caption: String
    public init(id: String, title: String, xLabel: String, yLabel: String, logX: Bool = false, logY: Bool = false,
                series: [Series], caption: String = "") {
        self.id = id; self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.logX = logX; self.logY = logY; self.series = series; self.caption = caption
    }
}

/// Everything a claim's report shows. The verdict is derived, never set: the conjunction of the
/// checks, turned into ERROR when a control fails: a mutant that kills nothing the real method
/// passes, a deciding layer without a mutant that fails there, an A/A control that declares a
/// winner, or no negative control at all (a test that cannot fail is a defect).
public struct Evidence: Codable, Sendable {
    /// The key number(s), one line, shown next to the verdict.
    public var headline: String
    /// The setup actually run, one fact per line (sizes, seeds, data set...).
    public var setup: [String]
    public var checks: [Check]
    public private(set) var negativeControls: [NegativeControl]
    public var aaControls: [AAControl]
    public var tables: [Table]
    public var figures: [Figure]
    public var notes: [String]
    /// Measured times: supporting data only. No verdict reads this field, and determinism
    /// checks compare evidence without it.
    public var timing: [Table]

    public init(headline: String, setup: [String] = [], checks: [Check], negativeControls: [NegativeControl],
                aaControls: [AAControl] = [], tables: [Table] = [], figures: [Figure] = [], notes: [String] = [],
                timing: [Table] = []) {
        self.headline = headline; self.setup = setup; self.checks = checks
        self.negativeControls = negativeControls; self.aaControls = aaControls
        self.tables = tables; self.figures = figures; self.notes = notes; self.timing = timing
        let passedByReal = Set(checks.filter { $0.verdict == .reproduced && !$0.isDescriptive }.map(\.name))
        for i in self.negativeControls.indices {
            self.negativeControls[i].killedBy = self.negativeControls[i].checks
                .filter { $0.verdict == .notReproduced && passedByReal.contains($0.name) }.map(\.name)
        }
    }

    /// Evidence for a run that could not complete.
    public static func failure(_ message: String) -> Evidence {
        Evidence(headline: "the run could not complete: \(message)", checks: [.error("run", message)], negativeControls: [])
    }

    /// Layers with a REPRODUCED real check (they support the verdict) but no mutant killed there.
    public var uncoveredLayers: [EvidenceLayer] {
        let deciding = Set(verdictChecks.filter { $0.verdict == .reproduced }.compactMap(\.layer))
        let covered = negativeControls.reduce(into: Set<EvidenceLayer>()) { $0.formUnion($1.killedLayers(checks)) }
        return EvidenceLayer.allCases.filter { deciding.contains($0) && !covered.contains($0) }
    }

    public var verdict: Verdict { errorReason == nil ? Verdict.all(verdictChecks.map(\.verdict)) : .error }
    /// The checks a verdict is made of: every check but the descriptive ones (CLAIMS.md rule 13).
    public var verdictChecks: [Check] { checks.filter { !$0.isDescriptive } }

    /// Whether this verdict is a proxy (CLAIMS.md, rule 14): some sub-claim ran at a scale where
    /// its estimand is not the paper's.
    public var isProxy: Bool { verdictChecks.contains { $0.proxy == true } }
    /// The sub-claims that ran as proxies.
    public var proxyChecks: [Check] { verdictChecks.filter { $0.proxy == true } }
    /// The scales at which every sub-claim's estimand is the paper's (where the claim's verdict
    /// is valid), in scale order.
    public var validScales: [Scale] {
        Scale.allCases.filter { s in verdictChecks.allSatisfy { $0.subClaim?.isValid(at: s.rawValue) ?? true } }
    }

    /// Why the verdict is ERROR, when it is.
    public var errorReason: String? {
        if let c = checks.first(where: { $0.verdict == .error }) { return "\(c.name): \(c.detail)" }
        if verdictChecks.isEmpty { return "no sub-claim was checked" }
        if negativeControls.isEmpty { return "test has no power: no negative control was run" }
        if let m = negativeControls.first(where: { !$0.killed }) {
            return "test has no power: the mutant '\(m.name)' kills no check that the real method passes"
        }
        if let layer = uncoveredLayers.first {
            return "test has no power at the \(layer.rawValue) layer: no mutant fails a check there that the real method passes"
        }
        if let a = aaControls.first(where: { !$0.passed }) {
            return "the A/A control '\(a.name)' failed: \(a.margin.map { "outside ±\(fmt($0)):" } ?? "declared a winner") (\(fmt(a.estimate.estimate)), interval [\(fmt(a.estimate.interval.lower)), \(fmt(a.estimate.interval.upper))]): the comparison '\(a.controls)' is biased"
        }
        return nil
    }
    public var negativeControlsKilled: Bool { !negativeControls.isEmpty && negativeControls.allSatisfy(\.killed) }

    enum CodingKeys: String, CodingKey { case verdict, headline, setup, checks, negativeControls, aaControls, tables, figures, notes, timing }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(verdict, forKey: .verdict); try c.encode(headline, forKey: .headline)
        try c.encode(setup, forKey: .setup); try c.encode(checks, forKey: .checks)
        try c.encode(negativeControls, forKey: .negativeControls); try c.encode(aaControls, forKey: .aaControls)
        try c.encode(tables, forKey: .tables)
        try c.encode(figures, forKey: .figures); try c.encode(notes, forKey: .notes); try c.encode(timing, forKey: .timing)
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(headline: try c.decode(String.self, forKey: .headline),
                  setup: try c.decode([String].self, forKey: .setup),
                  checks: try c.decode([Check].self, forKey: .checks),
                  negativeControls: try c.decode([NegativeControl].self, forKey: .negativeControls),
                  aaControls: try c.decodeIfPresent([AAControl].self, forKey: .aaControls) ?? [],
                  tables: try c.decode([Table].self, forKey: .tables),
                  figures: try c.decode([Figure].self, forKey: .figures),
                  notes: try c.decode([String].self, forKey: .notes),
                  timing: try c.decodeIfPresent([Table].self, forKey: .timing) ?? [])
    }
}
