import Pipeline

/// Every reproduction target, in catalogue order. Adding a claim: add its file and list it in
/// its paper's `all` array (one line).
public enum Registry {
    public static let claims: [any Claim] = LectureClaims.all + HNCAClaims.all + RelaxClaims.all + BackpropQClaims.all

    public static func claim(_ id: String) -> (any Claim)? { claims.first { $0.id == id } }
}
