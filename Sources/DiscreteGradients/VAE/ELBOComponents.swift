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

    public init(_ vae: DiscreteVAE, _ pass: VAEPass) {
        let L = pass.layerCount, B = pass.batchSize
        logLikelihood = (0..<L).map { k in ELBOComponents.rowSums(ELBOComponents.logBernoulli(pass.phi(k), logits: pass.decoderLogits[k])) }
        var prior = Matrix(rows: B, cols: vae.priorLogits.count)
        let top = pass.phi(L)
        for b in 0..<B { for j in 0..<prior.cols { prior[b, j] = top[b, j] == 1 ? Fn.logSigmoid(vae.priorLogits[j]) : Fn.logSigmoid(-vae.priorLogits[j]) } }
        priorElements = prior
        logPrior = ELBOComponents.rowSums(prior)
        entropy = pass.encoder.map { ELBOComponents.rowSums($0.logits.map(ELBOComponents.bernoulliEntropy(logit:))) }
    }

    /// f_E per example.
    public var total: [Double] {
        var t = logPrior
        for k in logLikelihood.indices { for b in t.indices { t[b] += logLikelihood[k][b] + entropy[k][b] } }
        return t
    }

    /// The components downstream of encoder layer e (those Phi_{e+1} is an ancestor of):
    /// log p_k for k >= e, the prior, and H(q_{m+1}) for m >= e + 1.
    public func downstream(of e: Int) -> [Double] {
        var t = logPrior
        for k in e..<logLikelihood.count { for b in t.indices { t[b] += logLikelihood[k][b] } }
        for m in (e + 1)..<max(e + 1, entropy.count) { for b in t.indices { t[b] += entropy[m][b] } }
        return t
    }

    /// The components with a mediated connection to encoder layer e < L - 1 (pink and orange in
    /// Figure 2): log p_k for k >= e + 1, the prior, and H(q_{m+1}) for m >= e + 2.
    public func mediated(from e: Int) -> [Double] {
        precondition(e < logLikelihood.count - 1, "the top layer has no mediated connections")
        var t = logPrior
        for k in (e + 1)..<logLikelihood.count { for b in t.indices { t[b] += logLikelihood[k][b] } }
        for m in (e + 2)..<max(e + 2, entropy.count) { for b in t.indices { t[b] += entropy[m][b] } }
        return t
    }

    // MARK: Scalar pieces

    /// log Bern(y; sigma(l)) elementwise for 0/1 targets.
    public static func logBernoulli(_ y: Matrix, logits: Matrix) -> Matrix {
        precondition(y.rows == logits.rows && y.cols == logits.cols)
        var out = logits
        for k in out.data.indices { let l = logits.data[k]; out.data[k] = y.data[k] == 1 ? Fn.logSigmoid(l) : Fn.logSigmoid(-l) }
        return out
    }
    /// H(Bern(sigma(l))) = softplus(l) - l sigma(l), finite for every l.
    @inlinable public static func bernoulliEntropy(logit l: Double) -> Double {
        let e = exp(-abs(l))
        let sigma = l >= 0 ? 1 / (1 + e) : e / (1 + e)
        return max(l, 0) + log1p(e) - l * sigma
    }
    static func rowSums(_ m: Matrix) -> [Double] {
        (0..<m.rows).map { b in var s = 0.0; for j in 0..<m.cols { s += m.data[b * m.cols + j] }; return s }
    }
}
