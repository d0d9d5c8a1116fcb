import Foundation
import Testing
import Verification

// Guarded quantiles (issue 20): every GSL inversion is checked against its own CDF and repaired
// where it misses. With the error handler off, gsl_cdf_chisq_Qinv returned 371,456 at df 699,999
// and z = +3 (the true value is about 703,554), which bent the planning quadrature of every design
// with ~700,000 draws.

@Suite("guarded quantiles")
struct QuantileGuardTests {
    @Test("chi-square at df 699,999 and z = +3 is about 703,554, not GSL's 371,456")
    func chiSquareLargeDF() {
        let df = 699_999.0
        let q = Dist.normalUpper(3)
        let x = Dist.chiSquaredUpperQuantile(q, df: df)
        #expect(abs(x - 703_554) < 2, "got \(x)")
        #expect(relativelyClose(Dist.chiSquaredUpper(x, df: df), q, 1e-8))
        let lower = Dist.chiSquaredQuantile(Dist.normalLower(3), df: df)
        #expect(abs(lower - x) < 1e-6 * x, "lower-tail inversion \(lower) vs upper-tail \(x)")
    }

    @Test("chi-square upper quantiles give back their tail probability from z = 0 to +9 at df 1 to 5e6")
    func chiSquareEveryNode() {
        for df in [1.0, 4, 63, 1799, 79_999, 699_999, 4_999_999] {
            for z in stride(from: 0.0, through: 9.0, by: 0.25) {
                let up = Dist.normalUpper(z), low = Dist.normalLower(z)
                let xu = Dist.chiSquaredUpperQuantile(up, df: df)
                let xl = Dist.chiSquaredQuantile(low, df: df)
                // The smaller tail is the precise one: compare it.
                if z >= 0 {
                    #expect(relativelyClose(Dist.chiSquaredUpper(xu, df: df), up, 1e-7), "df \(df), z \(z): Q(\(xu)) vs \(up)")
                    // The lower-tail inversion at p = Phi(z) agrees while 1 - p still carries the
                    // precision (Phi(4) = 1 - 3.2e-5); beyond, p rounds towards 1 and only the
                    // upper tail (which the planning quadrature uses there) is precise.
                    if z <= 4 { #expect(relativelyClose(xl, xu, 1e-8), "df \(df), z \(z): \(xl) vs \(xu)") }
                }
            }
        }
    }

    @Test("chi-square quantiles at df 699,999 match scipy's (chi2.ppf / chi2.isf) to 1e-9 from z = -1 to +9")
    func chiSquareReference() {
        // scipy.stats.chi2.isf(norm.sf(z), 699999); the lower-tail inversion at z = -1 is chi2.ppf.
        let df = 699_999.0
        for (z, x) in [(1.0, 701_182.214548071), (3, 703_553.979229122), (6, 707_121.6403127231), (9, 710_701.3317354145)] {
            #expect(relativelyClose(Dist.chiSquaredUpperQuantile(Dist.normalUpper(z), df: df), x, 1e-9), "z \(z)")
        }
        #expect(relativelyClose(Dist.chiSquaredQuantile(Dist.normalLower(-1), df: df), 698_815.7854520136, 1e-9))
    }

    @Test("t quantiles at alpha 1e-7 to 0.05 and df 1 to 10^7 give back alpha")
    func tQuantiles() {
        for df in [1.0, 2, 4, 7, 10, 63, 319, 10_000, 10_000_000] {
            for a in [0.05, 1e-3, 4.76e-5, 9.3e-7, 2.1e-7, 1e-7, 1e-12] {
                let q = Dist.tUpperQuantile(a, df: df)
                #expect(relativelyClose(Dist.tUpper(q, df: df), a, 1e-7), "df \(df), alpha \(a): Q(\(q))")
            }
        }
    }

    @Test("normal quantiles give back their tail out to 1e-300")
    func normalQuantiles() {
        for q in [0.5, 0.05, 1e-7, 1e-20, 1e-100, 1e-300] {
            let x = Dist.normalUpperQuantile(q)
            #expect(relativelyClose(Dist.normalUpper(x), q, 1e-8), "q \(q): x \(x)")
            #expect(close(Dist.normalQuantile(q), -x, 1e-12))
        }
    }

    @Test("beta quantiles at large a, b (Clopper-Pearson at thousands of trials) give back their tail")
    func betaQuantiles() {
        for (a, b) in [(2793.0, 1208.0), (1.0, 5000.0), (64.0, 1.0), (0.5, 0.5)] {
            for p in [5e-4, 1e-7, 0.3, 0.9] {
                let x = Dist.betaQuantile(p, a: a, b: b)
                let xu = Dist.betaUpperQuantile(p, a: a, b: b)
                let backUpper = p <= 0.5 ? Dist.betaUpper(xu, a: a, b: b) : Dist.betaLower(xu, a: a, b: b)
                // Near x = 1 the doubles are too coarse for 1e-7 in the tail (Beta(0.5, 0.5) at
                // q = 1e-7 sits 2.5e-14 below 1): there the neighbouring doubles must bracket q.
                let target = p <= 0.5 ? p : 1 - p
                let bracketed = p <= 0.5 ? Dist.betaUpper(xu.nextUp, a: a, b: b) <= target && target <= Dist.betaUpper(xu.nextDown, a: a, b: b)
                                         : Dist.betaLower(xu.nextDown, a: a, b: b) <= target && target <= Dist.betaLower(xu.nextUp, a: a, b: b)
                #expect(abs(backUpper - target) <= 1e-7 * target || bracketed, "upper: a \(a), b \(b), q \(p): x \(xu)")
                let back = p <= 0.5 ? Dist.betaLower(x, a: a, b: b) : Dist.betaUpper(x, a: a, b: b)
                #expect(abs(back - target) <= 1e-7 * target, "a \(a), b \(b), p \(p): x \(x)")
            }
        }
    }

    @Test("the planning quadrature's t identity holds at 700,000 draws: P(NOT REPRODUCED | SESOI) = alpha")
    func planningAtLargeN() {
        // A one-interval t design's false NOT REPRODUCED rate at the SESOI is exactly alpha under
        // normality; with the wrong chi-square nodes it came out 7x too large (issue 20).
        let d = SubClaimDesign("lower variance", layer: .monteCarlo, estimand: "mean", claimed: .greater, sesoi: 26.6,
                               sesoiSource: "test", alphaShare: 1, method: .t, planningSD: 729.5,
                               sampleSize: PerScale(700_000), unit: "draws")
        for alpha in [4.7619e-6, 1e-7] {
            let p = d.probabilities(trueEffect: d.sesoi, n: 700_000, alpha: alpha)
            #expect(abs(p.notReproduced - alpha) < 2e-3 * alpha, "alpha \(alpha): \(p.notReproduced)")
        }
    }
}
