import CKernels
import Foundation

/// HNCA's backward pass as whole-layer, whole-minibatch kernels (Algorithm 1, Section 1.2,
/// Appendix D): the one implementation behind `NetworkHNCA` (messages `.efficient`) and
/// `NetworkTrainer`.
///
/// For a hidden unit i of example b, the kernels compute the flip ratio
/// r = prod_{C in ch(i)} pi_C(C | i flipped) / pi_C(C | i as sampled) = q(-phi_i) / q(phi_i),
/// the ratio of Eq. 2's numerators, and from it the unit's learning signal. Flipping parent i
/// moves a child's logit by -+ gap W_ci (gap = on - off of the parent's encoding), so the
/// child's odds change by the factor exp(+-gap W_ci): the exponentials are per step
/// (`exponentials`), and per (example, parent, child) triple only multiplications, adds and a
/// clamp remain, in a contiguous loop over parents that the compiler vectorises.
///
/// Layouts are the library's: weights [children x parents] (row c holds W_c. over parents),
/// minibatch matrices [batch x units].
public enum FlipRatios {
    /// Odds bounds (1 - pi) / pi for a firing probability clipped to [eps, 1 - eps]; (0, inf) without a clip.
    @inlinable public static func oddsBounds(clip: Double?) -> (low: Double, high: Double) {
        guard let e = clip else { return (0, .infinity) }
        return (e / (1 - e), (1 - e) / e)
    }
    /// Probability bounds [eps, 1 - eps]; [0, 1] without a clip.
    @inlinable public static func probabilityBounds(clip: Double?) -> (low: Double, high: Double) {
        guard let e = clip else { return (0, 1) }
        return (e, 1 - e)
    }

    /// exp(gap W) and exp(-gap W) elementwise for weights W [children x parents] (Algorithm 1, lines 10-11).
    public static func exponentials(_ w: Matrix, gap: Double, up: inout Matrix, down: inout Matrix) {
        precondition(up.data.count == w.data.count && down.data.count == w.data.count)
        w.data.withUnsafeBufferPointer { wd in
            up.data.withUnsafeMutableBufferPointer { e in
                down.data.withUnsafeMutableBufferPointer { einv in
                    guard let out = e.baseAddress else { return }
                    for k in 0..<wd.count { e[k] = gap * wd[k] }
                    VectorExp.fill(out, into: out, count: wd.count)
                    // The reciprocals in a separate, vectorised loop.
                    for k in 0..<wd.count { einv[k] = 1 / e[k] }
                }
            }
        }
    }

    /// The same from weights stored parent-major, W [parents x children] (`NetworkTrainer`'s X W layout),
    /// into exp(+-gap W) in the library's [children x parents] layout.
    public static func exponentials(parentMajor w: Matrix, gap: Double, up: inout Matrix, down: inout Matrix) {
        let fanIn = w.rows, fanOut = w.cols
        precondition(up.rows == fanOut && up.cols == fanIn && down.rows == fanOut && down.cols == fanIn)
        w.data.withUnsafeBufferPointer { wd in
            up.data.withUnsafeMutableBufferPointer { e in
                down.data.withUnsafeMutableBufferPointer { einv in
                    guard let out = e.baseAddress else { return }
                    for i in 0..<fanIn {
                        for j in 0..<fanOut { e[j * fanIn + i] = gap * wd[i * fanOut + j] }
                    }
                    VectorExp.fill(out, into: out, count: fanIn * fanOut)
                    for k in 0..<(fanIn * fanOut) { einv[k] = 1 / e[k] }
                }
            }
        }
    }

    /// Flip ratios of the parents of the softmax output unit (Appendix D): with A the sampled
    /// action, pi'(A) / pi(A) = exp(-+gap W_Ai) S / S'_i, S = sum_a exp(L_a),
    /// S'_i = sum_a exp(L_a) exp(-+gap W_ai): from the policy pi = softmax(L) [B x K], the parents'
    /// values x [B x H] and exp(+-gap W) [K x H], into ratio [B x H].
    public static func softmaxChild(policy: Matrix, actions: [Int], parents x: Matrix, parentEncoding: UnitEncoding,
                                    up: Matrix, down: Matrix, into ratio: inout Matrix) {
        let B = x.rows, H = x.cols, K = policy.cols
        precondition(policy.rows == B && actions.count == B && up.rows == K && up.cols == H && ratio.rows == B && ratio.cols == H)
        // Per example: all-ones where parent i fired (the flip lowers the logits by gap W: exp(-gap W) is
        // selected), and the sums S'_i / S accumulated over actions a = 0, 1, ... (that order per parent),
        // with the loop over parents innermost, contiguous and branch-free (an exact bit select).
        var mask = [UInt64](repeating: 0, count: H), sum = [Double](repeating: 0, count: H)
        policy.data.withUnsafeBufferPointer { pi in
            x.data.withUnsafeBufferPointer { x in
                ratio.data.withUnsafeMutableBufferPointer { ratio in
                    up.data.withUnsafeBufferPointer { ep in
                        down.data.withUnsafeBufferPointer { em in
                            ep.withMemoryRebound(to: UInt64.self) { ep in
                            em.withMemoryRebound(to: UInt64.self) { em in
                            mask.withUnsafeMutableBufferPointer { mask in
                            sum.withUnsafeMutableBufferPointer { s in
                                for r in 0..<B {
                                    let A = actions[r]
                                    for i in 0..<H { mask[i] = parentEncoding.fired(x[r * H + i]) ? ~0 : 0; s[i] = 0 }
                                    for a in 0..<K {
                                        let p = pi[r * K + a], upRow = ep.baseAddress! + a * H, downRow = em.baseAddress! + a * H
                                        for i in 0..<H {
                                            let m = mask[i]
                                            s[i] += p * Double(bitPattern: (downRow[i] & m) | (upRow[i] & ~m))
                                        }
                                    }
                                    let upRow = ep.baseAddress! + A * H, downRow = em.baseAddress! + A * H
                                    for i in 0..<H {
                                        let m = mask[i]
                                        let own = Double(bitPattern: (downRow[i] & m) | (upRow[i] & ~m))
                                        ratio[r * H + i] = own / s[i]   // sum_a pi_a = 1 stands for S
                                    }
                                }
                            }
                            }
                            }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Flip ratios of the parents of a layer of Bernoulli children: with a_j = (1 - pi_j) / pi_j
    /// the odds against child j's sampled output c_j, flipping parent i gives odds
    /// a_j exp(gap s_j t_i W_ji) (s_j, t_i = +1 if fired, -1 if not), so
    /// pi_j(flip) / pi_j = (1 + clip(a_j)) / (1 + clip(a_j exp(gap s_j t_i W_ji))), odds clipped like
    /// probabilities. Children's logits and values [B x C], parents' values [B x H], weights [C x H]
    /// and their exponentials exp(+-gap W) [C x H]; ratio [B x H].
    ///
    /// Cost: B x H x C (example, parent, child) triples, the step's hot spot. Per triple only
    /// multiplications, adds and a clamp remain: the exponentials exp(+-gap W) are per step, the odds
    /// a_j and 1 / (1 + clip(a_j)) per (example, child). The triples run in C
    /// (`dg_bernoulli_flip_products`, CKernels; AVX2 where the CPU has it, the same IEEE operations in
    /// the same order either way): the loop over parents is innermost and contiguous, two children
    /// share one load and store of the running products, and the child pairs are the outer loop so
    /// that their rows of exp(+-gap W) are read from memory once per call, not once per example. Each
    /// factor (1 + clip(o)) / (1 + clip(a)) lies in [eps, 1 / eps] with a clip, so a running product over
    /// hundreds of children can still over- or underflow only when most children are near the clip.
    /// A product keeps full relative precision while it stays a normal number, so instead of taking
    /// logs every few children (a log per (example, parent, chunk) would cost more than the products),
    /// a final product that is not normal (inf, NaN, zero or subnormal) marks the rare (example,
    /// parent) recomputed in log space (`logSpaceRatio`). (Not caught: a running product that dips
    /// below 1e-308 and climbs back, which needs ~60 children at the clip in one direction followed
    /// by as many in the other.)
    public static func bernoulliChild(childLogits: Matrix, childValues: Matrix, childEncoding: UnitEncoding, childClip: Double?,
                                      parents x: Matrix, parentEncoding: UnitEncoding, weights w: Matrix, parentMajorWeights: Bool = false,
                                      up: Matrix, down: Matrix, into ratio: inout Matrix) {
        let B = x.rows, H = x.cols, C = childLogits.cols
        precondition(childLogits.rows == B && childValues.rows == B && childValues.cols == C
                     && (parentMajorWeights ? w.rows == H && w.cols == C : w.rows == C && w.cols == H)
                     && up.rows == C && up.cols == H && down.rows == C && down.cols == H && ratio.rows == B && ratio.cols == H)
        let gap = parentEncoding.gap
        let (lo, hi) = oddsBounds(clip: childClip)
        // Per (example, child) k = r * C + j: v = 1 / (1 + clip(a)) with a the odds against the child's sampled
        // output, a v, the clip bounds lo v and hi v (v > 0 commutes with the clip), whether the child fired,
        // and whether no parent's counterfactual odds reach the clip (then the clamp is skipped, exactly:
        // rounding is monotone, so f >= fMin implies f * s >= fMin * s in floating point, and likewise for fMax).
        let n = B * C
        var inverse = [Double](repeating: 0, count: n), scaled = inverse, low = inverse, high = inverse
        var fired = [UInt8](repeating: 0, count: n), inRange = fired
        var mask = [UInt64](repeating: 0, count: B * H)
        var den = [Double](repeating: 0, count: B * H)
        // The odds against each child's sampled output, exp(-+l), from the unclipped logit: the clip applies
        // to the counterfactual probability clip(sigmoid(l + shift)), not before the shift.
        var odds = [Double](repeating: 0, count: n)
        for k in 0..<n {
            let l = childLogits.data[k]
            odds[k] = Swift.min(Swift.max(childEncoding.fired(childValues.data[k]) ? -l : l, -700), 700)
        }
        VectorExp.inPlace(&odds)
        up.data.withUnsafeBufferPointer { ep in
        down.data.withUnsafeBufferPointer { em in
        childValues.data.withUnsafeBufferPointer { cv in
        odds.withUnsafeBufferPointer { odds in
        inverse.withUnsafeMutableBufferPointer { inverse in
        scaled.withUnsafeMutableBufferPointer { scaled in
        low.withUnsafeMutableBufferPointer { low in
        high.withUnsafeMutableBufferPointer { high in
        fired.withUnsafeMutableBufferPointer { fired in
        inRange.withUnsafeMutableBufferPointer { inRange in
            for j in 0..<C {
                // The smallest and largest of exp(+-gap W_ji) over parents i (per step, not per example).
                var smallest = Double.infinity, largest = -Double.infinity
                for i in 0..<H {
                    let a = ep[j * H + i], b = em[j * H + i]
                    smallest = Swift.min(smallest, Swift.min(a, b))
                    largest = Swift.max(largest, Swift.max(a, b))
                }
                for r in 0..<B {
                    let k = r * C + j
                    let upChild = childEncoding.fired(cv[k]), o = odds[k]
                    let v = 1 / (1 + Swift.min(Swift.max(o, lo), hi))
                    let a = o * v, lower = lo * v, upper = hi * v
                    inverse[k] = v; scaled[k] = a; low[k] = lower; high[k] = upper
                    fired[k] = upChild ? 1 : 0
                    inRange[k] = smallest * a >= lower && largest * a <= upper ? 1 : 0
                }
            }
        }
        }
        }
        }
        }
        }
        }
        }
        }
        }
        x.data.withUnsafeBufferPointer { xb in
            mask.withUnsafeMutableBufferPointer { m in
                for k in 0..<(B * H) { m[k] = parentEncoding.fired(xb[k]) ? ~0 : 0 }
            }
        }
        up.data.withUnsafeBufferPointer { ep in
            down.data.withUnsafeBufferPointer { em in
                ep.withMemoryRebound(to: UInt64.self) { upBits in
                    em.withMemoryRebound(to: UInt64.self) { downBits in
                        dg_bernoulli_flip_products(B, H, C, upBits.baseAddress, downBits.baseAddress, inverse, scaled, low, high,
                                                   fired, inRange, mask, &den)
                    }
                }
            }
        }
        ratio.data.withUnsafeMutableBufferPointer { ratio in
            for k in 0..<(B * H) {
                let d = den[k]
                ratio[k] = d.isNormal && d > 0 ? 1 / d
                    : logSpaceRatio(row: k / H, parent: k % H, childLogits: childLogits, childValues: childValues,
                                    childEncoding: childEncoding, childClip: childClip,
                                    parents: x, parentEncoding: parentEncoding, weights: w,
                                    parentMajorWeights: parentMajorWeights, gap: gap)
            }
        }
    }

    /// The same ratio in log space, for the rare (example, parent) whose product over- or underflows.
    static func logSpaceRatio(row r: Int, parent i: Int, childLogits: Matrix, childValues: Matrix, childEncoding: UnitEncoding,
                              childClip: Double?, parents x: Matrix, parentEncoding: UnitEncoding, weights w: Matrix,
                              parentMajorWeights: Bool, gap: Double) -> Double {
        let C = childLogits.cols
        let (lo, hi) = oddsBounds(clip: childClip)
        let t: Double = parentEncoding.fired(x[r, i]) ? 1 : -1
        var logRatio = 0.0
        for j in 0..<C {
            let l = childLogits[r, j], up = childEncoding.fired(childValues[r, j])
            // The child's flipped logit is l - gap W_ji t_i; its odds against its own output are exp(-s_j l').
            let c: Double = up ? 1 : -1
            let shifted = l - gap * (parentMajorWeights ? w[i, j] : w[j, i]) * t
            let actual = min(max(exp(min(max(-c * l, -700), 700)), lo), hi)
            let flipped = min(max(exp(min(max(-c * shifted, -700), 700)), lo), hi)
            logRatio += log1p(actual) - log1p(flipped)
        }
        return exp(min(max(logRatio, -700), 700))
    }

    /// The hidden units' learning signals d(estimate)/d(l) [B x H] for a layer with clipped firing
    /// probabilities p and values x [B x H], its flip ratios (HNCA only) and the per-example signal
    /// R - baseline. Where the clip holds p constant its derivative is 0, and so is the unit's signal.
    public static func hiddenSignals(_ credit: HiddenCredit, probabilities: Matrix, values: Matrix, encoding: UnitEncoding,
                                     clip: Double?, ratio: Matrix?, signal: [Double], into deltas: inout Matrix) {
        let B = probabilities.rows, H = probabilities.cols
        precondition(values.rows == B && values.cols == H && signal.count == B && deltas.rows == B && deltas.cols == H)
        precondition(credit == .reinforce || ratio.map { $0.rows == B && $0.cols == H } == true, "HNCA needs the flip ratios")
        let (pLow, pHigh) = probabilityBounds(clip: clip)
        let ratioData = ratio?.data ?? []
        probabilities.data.withUnsafeBufferPointer { pp in
            values.data.withUnsafeBufferPointer { x in
                ratioData.withUnsafeBufferPointer { ratio in
                    deltas.data.withUnsafeMutableBufferPointer { d in
                        for r in 0..<B {
                            let s = signal[r]
                            switch credit {
                            case .hnca:
                                // Eq. 3: sum_phi rho(phi) dpi(phi)/dl = p(1 - p)(q_on - q_off) / (p q_on + (1 - p) q_off),
                                // with q(-phi) = r q(phi) (Algorithm 1, lines 7-9 and 15):
                                // p (1 - p) (1 - r) / (p + (1 - p) r) if the unit fired, p (1 - p) (r - 1) / (p r + (1 - p)) if not.
                                // Both cases' operands are selected without a branch (the unit's output is a coin flip
                                // for the branch predictor); the operations and their order are each case's own.
                                for i in 0..<H {
                                    let idx = r * H + i, p = pp[idx], up = encoding.fired(x[idx]), rr = ratio[idx]
                                    let q = 1 - p
                                    let numerator = p * q * (up ? 1 - rr : rr - 1)
                                    let denominator = up ? p + q * rr : p * rr + q
                                    let value = numerator / denominator * s
                                    d[idx] = p <= pLow || p >= pHigh ? 0 : value
                                }
                            case .reinforce, .hncaSampledOutputOnly:
                                for i in 0..<H {
                                    let idx = r * H + i, p = pp[idx], up = encoding.fired(x[idx])
                                    if p <= pLow || p >= pHigh { d[idx] = 0; continue }
                                    if credit == .reinforce {
                                        // dlog pi(phi)/dl = 1{phi = on} - p.
                                        d[idx] = ((up ? 1 : 0) - p) * s
                                    } else {
                                        // The mutant: rho(Phi) dlog pi(Phi)/dl, the sampled output only.
                                        let rr = ratio[idx]
                                        let rho = up ? 1 / (p + (1 - p) * rr) : 1 / (p * rr + (1 - p))
                                        d[idx] = rho * ((up ? 1 : 0) - p) * s
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// (onehot(A) - softmax(Z))(R - baseline) per example and action: REINFORCE for the softmax output
    /// unit (HNCA uses it too).
    public static func softmaxSignals(policy: Matrix, actions: [Int], signal: [Double], into deltas: inout Matrix) {
        let B = policy.rows, K = policy.cols
        precondition(actions.count == B && signal.count == B && deltas.rows == B && deltas.cols == K)
        deltas.data.withUnsafeMutableBufferPointer { d in
            policy.data.withUnsafeBufferPointer { pi in
                for r in 0..<B { for a in 0..<K { d[r * K + a] = ((a == actions[r] ? 1 : 0) - pi[r * K + a]) * signal[r] } }
            }
        }
    }
}

/// How the hidden Bernoulli units of a network are credited (HNCA paper, Section 1).
public enum HiddenCredit: String, Codable, Sendable, CaseIterable {
    /// The local REINFORCE estimator, dlog pi(Phi | pa(Phi))/dtheta * R (Section 1, before Eq. 1).
    case reinforce
    /// The HNCA estimator of Eq. 3, sum_phi rho(phi) dpi(phi)/dtheta * R, with rho from Eq. 2
    /// computed by Algorithm 1's constant-time counterfactual logits.
    case hnca
    /// Negative control: Eq. 3's sum over phi dropped; the sampled output's REINFORCE score is
    /// weighted by rho(Phi) instead (a plausible slip from line (d) of Eq. 1 back to line (a)).
    case hncaSampledOutputOnly
}
