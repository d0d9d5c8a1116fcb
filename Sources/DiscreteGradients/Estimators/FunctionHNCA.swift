import Foundation

/// f-HNCA (Section 2.1, Eq. 5-6) for a small layered Bernoulli network and a known function
/// f = sum_k f^k with one component per layer,
///   f^k = log sigma(u_k . phi_k + w_k . phi_{k+1} + c_k)   (w_K absent for the last layer),
/// the VAE's "linear function followed by an activation" form, so that each component's
/// counterfactual f^k_Phi(phi) takes constant time. For a unit Phi of layer k the components fall
/// into the paper's classes (Figure 2): f^k is directly connected and mediated through Phi's
/// children (layer k + 1), so it is rho-weighted with its counterfactual value; f^(k-1) is only
/// directly connected (Phi's children are not its ancestors), so it is credited without rho;
/// f^k' for k' > k is only mediated (f^k'_Phi(phi) = f^k', rho-weighted); f^k' for k' < k - 1 is
/// upstream and contributes nothing. No component depends on network parameters directly, so
/// Eq. 6's last sum vanishes. Scalar code: the exact checks enumerate every configuration.
public struct KnownFunctionNetwork: Sendable {
    public var layers: [BernoulliLayer]
    public var input: [Double]
    /// Per layer k: u_k (one weight per unit of layer k), w_k (per unit of layer k + 1; empty for the last), c_k.
    public var readouts: [(u: [Double], w: [Double], c: Double)]

    public init(layers: [BernoulliLayer], input: [Double], readouts: [(u: [Double], w: [Double], c: Double)]) {
        precondition(readouts.count == layers.count)
        for k in layers.indices {
            precondition(readouts[k].u.count == layers[k].unitCount)
            precondition(readouts[k].w.count == (k + 1 < layers.count ? layers[k + 1].unitCount : 0))
        }
        precondition(layers.first?.inputCount == input.count)
        self.layers = layers; self.input = input; self.readouts = readouts
    }

    /// Deliberate bugs for negative controls.
    public enum Variant: String, Sendable, CaseIterable {
        case paper
        /// Uses the realised f^i instead of the counterfactual f^i_Phi(phi) for directly connected components.
        case realisedComponent
        /// Normalises rho by q_Phi (the realised output's children probability) instead of q_bar.
        case realisedNormaliser
    }

    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameters.count } }

    static func logit(_ layer: BernoulliLayer, _ j: Int, _ x: [Double]) -> Double {
        var l = layer.bias[j]
        for i in x.indices { l += layer.weights[j, i] * x[i] }
        return l
    }

    func readoutLogit(_ k: Int, _ values: [[Double]]) -> Double {
        var z = readouts[k].c
        for j in values[k].indices { z += readouts[k].u[j] * values[k][j] }
        if k + 1 < layers.count { for j in values[k + 1].indices { z += readouts[k].w[j] * values[k + 1][j] } }
        return z
    }

    /// f^k for a configuration.
    public func components(_ values: [[Double]]) -> [Double] { layers.indices.map { Fn.logSigmoid(readoutLogit($0, values)) } }

    /// Every configuration of the hidden units with its probability.
    public func configurations() -> [(values: [[Double]], p: Double)] {
        let total = layers.reduce(0) { $0 + $1.unitCount }
        precondition(total <= 20, "KnownFunctionNetwork: too many units to enumerate")
        return (0..<(1 << total)).map { code in
            var x = input, p = 1.0, bit = 0
            var values: [[Double]] = []
            for layer in layers {
                var v = [Double](repeating: 0, count: layer.unitCount)
                for j in v.indices {
                    let fired = (code >> bit) & 1 == 1
                    bit += 1
                    let q = layer.firingProbability(logit: Self.logit(layer, j, x))
                    p *= fired ? q : 1 - q
                    v[j] = layer.encoding.value(fired: fired)
                }
                values.append(v); x = v
            }
            return (values, p)
        }
    }

    /// One ancestral sample.
    public func sample(_ stream: inout RandomStream) -> [[Double]] {
        var x = input
        var values: [[Double]] = []
        for layer in layers {
            let v = (0..<layer.unitCount).map { j in layer.encoding.value(fired: stream.uniform() < layer.firingProbability(logit: Self.logit(layer, j, x))) }
            values.append(v); x = v
        }
        return values
    }

    /// Per component i, the REINFORCE estimate of its gradient, training each unit on the
    /// components it is an ancestor of: (fired - p) [x, 1] f^i for units upstream of f^i.
    /// Parameters flattened layer by layer (weights row by row, then biases).
    public func reinforce(_ values: [[Double]]) -> [[Double]] {
        let f = components(values)
        return f.indices.map { i in
            var g: [Double] = []
            var x = input
            for (k, layer) in layers.enumerated() {
                let reaches = k <= i + 1   // units of layers up to i + 1 are ancestors of f^i
                var coef = [Double](repeating: 0, count: layer.unitCount)
                for j in coef.indices where reaches {
                    let l = Self.logit(layer, j, x)
                    let slope = layer.probabilitySlope(logit: l)
                    coef[j] = slope > 0 ? ((layer.encoding.fired(values[k][j]) ? 1 : 0) - layer.firingProbability(logit: l)) * f[i] : 0
                }
                for j in coef.indices { for xi in x { g.append(coef[j] * xi) } }
                g += coef
                x = values[k]
            }
            return g
        }
    }

    /// Per component i, the f-HNCA estimate (Eq. 5 per component; their sum is Eq. 6).
    public func fHNCA(_ values: [[Double]], variant: Variant = .paper) -> [[Double]] {
        let f = components(values)
        var perComponent = [[Double]](repeating: [], count: f.count)
        var x = input
        for (k, layer) in layers.enumerated() {
            // Per unit: sigma'(l), log q_on, log q_off (children = layer k + 1), counterfactual components.
            var coefs = [[Double]](repeating: [Double](repeating: 0, count: layer.unitCount), count: f.count)
            for j in 0..<layer.unitCount {
                let l = Self.logit(layer, j, x)
                let slope = layer.probabilitySlope(logit: l)
                guard slope > 0 else { continue }
                let p = layer.firingProbability(logit: l)
                let xj = values[k][j]
                let on = layer.encoding.on, off = layer.encoding.off
                // rho(on), rho(off) from the children's counterfactual logits l_c + theta_cj (v - x_j).
                var rhoOn = 1.0, rhoOff = 1.0
                if k + 1 < layers.count {
                    let child = layers[k + 1]
                    var logOn = 0.0, logOff = 0.0
                    for c in 0..<child.unitCount {
                        let lc = Self.logit(child, c, values[k])
                        let firedC = child.encoding.fired(values[k + 1][c])
                        logOn += child.logProbability(fired: firedC, logit: lc + child.weights[c, j] * (on - xj))
                        logOff += child.logProbability(fired: firedC, logit: lc + child.weights[c, j] * (off - xj))
                    }
                    let top = max(logOn, logOff)
                    let qOn = exp(logOn - top), qOff = exp(logOff - top)
                    let norm = variant == .realisedNormaliser ? (layer.encoding.fired(xj) ? qOn : qOff) : p * qOn + (1 - p) * qOff
                    rhoOn = qOn / norm; rhoOff = qOff / norm
                }
                for i in f.indices {
                    // Counterfactual f^i_Phi(v): f^k moves through u_kj, f^(k-1) through w_(k-1)j.
                    func counterfactual(_ v: Double) -> Double {
                        if variant == .realisedComponent { return f[i] }
                        var z = readoutLogit(i, values)
                        if i == k { z += readouts[i].u[j] * (v - xj) }
                        else if i == k - 1 { z += readouts[i].w[j] * (v - xj) }
                        return Fn.logSigmoid(z)
                    }
                    let mediated = k + 1 < layers.count && i >= k     // Phi's children are ancestors of f^i
                    let direct = i == k || i == k - 1
                    guard mediated || direct else { continue }
                    let (fOn, fOff) = direct ? (counterfactual(on), counterfactual(off)) : (f[i], f[i])
                    // sum_phi d pi(phi)/d l (rho(phi)) f_Phi(phi), with d pi(on)/d l = sigma'(l) = -d pi(off)/d l.
                    coefs[i][j] = mediated ? slope * (rhoOn * fOn - rhoOff * fOff) : slope * (fOn - fOff)
                }
            }
            for i in f.indices {
                for j in 0..<layer.unitCount { for xi in x { perComponent[i].append(coefs[i][j] * xi) } }
                perComponent[i] += coefs[i]
            }
            x = values[k]
        }
        return perComponent
    }

    /// The exact gradient of E[f] = sum_config p f d log p, and E[f].
    public func exactGradient() -> (objective: Double, gradient: [Double]) {
        var g = [Double](repeating: 0, count: parameterCount), objective = 0.0
        for (v, p) in configurations() {
            let total = components(v).reduce(0, +)
            objective += p * total
            // REINFORCE with every unit trained on all of f: its per-component sum.
            var score: [Double] = []
            var x = input
            for (k, layer) in layers.enumerated() {
                let coef = (0..<layer.unitCount).map { j -> Double in
                    let l = Self.logit(layer, j, x)
                    return layer.probabilitySlope(logit: l) > 0 ? (layer.encoding.fired(v[k][j]) ? 1 : 0) - layer.firingProbability(logit: l) : 0
                }
                for c in coef { for xi in x { score.append(c * xi) } }
                score += coef
                x = v[k]
            }
            for k in g.indices { g[k] += p * total * score[k] }
        }
        return (objective, g)
    }

    /// The same network with parameters from a flat vector (for finite differences).
    public func with(flattenedParameters theta: [Double]) -> KnownFunctionNetwork {
        var copy = self, k = 0
        for l in copy.layers.indices {
            for i in copy.layers[l].parameters.weights.data.indices { copy.layers[l].parameters.weights.data[i] = theta[k]; k += 1 }
            for i in copy.layers[l].parameters.bias.indices { copy.layers[l].parameters.bias[i] = theta[k]; k += 1 }
        }
        return copy
    }
    public var flattenedParameters: [Double] { layers.flatMap(\.parameters.flattened) }

    public static func random(inputs: Int, widths: [Int], encoding: UnitEncoding, scale: Double, stream: inout RandomStream) -> KnownFunctionNetwork {
        let net = StochasticNetwork.random(inputs: inputs, hiddenSizes: widths, actions: 1, encoding: encoding, scale: scale, stream: &stream)
        let x = (0..<inputs).map { _ in stream.bernoulli(0.5) ? 1.0 : 0.0 }
        let readouts = widths.indices.map { k in
            (u: (0..<widths[k]).map { _ in stream.normal(sd: scale) },
             w: k + 1 < widths.count ? (0..<widths[k + 1]).map { _ in stream.normal(sd: scale) } : [],
             c: stream.normal())
        }
        return KnownFunctionNetwork(layers: net.hidden, input: x, readouts: readouts)
    }
}
