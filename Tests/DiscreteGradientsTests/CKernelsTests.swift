import DiscreteGradients
import Foundation
import Testing

/// The loops moved to C (CKernels, issue 21) give bit-for-bit the results of the scalar Swift
/// loops they replaced, written out here as references (same operations, same order).
@Suite struct CKernelsTests {
    /// Adam.update against the scalar loop, over steps with gradients of very different sizes, both
    /// directions and a block length that is not a multiple of the vector width.
    @Test(arguments: [Adam.Direction.descend, .ascend]) func adamIsBitForBitTheScalarLoop(direction: Adam.Direction) {
        var stream = RandomStream(seed: 21)
        let n = 1037
        var adam = Adam(parameterCount: n, learningRate: 3e-3)
        var theta = (0..<n).map { _ in stream.normal() }, reference = theta
        var m = [Double](repeating: 0, count: n), v = m
        let (b1, b2, eps) = (adam.beta1, adam.beta2, adam.epsilon)
        for step in 1...40 {
            let scale = [1e-9, 1e-3, 1, 1e3][step % 4]
            let g = (0..<n).map { k in k % 97 == 0 ? 0 : stream.normal(sd: scale) }
            adam.update(&theta, gradient: g, direction)
            let c1 = 1 / (1 - pow(b1, Double(step))), c2 = 1 / (1 - pow(b2, Double(step)))
            let rate = direction == .descend ? -adam.learningRate : adam.learningRate
            for i in 0..<n {
                let mi = b1 * m[i] + (1 - b1) * g[i]
                let vi = b2 * v[i] + (1 - b2) * g[i] * g[i]
                m[i] = mi; v[i] = vi
                reference[i] += rate * (mi * c1) / ((vi * c2).squareRoot() + eps)
            }
        }
        #expect(theta.map(\.bitPattern) == reference.map(\.bitPattern))
        #expect(adam.firstMoment.map(\.bitPattern) == m.map(\.bitPattern))
        #expect(adam.secondMoment.map(\.bitPattern) == v.map(\.bitPattern))
    }

    /// The flip ratios of a layer of Bernoulli children against the scalar loop: per example and parent,
    /// the product over children in order (pairs multiplied first) of (1 / (1 + clip(a))) + clip(a e / (1 + clip(a)))
    /// with e = exp(+-gap W), then its reciprocal. Shapes with odd counts, with and without the clip,
    /// logits large enough for the clip to bind, both encodings.
    @Test(arguments: [(3, 5, 7, UnitEncoding.plusMinusOne, 1e-5 as Double?, 1.0), (4, 9, 1, .zeroOne, nil, 2.0),
                      (5, 17, 12, .plusMinusOne, nil, 0.5), (6, 33, 40, .zeroOne, 1e-5, 6.0), (2, 200, 200, .plusMinusOne, 1e-5, 0.15)])
    func bernoulliFlipRatiosAreBitForBitTheScalarLoop(_ shape: (Int, Int, Int, UnitEncoding, Double?, Double)) {
        let (B, H, C, encoding, clip, scale) = shape
        var stream = RandomStream(seed: UInt64(B * 1000 + H * 10 + C))
        let w = Matrix(rows: C, cols: H, data: (0..<(C * H)).map { _ in stream.normal(sd: scale) })
        let x = Matrix(rows: B, cols: H, data: (0..<(B * H)).map { _ in encoding.value(fired: stream.uniform() < 0.5) })
        let logits = Matrix(rows: B, cols: C, data: (0..<(B * C)).map { _ in stream.normal(sd: 4 * scale + 2) })
        let values = Matrix(rows: B, cols: C, data: (0..<(B * C)).map { _ in encoding.value(fired: stream.uniform() < 0.5) })
        var up = Matrix(rows: C, cols: H), down = up
        FlipRatios.exponentials(w, gap: encoding.gap, up: &up, down: &down)
        var ratio = Matrix(rows: B, cols: H)
        FlipRatios.bernoulliChild(childLogits: logits, childValues: values, childEncoding: encoding, childClip: clip,
                                  parents: x, parentEncoding: encoding, weights: w, up: up, down: down, into: &ratio)
        let (lo, hi) = FlipRatios.oddsBounds(clip: clip)
        var compared = 0
        for r in 0..<B {
            for i in 0..<H {
                var den = 1.0, pending: Double? = nil
                for j in 0..<C {
                    let fired = encoding.fired(values[r, j]), l = logits[r, j]
                    let odds = exp(min(max(fired ? -l : l, -700), 700))
                    let inverse = 1 / (1 + min(max(odds, lo), hi))
                    let same = encoding.fired(x[r, i]) == fired
                    var o = (same ? up[j, i] : down[j, i]) * (odds * inverse)
                    o = o < lo * inverse ? lo * inverse : o
                    o = o > hi * inverse ? hi * inverse : o
                    let f = inverse + o
                    if let p = pending { den *= p * f; pending = nil } else if j == C - 1 { den *= f } else { pending = f }
                }
                guard den.isNormal && den > 0 else { continue }   // recomputed in log space: not this test's subject
                #expect((1 / den).bitPattern == ratio[r, i].bitPattern, "example \(r), parent \(i)")
                compared += 1
            }
        }
        #expect(compared > 0)
    }

    /// exp(gap W) and its reciprocal, in both layouts, are glibc's exp and one IEEE division.
    @Test func exponentialsAreExpAndItsReciprocal() {
        var stream = RandomStream(seed: 5)
        let w = Matrix(rows: 7, cols: 11, data: (0..<77).map { _ in stream.normal(sd: 3) })
        var up = Matrix(rows: 7, cols: 11), down = up
        FlipRatios.exponentials(w, gap: 2, up: &up, down: &down)
        var upT = Matrix(rows: 7, cols: 11), downT = upT
        FlipRatios.exponentials(parentMajor: w.transposed, gap: 2, up: &upT, down: &downT)
        for k in 0..<77 {
            let e = exp(2 * w.data[k])
            #expect(up.data[k].bitPattern == e.bitPattern && down.data[k].bitPattern == (1 / e).bitPattern)
            #expect(upT.data[k].bitPattern == e.bitPattern && downT.data[k].bitPattern == (1 / e).bitPattern)
        }
    }

    /// The softmax output's flip ratios against the scalar loop: own / sum_a pi_a exp(-+gap W_ai), summed over a in order.
    @Test(arguments: [UnitEncoding.plusMinusOne, .zeroOne]) func softmaxFlipRatiosAreBitForBitTheScalarLoop(encoding: UnitEncoding) {
        var stream = RandomStream(seed: 77)
        let (B, H, K) = (4, 13, 10)
        let w = Matrix(rows: K, cols: H, data: (0..<(K * H)).map { _ in stream.normal(sd: 0.7) })
        let x = Matrix(rows: B, cols: H, data: (0..<(B * H)).map { _ in encoding.value(fired: stream.uniform() < 0.5) })
        let policy = SoftmaxLayer.probabilities(Matrix(rows: B, cols: K, data: (0..<(B * K)).map { _ in stream.normal(sd: 2) }))
        let actions = (0..<B).map { _ in stream.integer(below: K) }
        var up = Matrix(rows: K, cols: H), down = up
        FlipRatios.exponentials(w, gap: encoding.gap, up: &up, down: &down)
        var ratio = Matrix(rows: B, cols: H)
        FlipRatios.softmaxChild(policy: policy, actions: actions, parents: x, parentEncoding: encoding, up: up, down: down, into: &ratio)
        for r in 0..<B {
            for i in 0..<H {
                let flipDown = encoding.fired(x[r, i])
                var s = 0.0
                for a in 0..<K { s += policy[r, a] * (flipDown ? down[a, i] : up[a, i]) }
                let own = flipDown ? down[actions[r], i] : up[actions[r], i]
                #expect((own / s).bitPattern == ratio[r, i].bitPattern)
            }
        }
    }

    /// VectorExp gives exp(x) bit for bit, whether or not the four-lane loop is in use here, over the
    /// ranges the kernels use (weights times gap, logits, clamped odds) and the special values.
    @Test func vectorExpIsExp() {
        var stream = RandomStream(seed: 709)
        var x: [Double] = [0, -0.0, .leastNonzeroMagnitude, 0x1p-54, -0x1p-55, 511.99, 512, -512, 709.7, 709.8, -745, -746, 1e3, .infinity, -.infinity]
        for k in 0..<200_003 { x.append(stream.uniform(-1, 1) * [1e-9, 0.01, 0.6, 4, 45, 300, 700, 800][k % 8]) }
        var y = x
        VectorExp.inPlace(&y)
        var mismatches = 0
        for (a, b) in zip(x, y) where exp(a).bitPattern != b.bitPattern { mismatches += 1 }
        #expect(mismatches == 0, "four-lane loop in use: \(VectorExp.reproducesLibm)")
        var nan = [Double.nan, 1, 2, 3, 4]
        VectorExp.inPlace(&nan)
        #expect(nan[0].isNaN && nan[4].bitPattern == exp(4.0).bitPattern)
    }

    /// fillUniform draws the numbers uniform() draws, in order, across the generator's 624-word refills,
    /// and leaves the stream where per-draw calls would.
    @Test func fillUniformIsUniformInOrder() {
        for seed: UInt64 in [1, 2022, 0xdead_beef] {
            var bulk = RandomStream(seed: seed), single = RandomStream(seed: seed)
            for n in [0, 1, 7, 623, 624, 625, 1249, 10_000] {
                var buffer = [Double](repeating: -1, count: n)
                bulk.fillUniform(&buffer)
                let reference = (0..<n).map { _ in single.uniform() }
                #expect(buffer.map(\.bitPattern) == reference.map(\.bitPattern), "seed \(seed), n \(n)")
            }
            #expect(bulk.uniform().bitPattern == single.uniform().bitPattern)
        }
    }

    /// HNCA's hidden-unit signals (branch-free selects) against the two-branch scalar formula, clip included.
    @Test func hiddenSignalsAreBitForBitTheScalarFormula() {
        var stream = RandomStream(seed: 31)
        let (B, H) = (7, 45)
        let clip = 1e-5
        let p = Matrix(rows: B, cols: H, data: (0..<(B * H)).map { k in k % 11 == 0 ? [clip, 1 - clip, 0.3][k % 3] : Fn.sigmoid(stream.normal(sd: 5)) })
        let x = Matrix(rows: B, cols: H, data: (0..<(B * H)).map { _ in stream.uniform() < 0.5 ? 1 : -1 })
        let ratio = Matrix(rows: B, cols: H, data: (0..<(B * H)).map { _ in exp(stream.normal(sd: 2)) })
        let signal = (0..<B).map { _ in stream.normal() }
        var d = Matrix(rows: B, cols: H)
        FlipRatios.hiddenSignals(.hnca, probabilities: p, values: x, encoding: .plusMinusOne, clip: clip, ratio: ratio, signal: signal, into: &d)
        for r in 0..<B {
            for i in 0..<H {
                let pi = p[r, i], rr = ratio[r, i], s = signal[r]
                let expected = pi <= clip || pi >= 1 - clip ? 0
                    : x[r, i] > 0 ? pi * (1 - pi) * (1 - rr) / (pi + (1 - pi) * rr) * s
                                  : pi * (1 - pi) * (rr - 1) / (pi * rr + (1 - pi)) * s
                #expect(expected.bitPattern == d[r, i].bitPattern)
            }
        }
    }
}

/// Weights too large for the product form (|W| > 600; exp(|W|) overflows above 709.78): the flip
/// counterfactuals go to log space and stay finite and equal to a brute-force recomputation
/// (before issue 21 FlipExponentials gave expm1(-|W|) = -inf * 0 = NaN there).
@Suite struct FlipCounterfactualsLargeWeightsTests {
    @Test func hugeWeightsGiveTheRecomputedShifts() {
        var s = RandomStream(seed: 709)
        let B = 3, J = 4, I = 5
        let x = Matrix(rows: B, cols: J, data: (0..<(B * J)).map { _ in s.uniform() < 0.5 ? 1 : 0 })
        let w = Matrix(rows: I, cols: J, data: (0..<(I * J)).map { k in (k % 3 == 0 ? 800 : 3) * s.normal() })
        let bias = (0..<I).map { _ in s.normal() }
        let y = Matrix(rows: B, cols: I, data: (0..<(B * I)).map { _ in s.uniform() < 0.5 ? 1 : 0 })
        func logits(_ x: Matrix) -> Matrix { var l = Matrix.product(x, w, transposeB: true); l.addRowVector(bias); return l }
        func rowLogLik(_ l: Matrix, _ b: Int) -> Double { (0..<I).reduce(0) { $0 + (y[b, $1] == 1 ? Fn.logSigmoid(l[b, $1]) : Fn.logSigmoid(-l[b, $1])) } }
        func rowEntropy(_ l: Matrix, _ b: Int) -> Double { (0..<I).reduce(0) { $0 + ELBOComponents.bernoulliEntropy(logit: l[b, $1]) } }
        let l = logits(x)
        let shift = FlipCounterfactuals.logLikelihoodShift(parents: x, weights: w, childLogits: l, children: y)
        let entropy = FlipCounterfactuals.entropyShift(parents: x, weights: w, childLogits: l)
        for b in 0..<B {
            for j in 0..<J {
                var flipped = x
                flipped[b, j] = 1 - x[b, j]
                let lf = logits(flipped)
                let expectedShift = rowLogLik(lf, b) - rowLogLik(l, b), expectedEntropy = rowEntropy(lf, b) - rowEntropy(l, b)
                #expect(shift[b, j].isFinite && entropy[b, j].isFinite)
                #expect(abs(shift[b, j] - expectedShift) <= 1e-9 * max(1, abs(expectedShift)))
                #expect(abs(entropy[b, j] - expectedEntropy) <= 1e-9 * max(1, abs(expectedEntropy)))
            }
        }
    }
}
