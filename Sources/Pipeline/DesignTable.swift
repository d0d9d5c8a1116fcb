import Foundation
import Verification

/// The pre-registration table (CLAIMS.md, Statistical method 4): every sub-claim's design as
/// one tab-separated row, written from the code (`reproduce design`) and committed as
/// `Expectations/design.tsv`. `reproduce check` and a test fail when the code's designs differ
/// from the committed table, so a design cannot change without a visible diff and an entry in
/// `Reports/DESIGN-LOG.md`.
public struct DesignTable: Sendable, Equatable {
    public static let columns = [
        "claim", "sub-claim", "layer", "claimed", "reference", "SESOI/margin", "alpha share", "intervals",
        "alpha per interval", "interval", "planning sd", "unit", "n smoke", "n quick", "n paper",
        "smoke P(REP|holds)/P(NOT|fails)", "quick P(REP|holds)/P(NOT|fails)", "paper P(REP|holds)/P(NOT|fails)",
        "estimand", "SESOI source", "valid scales", "quote",
    ]
    public var rows: [[String]]

    public init(rows: [[String]]) { self.rows = rows }

    /// The table of the given claims' designs, with the family alpha of a catalogue of `catalogueSize`.
    public init(claims: [(id: String, designs: [SubClaimDesign])], catalogueSize: Int) {
        let family = StatisticalPolicy.claimAlpha(catalogueSize: catalogueSize)
        rows = claims.flatMap { claim in
            claim.designs.map { d in
                let plans = Scale.allCases.map { d.plan(scale: $0.rawValue, familyAlpha: family) }
                func probs(_ p: DesignPlan) -> String {
                    "\(Self.number(p.reproducedWhenHolds, 3))/\(Self.number(p.notReproducedWhenFails, 3))" + (p.decidable ? "" : " not decidable")
                }
                return [
                    claim.id, d.name, d.layer.rawValue, d.claimed.rawValue, Self.number(d.reference), Self.number(d.sesoi),
                    Self.number(d.alphaShare), "\(d.count)", Self.number(d.alpha(familyAlpha: family)), d.method.rawValue,
                    d.planningSD.isNaN ? "-" : Self.number(d.planningSD), d.unit,
                    "\(d.sampleSize.smoke)", "\(d.sampleSize.quick)", "\(d.sampleSize.paper)",
                    probs(plans[0]), probs(plans[1]), probs(plans[2]),
                    d.estimand, d.sesoiSource, d.validScales.joined(separator: ","),
                    d.quote?.cited ?? "-",
                ].map(Self.clean)
            }
        }
    }

    public func serialized() -> String {
        "# Pre-registered sub-claim designs, written by `reproduce design all`; change only with an entry in Reports/DESIGN-LOG.md.\n"
            + ([Self.columns] + rows).map { $0.joined(separator: "\t") }.joined(separator: "\n") + "\n"
    }

    public init(parsing text: String) {
        rows = text.split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") && !$0.isEmpty }
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0 != Self.columns }
    }

    /// One line per row that differs between the committed table (`self`) and the code's.
    public func differences(fromCode code: DesignTable) -> [String] {
        func key(_ r: [String]) -> String { r.prefix(2).joined(separator: " / ") }
        let committed = Dictionary(rows.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let current = Dictionary(code.rows.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        var out: [String] = []
        for k in Set(committed.keys).union(current.keys).sorted() {
            switch (committed[k], current[k]) {
            case let (c?, n?) where c != n:
                let changed = Self.columns.indices.filter { i in (i < c.count ? c[i] : "") != (i < n.count ? n[i] : "") }
                    .map { i in "\(Self.columns[i]): '\(i < c.count ? c[i] : "")' -> '\(i < n.count ? n[i] : "")'" }
                out.append("design of \(k) differs from Expectations/design.tsv: " + changed.joined(separator: "; "))
            case (nil, _?): out.append("design of \(k) is not in Expectations/design.tsv")
            case (_?, nil): out.append("Expectations/design.tsv has \(k), which the code no longer declares")
            default: break
            }
        }
        return out
    }

    static func number(_ x: Double, _ digits: Int = 6) -> String { String(format: "%.\(digits)g", x) }
    static func clean(_ s: String) -> String { s.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ") }
}
