import Pipeline

/// Every reproduction target, in catalogue order. Adding a claim: add its file and list it in
/// its paper's `all` array (one line).
public enum Registry {
    public static let claims: [any Claim] = LectureClaims.all + HNCAClaims.all + RelaxClaims.all + BackpropQClaims.all

    public static func claim(_ id: String) -> (any Claim)? { claims.first { $0.id == id } }

    /// One claim's family alpha: the suite's budget split over the claims the catalogue has now.
    public static var familyAlpha: Double { StatisticalPolicy.claimAlpha(catalogueSize: claims.count) }

    /// The pre-registration table of the given claims (default: all), as the code declares it.
    public static func designTable(_ selected: [any Claim] = claims) -> DesignTable {
        DesignTable(claims: selected.map { ($0.id, $0.designs) }, catalogueSize: claims.count)
    }
}
