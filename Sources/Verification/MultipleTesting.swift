/// Ascending order of p-values with NaN (a failed test) last: a NaN never rejects and must not
/// unblock later tests.
func ascendingOrder(_ pValues: [Double]) -> [Int] {
    pValues.indices.sorted {
        let a = pValues[$0], b = pValues[$1]
        if a.isNaN || b.isNaN { return !a.isNaN && b.isNaN }
        return a < b || (a == b && $0 < $1)
    }
}

/// Holm-Bonferroni step-down correction: controls the family-wise error at `alpha` under any
/// dependence between the tests. This is the procedure for verdicts (CLAIMS.md rule 2).
public enum Holm {
    /// For each p-value (in input order), the alpha it is judged at under Holm's procedure:
    /// the k-th smallest is compared with alpha / (m - k + 1), and once one fails, all later fail.
    /// Returns per-test thresholds and rejection decisions. A later test can have p under its
    /// own threshold and still be retained (the step-down stopped before it).
    public static func adjust(_ pValues: [Double], alpha: Double) -> (thresholds: [Double], rejected: [Bool]) {
        let m = pValues.count
        var thresholds = [Double](repeating: alpha / Double(max(m, 1)), count: m)
        var rejected = [Bool](repeating: false, count: m)
        var stillRejecting = true
        for (k, i) in ascendingOrder(pValues).enumerated() {
            let t = alpha / Double(m - k)
            thresholds[i] = t
            if stillRejecting && pValues[i] < t { rejected[i] = true } else { stillRejecting = false }
        }
        return (thresholds, rejected)
    }

    /// Holm-adjusted p-values: max over the earlier ranks of (m - k + 1) p_(k), capped at 1.
    /// NaN stays NaN. A test is rejected by `adjust` exactly when its adjusted p is < alpha.
    public static func adjustedPValues(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        var adjusted = [Double](repeating: .nan, count: m)
        var running = 0.0
        for (k, i) in ascendingOrder(pValues).enumerated() where !pValues[i].isNaN {
            running = max(running, min(1, Double(m - k) * pValues[i]))
            adjusted[i] = running
        }
        return adjusted
    }

    /// Judges each result at its own Holm threshold within the family (alpha is the family's),
    /// and records the step-down decision in `adjustment`, so a test whose p is under its own
    /// threshold but that comes after a failure is reported as retained, with the reason.
    public static func apply(_ results: [TestResult], familyAlpha alpha: Double) -> [TestResult] {
        let p = results.map(\.pValue)
        let (thresholds, rejected) = adjust(p, alpha: alpha)
        let adjusted = adjustedPValues(p)
        var rank = [Int](repeating: 0, count: p.count)
        for (k, i) in ascendingOrder(p).enumerated() { rank[i] = k + 1 }
        return results.indices.map { i in
            var r = results[i].judged(at: thresholds[i])
            let blocked = !rejected[i] && p[i] < thresholds[i]
            r.adjustment = Adjustment(
                procedure: "Holm", familyLevel: alpha, familySize: p.count, rank: rank[i],
                adjustedPValue: adjusted[i], rejected: rejected[i],
                note: blocked ? "retained: Holm's step-down stopped at a smaller p-value that was not rejected" : nil)
            return r
        }
    }
}

/// Benjamini-Hochberg step-up procedure: controls the false discovery rate at `q` for
/// independent (or positively dependent) tests.
///
/// EXPLORATORY ONLY. It does not control the family-wise error, so it must never decide a
/// verdict (CLAIMS.md rule 2); use it to flag candidates in exploratory sections of a report.
public enum BenjaminiHochberg {
    /// Per-test thresholds k q / m (k the ascending rank) and the step-up decisions: every
    /// p-value up to the largest rank k with p_(k) < k q / m is rejected.
    public static func adjust(_ pValues: [Double], fdr q: Double) -> (thresholds: [Double], rejected: [Bool]) {
        let m = pValues.count
        let order = ascendingOrder(pValues)
        var thresholds = [Double](repeating: q, count: m)
        var largestPassing = -1
        for (k, i) in order.enumerated() {
            thresholds[i] = q * Double(k + 1) / Double(m)
            if pValues[i] < thresholds[i] { largestPassing = k }
        }
        var rejected = [Bool](repeating: false, count: m)
        for (k, i) in order.enumerated() where k <= largestPassing { rejected[i] = true }
        return (thresholds, rejected)
    }

    /// BH-adjusted p-values (q-values): min over later ranks of m p_(k) / k, capped at 1; NaN stays NaN.
    public static func adjustedPValues(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        let order = ascendingOrder(pValues).filter { !pValues[$0].isNaN }
        var adjusted = [Double](repeating: .nan, count: m)
        var running = 1.0
        for (k, i) in order.enumerated().reversed() {
            running = min(running, Double(m) * pValues[i] / Double(k + 1))
            adjusted[i] = running
        }
        return adjusted
    }

    /// Records the BH decision in each result's `adjustment` (exploratory; see the type's note).
    public static func apply(_ results: [TestResult], fdr q: Double) -> [TestResult] {
        let p = results.map(\.pValue)
        let (thresholds, rejected) = adjust(p, fdr: q)
        let adjusted = adjustedPValues(p)
        var rank = [Int](repeating: 0, count: p.count)
        for (k, i) in ascendingOrder(p).enumerated() { rank[i] = k + 1 }
        return results.indices.map { i in
            var r = results[i].judged(at: thresholds[i])
            let liftedByStepUp = rejected[i] && !(p[i] < thresholds[i])
            r.adjustment = Adjustment(
                procedure: "Benjamini-Hochberg (exploratory, FDR)", familyLevel: q, familySize: p.count,
                rank: rank[i], adjustedPValue: adjusted[i], rejected: rejected[i],
                note: liftedByStepUp ? "rejected: a larger p-value passed its step-up threshold" : nil)
            return r
        }
    }
}
