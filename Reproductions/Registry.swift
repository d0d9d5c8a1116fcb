import Pipeline

/// Every reproduction target, in catalogue order. Adding a claim: add its file and list it in
/// its paper's `all` array (one line).
public enum Registry {
    public static let claims: [any Claim] = LectureClaims.all + HNCAClaims.all + RelaxClaims.all + BackpropQClaims.all

    public static func claim(_ id: String) -> (any Claim)? { claims.first { $0.id == id } }

    /// Claims of the catalogue (../shared/CLAIMS.md) that have no reproduction target yet, and why.
    /// The budget counts them (CLAIMS.md: split over the claims of the catalogue), so adding their
    /// targets later leaves every other claim's alpha where it is.
    public static let pending: [(id: String, why: String)] = []

    /// The number of claims in the catalogue: the targets and the pending ones.
    public static var catalogueSize: Int { claims.count + pending.count }

    /// One claim's family alpha: the suite's budget split over the claims the catalogue has now.
    public static var familyAlpha: Double { StatisticalPolicy.claimAlpha(catalogueSize: catalogueSize) }

    /// The pre-registration table of the given claims (default: all), as the code declares it.
    public static func designTable(_ selected: [any Claim] = claims) -> DesignTable {
        DesignTable(claims: selected.map { ($0.id, $0.designs) }, catalogueSize: catalogueSize)
    }
}
