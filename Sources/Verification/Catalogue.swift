// Which test for which kind of claim (CLAIMS.md, "Statistical method"). Every entry returns a
// `TestResult` (H0, H1, statistic, p, alpha, estimate, interval, effect size, power) that
// `Verdict.from(_:design:)` turns into a verdict and the report prints as one row.
//
// "unbiased" / "equals the exact value"    Equivalence.tost            design .equivalence
//     power: Power.tost / tostSampleSize / tostDetectableMargin (reported by tost itself)
// "A has lower variance" with exact g*      TTest.paired or TTest.oneSample on
//     D_i = |A_i - g*|^2 - |B_i - g*|^2      (.less / .greater)          design .claimIsAlternative
//     power: Power.tTest / sampleSize / detectableEffect; effect: CohensD.paired
// variance ordering without g*              Bootstrap.varianceRatioTest (paired for common
//                                           random numbers) or logVarianceRatioInterval
// "method A beats B" across seeds           TTest.welch (one-sided) + MannWhitney.test or
//                                           ProbabilityOfImprovement.test (rank check)
//     power: Power.welch / welchSampleSize / welchDetectableEffect / Power.mannWhitney;
//     effect: CohensD.twoSample / hedgesG
// paired medians, heavy tails               SignTest.paired
// a rate (how often X happens)              BinomialTest.test, clopperPearson
//     power: Power.binomial / binomialSampleSize / binomialDetectableRate
// "the bound always holds"                  BinomialTest.violations (+ upperLimit);
//     trials needed: Power.zeroViolationTrials
// two rates (2x2 table)                     FisherExact.test
// several tests for one claim               Holm.apply (family alpha = StatisticalPolicy.claimAlpha)
// exploratory screens only, never verdicts  BenjaminiHochberg (false discovery rate)
