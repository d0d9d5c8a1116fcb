// Which interval for which kind of sub-claim (CLAIMS.md, "Statistical method"). Every sub-claim
// is a `SubClaimDesign` fixed in code; its verdict is `design.decide(estimate.interval)` on an
// `IntervalEstimate` at level 1 - 2 alpha, alpha = design.alpha(familyAlpha:).
//
// "unbiased" / "equals the exact value"   .equivalent design, IntervalEstimate.mean of g - g*
//                                          (margin: a fraction of the exact value, with a floor)
// "A has lower variance" with exact g*     .less design, IntervalEstimate.mean of
//                                          D_i = |A_i - g*|^2 - |B_i - g*|^2 (common draws)
// variance ordering without g*             .less design, IntervalEstimate.logVarianceRatio
// "method A beats B" across seeds          .greater design, IntervalEstimate.paired (paired by
//                                          seed) or .welch; plus an A/A control (AAControl)
// a rate (how often X happens)             design on the rate, IntervalEstimate.rate (Clopper-Pearson)
// "the bound always holds" / exact values  SubClaimDesign.exact, IntervalEstimate.exact
// costs                                    exact designs on counted operations, never on time
// planning                                 design.plan(scale:familyAlpha:): P(REPRODUCED | SESOI),
//                                          P(NOT REPRODUCED | no effect), decidability, needed n
//
// Supporting tests for the reader (never deciding): TTest, MannWhitney, SignTest,
// ProbabilityOfImprovement, BinomialTest, FisherExact, Holm / BenjaminiHochberg (exploratory).
