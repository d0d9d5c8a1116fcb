import Foundation

/// The ELBO of Eq. 7 split into its function components (Figure 2), summed per example:
///
///   f_E = sum_k log p_k(Phi_k | Phi_{k+1}) + log p_L(Phi_L) + sum_e H(q_{e+1}(. | Phi_e)),
///
/// where each entropy is the analytic Bernoulli entropy of each encoder unit given its parents'
/// sample, and the decoder log-probabilities are evaluated on the encoder's samples.
public struct ELBOComponents: Sendable {
    /// logLikelihood[k][b] = log p_k(Phi_k | Phi_{k+1}) of example b (k = 0: log p_0(X | Phi_1)).
    public var logLikelihood: [[Double]]
    /// logPrior[b] = log p_L(Phi_L); priorElements [batch x units] its per-unit terms.
    public var logPrior: [Double]
    public var priorElements: Matrix
    /// entropy[e][b] = H(q_{e+1}(. | Phi_e)), the sum of the units' Bernoulli entropies.
    public var entropy: [[Double]]
    /// Suffix sums, so that every layer's downstream and mediated sums cost O(batch), not
    /// O(L x batch): likelihoodFrom[k] = sum_{k' >= k} logLikelihood[k'] (k = 0...L, the last
    /// zero), entropyFrom[m] = sum_{m' >= m} entropy[m'] (m = 0...L + 1).
    var likelihoodFrom: [[Double]]
    var entropyFrom: [[Double]]

    public init(_ vae: DiscreteVAE, _ pass: VAEPass) {
        let L = pass.layerCount, B = pass.batchSize
        logLikelihood = (0..<L).map { k in ELBOComponents.rowSums(ELBOComponents.logBernoulli(pass.phi(k), logits: pass.decoderLogits[k])) }
        var prior = Matrix(rows: B, cols: vae.priorLogits.count)
        let top = pass.phi(L)
        for b in 0..<B { for j in 0..<prior.cols { prior[b, j] = top[b, j] == 1 ? Fn.logSigmoid(vae.priorLogits[j]) : Fn.logSigmoid(-vae.priorLogits[j]) } }
        VAEOperationCount.add(transcendentals: 2 * B * prior.cols)
        priorElements = prior
        logPrior = ELBOComponents.rowSums(prior)
        entropy = pass.encoder.map { ELBOComponents.rowSums(ELBOComponents.bernoulliEntropies($0.logits)) }
        VAEOperationCount.add(transcendentals: 2 * B * pass.encoder.reduce(0) { $0 + $1.logits.cols })
        var lik = [[Double]](repeating: .init(repeating: 0, count: B), count: L + 1)
        var ent = [[Double]](repeating: .init(repeating: 0, count: B), count: L + 2)
        for k in stride(from: L - 1, through: 0, by: -1) {
            for b in 0..<B { lik[k][b] = lik[k + 1][b] + logLikelihood[k][b]; ent[k][b] = ent[k + 1][b] + entropy[k][b] }
        }
        VAEOperationCount.add(multiplyAdds: 2 * L * B)
        likelihoodFrom = lik; entropyFrom = ent
    }

    /// f_E per example.
    public var total: [Double] {
        var t = logPrior
        for k in logLikelihood.indices { for b in t.indices { t[b] += logLikelihood[k][b] + entropy[k][b] } }
        VAEOperationCount.add(multiplyAdds: 2 * logLikelihood.count * t.count)
        return t
    }

    /// The components downstream of encoder layer e (those Phi_{e+1} is an ancestor of):
    /// log p_k for k >= e, the prior, and H(q_{m+1}) for m >= e + 1.
    public func downstream(of e: Int) -> [Double] {
        VAEOperationCount.add(multiplyAdds: 2 * logPrior.count)
        return logPrior.indices.map { b in logPrior[b] + likelihoodFrom[e][b] + entropyFrom[e + 1][b] }
    }

    /// The components with a mediated connection to encoder layer e < L - 1 (pink and orange in
    /// Figure 2): log p_k for k >= e + 1, the prior, and H(q_{m+1}) for m >= e + 2.
    public func mediated(from e: Int) -> [Double] {
        precondition(e < logLikelihood.count - 1, "the top layer has no mediated connections")
        VAEOperationCount.add(multiplyAdds: 2 * logPrior.count)
        return logPrior.indices.map { b in logPrior[b] + likelihoodFrom[e + 1][b] + entropyFrom[e + 2][b] }
    }

    /// The components upstream of encoder layer e (those it does not influence): H(q_{m+1}) for
    /// m <= e (its own layer's entropy among them) and log p_k for k < e. With `downstream(of:)`
    /// they make up f_E. The released code's `full_reward` adds them to the f-HNCA reward.
    public func upstream(of e: Int) -> [Double] {
        VAEOperationCount.add(multiplyAdds: 4 * logPrior.count)
        return logPrior.indices.map { b in (entropyFrom[0][b] - entropyFrom[e + 1][b]) + (likelihoodFrom[0][b] - likelihoodFrom[e][b]) }
    }

    // MARK: Scalar pieces

    /// log Bern(y; sigma(l)) elementwise for 0/1 targets.
    public static func logBernoulli(_ y: Matrix, logits: Matrix) -> Matrix {
        precondition(y.rows == logits.rows && y.cols == logits.cols)
        // log sigmoid(+-l) = -softplus(x), x = -+l, and softplus(x) = x + log1p(exp(-x)) if x > 0, log1p(exp(x))
        // otherwise (Fn.softplus): either way the exponential is exp(-|l|), taken for the whole matrix at once
        // (`VectorExp`, exactly exp per value), so the numbers are Fn.logSigmoid's.
        var out = logits
        var e = logits.data
        for k in e.indices { e[k] = -abs(e[k]) }
        VectorExp.inPlace(&e)
        for k in out.data.indices {
            let l = logits.data[k], x = y.data[k] == 1 ? -l : l
            out.data[k] = -(x > 0 ? x + log1p(e[k]) : log1p(e[k]))
        }
        VAEOperationCount.add(transcendentals: 2 * out.data.count)
        return out
    }
    /// H(Bern(sigma(l))) = softplus(l) - l sigma(l), finite for every l.
    @inlinable public static func bernoulliEntropy(logit l: Double) -> Double {
        let e = exp(-abs(l))
        let sigma = (l >= 0 ? 1 : e) / (1 + e)   // 1 / (1 + e) or e / (1 + e): the same division, without a branch
        return max(l, 0) + log1p(e) - l * sigma
    }
    /// `bernoulliEntropy(logit:)` elementwise, with the exponentials exp(-|l|) of the whole matrix at once
    /// (`VectorExp`: exactly exp per value, so the same numbers).
    static func bernoulliEntropies(_ logits: Matrix) -> Matrix {
        var out = logits
        var e = logits.data
        for k in e.indices { e[k] = -abs(e[k]) }
        VectorExp.inPlace(&e)
        for k in out.data.indices {
            let l = logits.data[k], ek = e[k]
            let sigma = (l >= 0 ? 1 : ek) / (1 + ek)
            out.data[k] = max(l, 0) + log1p(ek) - l * sigma
        }
        return out
    }
    static func rowSums(_ m: Matrix) -> [Double] {
        VAEOperationCount.add(multiplyAdds: m.data.count)
        return (0..<m.rows).map { b in var s = 0.0; for j in 0..<m.cols { s += m.data[b * m.cols + j] }; return s }
    }
}
