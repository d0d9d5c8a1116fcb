import Foundation
import Verification

// The sections of CALIBRATION.md added by issue 20: exact tail rates of the committed designs and
// the training claims' own shapes.
extension CalibrationReport {
    func ratio(_ x: Double, _ bound: Double) -> String { bound > 0 ? fmt(x / bound, 3) : "—" }
    func rateText(_ r: TailRate) -> String {
        r.value == 0 ? "0" : fmt(r.value, 3) + (r.relativeError > 0 ? (r.relativeError.isFinite ? " ± \(fmt(100 * r.relativeError, 2))%" : " (no event)") : "")
    }

    var tailSection: String {
        guard let tail, !tail.isEmpty else { return "" }
        var md = "## Tail-exact rates of the committed designs\n\n"
        md += "Every committed design that decides with an interval (`Expectations/design.tsv`), at quick and paper scale where that scale decides it (elsewhere the sub-claim is INCONCLUSIVE by design and neither wrong verdict can come out), "
        md += "at its own per-interval alpha (down to \(fmt(tail.map(\.alpha).min() ?? .nan, 3))). "
        md += "t intervals under normal data: exact noncentral-t probabilities (the planning quadrature over the sample sd; column *check*: the largest relative difference from an independent Simpson integration over the chi-square density, 6,000 panels between its 1e-25 quantiles). "
        md += "Clopper-Pearson: exact binomial sums over every count. No simulation, so these rates are exact at any alpha, unlike the 20,000-replicate tables below (whose zero counts bound a rate at 1.8e-4 only).\n\n"
        md += "- **false REP**: P(REPRODUCED) with the interval at the boundary where the claim fails (no effect; ±margin for TOST): it bounds the whole sub-claim's, since REPRODUCED needs every interval. Nominal: α.\n"
        md += "- **false NOT, one interval**: P(NOT REPRODUCED) at the SESOI (no bias for TOST). Nominal: α (2α for TOST). **Sub-claim**: at most the number of intervals times that (union bound; `SubClaimDesign.subClaimProbabilities`), against the sub-claim's alpha share.\n\n"
        let decided = tail.filter(\.decidable)
        let tRows = decided.filter { $0.method == .t || $0.method == .skewCorrectedT || $0.method == .welch }
        let worstRep = tRows.map { $0.falseReproduced.value / $0.alpha }.max() ?? .nan
        let directional = tRows.filter { $0.claimed != .equivalent }
        let notRatios = directional.map { $0.falseNotInterval.value / $0.alpha }
        let checks = tRows.flatMap { r in
            [r.falseReproducedCheck.map { abs($0 - r.falseReproduced.value) / max(r.falseReproduced.value, 1e-300) },
             r.falseNotIntervalCheck.map { abs($0 - r.falseNotInterval.value) / max(r.falseNotInterval.value, 1e-300) }]
                .compactMap { $0 }.filter { _ in true }
        }
        let significant = tRows.flatMap { r in
            [(r.falseReproduced.value, r.falseReproducedCheck), (r.falseNotInterval.value, r.falseNotIntervalCheck)]
                .filter { $0.0 > 1e-12 * r.alpha }.compactMap { v, c in c.map { abs($0 - v) / v } }
        }
        md += "**Summary.** \(decided.count) (design, scale) pairs decide (\(tRows.count) t, \(decided.count - tRows.count) Clopper-Pearson). "
        md += "t, directional: false NOT REPRODUCED per interval / α from \(fmt(notRatios.min() ?? .nan, 4)) to \(fmt(notRatios.max() ?? .nan, 4)) (exactly α under normality: the interval's upper end is a level-α test of the SESOI); "
        md += "false REPRODUCED / α at most \(fmt(worstRep, 3)) (a directional design also needs the interval to reach the SESOI; for TOST the boundary rate is α times the chance that the other side also holds). "
        md += "Quadrature against the independent integration: largest relative difference \(fmt(significant.max() ?? .nan, 2)) over rates above 1e-12 α (\(checks.count) compared). "
        let cp = decided.filter { $0.method == .clopperPearson }
        if !cp.isEmpty {
            md += "Clopper-Pearson: false REP / α at most \(fmt(cp.map { $0.falseReproduced.value / $0.alpha }.max()!, 3)), false NOT / α at most \(fmt(cp.map { $0.falseNotInterval.value / $0.alpha }.max()!, 3)) (conservative: the count is discrete)."
        }
        md += "\n\n| claim | sub-claim | scale | interval | n | intervals | α per interval | false REP | / α | check | false NOT, one interval | / nominal | check | false NOT, sub-claim (≤) | / (intervals × nominal) |\n"
        md += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        func cell(_ t: String) -> String { t.replacingOccurrences(of: "|", with: "\\|") }
        func check(_ c: Double?, _ v: Double) -> String {
            guard let c else { return "—" }
            if v <= 0 && c <= 0 { return "0" }
            return fmt(abs(c - v) / max(v, 1e-300), 2)
        }
        for r in decided {
            let nominalNot = r.nominalFalseNot
            md += "| \(r.claim) | \(cell(r.subClaim)) | \(r.scale) | \(r.method.rawValue)\(r.claimed == .equivalent ? " (TOST)" : "") | \(r.n) | \(r.count) | \(fmt(r.alpha, 3)) | "
            md += "\(rateText(r.falseReproduced)) | \(ratio(r.falseReproduced.value, r.alpha)) | \(check(r.falseReproducedCheck, r.falseReproduced.value)) | "
            md += "\(rateText(r.falseNotInterval)) | \(ratio(r.falseNotInterval.value, nominalNot)) | \(check(r.falseNotIntervalCheck, r.falseNotInterval.value)) | "
            md += "\(fmt(r.falseNotSubClaim, 3)) | \(ratio(r.falseNotSubClaim, Double(r.count) * nominalNot)) |\n"
        }
        md += "\n"
        return md
    }

    var shapeSection: String {
        guard let shapes, !shapes.isEmpty else { return "" }
        var md = "## The training claims' own shapes\n\n"
        md += "Each training claim's interval (the plain t, or Hall's skew-corrected t where the design names it: `SkewCorrectedT`, DESIGN-LOG 2026-12-07f; below n = \(SkewCorrectedT.minimumN) it is the plain t), run on data drawn with replacement from its own committed per-seed scalars (`Reports/data/per-seed-scalars.tsv`), centred and shifted to the effect judged, at the claim's own n per scale and its own per-interval alpha. "
        md += "Rates are exact over every resample where there are at most 1,500,000 distinct resamples (multinomial weights); otherwise importance sampling: the resampling probabilities tilted to p_i ∝ exp(θ x_i) towards the wrong verdict (θ picked from a grid by a pilot run), each resample weighted by its likelihood ratio; ± is the relative standard error. "
        md += "The power and P(NOT | fails) columns are plain Monte Carlo where not enumerated. "
        md += "**Caveat:** resampling m scalars gives data with m support points, so a resample whose values are all equal (probability m^(1−n), column *atom*) yields a zero-width interval; at n ≈ m that probability can reach the suite's alphas and is part of the realised rate. "
        md += shapesSource.map { "Scalars: \($0). " } ?? ""
        md += "\n\n"
        let flagged = shapes.filter(\.antiConservative)
        let corrected = shapes.filter { $0.skewCorrectedApplied == true }
        if !corrected.isEmpty {
            func over(_ r: ShapeCalibrationRow, _ t: TailRate?, _ bound: Double) -> Bool {
                guard let t else { return false }
                return t.value > bound * (1 + 2 * t.relativeError) + 1e-300
            }
            let tFlagged = corrected.filter { over($0, $0.plainTFalseNotReproduced, $0.claimedEquivalent ? 2 * $0.alpha : $0.alpha) || over($0, $0.plainTFalseReproduced, $0.alpha) }
            let stillFlagged = corrected.filter(\.antiConservative)
            func worst(_ rows: [ShapeCalibrationRow], _ rate: (ShapeCalibrationRow) -> TailRate?) -> String {
                let ratios = rows.compactMap { r in rate(r).map { $0.value / (r.claimedEquivalent ? 2 * r.alpha : r.alpha) } }
                return ratios.max().map { fmt($0, 3) } ?? "-"
            }
            md += "**Skew-corrected designs** (\(corrected.count) (interval, scale) rows where Hall's correction applies): the plain t would be anti-conservative on \(tFlagged.count) of them (worst false NOT \(worst(corrected) { $0.plainTFalseNotReproduced })× nominal); the skew-corrected t is on \(stillFlagged.count) (worst false NOT \(worst(corrected) { $0.falseNotReproduced })× nominal). Both on the same shapes, columns *plain t* below.\n\n"
        }
        if flagged.isEmpty {
            md += "**Finding:** on every training claim's own shape the t interval's false-verdict rates stay within their nominal bounds (beyond twice the relative error).\n\n"
        } else {
            md += "**Finding:** the design's interval is anti-conservative on these shapes (a realised false-verdict rate above its nominal bound by more than twice its relative error):\n\n"
            for r in flagged {
                let bound = r.claimedEquivalent ? 2 * r.alpha : r.alpha
                md += "- \(r.claim) / \(r.subClaim) #\(r.interval) at \(r.scale) (\(intervalName(r)), n = \(r.n), \(r.decidable ? "decides" : "not decidable: INCONCLUSIVE by design")): false NOT \(rateText(r.falseNotReproduced)) = \(ratio(r.falseNotReproduced.value, bound))× nominal; false REP \(rateText(r.falseReproduced)) = \(ratio(r.falseReproduced.value, r.alpha))× α; skewness \(fmt(r.skewness, 2)), atom \(fmt(r.atomFloor, 2))\n"
            }
            md += "\nSee `Reports/DESIGN-LOG.md` (2026-12-07e and 2026-12-07f, the claims' own shapes) for what the designs do about it.\n\n"
        }
        md += "| claim | sub-claim | # | scale | m → n | decides | skew / ex. kurt | sd observed / planned | α | false REP | / α | false NOT | / nominal | P(REP \\| SESOI) realised / normal at observed sd / plan | P(NOT \\| fails) | atom m^(1−n) | interval | plain t: false REP / false NOT | method |\n"
        md += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        func cell(_ t: String) -> String { t.replacingOccurrences(of: "|", with: "\\|") }
        for r in shapes {
            let bound = r.claimedEquivalent ? 2 * r.alpha : r.alpha
            md += "| \(r.claim) | \(cell(r.subClaim)) | \(r.interval) | \(r.scale) | \(r.m) → \(r.n) | \(r.decidable ? "yes" : "no") | \(fmt(r.skewness, 2)) / \(fmt(r.kurtosis, 2)) | \(fmt(r.observedSD, 3)) / \(fmt(r.planningSD, 3)) | \(fmt(r.alpha, 3)) | "
            md += "\(rateText(r.falseReproduced)) | \(ratio(r.falseReproduced.value, r.alpha)) | \(rateText(r.falseNotReproduced)) | \(ratio(r.falseNotReproduced.value, bound))\(r.antiConservative ? " **⚠**" : "") | "
            md += "\(fmt(r.power.value, 3)) / \(fmt(r.normalPower, 3)) / \(fmt(r.planPower, 3)) | \(fmt(r.notWhenFails.value, 3)) | \(fmt(r.atomFloor, 2)) | \(intervalName(r)) | \(plainT(r)) | \(cell(r.falseNotReproduced.method)) |\n"
        }
        md += "\n"
        return md
    }

    /// The interval a shape row judged with.
    func intervalName(_ r: ShapeCalibrationRow) -> String {
        guard r.method == .skewCorrectedT else { return "t" }
        return r.skewCorrectedApplied == true ? "skew-corrected t" : "t (skew-corrected design, n < \(SkewCorrectedT.minimumN))"
    }

    /// The plain t's false-verdict rates on a skew-corrected design's shape, against their bounds.
    func plainT(_ r: ShapeCalibrationRow) -> String {
        guard r.skewCorrectedApplied == true, let rep = r.plainTFalseReproduced, let not = r.plainTFalseNotReproduced else { return "-" }
        let bound = r.claimedEquivalent ? 2 * r.alpha : r.alpha
        return "\(rateText(rep)) (\(ratio(rep.value, r.alpha))×) / \(rateText(not)) (\(ratio(not.value, bound))×)"
    }
}
