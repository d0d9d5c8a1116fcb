import Foundation
import Verification

/// Minimal private tests for the RELAX claims until the `verification` branch (BinomialTest,
/// FisherExact, MannWhitney) is merged; the lead can switch these calls over.
enum RelaxStatistics {
    /// Exact one-sided binomial test of H0: p <= p0 (alternative .greater) or p >= p0 (.less).
    static func binomial(successes k: Int, trials n: Int, p0: Double, alternative: Alternative, alpha: Double,
                         label: String, designP: Double) -> TestResult {
        let p = alternative == .greater ? Dist.binomialUpper(k, n: n, p: p0) : Dist.binomialLower(k, n: n, p: p0)
        // power at designP: P(reject | p = designP), critical value found by scanning.
        var power = 0.0
        for j in 0...n {
            let pj = alternative == .greater ? Dist.binomialUpper(j, n: n, p: p0) : Dist.binomialLower(j, n: n, p: p0)
            if pj < alpha { power += binomialPMF(j, n, designP) }
        }
        return TestResult(test: "exact binomial test (\(alternative.rawValue))", null: "P(\(label)) \(alternative == .greater ? "<=" : ">=") \(fmt(p0))",
                          alternative: "P(\(label)) \(alternative == .greater ? ">" : "<") \(fmt(p0))", statisticName: "successes",
                          statistic: Double(k), pValue: p, alpha: alpha, sampleSize: n, estimate: Double(k) / Double(n),
                          power: power, designEffect: designP)
    }

    static func binomialPMF(_ k: Int, _ n: Int, _ p: Double) -> Double {
        if p <= 0 { return k == 0 ? 1 : 0 }
        if p >= 1 { return k == n ? 1 : 0 }
        return exp(lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1)) + Double(k) * log(p) + Double(n - k) * log1p(-p))
    }

    /// One-sided Fisher exact p-value that group A's success rate exceeds group B's:
    /// P(X >= kA) for X hypergeometric with the table's margins.
    static func fisherPValue(kA: Int, nA: Int, kB: Int, nB: Int) -> Double {
        let total = kA + kB, N = nA + nB
        func logChoose(_ n: Int, _ k: Int) -> Double { lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1)) }
        var p = 0.0
        for x in max(kA, total - nB)...min(nA, total) {
            p += exp(logChoose(nA, x) + logChoose(nB, total - x) - logChoose(N, total))
        }
        return min(1, p)
    }

    static func fisher(kA: Int, nA: Int, kB: Int, nB: Int, alpha: Double, label: String, designA: Double, designB: Double) -> TestResult {
        let p = fisherPValue(kA: kA, nA: nA, kB: kB, nB: nB)
        var power = 0.0
        for a in 0...nA { for b in 0...nB where fisherPValue(kA: a, nA: nA, kB: b, nB: nB) < alpha {
            power += binomialPMF(a, nA, designA) * binomialPMF(b, nB, designB)
        } }
        return TestResult(test: "Fisher exact test (one-sided)", null: "P(\(label)) equal", alternative: "P(\(label)) higher in A",
                          statisticName: "successes A", statistic: Double(kA), pValue: p, alpha: alpha, sampleSize: nA + nB,
                          estimate: Double(kA) / Double(nA) - Double(kB) / Double(nB), power: power, designEffect: designA - designB)
    }

    /// Mann-Whitney U test (normal approximation with tie correction), H1: A tends to be smaller than B.
    static func mannWhitneyLess(_ a: [Double], _ b: [Double], alpha: Double, label: String) -> TestResult {
        let all = (a.map { ($0, 0) } + b.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        var ranks = [Double](repeating: 0, count: all.count)
        var i = 0, tieTerm = 0.0
        while i < all.count {
            var j = i
            while j + 1 < all.count && all[j + 1].0 == all[i].0 { j += 1 }
            let r = Double(i + j) / 2 + 1
            for k in i...j { ranks[k] = r }
            let t = Double(j - i + 1); tieTerm += t * t * t - t
            i = j + 1
        }
        let nA = Double(a.count), nB = Double(b.count), N = nA + nB
        var rankSumA = 0.0
        for k in all.indices where all[k].1 == 0 { rankSumA += ranks[k] }
        let U = rankSumA - nA * (nA + 1) / 2
        let mean = nA * nB / 2
        let sd = (nA * nB / 12 * ((N + 1) - tieTerm / (N * (N - 1)))).squareRoot()
        let z = sd > 0 ? (U - mean + 0.5) / sd : 0
        let p = sd > 0 ? Dist.normalLower(z) : 1
        return TestResult(test: "Mann-Whitney U (one-sided, normal approximation)", null: "\(label): A and B exchangeable",
                          alternative: "\(label) smaller in A", statisticName: "z", statistic: z, pValue: p, alpha: alpha,
                          sampleSize: a.count + b.count, estimate: U / (nA * nB))
    }
}
