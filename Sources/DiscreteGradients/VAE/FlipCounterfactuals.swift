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
        let wt = w.transposed                                   // [J x I], contiguous per parent
        let up = wt.map { expm1($0) }, down = wt.map { expm1(-$0) }
        let p = l.map(Fn.sigmoid)
        let maxAbs = w.data.reduce(0) { max($0, abs($1)) }
        let block = max(1, min(64, Int(600 / max(maxAbs, 1e-12))))
        // gemm, the product loop and the final sign-add; expm1 twice per edge, sigmoid per child,
        // one log per full block and one at the end.
        VAEOperationCount.add(multiplyAdds: 2 * B * I * J + B * J,
                              transcendentals: 2 * I * J + B * I + B * J * (I / block + 1))
        var out = Matrix(rows: B, cols: J)
        p.data.withUnsafeBufferPointer { pp in
            up.data.withUnsafeBufferPointer { eu in
                down.data.withUnsafeBufferPointer { ed in
                    for b in 0..<B {
                        let prow = pp.baseAddress! + b * I
                        for j in 0..<J {
                            let flipUp = x.data[b * J + j] == 0
                            let e = (flipUp ? eu.baseAddress! : ed.baseAddress!) + j * I
                            var logSum = 0.0, product = 1.0, n = 0
                            for i in 0..<I {
                                product *= 1 + prow[i] * e[i]
                                n += 1
                                if n == block { logSum += log(product); product = 1; n = 0 }
                            }
                            logSum += log(product)
                            let s = flipUp ? 1.0 : -1.0
                            out.data[b * J + j] = s * linear.data[b * J + j] - logSum
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
        for b in 0..<B {
            var base = 0.0
            for k in 0..<K { base += ELBOComponents.bernoulliEntropy(logit: l.data[b * K + k]) }
            for j in 0..<J {
                let s = x.data[b * J + j] == 0 ? 1.0 : -1.0
                var total = 0.0
                for k in 0..<K { total += ELBOComponents.bernoulliEntropy(logit: l.data[b * K + k] + s * wt.data[j * K + k]) }
                out.data[b * J + j] = total - base
            }
        }
        return out
    }
}
