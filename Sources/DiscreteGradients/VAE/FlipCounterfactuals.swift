import Foundation

/// Counterfactual sums over a layer of linear Bernoulli units when one parent is flipped
/// (Section 1.2's constant-time logit l + theta_i (v - x_i), applied to whole minibatches).
/// Parent j of example b takes value x_bj in {0, 1}; flipping it shifts every child's logit by
/// W_ij s_bj with s_bj = 1 - 2 x_bj. The work is O(batch x children x parents): one pass over
/// the edges, the same order as the forward pass.
public enum FlipCounterfactuals {
    /// D[b, j] = sum_i [log pi_i(y_bi | l_bi + W_ij s_bj) - log pi_i(y_bi | l_bi)] for 0/1 children y
    /// with logits l and weights W [children x parents].
    ///
    /// Per child: log pi(y | l + d) - log pi(y | l) = y d - log(1 + p (e^d - 1)), p = sigma(l): the ratio of
    /// Eq. 2's counterfactual probabilities in product form. The linear part is a gemm; expm1(+-W) is per
    /// call (one expm1 per weight, `FlipExponentials`), so per edge only a select and a multiply-add remain.
    /// The running product of the factors 1 + p (e^d - 1) is renormalised by its power of two every few
    /// children (each factor lies in [e^-|W|, e^|W|], so a block of `600 / max|W|` factors cannot overflow)
    /// and logged once per (example, parent).
    public static func logLikelihoodShift(parents x: Matrix, weights w: Matrix, childLogits l: Matrix, children y: Matrix) -> Matrix {
        let B = x.rows, J = x.cols, I = w.rows
        precondition(w.cols == J && l.rows == B && l.cols == I && y.rows == B && y.cols == I)
        var linear = Matrix(rows: B, cols: J)
        Matrix.gemm(y, w, into: &linear)                       // (Y W)_bj = sum_i y_bi W_ij
        // expm1(+-W) in W's own layout [I x J]: row i is contiguous over the parents j, so the
        // running products of all J parents advance together over the children i (a vectorised
        // loop over j; each (b, j) still multiplies its factors in the order i = 0, 1, ...).
        let flips = FlipExponentials(w)
        if flips.maxAbs > FlipExponentials.productFormLimit { return logLikelihoodShiftInLogSpace(parents: x, weights: w, childLogits: l, children: y) }
        // sigma(l) = 1 / (1 + exp(-l)) for l >= 0, exp(l) / (1 + exp(l)) otherwise (Fn.sigmoid): exp(-|l|) either
        // way, for the whole matrix at once (`VectorExp`, exactly exp per value).
        var p = l
        for k in p.data.indices { p.data[k] = -abs(p.data[k]) }
        VectorExp.inPlace(&p.data)
        for k in p.data.indices { let e = p.data[k]; p.data[k] = l.data[k] >= 0 ? 1 / (1 + e) : e / (1 + e) }
        let block = flips.renormalisationInterval
        // gemm, the product loop and the final sign-add; one expm1 per weight, sigmoid per child,
        // one log per (example, parent).
        VAEOperationCount.add(multiplyAdds: 2 * B * I * J + B * J,
                              transcendentals: I * J + B * I + B * J)
        var out = Matrix(rows: B, cols: J)
        let product = UnsafeMutablePointer<Double>.allocate(capacity: J)
        let exponentSum = UnsafeMutablePointer<Double>.allocate(capacity: J)
        let flipUp = UnsafeMutablePointer<Bool>.allocate(capacity: J)
        // All-ones / all-zeros bit masks of flipUp: a branch-free, exact select of expm1(W) or expm1(-W).
        let upMask = UnsafeMutablePointer<UInt64>.allocate(capacity: J)
        defer { upMask.deallocate() }
        defer { product.deallocate(); exponentSum.deallocate(); flipUp.deallocate() }
        var unusedNumerator = 0.0
        p.data.withUnsafeBufferPointer { pp in
        flips.withRows { _, _, _, mUp, mDown in
            x.data.withUnsafeBufferPointer { xb in
                out.data.withUnsafeMutableBufferPointer { o in
                    for b in 0..<B {
                        let prow = pp.baseAddress! + b * I
                        for j in 0..<J {
                            product[j] = 1; exponentSum[j] = 0; flipUp[j] = xb[b * J + j] == 0
                            upMask[j] = flipUp[j] ? ~0 : 0
                        }
                        var n = 0
                        for i in 0..<I {
                            let pi = prow[i]
                            let u = mUp(i), d = mDown(i)
                            for j in 0..<J {
                                let e = Double(bitPattern: (u[j] & upMask[j]) | (d[j] & ~upMask[j]))
                                product[j] *= 1 + pi * e
                            }
                            n += 1
                            if n == block {
                                for j in 0..<J { renormalise(&product[j], &unusedNumerator, exponents: &exponentSum[j]) }
                                n = 0
                            }
                        }
                        for j in 0..<J {
                            let total = log(product[j]) + exponentSum[j] * 0.6931471805599453
                            let s = flipUp[j] ? 1.0 : -1.0
                            o[b * J + j] = s * linear.data[b * J + j] - total
                        }
                    }
                }
            }
        }
        }
        return out
    }

    /// E[b, j] = sum_k [H(sigma(l_bk + W_kj s_bj)) - H(sigma(l_bk))]: the change of a child
    /// layer's summed Bernoulli entropy when parent j is flipped (the entropy component of the
    /// ELBO, Eq. 7, counterfactually shifted as in Section 1.2).
    ///
    /// Product form, no transcendental per edge. With p = sigma(l), q = 1 - p, d = W_kj s_bj and
    /// e = exp(d), m = expm1(d) (per weight, once per call: they depend on the parameters only),
    /// H(z) = softplus(z) - z sigma(z) gives per edge
    ///   softplus(l + d) - softplus(l) = log f,                     f = q + p e (in [e^-|d|, e^|d|]),
    ///   (l + d) sigma(l + d) - l sigma(l) = p (d e + l q m) / f,
    /// so E[b, j] = log prod_k f_k - sum_k a_k / f_k with a_k = p_k (d e + l_k q_k m). Per (example,
    /// parent) the product D = prod f_k and the numerator N = D sum_k a_k / f_k advance together
    /// (N <- N f + a D, D <- D f: two multiply-adds, no division), renormalised by D's power of two
    /// every few children (exact: a power-of-two scaling of both) and logged once at the end.
    public static func entropyShift(parents x: Matrix, weights w: Matrix, childLogits l: Matrix) -> Matrix {
        let B = x.rows, J = x.cols, K = w.rows
        precondition(w.cols == J && l.rows == B && l.cols == K)
        let flips = FlipExponentials(w)
        if flips.maxAbs > FlipExponentials.productFormLimit { return entropyShiftInLogSpace(parents: x, weights: w, childLogits: l) }
        // Per (example, child): p, q (one exp) and l q.
        var p = [Double](repeating: 0, count: B * K), q = p, lq = p
        var expMinusAbs = l.data
        for k in 0..<(B * K) { expMinusAbs[k] = -abs(expMinusAbs[k]) }
        VectorExp.inPlace(&expMinusAbs)
        for k in 0..<(B * K) {
            let z = l.data[k], e = expMinusAbs[k], r = 1 / (1 + e)
            p[k] = z >= 0 ? r : e * r; q[k] = z >= 0 ? e * r : r
            lq[k] = z * q[k]
        }
        // Per edge: two selects, a sign flip and about ten multiply-adds; one expm1 per weight, one exp per
        // (example, child), one log per (example, parent).
        VAEOperationCount.add(multiplyAdds: 10 * B * J * K, transcendentals: K * J + B * K + B * J)
        let block = flips.renormalisationInterval
        var product = [Double](repeating: 1, count: B * J), numerator = [Double](repeating: 0, count: B * J)
        var exponentSum = [Double](repeating: 0, count: B * J)
        // Per (example, parent): all-ones where the flip moves the parent 0 -> 1 (d = +W), the sign bit of d otherwise.
        let upMask = x.data.map { $0 == 0 ? UInt64.max : 0 }
        var out = Matrix(rows: B, cols: J)
        product.withUnsafeMutableBufferPointer { dp in
        numerator.withUnsafeMutableBufferPointer { np in
        exponentSum.withUnsafeMutableBufferPointer { xp in
        upMask.withUnsafeBufferPointer { mask in
        flips.withRows { wRow, eUp, eDown, mUp, mDown in
            var sinceRenormalised = 0
            for k in 0..<K {
                let wk = wRow(k), eu = eUp(k), ed = eDown(k), mu = mUp(k), md = mDown(k)
                for b in 0..<B {
                    let pk = p[b * K + k], qk = q[b * K + k], lqk = lq[b * K + k]
                    let d = dp.baseAddress! + b * J, n = np.baseAddress! + b * J, up = mask.baseAddress! + b * J
                    for j in 0..<J {
                        let u = up[j]
                        let e = Double(bitPattern: (eu[j] & u) | (ed[j] & ~u))
                        let m = Double(bitPattern: (mu[j] & u) | (md[j] & ~u))
                        let shift = Double(bitPattern: wk[j] ^ (~u & signBit))
                        let f = qk + pk * e
                        let a = pk * (shift * e + lqk * m)
                        n[j] = n[j] * f + a * d[j]
                        d[j] *= f
                    }
                }
                sinceRenormalised += 1
                if sinceRenormalised == block || k == K - 1 {
                    for t in 0..<(B * J) { renormalise(&dp[t], &np[t], exponents: &xp[t]) }
                    sinceRenormalised = 0
                }
            }
        }
        }
        }
        }
        }
        for t in 0..<(B * J) { out.data[t] = log(product[t]) + exponentSum[t] * 0.6931471805599453 - numerator[t] / product[t] }
        return out
    }

    static let signBit: UInt64 = 1 << 63

    /// `logLikelihoodShift` per edge in log space (log-sigmoids of the shifted logits), for weights too large
    /// for the product form (max |W| > `FlipExponentials.productFormLimit`, where exp(|W|) overflows).
    static func logLikelihoodShiftInLogSpace(parents x: Matrix, weights w: Matrix, childLogits l: Matrix, children y: Matrix) -> Matrix {
        let B = x.rows, J = x.cols, I = w.rows
        VAEOperationCount.add(multiplyAdds: B * I * J, transcendentals: 2 * B * I * J)
        var out = Matrix(rows: B, cols: J)
        for b in 0..<B {
            for j in 0..<J {
                let s = 1 - 2 * x[b, j]
                var total = 0.0
                for i in 0..<I {
                    let z = l[b, i], shifted = z + w[i, j] * s
                    total += y[b, i] == 1 ? Fn.logSigmoid(shifted) - Fn.logSigmoid(z) : Fn.logSigmoid(-shifted) - Fn.logSigmoid(-z)
                }
                out[b, j] = total
            }
        }
        return out
    }

    /// `entropyShift` per edge (the entropies of the shifted logits), for weights too large for the product form.
    static func entropyShiftInLogSpace(parents x: Matrix, weights w: Matrix, childLogits l: Matrix) -> Matrix {
        let B = x.rows, J = x.cols, K = w.rows
        VAEOperationCount.add(multiplyAdds: B * K * J, transcendentals: 2 * B * K * J)
        var out = Matrix(rows: B, cols: J)
        for b in 0..<B {
            for j in 0..<J {
                let s = 1 - 2 * x[b, j]
                var total = 0.0
                for k in 0..<K {
                    let z = l[b, k]
                    total += ELBOComponents.bernoulliEntropy(logit: z + w[k, j] * s) - ELBOComponents.bernoulliEntropy(logit: z)
                }
                out[b, j] = total
            }
        }
        return out
    }

    /// Scales a running product D (positive, normal) into [1, 2) and its numerator N by the same power of two,
    /// adding the exponent removed to `exponents` (exact: only exponent bits change).
    @inline(__always) static func renormalise(_ product: inout Double, _ numerator: inout Double, exponents: inout Double) {
        let bits = product.bitPattern
        let biased = Int((bits >> 52) & 0x7ff)
        guard biased > 0 && biased < 0x7ff else { return }          // zero, subnormal, inf or NaN: leave for the final log
        let exponent = biased - 1023
        product = Double(bitPattern: (bits & ~(UInt64(0x7ff) << 52)) | (UInt64(1023) << 52))
        numerator *= Double(bitPattern: UInt64(1023 - exponent) << 52)
        exponents += Double(exponent)
    }
}

/// exp(+-W) and expm1(+-W) elementwise for a weight matrix W [children x parents], from one expm1 per weight:
/// with a = |W|, expm1(a) and exp(a) = 1 + expm1(a) are accurate, and exp(-a) = 1 / exp(a),
/// expm1(-a) = -expm1(a) exp(-a) to a few ulps. The flip of a 0/1 parent shifts its children's logits
/// by +W (0 -> 1) or -W (1 -> 0), so these are all the exponentials a flip needs (Section 1.2), per
/// update rather than per example. Stored as bit patterns for branch-free selection.
struct FlipExponentials {
    let rows: Int, cols: Int
    let weights: [UInt64], expUp: [UInt64], expDown: [UInt64], expm1Up: [UInt64], expm1Down: [UInt64]
    /// Children per renormalisation of a running product: its factors lie in [e^-max|W|, e^max|W|].
    let renormalisationInterval: Int

    init(_ w: Matrix) {
        rows = w.rows; cols = w.cols
        let n = w.data.count
        var eu = [UInt64](repeating: 0, count: n), ed = eu, mu = eu, md = eu
        var maxAbs = 0.0
        for k in 0..<n {
            let v = w.data[k], a = abs(v)
            maxAbs = max(maxAbs, a)
            // For a > 709.78, expm1(a) = exp(a) = inf and exp(-a) = 0: expm1(-a) is -1 (exactly, in double
            // precision, for every a > 37.5), not -inf * 0 = NaN.
            let grow = expm1(a), big = 1 + grow, small = 1 / big, shrink = grow.isFinite ? -grow * small : -1
            eu[k] = (v >= 0 ? big : small).bitPattern; ed[k] = (v >= 0 ? small : big).bitPattern
            mu[k] = (v >= 0 ? grow : shrink).bitPattern; md[k] = (v >= 0 ? shrink : grow).bitPattern
        }
        weights = w.data.map(\.bitPattern)
        expUp = eu; expDown = ed; expm1Up = mu; expm1Down = md
        renormalisationInterval = max(1, min(64, Int(600 / max(maxAbs, 1e-12))))
        self.maxAbs = maxAbs
    }

    /// max |W|; above `FlipExponentials.productFormLimit` a single factor can overflow and the callers
    /// go to log space per edge instead.
    let maxAbs: Double
    /// The largest max |W| for which the product form is used: a factor is then at most e^600 ~ 4e260,
    /// so with renormalisation after every child neither a running product nor the entropy numerator
    /// overflows. (Trained weights are orders of magnitude smaller.)
    static let productFormLimit = 600.0

    typealias Row = (Int) -> UnsafePointer<UInt64>
    /// Row accessors (row k: the weights into child k over every parent) for W, exp(W), exp(-W), expm1(W), expm1(-W).
    func withRows<R>(_ body: (Row, Row, Row, Row, Row) -> R) -> R {
        weights.withUnsafeBufferPointer { w in expUp.withUnsafeBufferPointer { eu in expDown.withUnsafeBufferPointer { ed in
            expm1Up.withUnsafeBufferPointer { mu in expm1Down.withUnsafeBufferPointer { md in
                let c = cols
                return body({ w.baseAddress! + $0 * c }, { eu.baseAddress! + $0 * c }, { ed.baseAddress! + $0 * c },
                            { mu.baseAddress! + $0 * c }, { md.baseAddress! + $0 * c })
            } }
        } } }
    }
}
