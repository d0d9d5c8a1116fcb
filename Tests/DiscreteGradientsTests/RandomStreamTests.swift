import Foundation
import Testing
import DiscreteGradients
import Verification

/// The next `count` draws of every kind, as bit patterns (equality here is bit-for-bit).
private func fingerprint(_ stream: inout RandomStream, count: Int = 50) -> [UInt64] {
    var bits = [UInt64]()
    for _ in 0..<count {
        bits.append(stream.uniform().bitPattern)
        bits.append(stream.normal(mean: 1, sd: 2).bitPattern)
        bits.append(stream.gumbel().bitPattern)
        bits.append(stream.logistic().bitPattern)
        bits.append(UInt64(stream.integer(below: 1000)))
        bits.append(stream.bernoulli(0.3) ? 1 : 0)
        bits.append(UInt64(stream.categorical([0.2, 0.5, 0.3])))
    }
    return bits
}

@Suite("random streams: reproducibility")
struct RandomStreamReproducibilityTests {
    @Test func sameSeedSameNumbersBitForBit() {
        var a = RandomStream(seed: 42), b = RandomStream(seed: 42)
        #expect(fingerprint(&a) == fingerprint(&b))
        var c = RandomStream(seed: 42, generator: .ranlxd2), d = RandomStream(seed: 42, generator: .ranlxd2)
        #expect(fingerprint(&c) == fingerprint(&d))
    }

    @Test func mt19937MatchesTheReferenceGenerator() {
        // The reference MT19937 (Matsumoto-Nishimura init_genrand, as C++ std::mt19937) seeded
        // with 5489 outputs 3499211612 first; uniform() is that word / 2^32.
        var s = RandomStream(seed: 5489)
        #expect(s.uniform() == 3_499_211_612.0 / 4_294_967_296.0)
    }

    @Test func differentSeedsDiffer() {
        var a = RandomStream(seed: 42), b = RandomStream(seed: 43)
        #expect(fingerprint(&a) != fingerprint(&b))
        var c = RandomStream(seed: 42), d = RandomStream(seed: 42, generator: .ranlxd2)
        #expect(fingerprint(&c) != fingerprint(&d))
    }

    @Test func aCopyReplaysTheSameNumbers() {
        var original = RandomStream(seed: 9)
        _ = fingerprint(&original, count: 3)        // advance first: the copy takes the current state
        var copy = original
        let fromCopy = fingerprint(&copy)
        let fromOriginal = fingerprint(&original)
        #expect(fromCopy == fromOriginal)
        // Drawing from the copy did not advance the original (value semantics), and vice versa.
        var fresh = RandomStream(seed: 9)
        _ = fingerprint(&fresh, count: 3)
        #expect(fingerprint(&fresh) == fromOriginal)
    }

    @Test func seedIsNeverZero() {
        #expect(RandomStream(seed: 0).seed != 0)
        // A 64-bit seed whose 32-bit fold is 0.
        #expect(RandomStream(seed: 0x1_0000_0001).seed != 0)
        var zero = RandomStream(seed: 0), other = RandomStream(seed: 0x1_0000_0001)
        #expect(fingerprint(&zero) == fingerprint(&other))  // both take the same fixed non-zero seed
        for i in 0..<1000 {
            #expect(SeedHash.derive(master: UInt64(i), claim: "", label: "", index: 0) != 0)
        }
    }

    @Test func derivedSeedsDifferAcrossClaimLabelAndIndex() {
        let base = SeedHash.derive(master: 7, claim: "lecture.reinforce", label: "draws", index: 0)
        let variants = [
            SeedHash.derive(master: 8, claim: "lecture.reinforce", label: "draws", index: 0),
            SeedHash.derive(master: 7, claim: "lecture.reparam", label: "draws", index: 0),
            SeedHash.derive(master: 7, claim: "lecture.reinforce", label: "mutant", index: 0),
            SeedHash.derive(master: 7, claim: "lecture.reinforce", label: "draws", index: 1),
            // Moving characters between claim and label must not collide.
            SeedHash.derive(master: 7, claim: "lecture.reinforc", label: "edraws", index: 0),
        ]
        #expect(!variants.contains(base))
        #expect(Set(variants).count == variants.count)
        #expect(SeedHash.derive(master: 7, claim: "lecture.reinforce", label: "draws", index: 0) == base)
        // Many indices: no collisions among the 32-bit seeds actually used.
        let seeds = (0..<2000).map { RandomStream(master: 7, claim: "c", label: "l", index: $0).seed }
        #expect(Set(seeds).count == seeds.count)
        var a = RandomStream(master: 7, claim: "c", label: "l", index: 0)
        var b = RandomStream(master: 7, claim: "c", label: "l", index: 1)
        var c = RandomStream(master: 7, claim: "c", label: "l", index: 0)
        let fa = fingerprint(&a)
        #expect(fa != fingerprint(&b))
        #expect(fa == fingerprint(&c))
    }

    @Test func splitIsDeterministicAndIndependentOfTheParent() {
        var p1 = RandomStream(seed: 3), p2 = RandomStream(seed: 3)
        var c1 = p1.split(1), c2 = p2.split(1)
        #expect(fingerprint(&c1) == fingerprint(&c2))
        var p3 = RandomStream(seed: 3)
        var other = p3.split(2)
        var p4 = RandomStream(seed: 3)
        var c3 = p4.split(1)
        #expect(fingerprint(&other) != fingerprint(&c3))
    }

    @Test func batchedFillsMatchSingleDraws() {
        var a = RandomStream(seed: 21), b = RandomStream(seed: 21)
        var buffer = [Double](repeating: 0, count: 100)
        a.fillUniform(&buffer)
        #expect(buffer.map(\.bitPattern) == (0..<100).map { _ in b.uniform().bitPattern })
        a.fillNormal(&buffer)
        #expect(buffer.map(\.bitPattern) == (0..<100).map { _ in b.normal().bitPattern })
    }

    @Test func permutationIsAPermutation() {
        var s = RandomStream(seed: 5)
        for n in [0, 1, 2, 17] { #expect(s.permutation(n).sorted() == Array(0..<n)) }
    }
}

/// Checks a sample's mean and variance against the law's, each by a z-test at two-sided level
/// 1e-4 (|z| < 3.89): var(mean) = sigma^2 / n, var(s^2) ~ sigma^4 (2 / (n - 1) + kurtosis_excess / n).
/// 18 such checks below: a false failure of this suite at a fixed seed has probability ~2e-3.
private func expectMoments(_ xs: [Double], mean: Double, variance: Double, excessKurtosis: Double,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    let n = Double(xs.count)
    let m = xs.mean, v = xs.sampleVariance
    let zMean = (m - mean) / (variance / n).squareRoot()
    let zVar = (v - variance) / (variance * variance * (2 / (n - 1) + excessKurtosis / n)).squareRoot()
    #expect(abs(zMean) < 3.89, "mean \(m) vs \(mean): z = \(zMean)", sourceLocation: sourceLocation)
    #expect(abs(zVar) < 3.89, "variance \(v) vs \(variance): z = \(zVar)", sourceLocation: sourceLocation)
}

@Suite("random streams: distributions")
struct RandomStreamDistributionTests {
    let n = 100_000

    @Test func uniform() {
        var s = RandomStream(seed: 31)
        let xs = (0..<n).map { _ in s.uniform() }
        #expect(xs.allSatisfy { $0 > 0 && $0 < 1 })
        expectMoments(xs, mean: 0.5, variance: 1.0 / 12, excessKurtosis: -1.2)
        let ys = (0..<n).map { _ in s.uniform(-2, 6) }
        expectMoments(ys, mean: 2, variance: 64.0 / 12, excessKurtosis: -1.2)
    }

    @Test func normal() {
        var s = RandomStream(seed: 32)
        expectMoments((0..<n).map { _ in s.normal(mean: 2, sd: 3) }, mean: 2, variance: 9, excessKurtosis: 0)
    }

    @Test func logisticAndGumbel() {
        var s = RandomStream(seed: 33)
        // Standard logistic: mean 0, variance pi^2 / 3, excess kurtosis 6/5.
        expectMoments((0..<n).map { _ in s.logistic() }, mean: 0, variance: .pi * .pi / 3, excessKurtosis: 1.2)
        // Standard Gumbel: mean = Euler-Mascheroni gamma, variance pi^2 / 6, excess kurtosis 12/5.
        expectMoments((0..<n).map { _ in s.gumbel() }, mean: 0.5772156649015329, variance: .pi * .pi / 6,
                      excessKurtosis: 2.4)
    }

    @Test func exponentialAndBinomial() {
        var s = RandomStream(seed: 34)
        expectMoments((0..<n).map { _ in s.exponential(mean: 2) }, mean: 2, variance: 4, excessKurtosis: 6)
        // Binomial(10, 0.3): mean 3, variance 2.1, excess kurtosis (1 - 6 p q) / (n p q) = -0.0238...
        expectMoments((0..<n).map { _ in Double(s.binomial(0.3, trials: 10)) }, mean: 3, variance: 2.1,
                      excessKurtosis: (1 - 6 * 0.21) / 2.1)
    }

    @Test func bernoulli() {
        var s = RandomStream(seed: 35)
        let xs = (0..<n).map { _ in s.bernoulli(0.3) ? 1.0 : 0.0 }
        // Bernoulli(p): variance p q, excess kurtosis (1 - 6 p q) / (p q).
        expectMoments(xs, mean: 0.3, variance: 0.21, excessKurtosis: (1 - 6 * 0.21) / 0.21)
        #expect((0..<100).allSatisfy { _ in !s.bernoulli(0) && s.bernoulli(1) })
    }

    @Test func integerAndCategoricalFrequencies() {
        // Pearson chi-square goodness of fit, each judged at p > 1e-4.
        var s = RandomStream(seed: 36)
        let weights = [1.0, 0, 2, 3, 4]
        var counts = [Double](repeating: 0, count: weights.count)
        for _ in 0..<n { counts[s.categorical(weights)] += 1 }
        #expect(counts[1] == 0)  // a zero weight is never drawn
        let expected = weights.map { Double(n) * $0 / 10 }
        let chi2 = zip(counts, expected).filter { $1 > 0 }.reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) / $1.1 }
        #expect(Dist.chiSquaredUpper(chi2, df: 3) > 1e-4, "chi2 = \(chi2)")

        var ints = [Double](repeating: 0, count: 7)
        for _ in 0..<n { ints[s.integer(below: 7)] += 1 }
        let e = Double(n) / 7
        let chi2Int = ints.reduce(0) { $0 + ($1 - e) * ($1 - e) / e }
        #expect(Dist.chiSquaredUpper(chi2Int, df: 6) > 1e-4, "chi2 = \(chi2Int)")
    }
}
