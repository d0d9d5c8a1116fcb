import ArgumentParser
import Foundation
import Pipeline
import Reproductions
import Verification

/// `reproduce design`: the pre-registered designs of the selected claims, from the code.
struct Design: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every sub-claim's pre-registered design (estimand, side, SESOI, alpha, n per scale, decidability).",
        discussion: "--scale picks the scale whose decision probabilities the readable table shows; --tsv prints the full table that Expectations/design.tsv holds; --record writes it there.")

    @Argument(help: "Claim ids, or 'all'.")
    var claims: [String] = ["all"]

    @Option(help: "Scale whose planning numbers the readable table shows: smoke, quick or paper.")
    var scale: String = "quick"

    @Flag(help: "Print the full tab-separated table (all scales) instead of the readable one.")
    var tsv = false

    @Flag(help: "Write the table of all claims to --table (the committed pre-registration).")
    var record = false

    @Option(help: "The committed design table.")
    var table: String = "Expectations/design.tsv"

    func run() throws {
        guard let s = Scale(rawValue: scale) else { throw UsageError(message: "bad scale '\(scale)' (expected smoke, quick or paper)") }
        let selected = try resolveClaims(claims)
        if record {
            guard claims == ["all"] || claims.isEmpty else { throw UsageError(message: "--record writes the table of all claims; give no claim ids") }
            try AtomicFile.write(Registry.designTable().serialized(), to: URL(fileURLWithPath: table))
            print("recorded \(Registry.designTable().rows.count) sub-claim designs in \(table)")
            return
        }
        if tsv { print(Registry.designTable(selected).serialized(), terminator: ""); return }
        let family = Registry.familyAlpha
        print("Family alpha per claim: \(fmt(family)) (1e-3 over \(Registry.catalogueSize) claims of the catalogue); scale \(s.rawValue)")
        for c in selected {
            print("\n\(c.id)")
            if c.designs.isEmpty { print("  (no pre-registered designs)") }
            for d in c.designs {
                let p = d.plan(scale: s.rawValue, familyAlpha: family)
                let state = p.decidable ? "decidable" : "NOT decidable" + (p.neededN.map { " (needs n >= \($0))" } ?? "")
                print("  \(d.name) [\(d.layer.rawValue)]: \(d.estimand); \(d.sideText); \(d.method.rawValue), n = \(p.n) \(d.unit), alpha \(fmt(p.alpha, 3)) x \(d.count); P(REP|holds) \(fmt(p.reproducedWhenHolds, 3)), P(NOT|fails) \(fmt(p.notReproducedWhenFails, 3)); \(state)")
            }
        }
    }
}
