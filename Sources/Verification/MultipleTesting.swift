/// Holm-Bonferroni step-down correction: controls the family-wise error at `alpha`.
public enum Holm {
    /// For each p-value (in input order), the alpha it is judged at under Holm's procedure:
    /// the k-th smallest is compared with alpha / (m - k + 1), and once one fails, all later fail.
    /// Returns per-test thresholds and rejection decisions.
    public static func adjust(_ pValues: [Double], alpha: Double) -> (thresholds: [Double], rejected: [Bool]) {
        let m = pValues.count
        let order = pValues.indices.sorted { (pValues[$0].isNaN ? 2 : pValues[$0]) < (pValues[$1].isNaN ? 2 : pValues[$1]) }
        var thresholds = [Double](repeating: alpha / Double(max(m, 1)), count: m)
        var rejected = [Bool](repeating: false, count: m)
        var stillRejecting = true
        for (k, i) in order.enumerated() {
            let t = alpha / Double(m - k)
            thresholds[i] = t
            if stillRejecting && pValues[i] < t { rejected[i] = true } else { stillRejecting = false }
        }
        return (thresholds, rejected)
    }

    /// Holm-adjusted p-values (monotone, capped at 1).
    public static func adjustedPValues(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 0.0
        for (k, i) in order.enumerated() {
            running = max(running, min(1, Double(m - k) * pValues[i]))
            adjusted[i] = running
        }
        return adjusted
    }

    /// Judges each result at its Holm threshold within the family (alpha is the family's).
    public static func apply(_ results: [TestResult], familyAlpha alpha: Double) -> [TestResult] {
        let (thresholds, rejected) = adjust(results.map(\.pValue), alpha: alpha)
        return results.indices.map { i in
            var r = results[i].judged(at: thresholds[i])
            // Step-down: a test whose p is under its own threshold but after a failure is not rejected.
            if !rejected[i] && r.rejected { r.alpha = min(r.alpha, r.pValue) }
            return r
        }
    }
}
