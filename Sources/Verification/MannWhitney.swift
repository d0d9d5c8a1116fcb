import Foundation

/// Mann-Whitney U (Wilcoxon rank-sum) test for two independent samples: the rank-based check
/// across seeds of CLAIMS.md rule 6, robust to heavy tails and outliers.
///
/// U_A = R_A - n_A (n_A + 1) / 2 counts the pairs (a, b) with a > b, ties counting 1/2, so
/// U_A / (n_A n_B) estimates P(A > B) + P(A = B) / 2 (the probability of improvement).
/// `.greater` means H1: A tends to be larger than B.
public enum MannWhitney {
    /// p-value method: exact null distribution of U (no ties only), or the normal approximation
    /// with tie correction of the variance and a continuity correction of 1/2.
    public enum Method: String, Codable, Sendable { case exact, normal }

    /// Exact below this many pairs n_A n_B when there are no ties (the automatic choice).
    public static let exactPairLimit = 2500

    public static func test(_ a: [Double], _ b: [Double], alternative: Alternative = .twoSided,
                            alpha: Double, label: String = "P(A > B) + P(A = B)/2",
                            method: Method? = nil) -> TestResult {
        let m = a.count, n = b.count
        let ranked = ranks(a + b)
        let rankSumA = ranked.ranks[0..<m].reduce(0, +)
        let u = rankSumA - Double(m * (m + 1)) / 2
        let pairs = Double(m * n)
        let hasNaN = a.contains { $0.isNaN } || b.contains { $0.isNaN }
        let useExact = method.map { $0 == .exact && !ranked.hasTies }
            ?? (!ranked.hasTies && m * n <= exactPairLimit)
        var p: Double
        if m == 0 || n == 0 || hasNaN { p = .nan }
        else if useExact { p = exactPValue(u: u, m: m, n: n, alternative: alternative) }
        else { p = normalPValue(u: u, m: m, n: n, tieSum: ranked.tieSum, alternative: alternative) }
        if p.isFinite { p = min(1, max(0, p)) }
        let name = useExact ? "exact" : "normal approx., tie- and continuity-corrected"
        return TestResult(test: "Mann-Whitney U (\(name), \(alternative.rawValue))",
                          null: "\(label) = 0.5",
                          alternative: "\(label) \(symbol(alternative)) 0.5",
                          statisticName: "U", statistic: u, pValue: p, alpha: alpha, sampleSize: m + n,
                          estimate: pairs > 0 ? u / pairs : nil, interval: nil,
                          // Rank-biserial correlation: 2 U / (n_A n_B) - 1, in [-1, 1].
                          effectSize: pairs > 0 ? 2 * u / pairs - 1 : nil)
    }

    /// Mid-ranks (1-based; ties share the average rank) and the tie term sum(t^3 - t).
    public static func ranks(_ xs: [Double]) -> (ranks: [Double], tieSum: Double, hasTies: Bool) {
        let order = xs.indices.sorted { xs[$0] < xs[$1] }
        var r = [Double](repeating: 0, count: xs.count)
        var tieSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && xs[order[j + 1]] == xs[order[i]] { j += 1 }
            let mid = Double(i + j + 2) / 2
            for k in i...j { r[order[k]] = mid }
            let t = Double(j - i + 1)
            tieSum += t * t * t - t
            i = j + 1
        }
        return (r, tieSum, tieSum > 0)
    }

    /// Normal approximation: mean m n / 2, variance m n / 12 [(N + 1) - sum(t^3 - t) / (N (N - 1))],
    /// continuity correction 1/2 towards the mean.
    static func normalPValue(u: Double, m: Int, n: Int, tieSum: Double, alternative: Alternative) -> Double {
        let N = Double(m + n)
        let mean = Double(m * n) / 2
        let variance = Double(m * n) / 12 * ((N + 1) - tieSum / (N * (N - 1)))
        guard variance > 0 else { return 1 }  // every value tied: no evidence either way
        let sd = variance.squareRoot()
        switch alternative {
        case .greater: return Dist.normalUpper((u - mean - 0.5) / sd)
        case .less: return Dist.normalLower((u - mean + 0.5) / sd)
        case .twoSided: return 2 * Dist.normalUpper((abs(u - mean) - 0.5) / sd)
        }
    }

    /// Exact p-value from the null distribution of U without ties.
    static func exactPValue(u: Double, m: Int, n: Int, alternative: Alternative) -> Double {
        let pmf = exactDistribution(m: m, n: n)
        let k = Int(u.rounded())
        let upper = pmf[min(k, pmf.count)...].reduce(0, +)           // P(U >= k)
        let lower = pmf[...max(0, min(k, pmf.count - 1))].reduce(0, +) // P(U <= k)
        switch alternative {
        case .greater: return upper
        case .less: return lower
        case .twoSided: return min(1, 2 * min(upper, lower))
        }
    }

    /// P(U = u), u = 0...m n, under H0 without ties, by the recurrence on the last observation:
    /// p_{i,j}(u) = i/(i+j) p_{i-1,j}(u - j) + j/(i+j) p_{i,j-1}(u) (probabilities, so no overflow).
    public static func exactDistribution(m: Int, n: Int) -> [Double] {
        // row[j] holds p_{i,j} for the current i; p_{0,j} = p_{i,0} = [1].
        var row = [[Double]](repeating: [1], count: n + 1)
        if m == 0 { return [1] }
        for i in 1...m {
            var next = [[Double]](repeating: [1], count: n + 1)
            for j in 1...max(1, n) where n >= 1 {
                var p = [Double](repeating: 0, count: i * j + 1)
                let wA = Double(i) / Double(i + j), wB = Double(j) / Double(i + j)
                for (v, q) in row[j].enumerated() { p[v + j] += wA * q }   // last is from A: + j pairs
                for (v, q) in next[j - 1].enumerated() { p[v] += wB * q }  // last is from B
                next[j] = p
            }
            row = next
        }
        return row[n]
    }
}

/// Sign test: H0 the median of a sample is m0 (values equal to m0 are dropped), as an exact
/// binomial test of the count above m0 with rate 1/2. Paired: the signs of a_i - b_i.
public enum SignTest {
    public static func test(_ xs: [Double], median m0: Double = 0, alternative: Alternative = .twoSided,
                            alpha: Double, label: String = "median") -> TestResult {
        let above = xs.filter { $0 > m0 }.count
        let below = xs.filter { $0 < m0 }.count
        let dropped = xs.count - above - below
        let hasNaN = xs.contains { $0.isNaN }
        var r = BinomialTest.test(successes: above, trials: above + below, p0: 0.5, alternative: alternative,
                                  alpha: alpha, label: "P(X > \(fmt(m0)) | X != \(fmt(m0)))")
        if hasNaN { r.pValue = .nan }
        r.test = "sign test (\(alternative.rawValue)\(dropped > 0 ? ", \(dropped) values equal to \(fmt(m0)) dropped" : ""))"
        r.null = "\(label) = \(fmt(m0))"
        r.alternative = "\(label) \(symbol(alternative)) \(fmt(m0))"
        r.statisticName = "values above \(fmt(m0))"
        return r
    }

    /// Sign test on paired differences a_i - b_i (common random numbers).
    public static func paired(_ a: [Double], _ b: [Double], alternative: Alternative = .twoSided,
                              alpha: Double, label: String = "median of A - B") -> TestResult {
        precondition(a.count == b.count, "paired sign test: samples of different sizes")
        var r = test(zip(a, b).map { $0 - $1 }, median: 0, alternative: alternative, alpha: alpha, label: label)
        r.test = "paired " + r.test
        return r
    }
}
