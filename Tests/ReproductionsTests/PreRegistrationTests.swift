import Foundation
import Testing
import Pipeline
import Reproductions
import Verification

/// The pre-registration (CLAIMS.md, Statistical method 4): the designs in the code are the
/// committed ones, every check is decided under a design, and a design cannot change silently.
@Suite struct PreRegistrationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theCodesDesignsAreTheCommittedTable() throws {
        let committed = try String(contentsOf: Self.root.appendingPathComponent("Expectations/design.tsv"), encoding: .utf8)
        let differences = DesignTable(parsing: committed).differences(fromCode: Registry.designTable())
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test func everyClaimDeclaresDesignsWithUniqueNamesAndSharesAtMostOne() {
        for claim in Registry.claims {
            #expect(!claim.designs.isEmpty, "\(claim.id) declares no pre-registered design")
            let names = claim.designs.map(\.name)
            #expect(Set(names).count == names.count, "\(claim.id) has two designs of one name")
            let shares = claim.designs.reduce(0) { $0 + $1.alphaShare }
            #expect(shares <= 1 + 1e-12, "\(claim.id): alpha shares sum to \(shares)")
        }
    }

    /// Both verdicts reachable at paper scale (CLAIMS.md rule 3): P(REPRODUCED | SESOI) and
    /// P(NOT REPRODUCED | no effect) are both >= 0.95 for every sampled sub-claim.
    @Test func everySubClaimIsDecidableAtPaperScale() {
        for claim in Registry.claims {
            for d in claim.designs {
                let plan = d.plan(scale: "paper", familyAlpha: Registry.familyAlpha)
                #expect(plan.decidable, "\(claim.id) / \(d.name) is not decidable at paper scale: P(REP|holds) \(plan.reproducedWhenHolds), P(NOT|fails) \(plan.notReproducedWhenFails), needs n \(plan.neededN.map(String.init) ?? "none")")
            }
        }
    }

    /// The budget is split over the claims of the catalogue (CLAIMS.md: "count them; don't
    /// hard-code"): the registry holds exactly the ids CLAIMS.md lists.
    @Test func theBudgetCountsTheCatalogue() throws {
        #expect(Registry.familyAlpha == StatisticalPolicy.suiteFamilyAlpha / Double(Registry.catalogueSize))
        let catalogue = Self.root.deletingLastPathComponent().appendingPathComponent("shared/CLAIMS.md")
        let text = try String(contentsOf: catalogue, encoding: .utf8)
        let ids = text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("- **"), let end = line.dropFirst(4).firstIndex(of: "*") else { return nil }
            let id = String(line.dropFirst(4)[..<end])
            return id.contains(".") ? id : nil
        }
        let registered = Registry.claims.map(\.id) + Registry.pending.map(\.id)
        #expect(Set(ids) == Set(registered), "CLAIMS.md lists \(ids.sorted()); the registry has \(Registry.claims.map(\.id).sorted()) and pending \(Registry.pending.map(\.id))")
        #expect(Set(Registry.claims.map(\.id)).isDisjoint(with: Registry.pending.map(\.id)), "a pending claim also has a target")
        #expect(ids.count == Registry.catalogueSize)
    }

    @Test func aChangedDesignShowsAsADifference() throws {
        let code = Registry.designTable()
        var edited = code
        edited.rows[0][5] = "0.123456789"   // the SESOI/margin column of the first sub-claim
        let differences = edited.differences(fromCode: code)
        #expect(differences.count == 1)
        #expect(differences.first?.contains("SESOI/margin") == true)
        var dropped = code
        dropped.rows.removeLast()
        #expect(dropped.differences(fromCode: code).count == 1)
    }
}
