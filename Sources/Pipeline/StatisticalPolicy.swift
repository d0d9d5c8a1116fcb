import Verification

/// The suite's error budget (CLAIMS.md, Statistical method 2): about 1e-3 family-wise per full
/// run for a false REPRODUCED, split evenly over the claims of the catalogue (counted when the
/// suite runs, never hard-coded), weighted Bonferroni within a claim (`SubClaimDesign.alphaShare`).
///
/// Why Bonferroni and not Holm within a claim: a verdict is read off an interval at the
/// corrected alpha, and that alpha must be known before the data (it is in the design table).
/// Holm's step-down level depends on the other p-values of the run, so it cannot be pre-stated.
public enum StatisticalPolicy {
    public static let suiteFamilyAlpha = 1e-3
    /// The family-wise alpha of one claim's verdict intervals when the catalogue has `claims` claims.
    public static func claimAlpha(catalogueSize claims: Int) -> Double {
        precondition(claims > 0, "empty catalogue")
        return suiteFamilyAlpha / Double(claims)
    }
}
