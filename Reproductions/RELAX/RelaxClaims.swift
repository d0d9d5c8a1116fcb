import Pipeline

/// The RELAX draft's claims (papers/relax-grathwohl-2018-draft.md).
public enum RelaxClaims {
    public static let all: [any Claim] = [RelaxToyClaim(), RelaxUnbiasedClaim(), RelaxVarianceGradientClaim(), RelaxDirectionClaim(), RelaxVAEClaim(), RelaxCategoricalClaim()]
}
