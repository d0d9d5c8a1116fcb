import Foundation

/// REBAR, RELAX and LAX for the logits of a `CategoricalLayer`, on a minibatch: the categorical
/// estimators of the RELAX draft (Eq. 12, 13 and LAX, with Appendix B's Gumbel reparameterisation;
/// Section 4: "the generalization to categorial variables is straightforward") placed on one layer
/// of a network, like `VAEControlVariateEstimator` does for Bernoulli layers.
///
/// For example r with downstream loss f_r (a black box at the drawn one-hots b: everything above
/// the layer, sampled or not, given b) and control variate c_r(z) of the whole row
/// z = (z_1 .. z_G) of the layer's groups, RELAX (Eq. 13) is
///
///   g = [f_r(b) - c_r(z~)] d/dtheta log p(b) + d/dtheta c_r(z) - d/dtheta c_r(z~),
///
/// with d c(z)/dtheta_gj = dc/dz_gj (z = theta + G) and d c(z~)/dtheta_gj = sum_k dc/dz~_gk dz~_gk/dtheta_gj
/// (z~ of group g depends on theta_g only). Unbiased for every c_r that does not read the
/// downstream samples: d/dtheta E[c(z)] = E_b[d log p(b) E[c(z~) | b]] + E_b[E[d c(z~) | b]] holds
/// for the joint conditional p(z | b) = prod_g p(z_g | b_g). REBAR is RELAX with
/// c_r(z) = eta f_r(softmax(z_g / lambda) per group) (`GroupedConcreteObjective`, Eq. 15); LAX uses z
/// alone, g = [f_r(b) - c_r(z)] d/dtheta log p(z) + dc_r/dz with the Gumbel score 1 - exp(-(z - theta)).
///
/// The per-example logit gradients become the parameters' minibatch mean by one gemm
/// (`CategoricalLayer.parameterGradient`). With `varianceGradient`, the sum over examples of
/// d|g_r|^2/dphi (g_r the example's logit gradient) is returned: an unbiased estimate of
/// d/dphi sum_r tr Var(g_r) for a surrogate shared by every example (Eq. 14).
public enum CategoricalLayerRelax {
    /// A minibatch estimate: per-example logit gradients, the parameters' minibatch mean and,
    /// when asked, the Eq. 14 variance gradient along the surrogate's phi.
    public struct Estimate: Sendable {
        /// d/dtheta f_r per example [batch x groups K].
        public var logits: Matrix
        /// The minibatch mean over examples of the weight and bias gradients.
        public var parameters: LayerParameters
        /// sum_r d|g_r|^2 / dphi (empty unless requested).
        public var varianceGradient: [Double]
    }

    /// RELAX (Eq. 13) with one surrogate per example (e.g. one conditioned on the example's input).
    public static func relax<S: Surrogate>(_ layer: CategoricalLayer, _ sample: CategoricalLayerSample, losses f: [Double],
                                           surrogates: (Int) -> S, varianceGradient: Bool = false) -> Estimate {
        estimate(layer, sample, losses: f, surrogates: surrogates, conditional: true, varianceGradient: varianceGradient)
    }
    /// RELAX with the same surrogate for every example.
    public static func relax<S: Surrogate>(_ layer: CategoricalLayer, _ sample: CategoricalLayerSample, losses f: [Double],
                                           surrogate: S, varianceGradient: Bool = false) -> Estimate {
        relax(layer, sample, losses: f, surrogates: { _ in surrogate }, varianceGradient: varianceGradient)
    }

    /// REBAR (Eq. 12): RELAX whose control variate is eta f_r(concrete(z)) (Eq. 15); `objectives(r)`
    /// is example r's downstream loss as a differentiable function of the layer's one-hot output,
    /// and f_r(b) is its value at the drawn one-hots.
    public static func rebar<F: DifferentiableObjective>(_ layer: CategoricalLayer, _ sample: CategoricalLayerSample,
                                                         objectives: (Int) -> F, eta: Double, logTemperature: Double,
                                                         varianceGradient: Bool = false) -> Estimate {
        let f = (0..<sample.batchSize).map { objectives($0).value(Array(sample.values.row($0))) }
        return relax(layer, sample, losses: f, surrogates: { GroupedConcreteObjective(objectives($0), groups: sample.groups, eta: eta, logTemperature: logTemperature) },
                     varianceGradient: varianceGradient)
    }

    /// LAX on the continuous z (no z~), one surrogate per example.
    public static func lax<S: Surrogate>(_ layer: CategoricalLayer, _ sample: CategoricalLayerSample, losses f: [Double],
                                         surrogates: (Int) -> S, varianceGradient: Bool = false) -> Estimate {
        estimate(layer, sample, losses: f, surrogates: surrogates, conditional: false, varianceGradient: varianceGradient)
    }
    /// LAX with the same surrogate for every example.
    public static func lax<S: Surrogate>(_ layer: CategoricalLayer, _ sample: CategoricalLayerSample, losses f: [Double],
                                         surrogate: S, varianceGradient: Bool = false) -> Estimate {
        lax(layer, sample, losses: f, surrogates: { _ in surrogate }, varianceGradient: varianceGradient)
    }

    /// RELAX (`conditional`) or LAX, example by example.
    static func estimate<S: Surrogate>(_ layer: CategoricalLayer, _ sample: CategoricalLayerSample, losses f: [Double],
                                       surrogates: (Int) -> S, conditional: Bool, varianceGradient: Bool) -> Estimate {
        let B = sample.batchSize, n = sample.logits.cols, K = sample.classes
        precondition(f.count == B, "CategoricalLayerRelax: \(f.count) losses for a batch of \(B)")
        precondition(layer.groups == sample.groups && layer.classes == K, "CategoricalLayerRelax: the sample is not this layer's")
        let score = sample.score
        var g = Matrix(rows: B, cols: n)
        var dphi: [Double] = []
        for r in 0..<B {
            let c = surrogates(r)
            let atZ = c.evaluate(Array(sample.z.row(r)), parameterGradients: varianceGradient)
            var row = [Double](repeating: 0, count: n)
            var jac: [[Double]] = []
            if conditional {
                let atZt = c.evaluate(Array(sample.zTilde.row(r)), parameterGradients: varianceGradient)
                let P = atZt.dValue.count
                if varianceGradient { jac = [[Double]](repeating: [Double](repeating: 0, count: P), count: n) }
                for i in 0..<n {
                    let gi = i / K, j = i % K
                    var pathZt = 0.0
                    for k in 0..<K { pathZt += atZt.dz[gi * K + k] * sample.dzTildeDtheta[r, gi * K * K + k * K + j] }
                    row[i] = (f[r] - atZt.value) * score[r, i] + atZ.dz[i] - pathZt
                    guard varianceGradient else { continue }
                    for p in 0..<P {
                        var dPathZt = 0.0
                        for k in 0..<K { dPathZt += atZt.dDz[gi * K + k][p] * sample.dzTildeDtheta[r, gi * K * K + k * K + j] }
                        jac[i][p] = -atZt.dValue[p] * score[r, i] + atZ.dDz[i][p] - dPathZt
                    }
                }
            } else {
                let P = atZ.dValue.count
                if varianceGradient { jac = [[Double]](repeating: [Double](repeating: 0, count: P), count: n) }
                for i in 0..<n {
                    let s = 1 - exp(-(sample.z[r, i] - sample.logits[r, i]))    // d/dtheta log p(z | theta), Gumbel
                    row[i] = (f[r] - atZ.value) * s + atZ.dz[i]
                    guard varianceGradient else { continue }
                    for p in 0..<P { jac[i][p] = -atZ.dValue[p] * s + atZ.dDz[i][p] }
                }
            }
            for i in 0..<n { g[r, i] = row[i] }
            if varianceGradient {
                let v = GradientEstimate(gradient: row, jacobian: jac).squaredNormGradient
                if dphi.isEmpty { dphi = v } else { for p in v.indices { dphi[p] += v[p] } }
            }
        }
        return Estimate(logits: g, parameters: layer.parameterGradient(logitGradient: g, input: sample.input), varianceGradient: dphi)
    }
}
