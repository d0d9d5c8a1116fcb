import Foundation
import Verification

/// The RELAX claims' tests, each with its power at a stated design point, on top of the
/// Verification library (exact binomial, Fisher, Mann-Whitney).
enum RelaxStatistics {
    /// Exact one-sided binomial test of H0: p <= p0 (alternative .greater) or p >= p0 (.less),
    /// with its exact power at the design rate `designP`.
    static func binomial(successes k: Int, trials n: Int, p0: Double, alternative: Alternative, alpha: Double,
                         label: String, designP: Double) -> TestResult {
        BinomialTest.test(successes: k, trials: n, p0: p0, alternative: alternative, alpha: alpha, label: "P(\(label))")
            .with(power: Power.binomial(trials: n, p0: p0, p1: designP, alpha: alpha, alternative: alternative), at: designP)
    }

    /// One-sided Fisher exact test that group A's success rate exceeds group B's, with its exact
    /// power when the true rates are (designA, designB).
    static func fisher(kA: Int, nA: Int, kB: Int, nB: Int, alpha: Double, label: String, designA: Double, designB: Double) -> TestResult {
        let result = FisherExact.test(successesA: kA, trialsA: nA, successesB: kB, trialsB: nB, alternative: .greater,
                                      alpha: alpha, label: "odds ratio of \(label) (A vs B)")
        var power = 0.0
        for a in 0...nA { for b in 0...nB where FisherExact.pValue(a, nA - a, b, nB - b, alternative: .greater) < alpha {
            power += Dist.binomialPMF(a, n: nA, p: designA) * Dist.binomialPMF(b, n: nB, p: designB)
        } }
        return result.with(power: power, at: designA - designB)
    }

    /// Mann-Whitney U test, H1: A tends to be smaller than B.
    static func mannWhitneyLess(_ a: [Double], _ b: [Double], alpha: Double, label: String) -> TestResult {
        MannWhitney.test(a, b, alternative: .less, alpha: alpha, label: label)
    }
}
