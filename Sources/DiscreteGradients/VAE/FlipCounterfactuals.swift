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
    /// Per child: log pi(y | l + d) - log pi(y | l) = y d - log(1 + p (e^d - 1)), p = sigma(l).
    /// The linear part is a gemm; the log terms are multiplied in blocks and logged once per block
    /// (each factor lies in [e^-|W|, e^|W|], so a block of `600 / max|W|` factors cannot overflow).
    public static func logLikelihoodShift(parents x: Matrix, weights w: Matrix, childLogits l: Matrix, children y: Matrix) -> Matrix {
        let B = x.rows, J = x.cols, I = w.rows
        precondition(w.cols == J && l.rows == B && l.cols == I && y.rows == B && y.cols == I)
        var linear = Matrix(rows: B, cols: J)
        Matrix.gemm(y, w, into: &linear)                       // (Y W)_bj = sum_i y_bi W_ij
        // expm1(+-W) in W's own layout [I x J]: row i is contiguous over the parents j, so the
        // running products of all J parents advance together over the children i (a vectorised
        // loop over j; each (b, j) still multiplies its factors in the order i = 0, 1, ...).
        let up = w.map { expm1($0) }, down = w.map { expm1(-$0) }
        let p = l.map(Fn.sigmoid)
        let maxAbs = w.data.reduce(0) { max($0, abs($1)) }
        let block = max(1, min(64, Int(600 / max(maxAbs, 1e-12))))
        // gemm, the product loop and the final sign-add; expm1 twice per edge, sigmoid per child,
        // one log per full block and one at the end.
        VAEOperationCount.add(multiplyAdds: 2 * B * I * J + B * J,
                              transcendentals: 2 * I * J + B * I + B * J * (I / block + 1))
        var out = Matrix(rows: B, cols: J)
        let product = UnsafeMutablePointer<Double>.allocate(capacity: J)
        let logSum = UnsafeMutablePointer<Double>.allocate(capacity: J)
        let flipUp = UnsafeMutablePointer<Bool>.allocate(capacity: J)
        // All-ones / all-zeros bit masks of flipUp: a branch-free, exact select of expm1(W) or expm1(-W).
        let upMask = UnsafeMutablePointer<UInt64>.allocate(capacity: J)
        defer { upMask.deallocate() }
        defer { product.deallocate(); logSum.deallocate(); flipUp.deallocate() }
        p.data.withUnsafeBufferPointer { pp in
            up.data.withUnsafeBufferPointer { eu in
                down.data.withUnsafeBufferPointer { ed in
                    x.data.withUnsafeBufferPointer { xb in
                        out.data.withUnsafeMutableBufferPointer { o in
                            let eu = eu.baseAddress!, ed = ed.baseAddress!
                            for b in 0..<B {
                                let prow = pp.baseAddress! + b * I
                                for j in 0..<J {
                                    product[j] = 1; logSum[j] = 0; flipUp[j] = xb[b * J + j] == 0
                                    upMask[j] = flipUp[j] ? ~0 : 0
                                }
                                var n = 0
                                for i in 0..<I {
                                    let pi = prow[i]
                                    let u = UnsafeRawPointer(eu + i * J).assumingMemoryBound(to: UInt64.self)
                                    let d = UnsafeRawPointer(ed + i * J).assumingMemoryBound(to: UInt64.self)
                                    for j in 0..<J {
                                        let e = Double(bitPattern: (u[j] & upMask[j]) | (d[j] & ~upMask[j]))
                                        product[j] *= 1 + pi * e
                                    }
                                    n += 1
                                    if n == block {
                                        for j in 0..<J { logSum[j] += log(product[j]); product[j] = 1 }
                                        n = 0
                                    }
                                }
                                for j in 0..<J {
                                    let total = logSum[j] + log(product[j])
                                    let s = flipUp[j] ? 1.0 : -1.0
                                    o[b * J + j] = s * linear.data[b * J + j] - total
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// E[b, j] = sum_k [H(sigma(l_bk + W_kj s_bj)) - H(sigma(l_bk))]: the change of a child
    /// layer's summed Bernoulli entropy when parent j is flipped.
    public static func entropyShift(parents x: Matrix, weights w: Matrix, childLogits l: Matrix) -> Matrix {
        let B = x.rows, J = x.cols, K = w.rows
        precondition(w.cols == J && l.rows == B && l.cols == K)
        let wt = w.transposed
        // Two transcendentals per entropy, K base entropies and J x K flipped ones per example.
        VAEOperationCount.add(multiplyAdds: B * K + 2 * B * J * K + B * J, transcendentals: 2 * B * K + 2 * B * J * K)
        var out = Matrix(rows: B, cols: J)
        l.data.withUnsafeBufferPointer { lb in
            wt.data.withUnsafeBufferPointer { wb in
                x.data.withUnsafeBufferPointer { xb in
                    out.data.withUnsafeMutableBufferPointer { o in
                        for b in 0..<B {
                            let lrow = lb.baseAddress! + b * K
                            var base = 0.0
                            for k in 0..<K { base += ELBOComponents.bernoulliEntropy(logit: lrow[k]) }
                            for j in 0..<J {
                                let s = xb[b * J + j] == 0 ? 1.0 : -1.0
                                let wrow = wb.baseAddress! + j * K
                                var total = 0.0
                                for k in 0..<K { total += ELBOComponents.bernoulliEntropy(logit: lrow[k] + s * wrow[k]) }
                                o[b * J + j] = total - base
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
