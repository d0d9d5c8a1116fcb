import Foundation

/// A verbatim quote from one of the papers in `../shared/papers/` that anchors a sub-claim
/// (CLAIMS.md, rule 13): a sentence, or a table or figure caption with the values CLAIMS.md
/// reads from it. A sub-claim without one has no verdict; a quote that is not found in its paper
/// (whitespace normalised) fails a test.
public struct PaperQuote: Codable, Sendable, Equatable, Hashable {
    /// The paper's file name in `../shared/papers/`, e.g. "hnca-young-2022.md".
    public var paper: String
    /// The words, verbatim; runs of whitespace (line breaks included) match any other run.
    public var text: String

    public init(_ paper: String, _ text: String) {
        precondition(!text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "an empty quote from \(paper)")
        self.paper = paper; self.text = text
    }

    /// The papers' file names, by the short names the claims use.
    public static let hnca = "hnca-young-2022.md"
    public static let relax = "relax-grathwohl-2018-draft.md"
    public static let lecture = "gradient-estimators-lecture-duvenaud-2018.md"
    public static let backpropQ = "backprop-q-xu-2018.md"

    /// Collapses every run of whitespace to one space and trims the ends, so a quote matches a
    /// paper whatever its line breaks.
    public static func normalised(_ s: String) -> String {
        s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// Whether the quote occurs in `paperText` (whitespace normalised on both sides).
    public func isFound(in paperText: String) -> Bool {
        Self.normalised(paperText).contains(Self.normalised(text))
    }

    /// "“text” (paper)", for tables.
    public var cited: String { "“\(Self.normalised(text))” (\(paper))" }
}
