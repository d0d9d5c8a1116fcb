import Foundation
import Testing
import Pipeline
import Reproductions
import Verification

/// CLAIMS.md rule 13: every sub-claim that has a verdict is anchored in the paper's text by a
/// verbatim quote, found in `../shared/papers/` with whitespace normalised.
@Suite struct QuoteTests {
    static let papers = PreRegistrationTests.root.deletingLastPathComponent().appendingPathComponent("shared/papers")

    static func paperText(_ file: String) -> String? {
        try? String(contentsOf: papers.appendingPathComponent(file), encoding: .utf8)
    }

    @Test func everyVerdictSubClaimCarriesAQuote() {
        for claim in Registry.claims {
            for d in claim.designs {
                #expect(d.quote != nil, "\(claim.id) / \(d.name) has a verdict but no quote from its paper")
            }
        }
    }

    @Test func everyQuoteIsFoundVerbatimInItsPaper() throws {
        for claim in Registry.claims {
            for d in claim.designs {
                guard let q = d.quote else { continue }
                let text = try #require(Self.paperText(q.paper), "\(claim.id) / \(d.name) quotes \(q.paper), which is not in ../shared/papers")
                #expect(q.isFound(in: text), "\(claim.id) / \(d.name): the quote is not in \(q.paper): “\(PaperQuote.normalised(q.text))”")
            }
        }
    }

    @Test func aQuoteMatchesAcrossLineBreaksButNotAReworded() {
        let paper = "HNCA reduces\nvariance   compared to REINFORCE."
        #expect(PaperQuote(PaperQuote.hnca, "reduces variance compared to REINFORCE").isFound(in: paper))
        #expect(!PaperQuote(PaperQuote.hnca, "reduces the variance compared to REINFORCE").isFound(in: paper))
    }

    /// CLAIMS.md rule 14: training comparisons on MNIST are the paper's only at paper scale, so a
    /// quick run of them is a proxy.
    @Test func quickTrainingSubClaimsAreProxies() {
        for claim in Registry.claims where ["hnca.bandit", "hnca.vae", "relax.vae"].contains(claim.id) {
            for d in claim.designs where d.layer == .training {
                #expect(!d.isValid(at: "quick"), "\(claim.id) / \(d.name) claims quick is a valid scale")
                #expect(d.isValid(at: "paper"), "\(claim.id) / \(d.name) is valid at no scale that runs the paper's settings")
            }
        }
    }
}
