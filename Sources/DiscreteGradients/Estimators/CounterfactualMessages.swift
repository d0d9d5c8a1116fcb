import Foundation

/// The messages a layer of children sends to its parents in HNCA's backward pass (Algorithm 1,
/// lines 6-8 and 10-14): for every example b and parent i, the log of the product over the
/// children C of pi_C(C's sampled output | pa(C) with parent i set to `on`) and to `off`.
/// Kept in log space so that products over hundreds of children neither underflow nor overflow.
public struct CounterfactualMessages: Sendable {
    /// log prod_C pi_C(C | ..., parent i = on), [batch x parents].
    public var logOn: Matrix
    /// log prod_C pi_C(C | ..., parent i = off), [batch x parents].
    public var logOff: Matrix
    public init(logOn: Matrix, logOff: Matrix) { self.logOn = logOn; self.logOff = logOff }
}

/// How the counterfactual probabilities are computed.
public enum MessagePassing: String, Codable, Sendable, CaseIterable {
    /// Constant time per edge without a transcendental per edge: the child's counterfactual
    /// logit l + theta_i (v - x_i) (Section 1.2) enters through cached exponentials,
    /// exp(-s l) * exp(-s theta_i (v - x_i)), and each child's factor 1 + exp(-z) is multiplied
    /// into a running product that is logged in blocks. For Bernoulli children; softmax children
    /// use two gemms (Appendix D's softmax(L + W[:, i](v - x_i)) via cached exp(W)).
    case efficient
    /// Constant time per edge, written as Algorithm 1 reads: the counterfactual logit
    /// l + theta_i (v - x_i), then a log-sigmoid (log-softmax for the output) per edge.
    case direct
    /// Recomputes every counterfactual logit from scratch, theta . x' + b with x' = x except
    /// x'_i = v: O(|pa|) per edge, O(sum |pa|^2) in all (the cost Section 1.2 avoids).
    case naive
}

/// Deliberate bugs for negative controls (they must be caught by the claims' tests).
public enum HNCAVariant: String, Codable, Sendable, CaseIterable {
    /// The paper's estimator.
    case paper
    /// Counterfactual logit l + theta_i v: forgets to subtract the parent's current value x_i.
    case ignoresCurrentValue
    /// rho without its normaliser: (q1 - q0) instead of (q1 - q0) / (p q1 + (1 - p) q0).
    case missingNormaliser
    /// Algorithm 1's {0, 1} formulas (l + theta (1 - x), l - theta x) used whatever the encoding.
    case zeroOneFormula
    /// rho normalised by the children's probability under the unit's sampled output, q_Phi,
    /// instead of its expectation over outputs q_bar: (q1 - q0) / q_Phi. Still unbiased (the
    /// expectation of 1 / q_Phi given the Markov blanket is 1 / q_bar) but not a conditional
    /// expectation of REINFORCE, so Theorem 1's variance bound need not hold.
    case realisedNormaliser

    var shiftsLikePaper: Bool { self == .paper || self == .missingNormaliser || self == .realisedNormaliser }

    /// The shift of a child's logit per unit of theta_i when parent i (currently x) is set to v.
    @inlinable func shift(to v: Double, from x: Double) -> Double {
        switch self {
        case .paper, .missingNormaliser, .realisedNormaliser: v - x
        case .ignoresCurrentValue: v
        case .zeroOneFormula: v > x ? 1 - x : (v < x ? -x : 0)
        }
    }
}

enum Messages {
    // MARK: Bernoulli children

    static func bernoulli(_ child: BernoulliLayer, _ s: BernoulliLayerSample, parentEncoding enc: UnitEncoding,
                          method: MessagePassing, variant: HNCAVariant, count: inout OperationCount) -> CounterfactualMessages {
        if variant.shiftsLikePaper == false { return bernoulliDirect(child, s, enc, variant, &count) }
        switch method {
        case .efficient: return bernoulliEfficient(child, s, enc, &count)
        case .direct: return bernoulliDirect(child, s, enc, variant, &count)
        case .naive: return bernoulliNaive(child, s, enc, &count)
        }
    }

    /// log pi_C(actual outcome) summed over the children, per example.
    static func actualLogProbabilities(_ child: BernoulliLayer, _ s: BernoulliLayerSample) -> [Double] {
        (0..<s.batchSize).map { b in
            var t = 0.0
            for c in 0..<child.unitCount {
                t += child.logProbability(fired: child.encoding.fired(s.values[b, c]), logit: s.logits[b, c])
            }
            return t
        }
    }

    static func bernoulliDirect(_ child: BernoulliLayer, _ s: BernoulliLayerSample, _ enc: UnitEncoding,
                                _ variant: HNCAVariant, _ count: inout OperationCount) -> CounterfactualMessages {
        let batch = s.batchSize, n = child.unitCount, m = child.inputCount
        let w = child.weights
        var on = Matrix(rows: batch, cols: m), off = on
        let actual = actualLogProbabilities(child, s)
        for b in 0..<batch {
            for i in 0..<m {
                let x = s.input[b, i]
                for (v, isOn) in [(enc.on, true), (enc.off, false)] {
                    let d = variant.shift(to: v, from: x)
                    var t = actual[b]
                    if d != 0 {
                        t = 0
                        for c in 0..<n {
                            t += child.logProbability(fired: child.encoding.fired(s.values[b, c]), logit: s.logits[b, c] + w[c, i] * d)
                        }
                        count.multiplyAdds += n; count.transcendentals += n
                    }
                    if isOn { on[b, i] = t } else { off[b, i] = t }
                }
            }
        }
        return CounterfactualMessages(logOn: on, logOff: off)
    }

    static func bernoulliNaive(_ child: BernoulliLayer, _ s: BernoulliLayerSample, _ enc: UnitEncoding,
                               _ count: inout OperationCount) -> CounterfactualMessages {
        let batch = s.batchSize, n = child.unitCount, m = child.inputCount
        var on = Matrix(rows: batch, cols: m), off = on
        let actual = actualLogProbabilities(child, s)
        for b in 0..<batch {
            // Row i of xs is this example's input with parent i flipped; its logits from scratch.
            var xs = Matrix(rows: m, cols: m)
            for i in 0..<m { for j in 0..<m { xs[i, j] = s.input[b, j] }; xs[i, i] = enc.flipped(s.input[b, i]) }
            let l = child.logits(xs)
            count.multiplyAdds += m * m * n; count.transcendentals += m * n
            for i in 0..<m {
                var t = 0.0
                for c in 0..<n { t += child.logProbability(fired: child.encoding.fired(s.values[b, c]), logit: l[i, c]) }
                if enc.fired(s.input[b, i]) { on[b, i] = actual[b]; off[b, i] = t } else { on[b, i] = t; off[b, i] = actual[b] }
            }
        }
        return CounterfactualMessages(logOn: on, logOff: off)
    }

    /// See `MessagePassing.efficient`. With s = +1 if child C fired and -1 if not, the child's
    /// probability of its own outcome is sigma(z), z = s l, and 1 / pi = 1 + exp(-z). Flipping
    /// parent i moves l by theta_i d with d = +-gap, so exp(-z') = exp(-s l) exp(-s d theta_i):
    /// one multiply-add per edge from cached exp(+-gap theta). The clip [eps, 1 - eps] on pi
    /// becomes the clamp [1 / (1 - eps), 1 / eps] on 1 / pi. Rows whose exponents could
    /// overflow (|s l| or gap |theta| > 300) fall back to the direct computation.
    static func bernoulliEfficient(_ child: BernoulliLayer, _ s: BernoulliLayerSample, _ enc: UnitEncoding,
                                   _ count: inout OperationCount) -> CounterfactualMessages {
        let batch = s.batchSize, n = child.unitCount, m = child.inputCount
        let gap = enc.gap
        let w = child.weights
        if w.data.contains(where: { abs(gap * $0) > 300 }) { return bernoulliDirect(child, s, enc, .paper, &count) }
        // expUp[i * n + c] = exp(gap theta_ci), expDown = exp(-gap theta_ci): [parents x children].
        var expUp = [Double](repeating: 0, count: m * n), expDown = expUp
        for c in 0..<n { for i in 0..<m { let e = exp(gap * w.data[c * m + i]); expUp[i * n + c] = e; expDown[i * n + c] = 1 / e } }
        count.transcendentals += m * n
        let lo: Double = child.clip.map { 1 / (1 - $0) } ?? 1
        let hi: Double = child.clip.map { 1 / $0 } ?? .infinity
        var on = Matrix(rows: batch, cols: m), off = on
        var ePos = [Double](repeating: 0, count: n), eNeg = ePos
        for b in 0..<batch {
            var actual = 0.0
            var safe = true
            for c in 0..<n {
                let fired = child.encoding.fired(s.values.data[b * n + c])
                let a = (fired ? -1.0 : 1.0) * s.logits.data[b * n + c]
                if abs(a) > 300 { safe = false; break }
                let e = exp(a)
                ePos[c] = fired ? e : 0
                eNeg[c] = fired ? 0 : e
                actual -= log(min(max(1 + e, lo), hi))
            }
            count.transcendentals += 2 * n
            if !safe {
                var one = s
                one.input = Matrix(rows: 1, cols: m, data: Array(s.input.row(b)))
                one.logits = Matrix(rows: 1, cols: n, data: Array(s.logits.row(b)))
                one.values = Matrix(rows: 1, cols: n, data: Array(s.values.row(b)))
                one.probabilities = Matrix(rows: 1, cols: n, data: Array(s.probabilities.row(b)))
                let r = bernoulliDirect(child, one, enc, .paper, &count)
                for i in 0..<m { on[b, i] = r.logOn[0, i]; off[b, i] = r.logOff[0, i] }
                continue
            }
            ePos.withUnsafeBufferPointer { pPos in
                eNeg.withUnsafeBufferPointer { pNeg in
                    expUp.withUnsafeBufferPointer { up in
                        expDown.withUnsafeBufferPointer { down in
                            for i in 0..<m {
                                let x = s.input.data[b * m + i]
                                let xOn = enc.fired(x)
                                // Parent off -> on (d = +gap): fired children get exp(-gap theta), others exp(+gap theta).
                                let forPos = xOn ? up : down, forNeg = xOn ? down : up
                                let base = i * n
                                var logSum = 0.0, product = 1.0
                                for c in 0..<n {
                                    var f = 1 + pPos[c] * forPos[base + c] + pNeg[c] * forNeg[base + c]
                                    f = min(max(f, lo), hi)
                                    // f <= e^600 here; huge factors are logged at once, the rest
                                    // multiplied while the product stays below 1e200 (no overflow).
                                    if f > 1e100 { logSum += log(f) } else {
                                        product *= f
                                        if product > 1e200 { logSum += log(product); product = 1 }
                                    }
                                }
                                let flipped = -(logSum + log(product))
                                if xOn { on.data[b * m + i] = actual; off.data[b * m + i] = flipped }
                                else { on.data[b * m + i] = flipped; off.data[b * m + i] = actual }
                            }
                        }
                    }
                }
            }
            count.multiplyAdds += m * n
        }
        return CounterfactualMessages(logOn: on, logOff: off)
    }

    // MARK: the softmax output unit (Appendix D)

    static func softmax(_ out: SoftmaxLayer, _ s: SoftmaxLayerSample, parentEncoding enc: UnitEncoding,
                        method: MessagePassing, variant: HNCAVariant, count: inout OperationCount) -> CounterfactualMessages {
        if variant.shiftsLikePaper == false { return softmaxDirect(out, s, enc, variant, &count) }
        switch method {
        case .efficient: return softmaxEfficient(out, s, enc, &count)
        case .direct: return softmaxDirect(out, s, enc, variant, &count)
        case .naive: return softmaxNaive(out, s, enc, &count)
        }
    }

    static func logSoftmax(_ z: [Double], at a: Int) -> Double { z[a] - Fn.logSumExp(z) }

    static func softmaxDirect(_ out: SoftmaxLayer, _ s: SoftmaxLayerSample, _ enc: UnitEncoding,
                              _ variant: HNCAVariant, _ count: inout OperationCount) -> CounterfactualMessages {
        let batch = s.batchSize, n = out.actionCount, m = out.inputCount
        let w = out.weights
        var on = Matrix(rows: batch, cols: m), off = on
        for b in 0..<batch {
            let z = Array(s.logits.row(b)), a = s.actions[b]
            let actual = logSoftmax(z, at: a)
            for i in 0..<m {
                let x = s.input[b, i]
                for (v, isOn) in [(enc.on, true), (enc.off, false)] {
                    let d = variant.shift(to: v, from: x)
                    var t = actual
                    if d != 0 {
                        // softmax(Z + W[:, i] (v - x_i))[A] (Appendix D).
                        t = logSoftmax((0..<n).map { z[$0] + w[$0, i] * d }, at: a)
                        count.multiplyAdds += n; count.transcendentals += n
                    }
                    if isOn { on[b, i] = t } else { off[b, i] = t }
                }
            }
        }
        return CounterfactualMessages(logOn: on, logOff: off)
    }

    static func softmaxNaive(_ out: SoftmaxLayer, _ s: SoftmaxLayerSample, _ enc: UnitEncoding,
                             _ count: inout OperationCount) -> CounterfactualMessages {
        let batch = s.batchSize, n = out.actionCount, m = out.inputCount
        var on = Matrix(rows: batch, cols: m), off = on
        for b in 0..<batch {
            let actual = logSoftmax(Array(s.logits.row(b)), at: s.actions[b])
            var xs = Matrix(rows: m, cols: m)
            for i in 0..<m { for j in 0..<m { xs[i, j] = s.input[b, j] }; xs[i, i] = enc.flipped(s.input[b, i]) }
            let z = out.logits(xs)
            count.multiplyAdds += m * m * n; count.transcendentals += m * n
            for i in 0..<m {
                let t = logSoftmax(Array(z.row(i)), at: s.actions[b])
                if enc.fired(s.input[b, i]) { on[b, i] = actual; off[b, i] = t } else { on[b, i] = t; off[b, i] = actual }
            }
        }
        return CounterfactualMessages(logOn: on, logOff: off)
    }

    /// log sum_a exp(Z_a + d W_ai) for d = +-gap and every (b, i) by two gemms:
    /// sum_a exp(Z_a - mZ) exp(d W_ai - m_i), with the shifts added back. Entries whose sum
    /// underflows (extreme logits) are recomputed directly.
    static func softmaxEfficient(_ out: SoftmaxLayer, _ s: SoftmaxLayerSample, _ enc: UnitEncoding,
                                 _ count: inout OperationCount) -> CounterfactualMessages {
        let batch = s.batchSize, n = out.actionCount, m = out.inputCount
        let gap = enc.gap, w = out.weights
        var shiftUp = [Double](repeating: -.infinity, count: m), shiftDown = shiftUp
        for a in 0..<n { for i in 0..<m { shiftUp[i] = max(shiftUp[i], gap * w[a, i]); shiftDown[i] = max(shiftDown[i], -gap * w[a, i]) } }
        var expUp = Matrix(rows: n, cols: m), expDown = expUp
        for a in 0..<n { for i in 0..<m { expUp[a, i] = exp(gap * w[a, i] - shiftUp[i]); expDown[a, i] = exp(-gap * w[a, i] - shiftDown[i]) } }
        var shiftZ = [Double](repeating: 0, count: batch)
        var expZ = Matrix(rows: batch, cols: n)
        var actual = [Double](repeating: 0, count: batch)
        for b in 0..<batch {
            let z = s.logits.row(b)
            shiftZ[b] = z.max()!
            var total = 0.0
            for a in 0..<n { let e = exp(z[z.startIndex + a] - shiftZ[b]); expZ[b, a] = e; total += e }
            actual[b] = s.logits[b, s.actions[b]] - shiftZ[b] - log(total)
        }
        var sumUp = Matrix(rows: batch, cols: m), sumDown = sumUp
        Matrix.gemm(expZ, expUp, into: &sumUp)
        Matrix.gemm(expZ, expDown, into: &sumDown)
        count.multiplyAdds += 2 * batch * n * m; count.transcendentals += 2 * n * m + batch * n + batch * m
        var on = Matrix(rows: batch, cols: m), off = on
        for b in 0..<batch {
            let a = s.actions[b]
            for i in 0..<m {
                let x = s.input[b, i]
                let xOn = enc.fired(x)
                let d = xOn ? -gap : gap
                let sum = xOn ? sumDown[b, i] : sumUp[b, i]
                var flipped: Double
                if sum > 1e-280 && sum.isFinite {
                    flipped = s.logits[b, a] + d * w[a, i] - (log(sum) + shiftZ[b] + (xOn ? shiftDown[i] : shiftUp[i]))
                } else {
                    flipped = logSoftmax((0..<n).map { s.logits[b, $0] + w[$0, i] * d }, at: a)
                }
                if xOn { on[b, i] = actual[b]; off[b, i] = flipped } else { on[b, i] = flipped; off[b, i] = actual[b] }
            }
        }
        return CounterfactualMessages(logOn: on, logOff: off)
    }
}
