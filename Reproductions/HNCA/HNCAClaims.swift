import Pipeline

/// The HNCA paper's claims (papers/hnca-young-2022.md).
public enum HNCAClaims {
    public static let all: [any Claim] = [HNCAUnbiased(), HNCATheorem1(), HNCAEfficiency(), HNCASoftmaxOutput(), HNCABandit(), HNCAVAE(), HNCAAblation(), HNCAStochasticLastLayer()]
}
