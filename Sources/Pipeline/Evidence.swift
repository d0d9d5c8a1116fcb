import Verification

/// One sub-claim and how it came out: a hypothesis test judged by its design, or a
/// deterministic (exact) check.
public struct Check: Codable, Sendable {
    public var name: String
    /// What is asserted, in words.
    public var assertion: String
    public var verdict: Verdict
    /// The key numbers, one line.
    public var detail: String
    public var tests: [TestResult]
    public var design: Verdict.Design?
    /// For INCONCLUSIVE results: how much more data would be needed (e.g. "~40 seeds").
    public var needed: String?

    /// A hypothesis test, judged by `design` (see `Verdict.from`).
    public static func test(_ name: String, asserts assertion: String, _ result: TestResult,
                            design: Verdict.Design, detail: String? = nil, needed: String? = nil) -> Check {
        Check(name: name, assertion: assertion, verdict: Verdict.from(result, design: design),
              detail: detail ?? Check.describe(result), tests: [result], design: design, needed: needed)
    }
    /// Several tests that must all support the claim (e.g. per-coordinate tests after Holm).
    public static func allOf(_ name: String, asserts assertion: String, _ results: [TestResult],
                             design: Verdict.Design, detail: String) -> Check {
        Check(name: name, assertion: assertion,
              verdict: Verdict.all(results.map { Verdict.from($0, design: design) }),
              detail: detail, tests: results, design: design, needed: nil)
    }
    /// A deterministic check (exact enumeration, closed form): passes or fails.
    public static func exact(_ name: String, asserts assertion: String, passed: Bool, detail: String) -> Check {
        Check(name: name, assertion: assertion, verdict: .check(passed), detail: detail, tests: [], design: nil, needed: nil)
    }
    /// A part that could not run.
    public static func error(_ name: String, _ message: String) -> Check {
        Check(name: name, assertion: "", verdict: .error, detail: message, tests: [], design: nil, needed: nil)
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

/// A plausible bug run through the same tests; it must come out NOT REPRODUCED ("killed").
public struct NegativeControl: Codable, Sendable {
    public var name: String
    /// The bug, in words.
    public var bug: String
    public var checks: [Check]
    public var verdict: Verdict { Verdict.all(checks.map(\.verdict)) }
    /// Killed when the tests reject the mutant: some check comes out NOT REPRODUCED.
    public var killed: Bool { checks.contains { $0.verdict == .notReproduced } }
    public init(name: String, bug: String, checks: [Check]) {
        self.name = name; self.bug = bug; self.checks = checks
    }
    enum CodingKeys: String, CodingKey { case name, bug, checks, verdict, killed }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name); try c.encode(bug, forKey: .bug); try c.encode(checks, forKey: .checks)
        try c.encode(verdict, forKey: .verdict); try c.encode(killed, forKey: .killed)
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name); bug = try c.decode(String.self, forKey: .bug)
        checks = try c.decode([Check].self, forKey: .checks)
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
/// checks, turned into ERROR when a negative control survives (the test had no power) or when
/// there is no negative control at all (a test that cannot fail is a defect).
public struct Evidence: Codable, Sendable {
    /// The key number(s), one line, shown next to the verdict.
    public var headline: String
    /// The setup actually run, one fact per line (sizes, seeds, data set...).
    public var setup: [String]
    public var checks: [Check]
    public var negativeControls: [NegativeControl]
    public var tables: [Table]
    public var figures: [Figure]
    public var notes: [String]

    public init(headline: String, setup: [String] = [], checks: [Check], negativeControls: [NegativeControl],
                tables: [Table] = [], figures: [Figure] = [], notes: [String] = []) {
        self.headline = headline; self.setup = setup; self.checks = checks
        self.negativeControls = negativeControls; self.tables = tables; self.figures = figures; self.notes = notes
    }

    /// Evidence for a run that could not complete.
    public static func failure(_ message: String) -> Evidence {
        Evidence(headline: "the run could not complete: \(message)", checks: [.error("run", message)], negativeControls: [])
    }

    public var verdict: Verdict {
        let main = Verdict.all(checks.map(\.verdict))
        if main == .error { return .error }
        if negativeControls.isEmpty || negativeControls.contains(where: { !$0.killed }) { return .error }
        return main
    }
    /// Why the verdict is ERROR, when it is.
    public var errorReason: String? {
        if let c = checks.first(where: { $0.verdict == .error }) { return "\(c.name): \(c.detail)" }
        if negativeControls.isEmpty { return "test has no power: no negative control was run" }
        if let m = negativeControls.first(where: { !$0.killed }) { return "test has no power: the mutant '\(m.name)' survived" }
        return nil
    }
    public var negativeControlsKilled: Bool { !negativeControls.isEmpty && negativeControls.allSatisfy(\.killed) }

    enum CodingKeys: String, CodingKey { case verdict, headline, setup, checks, negativeControls, tables, figures, notes }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(verdict, forKey: .verdict); try c.encode(headline, forKey: .headline)
        try c.encode(setup, forKey: .setup); try c.encode(checks, forKey: .checks)
        try c.encode(negativeControls, forKey: .negativeControls); try c.encode(tables, forKey: .tables)
        try c.encode(figures, forKey: .figures); try c.encode(notes, forKey: .notes)
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        headline = try c.decode(String.self, forKey: .headline); setup = try c.decode([String].self, forKey: .setup)
        checks = try c.decode([Check].self, forKey: .checks)
        negativeControls = try c.decode([NegativeControl].self, forKey: .negativeControls)
        tables = try c.decode([Table].self, forKey: .tables); figures = try c.decode([Figure].self, forKey: .figures)
        notes = try c.decode([String].self, forKey: .notes)
    }
}
