import Testing
import Verification

// Reference values computed independently with scipy 1.17.1 (script in the comments: each
// expected number names the scipy call that produced it). Data sets are fixed literals.
let x: [Double] = [0.62, 0.18, 1.34, 0.95, -0.27, 0.71, 1.12, 0.44, 0.89, 0.05]
let y: [Double] = [0.31, -0.12, 0.98, 0.40, -0.55, 0.66, 0.52, 0.09, 0.47, -0.20]  // paired with x
let z: [Double] = [1.8, 2.3, 0.9, 3.1, 2.7, 1.5, 2.2, 4.0]

@Suite("t-tests match scipy")
struct TTestReferenceTests {
    @Test func oneSampleTwoSided() {
        // scipy.stats.ttest_1samp(x, 0.5): t = 0.6445323619646347, p = 0.5353107223581974, df = 9,
        // .confidence_interval(0.95) = (0.2414941990220813, 0.9645058009779186)
        let r = TTest.oneSample(x, mu0: 0.5, alpha: 0.05)
        #expect(close(r.statistic, 0.6445323619646347))
        #expect(close(r.pValue, 0.5353107223581974))
        #expect(r.degreesOfFreedom == 9)
        #expect(close(r.interval!.lower, 0.2414941990220813))
        #expect(close(r.interval!.upper, 0.9645058009779186))
        // (mean(x) - 0.5) / std(x, ddof=1) = 0.2038190289496324 (numpy)
        #expect(close(r.effectSize!, 0.2038190289496324))
        #expect(!r.rejected)
    }
    @Test func oneSampleOneSided() {
        // scipy.stats.ttest_1samp(x, 0.5, alternative='greater'): p = 0.2676553611790987, CI low 0.31005794897859235
        let g = TTest.oneSample(x, mu0: 0.5, alternative: .greater, alpha: 0.05)
        #expect(close(g.pValue, 0.2676553611790987))
        #expect(close(g.interval!.lower, 0.31005794897859235) && g.interval!.upper == .infinity)
        // alternative='less': p = 0.7323446388209013, CI high 0.8959420510214076
        let l = TTest.oneSample(x, mu0: 0.5, alternative: .less, alpha: 0.05)
        #expect(close(l.pValue, 0.7323446388209013))
        #expect(close(l.interval!.upper, 0.8959420510214076) && l.interval!.lower == -.infinity)
    }
    @Test func paired() {
        // scipy.stats.ttest_rel(x, y): t = 7.0763950004956975, p = 5.8151501071527104e-05;
        // greater: 2.9075750535763552e-05; less: 0.9999709242494642
        let r = TTest.paired(x, y, alpha: 0.05)
        #expect(close(r.statistic, 7.0763950004956975))
        #expect(relativelyClose(r.pValue, 5.8151501071527104e-05))
        #expect(relativelyClose(TTest.paired(x, y, alternative: .greater, alpha: 0.05).pValue, 2.9075750535763552e-05))
        #expect(close(TTest.paired(x, y, alternative: .less, alpha: 0.05).pValue, 0.9999709242494642))
        // mean(d) / std(d, ddof=1) = 2.237752582459475 (numpy)
        #expect(close(CohensD.paired(x, y), 2.237752582459475))
    }
    @Test func welch() {
        // scipy.stats.ttest_ind(x, z, equal_var=False): t = -4.528896290587991, p = 0.0010878618341635172,
        // df = 10.019516018643838, CI95 = (-2.5503225104204974, -0.8686774895795024)
        let r = TTest.welch(x, z, alpha: 0.05)
        #expect(close(r.statistic, -4.528896290587991))
        #expect(relativelyClose(r.pValue, 0.0010878618341635172))
        #expect(close(r.degreesOfFreedom!, 10.019516018643838))
        #expect(close(r.interval!.lower, -2.5503225104204974) && close(r.interval!.upper, -0.8686774895795024))
        // less: p = 0.0005439309170817586, CI high -1.0254944914736237; greater: p = 0.9994560690829183
        let l = TTest.welch(x, z, alternative: .less, alpha: 0.05)
        #expect(relativelyClose(l.pValue, 0.0005439309170817586))
        #expect(close(l.interval!.upper, -1.0254944914736237))
        #expect(close(TTest.welch(x, z, alternative: .greater, alpha: 0.05).pValue, 0.9994560690829183))
    }
    @Test func tost() {
        // TOST of mean(x) within 0.5 +- 0.3 = max of two one-sided scipy tests:
        // ttest_1samp(x, 0.2, alternative='greater').pvalue = 0.016335709236696003,
        // ttest_1samp(x, 0.8, alternative='less').pvalue = 0.12444992407132836 -> p = 0.12444992407132836;
        // 90% interval = ttest_1samp(x, 0.5).confidence_interval(0.90) = (0.3100579489785923, 0.8959420510214076)
        let r = Equivalence.tost(x, target: 0.5, margin: 0.3, alpha: 0.05)
        #expect(close(r.pValue, 0.12444992407132836))
        #expect(close(r.interval!.lower, 0.3100579489785923) && close(r.interval!.upper, 0.8959420510214076))
        #expect(!r.rejected)
        // A wider margin puts the 90% interval inside: rejected (equivalence shown).
        #expect(Equivalence.tost(x, target: 0.5, margin: 0.45, alpha: 0.05).rejected)
    }
    @Test func constantSamplesGiveFiniteAnswers() {
        let same = TTest.oneSample([2, 2, 2], mu0: 2, alpha: 0.05)
        #expect(same.statistic == 0 && same.pValue == 1)
        let off = TTest.oneSample([2, 2, 2], mu0: 1, alpha: 0.05)
        #expect(off.statistic == .infinity && off.pValue == 0)
        #expect(off.rejected)
        #expect(TTest.welch([1, 1], [1, 1], alpha: 0.05).pValue == 1)
        #expect(TTest.oneSample([1], alpha: 0.05).pValue.isNaN)
    }
}

@Suite("distributions and summaries match scipy and numpy")
struct DistributionReferenceTests {
    @Test func smallTailsKeepTheirPrecision() {
        // scipy.stats.t.sf(40, 10) = 1.1404288715428768e-12; norm.sf(30) = 4.906713927147908e-198;
        // chi2.sf(200, 10) = 1.6139305336977317e-37; binom.sf(89, 100, 0.5) = 1.5316450877189923e-17
        #expect(relativelyClose(Dist.tUpper(40, df: 10), 1.1404288715428768e-12, 1e-8))
        #expect(relativelyClose(Dist.normalUpper(30), 4.906713927147908e-198, 1e-8))
        #expect(relativelyClose(Dist.chiSquaredUpper(200, df: 10), 1.6139305336977317e-37, 1e-8))
        #expect(relativelyClose(Dist.binomialUpper(90, n: 100, p: 0.5), 1.5316450877189923e-17, 1e-8))
        // t.isf(1e-6, 5) = 24.771029720515948; chi2.ppf(0.3, 2500) = 2462.4415171656033 (a df where
        // GSL's own inversion can fail and the Wilson-Hilferty fallback may answer).
        #expect(close(Dist.tUpperQuantile(1e-6, df: 5), 24.771029720515948, 1e-9))
        #expect(close(Dist.chiSquaredQuantile(0.3, df: 2500), 2462.4415171656033, 1e-6))
    }
    @Test func summaries() {
        // numpy: mean 2.7375, var(ddof=1) 6.022678571428571, quantile(0.25) 1.425, median 2.2,
        // quantile(0.9) 5.609999999999999 (numpy's default linear interpolation, as GSL's)
        let v: [Double] = [3.1, -0.4, 2.2, 7.5, 0.9, 1.6, 4.8, 2.2]
        let s = Summary(v)
        #expect(s.n == 8 && close(s.mean, 2.7375) && close(s.variance, 6.022678571428571))
        #expect(close(s.standardError, (6.022678571428571 / 8).squareRoot()))
        #expect(close(Summary.quantile(v, 0.25), 1.425) && Summary.median(v) == 2.2)
        #expect(close(Summary.quantile(v, 0.9), 5.609999999999999))
        #expect(Summary([1]).variance.isNaN && Summary([]).mean.isNaN)
    }
}

@Suite("rank, sign, binomial and Fisher tests match scipy")
struct NonparametricReferenceTests {
    @Test func mannWhitneyNormalApproximation() {
        // scipy.stats.mannwhitneyu(x, z, method='asymptotic', use_continuity=True): U = 3.0,
        // two-sided p = 0.0011823251033786022, greater 0.999568820525271, less 0.0005911625516893011
        let r = MannWhitney.test(x, z, alpha: 0.05, method: .normal)
        #expect(r.statistic == 3)
        #expect(relativelyClose(r.pValue, 0.0011823251033786022))
        #expect(close(MannWhitney.test(x, z, alternative: .greater, alpha: 0.05, method: .normal).pValue, 0.999568820525271))
        #expect(relativelyClose(MannWhitney.test(x, z, alternative: .less, alpha: 0.05, method: .normal).pValue, 0.0005911625516893011))
        #expect(close(r.estimate!, 3.0 / 80))
    }
    @Test func mannWhitneyExact() {
        // scipy.stats.mannwhitneyu(x, z, method='exact'): two-sided 0.00031994149641208463,
        // greater 0.9999085881438823, less 0.00015997074820604232
        #expect(relativelyClose(MannWhitney.test(x, z, alpha: 0.05, method: .exact).pValue, 0.00031994149641208463))
        #expect(close(MannWhitney.test(x, z, alternative: .greater, alpha: 0.05, method: .exact).pValue, 0.9999085881438823))
        #expect(relativelyClose(MannWhitney.test(x, z, alternative: .less, alpha: 0.05).pValue, 0.00015997074820604232))
        // The exact null law is a distribution, symmetric about m n / 2.
        let pmf = MannWhitney.exactDistribution(m: 6, n: 9)
        #expect(pmf.count == 55 && close(pmf.reduce(0, +), 1, 1e-12))
        #expect(pmf.indices.allSatisfy { close(pmf[$0], pmf[54 - $0], 1e-14) })
        // P(U = 0) = 1 / C(15, 6) = 1 / 5005.
        #expect(close(pmf[0], 1.0 / 5005, 1e-15))
    }
    @Test func mannWhitneyWithTies() {
        // scipy.stats.mannwhitneyu(a, b, method='asymptotic', use_continuity=True): U = 13.5,
        // two-sided 0.03175895714806371, greater 0.9876172774448116, less 0.015879478574031856
        let a: [Double] = [1, 2, 2, 3, 3, 3, 4, 5], b: [Double] = [2, 3, 4, 4, 5, 5, 6, 6, 7]
        let r = MannWhitney.test(a, b, alpha: 0.05)  // ties: the normal approximation is chosen
        #expect(r.statistic == 13.5)
        #expect(relativelyClose(r.pValue, 0.03175895714806371))
        #expect(close(MannWhitney.test(a, b, alternative: .greater, alpha: 0.05).pValue, 0.9876172774448116))
        #expect(relativelyClose(MannWhitney.test(a, b, alternative: .less, alpha: 0.05).pValue, 0.015879478574031856))
        #expect(close(ProbabilityOfImprovement.estimate(a, b), 13.5 / 72))
    }
    @Test func signTest() {
        // x - y has 10 positive signs of 10: scipy.stats.binomtest(10, 10, 0.5).pvalue = 0.001953125,
        // alternative='greater': 0.0009765625
        #expect(close(SignTest.paired(x, y, alpha: 0.05).pValue, 0.001953125, 1e-12))
        #expect(close(SignTest.paired(x, y, alternative: .greater, alpha: 0.05).pValue, 0.0009765625, 1e-12))
        // w has 8 of 10 non-zero values positive (two zeros dropped): binomtest(8, 10, 0.5) = 0.109375,
        // greater: 0.0546875
        let w: [Double] = [0.3, -1.2, 0.8, 0.0, 1.5, 2.1, 0.4, -0.1, 0.9, 1.1, 0.7, 0.0]
        let r = SignTest.test(w, alpha: 0.05)
        #expect(r.statistic == 8 && r.sampleSize == 10)
        #expect(close(r.pValue, 0.109375, 1e-12))
        #expect(close(SignTest.test(w, alternative: .greater, alpha: 0.05).pValue, 0.0546875, 1e-12))
        // A/A on common random numbers: every difference is 0, no winner.
        let aa = SignTest.paired(x, x, alpha: 0.05)
        #expect(aa.pValue == 1 && !aa.rejected)
        #expect(SignTest.test([1, .nan, 2], alpha: 0.05).pValue.isNaN)
    }
    @Test func binomialTest() {
        // scipy.stats.binomtest(7, 20, 0.15): two-sided p = 0.02193510085684512,
        // proportion_ci(0.95, 'exact') = (0.1539092047845412, 0.5921885345328283);
        // greater: p = 0.02193510085684512, CI (0.1773109175744692, 1); less: p = 0.994078854435718, CI (0, 0.5580345113154888)
        let r = BinomialTest.test(successes: 7, trials: 20, p0: 0.15, alpha: 0.05)
        #expect(relativelyClose(r.pValue, 0.02193510085684512))
        #expect(close(r.interval!.lower, 0.1539092047845412) && close(r.interval!.upper, 0.5921885345328283))
        let g = BinomialTest.test(successes: 7, trials: 20, p0: 0.15, alternative: .greater, alpha: 0.05)
        #expect(relativelyClose(g.pValue, 0.02193510085684512))
        #expect(close(g.interval!.lower, 0.1773109175744692) && g.interval!.upper == 1)
        let l = BinomialTest.test(successes: 7, trials: 20, p0: 0.15, alternative: .less, alpha: 0.05)
        #expect(close(l.pValue, 0.994078854435718))
        #expect(l.interval!.lower == 0 && close(l.interval!.upper, 0.5580345113154888))
        // Both tails contribute: scipy.stats.binomtest(3, 40, 0.5).pvalue = 1.946500560734421e-08
        #expect(relativelyClose(BinomialTest.test(successes: 3, trials: 40, p0: 0.5, alpha: 0.05).pValue, 1.946500560734421e-08))
        #expect(relativelyClose(BinomialTest.test(successes: 37, trials: 40, p0: 0.5, alpha: 0.05).pValue, 1.946500560734421e-08))
    }
    @Test func violationsOfAnAlwaysBound() {
        // 0 violations in 30 trials against a tolerated rate 0.1: scipy.stats.binomtest(0, 30, 0.1,
        // alternative='less').pvalue = 0.042391158275216195 (= 0.9^30); upper 95% limit
        // proportion_ci(0.95, 'exact').high = 0.09503385285530412 = 1 - 0.05^(1/30)
        let r = BinomialTest.violations(0, trials: 30, tolerated: 0.1, alpha: 0.05)
        #expect(relativelyClose(r.pValue, 0.042391158275216195))
        #expect(r.rejected)
        #expect(close(r.interval!.upper, 0.09503385285530412))
        #expect(close(BinomialTest.upperLimit(successes: 0, trials: 30, level: 0.95), 0.09503385285530412))
        // 2 of 500 against 0.02: binomtest(2, 500, 0.02, alternative='less').pvalue = 0.0025911405128263253,
        // 99% one-sided upper limit = 0.01670456028442739
        #expect(relativelyClose(BinomialTest.violations(2, trials: 500, tolerated: 0.02, alpha: 0.01).pValue, 0.0025911405128263253))
        #expect(close(BinomialTest.upperLimit(successes: 2, trials: 500, level: 0.99), 0.01670456028442739))
        // Large counts, where GSL's own beta inversion does not converge:
        // scipy.stats.binomtest(2793, 4000).proportion_ci(0.999, "exact") = (0.6738829059559984, 0.7218636444982174)
        let wide = BinomialTest.clopperPearson(successes: 2793, trials: 4000, level: 0.999)
        #expect(close(wide.lower, 0.6738829059559984, 1e-10) && close(wide.upper, 0.7218636444982174, 1e-10))
        // Trials needed with zero violations: (1 - 0.1)^n < 0.05 first at n = 29 (0.9^28 = 0.0523, 0.9^29 = 0.0471).
        #expect(Power.zeroViolationTrials(rate: 0.1, alpha: 0.05) == 29)
    }
    @Test func fisherExact() {
        // scipy.stats.fisher_exact([[8, 2], [1, 5]]): odds ratio 20.0, two-sided p = 0.034965034965034975,
        // greater 0.024475524475524483, less 0.9991258741258742
        let r = FisherExact.test(8, 2, 1, 5, alpha: 0.05)
        #expect(r.estimate == 20)
        #expect(relativelyClose(r.pValue, 0.034965034965034975))
        #expect(relativelyClose(FisherExact.test(8, 2, 1, 5, alternative: .greater, alpha: 0.05).pValue, 0.024475524475524483))
        #expect(close(FisherExact.test(8, 2, 1, 5, alternative: .less, alpha: 0.05).pValue, 0.9991258741258742))
        // scipy.stats.fisher_exact([[3, 17], [12, 8]]): odds ratio 0.11764705882352941, p = 0.007911693673651405
        let s = FisherExact.test(successesA: 3, trialsA: 20, successesB: 12, trialsB: 20, alpha: 0.05)
        #expect(close(s.estimate!, 0.11764705882352941))
        #expect(relativelyClose(s.pValue, 0.007911693673651405))
    }
}

@Suite("multiple testing")
struct MultipleTestingTests {
    // Textbook Holm example: p = (0.01, 0.04, 0.03, 0.005), alpha = 0.05, m = 4. Sorted:
    // 0.005 < 0.05/4 rejected; 0.01 < 0.05/3 rejected; 0.03 >= 0.05/2 retained, so the step-down
    // stops and 0.04 is retained although 0.04 < 0.05/1, its own threshold.
    let p = [0.01, 0.04, 0.03, 0.005]

    @Test func holmThresholdsAndDecisions() {
        let (thresholds, rejected) = Holm.adjust(p, alpha: 0.05)
        #expect(zip(thresholds, [0.05 / 3, 0.05, 0.05 / 2, 0.05 / 4]).allSatisfy { close($0, $1, 1e-15) })
        #expect(rejected == [true, false, false, true])
        // Holm-adjusted p-values (max over earlier ranks of (m - k + 1) p): 0.03, 0.06, 0.06, 0.02.
        let adjusted = Holm.adjustedPValues(p)
        #expect(zip(adjusted, [0.03, 0.06, 0.06, 0.02]).allSatisfy { close($0, $1, 1e-15) })
    }
    @Test func holmApplyRecordsTheStepDownDecision() {
        let results = p.map { TestResult(test: "t", null: "", alternative: "", statisticName: "t", statistic: 1,
                                         pValue: $0, alpha: 0.05, sampleSize: 10) }
        let judged = Holm.apply(results, familyAlpha: 0.05)
        #expect(judged.map(\.rejected) == [true, false, false, true])
        // The blocked test keeps its own threshold and its p-value; the decision is recorded.
        #expect(judged[1].alpha == 0.05 && judged[1].pValue == 0.04)
        #expect(judged[1].adjustment?.rejected == false && judged[1].adjustment?.note != nil)
        #expect(judged[1].test.contains("retained") && !judged[0].test.contains("retained"))
        #expect(judged[1].adjustment?.rank == 4 && close(judged[1].adjustment!.adjustedPValue, 0.06, 1e-15))
        #expect(judged[3].adjustment?.note == nil && judged[3].adjustment?.rank == 1)
        // Judging again at a plain alpha drops the family decision.
        #expect(judged[1].judged(at: 0.05).rejected)
        // A blocked test is not a rejection.
        #expect(!judged[1].rejected)
    }
    @Test func holmNaNNeverRejectsNorUnblocks() {
        let (_, rejected) = Holm.adjust([.nan, 0.001, 0.002], alpha: 0.05)
        #expect(rejected == [false, true, true])
        #expect(Holm.adjustedPValues([.nan, 0.001])[0].isNaN)
    }
    @Test func benjaminiHochberg() {
        // scipy.stats.false_discovery_control([0.01, 0.04, 0.03, 0.005, 0.2, 0.5]) =
        // [0.03, 0.06, 0.06, 0.03, 0.24, 0.5]
        let q = [0.01, 0.04, 0.03, 0.005, 0.2, 0.5]
        let adjusted = BenjaminiHochberg.adjustedPValues(q)
        #expect(zip(adjusted, [0.03, 0.06, 0.06, 0.03, 0.24, 0.5]).allSatisfy { close($0, $1, 1e-12) })
        // At FDR 0.05: thresholds k * 0.05 / 6; 0.005 < 0.0083, 0.01 < 0.0167, 0.03 >= 0.025, 0.04 >= 0.0333.
        let (_, rejected) = BenjaminiHochberg.adjust(q, fdr: 0.05)
        #expect(rejected == [true, false, false, true, false, false])
        // Step-up: 0.031 misses its own threshold 0.025 but 0.032 < 4 * 0.05 / 5 = 0.04 lifts it.
        let (_, up) = BenjaminiHochberg.adjust([0.001, 0.02, 0.031, 0.032, 0.9], fdr: 0.05)
        #expect(up == [true, true, true, true, false])
    }
}

@Suite("power and sample size")
struct PowerReferenceTests {
    @Test func tTestPowerIsExact() {
        // Noncentral t (scipy.stats.nct): n = 20, d = 0.5, one-sided alpha 0.05:
        // nct.sf(t.isf(0.05, 19), 19, 0.5 sqrt(20)) = 0.6951493382443412
        #expect(close(Power.tTest(n: 20, effect: 0.5, alpha: 0.05), 0.6951493382443412, 1e-4))
        // two-sided alpha 0.01, n = 10, d = 1: nct.sf(q) + nct.cdf(-q) = 0.5041067307017365
        #expect(close(Power.tTest(n: 10, effect: 1, alpha: 0.01, twoSided: true), 0.5041067307017365, 1e-4))
        // n = 8, d = 2, alpha 5e-5 (the per-claim alpha): 0.20146319964308598
        #expect(close(Power.tTest(n: 8, effect: 2, alpha: 5e-5), 0.20146319964308598, 1e-4))
        // Two-sample, n = 15 per group, d = 0.8, one-sided 0.05: nct.sf(t.isf(0.05, 28), 28, 0.8 sqrt(7.5)) = 0.6888567194839921
        #expect(close(Power.welch(nPerGroup: 15, effect: 0.8, alpha: 0.05), 0.6888567194839921, 1e-4))
        // n = 10 per group, d = 1.5, alpha 1e-4: 0.16492076523480872
        #expect(close(Power.welch(nPerGroup: 10, effect: 1.5, alpha: 1e-4), 0.16492076523480872, 1e-4))
    }
    @Test func sampleSizeAndDetectableEffectInvertPower() {
        for (d, alpha) in [(0.5, 0.05), (1.0, 5e-5), (0.2, 1e-3)] {
            let n = Power.sampleSize(effect: d, alpha: alpha, power: 0.8)
            #expect(Power.tTest(n: n, effect: d, alpha: alpha) >= 0.8)
            #expect(Power.tTest(n: n - 1, effect: d, alpha: alpha) < 0.8)
            let m = Power.welchSampleSize(effect: d, alpha: alpha, power: 0.95)
            #expect(Power.welch(nPerGroup: m, effect: d, alpha: alpha) >= 0.95)
            #expect(Power.welch(nPerGroup: m - 1, effect: d, alpha: alpha) < 0.95)
        }
        // Textbook: a one-sided paired t-test at alpha 0.05 needs 27 pairs for 80% power at d = 0.5
        // (pwr.t.test(d = 0.5, power = 0.8, type = "paired", alternative = "greater") gives n = 26.14).
        #expect(Power.sampleSize(effect: 0.5, alpha: 0.05, power: 0.8) == 27)
        let d = Power.detectableEffect(n: 27, alpha: 0.05, power: 0.8)
        #expect(d < 0.5 && d > 0.45 && close(Power.tTest(n: 27, effect: d, alpha: 0.05), 0.8, 1e-5))
        let dw = Power.welchDetectableEffect(nPerGroup: 10, alpha: 0.05, power: 0.9)
        #expect(close(Power.welch(nPerGroup: 10, effect: dw, alpha: 0.05), 0.9, 1e-5))
    }
    @Test func tostPower() {
        // At true difference 0 with a margin of 3 standard errors the two one-sided tests at 5%
        // reject together with probability about 1 - 2 Q(3 - 1.7) (normal approximation, large n).
        let n = 400, sd = 1.0, margin = 3 * sd / 20
        let exact = Power.tost(n: n, margin: margin, sd: sd, alpha: 0.05)
        #expect(abs(exact - Equivalence.tostPower(se: sd / 20, df: 399, margin: margin, alpha: 0.05)) < 2e-3)
        // At the margin itself TOST rejects with probability at most alpha.
        #expect(Power.tost(n: 30, margin: 0.5, sd: 1, trueDifference: 0.5, alpha: 0.05) <= 0.05)
        let m = Power.tostSampleSize(margin: 0.3, sd: 1, alpha: 0.05, power: 0.8)
        #expect(Power.tost(n: m, margin: 0.3, sd: 1, alpha: 0.05) >= 0.8)
        #expect(Power.tost(n: m - 1, margin: 0.3, sd: 1, alpha: 0.05) < 0.8)
        let margin2 = Power.tostDetectableMargin(n: 50, sd: 1, alpha: 0.05, power: 0.8)
        #expect(close(Power.tost(n: 50, margin: margin2, sd: 1, alpha: 0.05), 0.8, 1e-5))
    }
    @Test func binomialPower() {
        // One-sided test of p0 = 0.5 with 20 trials at alpha 0.05 rejects for k >= 15
        // (scipy.stats.binom.sf(14, 20, 0.5) = 0.020694732666015625 < 0.05 <= binom.sf(13, 20, 0.5) = 0.057659149169921875),
        // so its power at p1 = 0.8 is binom.sf(14, 20, 0.8) = 0.8042077854595495.
        #expect(BinomialTest.rejectionRegion(trials: 20, p0: 0.5, alternative: .greater, alpha: 0.05) == Array(15...20))
        #expect(close(Power.binomial(trials: 20, p0: 0.5, p1: 0.8, alpha: 0.05, alternative: .greater), 0.8042077854595495, 1e-12))
        let n = Power.binomialSampleSize(p0: 0.5, p1: 0.8, alpha: 0.05, power: 0.8, alternative: .greater)
        // Scanning n with scipy: the first n with power >= 0.8 is 18 (binom.sf(12, 18, 0.8) = 0.8670836657571759;
        // n = 16 gives 0.7982454417653762; power is saw-toothed: n = 19 gives 0.8369, n = 17 gives 0.7582).
        #expect(n == 18)
        #expect((1..<n).allSatisfy { Power.binomial(trials: $0, p0: 0.5, p1: 0.8, alpha: 0.05, alternative: .greater) < 0.8 })
        // Detectable rate with 20 trials (reject for k >= 15): scipy.optimize.brentq(lambda p:
        // binom.sf(14, 20, p) - 0.8, 0.5, 0.99) = 0.7987204987728969; the lower side by symmetry.
        let p1 = Power.binomialDetectableRate(trials: 20, p0: 0.5, alpha: 0.05, power: 0.8, alternative: .greater)
        #expect(close(p1, 0.7987204987728969, 1e-9) && close(Power.binomial(trials: 20, p0: 0.5, p1: p1, alpha: 0.05, alternative: .greater), 0.8, 1e-9))
        let p2 = Power.binomialDetectableRate(trials: 20, p0: 0.5, alpha: 0.05, power: 0.8, alternative: .less)
        #expect(close(p2, 1 - p1, 1e-9))
    }
    @Test func cohensD() {
        // numpy: (mean(x) - mean(z)) / pooled sd (ddof 1) = -2.2989374534611358
        #expect(close(CohensD.twoSample(x, z), -2.2989374534611358))
        #expect(close(CohensD.oneSample(x, mu0: 0.5), 0.2038190289496324))
        #expect(close(CohensD.hedgesG(x, z), -2.2989374534611358 * (1 - 3.0 / 63)))
        #expect(close(CohensD.averageVariance(x, z), TTest.welch(x, z, alpha: 0.05).effectSize!))
    }
}
