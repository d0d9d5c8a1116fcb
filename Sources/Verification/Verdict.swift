/// The four verdicts of the suite (CLAIMS.md). Never set by hand: read them off an interval
/// under a pre-registered design (`SubClaimDesign.decide`), or from a deterministic check.
public enum Verdict: String, Codable, Sendable, CaseIterable, Comparable {
    case reproduced = "REPRODUCED"
    case notReproduced = "NOT REPRODUCED"
    case inconclusive = "INCONCLUSIVE"
    case error = "ERROR"

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
