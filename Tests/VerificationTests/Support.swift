import Testing
import Verification

/// |actual - expected| <= tolerance * max(1, |expected|) (relative for large, absolute for small values).
func close(_ actual: Double, _ expected: Double, _ tolerance: Double = 1e-9) -> Bool {
    if actual == expected { return true }  // includes matching infinities
    return abs(actual - expected) <= tolerance * max(1, abs(expected))
}

/// |actual - expected| <= tolerance * |expected|, for p-values that can be tiny.
func relativelyClose(_ actual: Double, _ expected: Double, _ tolerance: Double = 1e-7) -> Bool {
    abs(actual - expected) <= tolerance * abs(expected)
}

/// The calibration rule: `count` rejections out of `trials` simulated data sets are consistent
/// with the rate `expected` when `expected` lies in the two-sided 99.9% Clopper-Pearson interval
/// of the observed rate. If the true rate is `expected`, this check fails with probability
/// <= 1e-3 over the choice of seed (the interval is conservative). Clopper-Pearson itself is
/// checked against scipy in ReferenceValueTests.
func consistentRate(_ count: Int, of trials: Int, with expected: Double) -> Bool {
    BinomialTest.clopperPearson(successes: count, trials: trials, level: 0.999).contains(expected)
}

/// The one-sided form for "at most": the rate is not shown to exceed `bound` (one-sided 99.9%
/// lower limit below it; false-fail rate <= 1e-3 when the true rate is <= bound).
func notAbove(_ count: Int, of trials: Int, _ bound: Double) -> Bool {
    BinomialTest.lowerLimit(successes: count, trials: trials, level: 0.999) <= bound
}
