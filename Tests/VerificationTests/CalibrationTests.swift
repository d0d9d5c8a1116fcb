import Testing
import DiscreteGradients
import Verification

// Calibration: under a true null, over many data sets simulated with a fixed-seed RandomStream,
// the rejection rate at alpha = 0.05 must be consistent with alpha (or with the exact size of a
// discrete test, which is <= alpha); under a stated alternative it must be consistent with the
// power `Power` predicts. Each check uses a 99.9% Clopper-Pearson band (`consistentRate`), so
// each fails by chance with probability <= 1e-3 over the choice of seed; with 4000 data sets the
// band is about +-0.011 around 0.05, which catches a wrong df, a one-/two-sided mix-up, a
// missing tie correction or a pooled-variance test on unequal variances.

let simulations = 4000
let level = 0.05

/// Rejections at `level` over `simulations` data sets made by `makeTest` from its own stream.
func rejections(seed: UInt64, count: Int = simulations,
                _ makeTest: (inout RandomStream) -> TestResult) -> Int {
    var stream = RandomStream(seed: seed)
    var rejected = 0
    for _ in 0..<count where makeTest(&stream).rejected { rejected += 1 }
    return rejected
}

func normals(_ n: Int, mean: Double = 0, sd: Double = 1, _ s: inout RandomStream) -> [Double] {
    (0..<n).map { _ in s.normal(mean: mean, sd: sd) }
}

@Suite("calibration under the null")
struct NullCalibrationTests {
    @Test func oneSampleT() {
        let twoSided = rejections(seed: 101) { s in TTest.oneSample(normals(12, mean: 3, &s), mu0: 3, alpha: level) }
        #expect(consistentRate(twoSided, of: simulations, with: level))
        let greater = rejections(seed: 102) { s in
            TTest.oneSample(normals(12, mean: 3, &s), mu0: 3, alternative: .greater, alpha: level)
        }
        #expect(consistentRate(greater, of: simulations, with: level))
    }

    @Test func pairedT() {
        // Correlated pairs (common random numbers) with equal means.
        let count = rejections(seed: 103) { s in
            var a = [Double](), b = [Double]()
            for _ in 0..<15 { let c = s.normal(sd: 3); a.append(c + s.normal()); b.append(c + s.normal()) }
            return TTest.paired(a, b, alternative: .less, alpha: level)
        }
        #expect(consistentRate(count, of: simulations, with: level))
    }

    @Test func welchWithUnequalVariancesAndSizes() {
        // 8 draws with sd 1 against 20 with sd 3: a pooled-variance test would reject ~0.005 here.
        let count = rejections(seed: 104) { s in
            TTest.welch(normals(8, mean: 1, sd: 1, &s), normals(20, mean: 1, sd: 3, &s), alpha: level)
        }
        #expect(consistentRate(count, of: simulations, with: level))
    }

    @Test func tostAtTheMarginBoundary() {
        // True mean exactly at target + margin (and target - margin): H0 holds at its boundary,
        // where TOST's size is alpha (the other one-sided test almost surely rejects with a
        // margin of 6 standard errors). A TOST at 2 alpha or alpha / 2 fails this.
        for (seed, sign) in [(UInt64(105), 1.0), (106, -1.0)] {
            let count = rejections(seed: seed) { s in
                Equivalence.tost(normals(36, mean: 10 + sign * 0.5, &s), target: 10, margin: 0.5, alpha: level)
            }
            #expect(consistentRate(count, of: simulations, with: level))
            #expect(notAbove(count, of: simulations, level))
        }
    }

    @Test func mannWhitneyNormalApproximation() {
        let count = rejections(seed: 107) { s in
            MannWhitney.test(normals(20, &s), normals(25, &s), alpha: level, method: .normal)
        }
        #expect(consistentRate(count, of: simulations, with: level))
    }

    @Test func mannWhitneyWithHeavyTies() {
        // 0/1 data, 20 per group, rate 1/2 in both. The exact size of the tie-corrected normal test,
        // enumerated over all 21 x 21 count pairs with scipy.stats.mannwhitneyu(method='asymptotic'),
        // is 0.039269636090466534; without the tie correction it would be far smaller.
        let count = rejections(seed: 108) { s in
            MannWhitney.test((0..<20).map { _ in s.bernoulli(0.5) ? 1.0 : 0.0 },
                             (0..<20).map { _ in s.bernoulli(0.5) ? 1.0 : 0.0 }, alpha: level)
        }
        #expect(consistentRate(count, of: simulations, with: 0.039269636090466534))
    }

    @Test func mannWhitneyExact() {
        // Exact test, 7 vs 9: its size is the null mass of the U values it rejects (<= alpha).
        let pmf = MannWhitney.exactDistribution(m: 7, n: 9)
        let size = pmf.indices.filter {
            MannWhitney.exactPValue(u: Double($0), m: 7, n: 9, alternative: .twoSided) < level
        }.reduce(0.0) { $0 + pmf[$1] }
        #expect(size <= level && size > 0.03)
        let count = rejections(seed: 109) { s in
            MannWhitney.test(normals(7, &s), normals(9, &s), alpha: level, method: .exact)
        }
        #expect(consistentRate(count, of: simulations, with: size))
    }

    @Test func signTest() {
        // Symmetric (logistic) data about 0, n = 25; exact size from the binomial rejection region.
        let region = BinomialTest.rejectionRegion(trials: 25, p0: 0.5, alternative: .twoSided, alpha: level)
        let size = region.reduce(0.0) { $0 + Dist.binomialPMF($1, n: 25, p: 0.5) }
        // scipy: binomtest rejects k <= 7 or k >= 18 at 0.05 for n = 25; 2 * binom.cdf(7, 25, 0.5) = 0.043285250663757324
        #expect(close(size, 0.043285250663757324, 1e-12))
        let count = rejections(seed: 110) { s in SignTest.test((0..<25).map { _ in s.logistic() }, alpha: level) }
        #expect(consistentRate(count, of: simulations, with: size))
    }

    @Test func binomialTest() {
        for alternative in [Alternative.twoSided, .greater, .less] {
            let region = BinomialTest.rejectionRegion(trials: 40, p0: 0.3, alternative: alternative, alpha: level)
            let size = region.reduce(0.0) { $0 + Dist.binomialPMF($1, n: 40, p: 0.3) }
            #expect(size <= level && size > 0.02)
            let count = rejections(seed: 111) { s in
                BinomialTest.test(successes: s.binomial(0.3, trials: 40), trials: 40, p0: 0.3,
                                  alternative: alternative, alpha: level)
            }
            #expect(consistentRate(count, of: simulations, with: size))
        }
    }

    @Test func fisherExact() {
        // Both groups succeed at 0.4, 25 trials each. The exact size, enumerated over all 26 x 26
        // tables with scipy.stats.fisher_exact and binom.pmf weights, is 0.02950173404329139
        // (conservative, as Fisher's test is).
        let count = rejections(seed: 112) { s in
            FisherExact.test(successesA: s.binomial(0.4, trials: 25), trialsA: 25,
                             successesB: s.binomial(0.4, trials: 25), trialsB: 25, alpha: level)
        }
        #expect(consistentRate(count, of: simulations, with: 0.02950173404329139))
        #expect(notAbove(count, of: simulations, level))
    }
}

@Suite("power under stated alternatives")
struct PowerCalibrationTests {
    @Test func oneSampleT() {
        // n = 20, d = 0.5, one-sided: Power predicts ~0.695.
        let count = rejections(seed: 201) { s in
            TTest.oneSample(normals(20, mean: 0.5, &s), alternative: .greater, alpha: level)
        }
        #expect(consistentRate(count, of: simulations, with: Power.tTest(n: 20, effect: 0.5, alpha: level)))
    }

    @Test func welch() {
        // 15 per group, d = 0.8, one-sided: Power predicts ~0.689.
        let count = rejections(seed: 202) { s in
            TTest.welch(normals(15, mean: 0.8, &s), normals(15, &s), alternative: .greater, alpha: level)
        }
        #expect(consistentRate(count, of: simulations, with: Power.welch(nPerGroup: 15, effect: 0.8, alpha: level)))
    }

    @Test func welchWithUnequalVariances() {
        // 8 draws with sd 1 against 20 with sd 3, true difference 2, two-sided.
        let count = rejections(seed: 206) { s in
            TTest.welch(normals(8, mean: 2, sd: 1, &s), normals(20, mean: 0, sd: 3, &s), alpha: level)
        }
        let predicted = Power.welch(nA: 8, nB: 20, sdA: 1, sdB: 3, difference: 2, alpha: level, twoSided: true)
        #expect(predicted > 0.5 && predicted < 0.95)
        #expect(consistentRate(count, of: simulations, with: predicted))
    }

    @Test func tost() {
        // n = 30, sd 1, margin 0.5, true difference 0.1.
        let count = rejections(seed: 203) { s in
            Equivalence.tost(normals(30, mean: 0.1, &s), target: 0, margin: 0.5, alpha: level)
        }
        let predicted = Power.tost(n: 30, margin: 0.5, sd: 1, trueDifference: 0.1, alpha: level)
        #expect(predicted > 0.5 && predicted < 0.95)
        #expect(consistentRate(count, of: simulations, with: predicted))
    }

    @Test func binomial() {
        let count = rejections(seed: 204) { s in
            BinomialTest.test(successes: s.binomial(0.75, trials: 20), trials: 20, p0: 0.5,
                              alternative: .greater, alpha: level)
        }
        let predicted = Power.binomial(trials: 20, p0: 0.5, p1: 0.75, alpha: level, alternative: .greater)
        #expect(consistentRate(count, of: simulations, with: predicted))
    }

    @Test func mannWhitneyApproximatePower() {
        // Power.mannWhitney is an asymptotic (ARE 3/pi) design figure: within 0.05 of the simulated rate.
        let count = rejections(seed: 205, count: 2000) { s in
            MannWhitney.test(normals(30, mean: 0.6, &s), normals(30, &s), alternative: .greater, alpha: level)
        }
        let predicted = Power.mannWhitney(nPerGroup: 30, effect: 0.6, alpha: level)
        #expect(abs(Double(count) / 2000 - predicted) < 0.05)
    }
}
