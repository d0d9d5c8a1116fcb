import Foundation

/// Ground truth for tiny discrete VAEs by enumeration: for one input X, every configuration of
/// the encoder's latent layers with its probability under q. From that, exactly: the ELBO
/// E_q[f_E] (Eq. 7), its gradient with respect to the encoder (central finite differences of the
/// exact ELBO, independent of any estimator's algebra), and the exact mean and variance of any
/// encoder-gradient estimator, including its partial passes (LOO's independent resample,
/// DisARM's antithetic partner whose conditional law given the main sample is enumerated too).
public enum VAEOracle {
    /// Every 0/1 assignment of layers with the given sizes (one-row matrices), first layer slowest.
    public static func configurations(_ sizes: [Int], coding: UnitEncoding = .zeroOne) -> [[Matrix]] {
        let total = sizes.reduce(0, +)
        precondition(total <= 20, "VAEOracle: \(total) latent units is too many to enumerate")
        return (0..<(1 << total)).map { code in
            var bit = total - 1
            return sizes.map { n in
                Matrix(rows: 1, cols: n, data: (0..<n).map { _ in defer { bit -= 1 }; return coding.value(fired: (code >> bit) & 1 == 1) })
            }
        }
    }

    /// q of the layers from e on, as evaluated in `pass`.
    static func probability(_ pass: VAEPass, from e: Int) -> Double {
        var q = 1.0
        for m in e..<pass.layerCount {
            let s = pass.encoder[m]
            for k in s.values.data.indices { q *= s.values.data[k] == 1 ? s.probabilities.data[k] : 1 - s.probabilities.data[k] }
        }
        return q
    }

    /// E_q[f_E] for a single input (x: one row).
    public static func elbo(_ vae: DiscreteVAE, _ x: Matrix) -> Double {
        configurations(vae.latentSizes, coding: vae.coding).reduce(0) { acc, values in
            let pass = vae.evaluate(x, values: values)
            return acc + probability(pass, from: 0) * ELBOComponents(vae, pass).total[0]
        }
    }

    /// d E_q[f_E] / d(encoder parameters) by central differences (step h; error O(h^2)).
    public static func encoderGradient(_ vae: DiscreteVAE, _ x: Matrix, step h: Double = 1e-5) -> [Double] {
        let theta = vae.encoderParameters
        return theta.indices.map { k in
            var up = theta, down = theta
            up[k] += h; down[k] -= h
            return (elbo(vae.with(encoderParameters: up), x) - elbo(vae.with(encoderParameters: down), x)) / (2 * h)
        }
    }

    /// Exact per-parameter mean and variance of `estimator` (flattened like `encoderParameters`).
    public static func moments(_ estimator: VAEScoreMethod, _ vae: DiscreteVAE, _ x: Matrix,
                               baselines: [Double]? = nil) -> (mean: [Double], variance: [Double]) {
        let L = vae.layerCount
        var mean: [Double] = [], variance: [Double] = []
        for e in 0..<L {
            var m1 = [Double](repeating: 0, count: vae.encoderBlocks(e).reduce(0) { $0 + $1.count }), m2 = m1
            func accumulate(_ weight: Double, _ draws: VAEDraws) {
                let c = estimator.signals(vae, draws, baselines: baselines)[e]
                let input = draws.main.encoder[e].input
                var unused = 0.0
                // A nonlinear layer: the signal backpropagated through its stack (one row, so the batch mean is the estimate).
                let g = vae.encoderStacks[e].isEmpty
                    ? (0..<c.cols).flatMap { j in (0..<input.cols).map { i in c[0, j] * input[0, i] } } + (0..<c.cols).map { c[0, $0] }
                    : vae.encoderGradient(layer: e, signal: c, pass: draws.main, varianceSum: &unused).flatMap(\.flattened)
                for k in g.indices { m1[k] += weight * g[k]; m2[k] += weight * g[k] * g[k] }
            }
            for values in configurations(vae.latentSizes, coding: vae.coding) {
                let main = vae.evaluate(x, values: values)
                let q = probability(main, from: 0)
                guard q > 0 else { continue }
                switch estimator.partialPasses {
                case .none:
                    accumulate(q, VAEDraws(main: main))
                case .independent, .antithetic:
                    for tail in configurations(Array(vae.latentSizes[e...]), coding: vae.coding) {
                        let partial = vae.reevaluate(main, from: e, values: tail)
                        var p = probability(partial, from: e + 1)
                        let own = partial.encoder[e]
                        for k in own.values.data.indices {
                            let pk = own.probabilities.data[k], b = main.encoder[e].values.data[k], partner = own.values.data[k]
                            if estimator.partialPasses == .independent {
                                p *= partner == 1 ? pk : 1 - pk
                            } else {
                                p *= antitheticPartner(partner, given: b, p: pk)
                            }
                        }
                        guard p > 0 else { continue }
                        var all = Array(repeating: main, count: L)
                        all[e] = partial
                        accumulate(q * p, VAEDraws(main: main, partial: all))
                    }
                }
            }
            mean += m1
            variance += zip(m1, m2).map { max(0, $1 - $0 * $0) }
        }
        return (mean, variance)
    }

    /// P(b~ = partner | b) for b = 1[u < p], b~ = 1[1 - u < p], u ~ U(0, 1).
    public static func antitheticPartner(_ partner: Double, given b: Double, p: Double) -> Double {
        let both = max(0, 2 * p - 1), neither = max(0, 1 - 2 * p), one = min(p, 1 - p)
        if b == 1 { return (partner == 1 ? both : one) / p }
        return (partner == 1 ? one : neither) / (1 - p)
    }
}
