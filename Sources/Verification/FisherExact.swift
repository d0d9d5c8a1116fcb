import Foundation

/// Fisher's exact test for a 2x2 table, conditional on the margins (hypergeometric law of the
/// top-left cell). Rows are groups (A, B), columns are outcomes (success, failure):
///
///         success  failure
///     A      a        b
///     B      c        d
///
/// `.greater` means H1: the odds of success are higher in A (odds ratio > 1).
public enum FisherExact {
    public static func test(_ a: Int, _ b: Int, _ c: Int, _ d: Int, alternative: Alternative = .twoSided,
                            alpha: Double, label: String = "odds ratio (A vs B)") -> TestResult {
        precondition(a >= 0 && b >= 0 && c >= 0 && d >= 0, "Fisher's exact test: negative count")
        let p = pValue(a, b, c, d, alternative: alternative)
        let rowA = a + b, rowB = c + d
        let oddsRatio = Double(a * d) / Double(b * c)  // inf when b c = 0; NaN when also a d = 0
        let effect: Double? = rowA > 0 && rowB > 0
            ? BinomialTest.cohensH(Double(a) / Double(rowA), Double(c) / Double(rowB)) : nil
        return TestResult(test: "Fisher's exact test (\(alternative.rawValue))",
                          null: "\(label) = 1", alternative: "\(label) \(symbol(alternative)) 1",
                          statisticName: "a (successes in A)", statistic: Double(a), pValue: p, alpha: alpha,
                          sampleSize: a + b + c + d, estimate: oddsRatio, interval: nil, effectSize: effect)
    }

    /// Two groups given as successes out of trials.
    public static func test(successesA: Int, trialsA: Int, successesB: Int, trialsB: Int,
                            alternative: Alternative = .twoSided, alpha: Double,
                            label: String = "odds ratio (A vs B)") -> TestResult {
        test(successesA, trialsA - successesA, successesB, trialsB - successesB,
             alternative: alternative, alpha: alpha, label: label)
    }

    /// p-value: one-sided tails of the hypergeometric law of a, or (two-sided) the total
    /// probability of tables no more likely than the observed one (as R's fisher.test).
    public static func pValue(_ a: Int, _ b: Int, _ c: Int, _ d: Int, alternative: Alternative) -> Double {
        let marked = a + c, unmarked = b + d, draws = a + b
        let support = max(0, draws - unmarked)...min(marked, draws)
        let pmf = { (k: Int) in Dist.hypergeometricPMF(k, marked: marked, unmarked: unmarked, draws: draws) }
        let p: Double
        switch alternative {
        case .greater: p = (a...support.upperBound).reduce(0) { $0 + pmf($1) }
        case .less: p = (support.lowerBound...a).reduce(0) { $0 + pmf($1) }
        case .twoSided: p = Dist.minimumLikelihoodPValue(observed: a, support: support, pmf: pmf)
        }
        return min(1, p)
    }
}
