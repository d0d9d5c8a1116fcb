/// The four verdicts of the suite (CLAIMS.md). Never set by hand: derive them from a test and
/// its design, or from a deterministic check.
public enum Verdict: String, Codable, Sendable, CaseIterable, Comparable {
    case reproduced = "REPRODUCED"
    case notReproduced = "NOT REPRODUCED"
    case inconclusive = "INCONCLUSIVE"
    case error = "ERROR"

    /// How a test bears on the claim.
    public enum Design: String, Codable, Sendable {
        /// The claim is H1 (e.g. "A has lower variance"): rejecting H0 supports it. Not rejecting
        /// contradicts it only when the test had power >= `minimumPower` at the design effect.
        case claimIsAlternative
        /// The claim is H0 (e.g. "the bound holds", "unbiased" by a two-sided test): rejecting H0
        /// contradicts it; not rejecting supports it only with adequate power.
        case claimIsNull
        /// An equivalence test (TOST): rejecting "outside the margin" supports the claim.
        case equivalence
    }

    /// Power below which a non-rejection says nothing (INCONCLUSIVE).
    public static let minimumPower = 0.8

    public static func from(_ result: TestResult, design: Design) -> Verdict {
        guard result.pValue.isFinite, result.statistic.isFinite || result.statistic.isInfinite else { return .error }
        let powered = (result.power ?? 0) >= minimumPower
        switch design {
        case .claimIsAlternative, .equivalence:
            if result.rejected { return .reproduced }
            return powered ? .notReproduced : .inconclusive
        case .claimIsNull:
            if result.rejected { return .notReproduced }
            return powered ? .reproduced : .inconclusive
        }
    }

    /// A deterministic check (exact enumeration, a bound computed exactly): pass or fail.
    public static func check(_ passed: Bool) -> Verdict { passed ? .reproduced : .notReproduced }

    /// Several sub-claims that must all hold: any ERROR wins, then NOT REPRODUCED, then
    /// INCONCLUSIVE; REPRODUCED only when every part is.
    public static func all(_ parts: [Verdict]) -> Verdict {
        if parts.isEmpty { return .error }
        return parts.max()!
    }

    private var rank: Int {
        switch self { case .reproduced: 0; case .inconclusive: 1; case .notReproduced: 2; case .error: 3 }
    }
    public static func < (a: Verdict, b: Verdict) -> Bool { a.rank < b.rank }
}
