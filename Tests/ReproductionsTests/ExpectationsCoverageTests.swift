import Foundation
import Testing
import Pipeline
import Reproductions
import Verification

/// Every claim of the registry has an expected verdict at every committed scale, and every row
/// names a claim: `reproduce check` compares only what the files list, so a claim left out of
/// one would never be compared there (issue 22: the training and new claims had no paper row).
@Suite struct ExpectationsCoverageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test(arguments: ["quick", "paper"])
    func everyClaimHasARow(scale: String) throws {
        let e = try Expectations(contentsOf: Self.root.appendingPathComponent("Expectations/\(scale).tsv"))
        let ids = Set(Registry.claims.map(\.id))
        for id in ids.sorted() { #expect(e.verdicts[id] != nil, "\(id) has no row in Expectations/\(scale).tsv") }
        for id in e.verdicts.keys.sorted() { #expect(ids.contains(id), "Expectations/\(scale).tsv: \(id) is not a claim") }
    }
}
