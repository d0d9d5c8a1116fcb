import Verification

/// The suite's error budget (CLAIMS.md, Statistical method 2): about 1e-3 family-wise per full
/// run, split evenly over the claims, Holm within a claim.
public enum StatisticalPolicy {
    public static let suiteFamilyAlpha = 1e-3
    /// Claims the budget is split over (the catalogue's size, rounded up).
    public static let budgetedClaims = 20
    /// The family-wise alpha of one claim's verdict tests.
    public static let claimAlpha = suiteFamilyAlpha / Double(budgetedClaims)
    /// Power a design must reach at its stated effect (else a non-rejection is INCONCLUSIVE).
    public static let targetPower = Verdict.minimumPower
}
