import Foundation

/// Estimators of the gradient of the ELBO (Eq. 7) with respect to the encoder's parameters.
/// Every unit is trained on the function components downstream of it only (Section 2.2), plus
/// the exact direct gradient of its own entropy component H(q_{e+1}(. | Phi_e)) (Figure 2, purple).
///
/// An estimate is returned as learning signals: for encoder layer e, a [batch x units] matrix c
/// with the per-example estimate c_bj * Phi_e[b, i] for weight (j, i) and c_bj for bias j (the
/// estimate's derivative with respect to the unit's logit).
public enum VAEScoreMethod: String, Codable, Sendable, CaseIterable {
    /// REINFORCE: (Phi - p) * (sum of downstream components - baseline).
    case reinforce
    /// f-HNCA (Eq. 6) with rho of Eq. 2; the baseline, when nonzero, is subtracted from the
    /// rho-weighted sum of the components with mediated connections.
    case fHNCA
    /// REINFORCE leave-one-out with 2 samples per layer (Kool et al. 2019).
    case leaveOneOut
    /// DisARM (Dong, Mnih and Tucker 2020) per layer on an antithetic pair.
    case disARM
    /// Negative control: f-HNCA whose rho drops the unit's own probabilities from its normaliser,
    /// rho(phi) = q_phi / (1/2 sum_phi' q_phi') instead of q_phi / sum_phi' pi(phi') q_phi' (Eq. 2).
    /// (Dropping the normaliser altogether, rho = q_phi / q_Phi, would NOT be a bug: it is an
    /// importance-weighted form of Eq. 2 and unbiased, as the oracle confirms.)
    case fHNCAUnweightedRho
    /// Negative control: f-HNCA that keeps only the phi = 1 term of Eq. 6's sum over phi,
    /// sigma'(l) g(1) instead of sigma'(l) (g(1) - g(0)) (d pi(0)/d l = -sigma'(l) forgotten):
    /// biased, and its signal carries the whole ELBO's size, as REINFORCE's does.
    case fHNCAWithoutZeroTerm
    /// f-HNCA with the released code's `all_child = true` (Section 2.2's ablation): the components
    /// with no child of the unit among their ancestors (ch(Phi) ∩ an~(f^i) = ∅: the decoder
    /// likelihood of the unit's input and the entropy of its encoder children) are weighted by rho
    /// as well, rho(1) f(1) - rho(0) f(0) instead of f(1) - f(0). Unbiased (E[rho(phi) | parents] = 1
    /// over the children), noisier.
    case fHNCAAllChild
    /// f-HNCA with the released code's `full_reward = true`: the upstream function components (those
    /// the unit does not influence: the entropies of its own and lower encoder layers, the decoder
    /// likelihoods below it) are added to the rho-weighted reward. Unbiased (rho(1) - rho(0) has mean
    /// 0 given the unit's parents), noisier.
    case fHNCAFullReward
    /// Both switches on: every function component in the rho-weighted sum (`all_child = true`,
    /// `full_reward = true`), the ablation's starting point.
    case fHNCAAllChildFullReward
    /// Negative control for the ablation: `full_reward` whose "upstream" sum is taken as everything
    /// but the mediated components (total - mediated), so it also holds the unit's direct
    /// components (the decoder likelihood of its input, its encoder children's entropy), which
    /// depend on the unit: multiplied by rho(1) - rho(0), biased.
    case fHNCAUpstreamWithDirect

    public var label: String {
        switch self {
        case .reinforce: "REINFORCE"
        case .fHNCA: "f-HNCA"
        case .leaveOneOut: "REINFORCE LOO"
        case .disARM: "DisARM"
        case .fHNCAUnweightedRho: "mutant (unweighted rho)"
        case .fHNCAWithoutZeroTerm: "mutant (f-HNCA without the phi = 0 term)"
        case .fHNCAAllChild: "f-HNCA (all_child)"
        case .fHNCAFullReward: "f-HNCA (full_reward)"
        case .fHNCAAllChildFullReward: "f-HNCA (all_child, full_reward)"
        case .fHNCAUpstreamWithDirect: "mutant (full_reward counting direct components as upstream)"
        }
    }

    public var partialPasses: PartialPassKind {
        switch self {
        case .leaveOneOut: .independent
        case .disARM: .antithetic
        default: .none
        }
    }
    /// Whether a moving-average baseline is defined for the method (REINFORCE, f-HNCA).
    public var acceptsBaseline: Bool { self == .reinforce || isFHNCA }
    var isFHNCA: Bool {
        switch self {
        case .reinforce, .leaveOneOut, .disARM: false
        default: true
        }
    }
    /// The released code's ablation switches (kenjyoung/HNCA_code_supplement, generative_modeling/HNCA.py):
    /// `allChild` weights the components without a child of the unit among their ancestors by rho
    /// too; `fullReward` adds the upstream components to the rho-weighted reward. Both false is the
    /// paper's f-HNCA (Section 2.2: every unit trained on its downstream components, children
    /// excluded where ch(Phi) ∩ an~(f^i) = ∅).
    public var ablationSwitches: (allChild: Bool, fullReward: Bool) {
        switch self {
        case .fHNCAAllChild: (true, false)
        case .fHNCAFullReward, .fHNCAUpstreamWithDirect: (false, true)
        case .fHNCAAllChildFullReward: (true, true)
        default: (false, false)
        }
    }

    /// The learning signals per encoder layer. `baselines[e]` is subtracted as described per case
    /// (ignored by LOO and DisARM; 0 means none).
    public func signals(_ vae: DiscreteVAE, _ draws: VAEDraws, baselines: [Double]? = nil) -> [Matrix] {
        let pass = draws.main
        let L = vae.layerCount, B = pass.batchSize
        let base = baselines ?? .init(repeating: 0, count: L)
        let components = ELBOComponents(vae, pass)
        let partialComponents: [ELBOComponents] = partialPasses == .none ? [] : draws.partial.map { ELBOComponents(vae, $0) }
        var out: [Matrix] = []
        for e in 0..<L {
            let layer = pass.encoder[e]
            let H = layer.logits.cols
            var c = Matrix(rows: B, cols: H)
            switch self {
            case .reinforce:
                let F = components.downstream(of: e)
                let fired = vae.indicators(layer.values)
                for b in 0..<B {
                    for j in 0..<H {
                        // The top layer's unit j is upstream of its own prior element only.
                        let f = e == L - 1 ? F[b] - components.logPrior[b] + components.priorElements[b, j] : F[b]
                        c[b, j] = (fired[b, j] - layer.probabilities[b, j]) * (f - base[e])
                    }
                }
                VAEOperationCount.add(multiplyAdds: 3 * B * H)
            case .leaveOneOut, .disARM:
                let F1 = components.downstream(of: e), F2 = partialComponents[e].downstream(of: e)
                let other = vae.indicators(draws.partial[e].encoder[e].values), own = vae.indicators(layer.values)
                for b in 0..<B {
                    let half = 0.5 * (F1[b] - F2[b])
                    for j in 0..<H {
                        if self == .leaveOneOut {
                            c[b, j] = half * (own[b, j] - other[b, j])      // 1/(K-1) sum_k (f_k - mean f) (b_k - p), K = 2
                        } else if own[b, j] != other[b, j] {
                            let sign = other[b, j] == 1 ? -1.0 : 1.0                  // (-1)^(b~_j)
                            c[b, j] = half * sign * Fn.sigmoid(abs(layer.logits[b, j]))
                            VAEOperationCount.add(transcendentals: 1)
                        }
                    }
                }
                VAEOperationCount.add(multiplyAdds: 2 * B + 2 * B * H)
            case .fHNCA, .fHNCAUnweightedRho, .fHNCAWithoutZeroTerm, .fHNCAAllChild, .fHNCAFullReward, .fHNCAAllChildFullReward, .fHNCAUpstreamWithDirect:
                c = fHNCASignal(vae, pass, components, layer: e, baseline: base[e])
            }
            // Direct gradient of the unit's own entropy component: dH/dl = -l sigma'(l).
            for k in c.data.indices {
                let p = layer.probabilities.data[k]
                c.data[k] -= layer.logits.data[k] * p * (1 - p)
            }
            VAEOperationCount.add(multiplyAdds: 3 * B * H)
            out.append(c)
        }
        return out
    }

    /// Eq. 6 for every unit of layer e: sigma'(l) (g(1) - g(0)) with
    /// g(phi) = rho(phi) (sum of mediated components at Phi_j = phi - baseline) + sum of direct-only components at Phi_j = phi.
    func fHNCASignal(_ vae: DiscreteVAE, _ pass: VAEPass, _ components: ELBOComponents, layer e: Int, baseline: Double) -> Matrix {
        precondition(vae.childrenAreAffine(ofLayer: e),
                     "f-HNCA needs affine maps from layer \(e)'s units to their children (its flip counterfactuals shift the children's logits by one weight, FlipCounterfactuals); this DiscreteVAE has a tanh stack there (a nonlinear model): use REINFORCE, LOO, DisARM or a control-variate estimator")
        let L = vae.layerCount, B = pass.batchSize
        let layer = pass.encoder[e]
        let H = layer.logits.cols
        // Parents as 0/1 indicators; a flip moves a +-1 parent by 2, so its weights count twice.
        let x = vae.indicators(layer.values)
        let gap = vae.coding.gap
        func flipWeights(_ w: Matrix) -> Matrix { gap == 1 ? w : w.map { gap * $0 } }
        // Direct-only components: log p_e(Phi_e | Phi_{e+1}) (green) ...
        var direct = FlipCounterfactuals.logLikelihoodShift(parents: x, weights: flipWeights(vae.decoder[e].parameters.weights),
                                                            childLogits: pass.decoderLogits[e], children: vae.indicators(of: pass, e))
        var c = Matrix(rows: B, cols: H)
        let withoutZero = self == .fHNCAWithoutZeroTerm
        if e == L - 1 {
            // ... and, for the top layer, its own prior element: log Bern(1; a) - log Bern(0; a) = a.
            for b in 0..<B {
                for j in 0..<H {
                    let s = 1 - 2 * x[b, j]
                    let p = layer.probabilities[b, j]
                    c[b, j] = p * (1 - p) * (s * direct[b, j] + vae.priorLogits[j])
                    if withoutZero {
                        // The mutant adds back sigma'(l) g(0): the direct-only components at Phi_j = 0.
                        let atZero = components.logLikelihood[e][b] + (x[b, j] == 1 ? direct[b, j] : 0) + Fn.logSigmoid(-vae.priorLogits[j])
                        c[b, j] += p * (1 - p) * atZero
                    }
                }
            }
            VAEOperationCount.add(multiplyAdds: 5 * B * H)
            return c
        }
        // ... and the entropy of the next encoder layer, H(q_{e+2}(. | Phi_{e+1})).
        let child = pass.encoder[e + 1]
        let childWeights = flipWeights(vae.encoder[e + 1].parameters.weights)
        let entropy = FlipCounterfactuals.entropyShift(parents: x, weights: childWeights, childLogits: child.logits)
        for k in direct.data.indices { direct.data[k] += entropy.data[k] }
        VAEOperationCount.add(multiplyAdds: B * H)
        // rho (Eq. 2) from the children's likelihood under the flip.
        let childShift = FlipCounterfactuals.logLikelihoodShift(parents: x, weights: childWeights,
                                                                childLogits: child.logits, children: vae.indicators(child.values))
        let mediated = components.mediated(from: e)
        let ownLogits = pass.decoderLogits[e + 1]        // p_{e+1}(Phi_{e+1} | Phi_{e+2}): orange components
        // The ablation switches (released code): upstream components join the rho-weighted reward
        // (full_reward); the direct-only components are rho-weighted too (all_child).
        let (allChild, fullReward) = ablationSwitches
        let upstream: [Double] = self == .fHNCAUpstreamWithDirect
            ? zip(components.total, mediated).map { $0 - $1 }
            : fullReward ? components.upstream(of: e) : []
        // The direct-only components at the sample (log p_e(Phi_e | Phi_{e+1}) and H(q_{e+2}(. | Phi_{e+1}))).
        let directAtSample: [Double] = allChild ? (0..<B).map { components.logLikelihood[e][$0] + components.entropy[e + 1][$0] } : []
        if fullReward || allChild { VAEOperationCount.add(multiplyAdds: B * H * 4 + 2 * B) }
        for b in 0..<B {
            let reward = mediated[b] - baseline + (upstream.isEmpty ? 0 : upstream[b])
            for j in 0..<H {
                let phi = x[b, j], s = 1 - 2 * phi
                let p = layer.probabilities[b, j]
                let d = s * childShift[b, j]             // log q_1 - log q_0
                let (rho1, rho0) = self == .fHNCAUnweightedRho ? Self.unweightedRho(logRatio: d) : Self.rho(p: p, logRatio: d)
                let n = ownLogits[b, j]
                let actualOwn = phi == 1 ? Fn.logSigmoid(n) : Fn.logSigmoid(-n)
                let rest = reward - actualOwn
                let m1 = rest + Fn.logSigmoid(n), m0 = rest + Fn.logSigmoid(-n)
                // Direct-only components: f(1) - f(0) (Eq. 6), or rho(1) f(1) - rho(0) f(0) under all_child.
                let directTerm: Double
                if allChild {
                    let atSample = directAtSample[b], flipped = atSample + direct[b, j]
                    directTerm = phi == 1 ? rho1 * atSample - rho0 * flipped : rho1 * flipped - rho0 * atSample
                } else {
                    directTerm = s * direct[b, j]
                }
                c[b, j] = p * (1 - p) * (rho1 * m1 - rho0 * m0 + directTerm)
                if withoutZero {
                    // The mutant adds back sigma'(l) g(0) = sigma'(l) (rho(0) m(0) + direct-only components at Phi_j = 0).
                    let directAtZero = components.logLikelihood[e][b] + components.entropy[e + 1][b] + (phi == 1 ? direct[b, j] : 0)
                    c[b, j] += p * (1 - p) * (rho0 * m0 + directAtZero)
                }
            }
        }
        // rho (one exp; the mutant's sigmoid likewise), three log sigmoids per unit.
        VAEOperationCount.add(multiplyAdds: 12 * B * H + B * H, transcendentals: 7 * B * H)
        return c
    }

    /// rho(1), rho(0) of Eq. 2 for own firing probability p and d = log q_1 - log q_0 (stable for large |d|).
    @inlinable static func rho(p: Double, logRatio d: Double) -> (Double, Double) {
        if d >= 0 {
            let t = exp(-d), z = p + (1 - p) * t
            return (1 / z, t / z)
        }
        let t = exp(d), z = p * t + (1 - p)
        return (t / z, 1 / z)
    }
    /// The mutant's rho: 2 q_phi / (q_0 + q_1) = 2 sigma(+-d).
    static func unweightedRho(logRatio d: Double) -> (Double, Double) { (2 * Fn.sigmoid(d), 2 * Fn.sigmoid(-d)) }

    /// What the method's moving-average baseline tracks, per layer: the batch mean of the sum of
    /// downstream components (REINFORCE; for the top layer the mean over its units) or of the
    /// components with mediated connections (f-HNCA; none for the top layer).
    public func baselineTargets(_ vae: DiscreteVAE, _ pass: VAEPass) -> [Double] {
        let comps = ELBOComponents(vae, pass)
        let L = vae.layerCount
        return (0..<L).map { e in
            switch self {
            case .reinforce:
                let F = comps.downstream(of: e)
                if e == L - 1 { return zip(F, comps.logPrior).map { $0 - $1 * (1 - 1 / Double(vae.priorLogits.count)) }.mean }
                return F.mean
            case .leaveOneOut, .disARM: return 0
            default:
                // f-HNCA: the components in its rho-weighted reward (released code: the baseline tracks
                // the reward signal, plus the direct-only components under all_child).
                guard e < L - 1 else { return 0 }
                let (allChild, fullReward) = ablationSwitches
                var target = comps.mediated(from: e)
                if self == .fHNCAUpstreamWithDirect {
                    target = comps.total
                } else {
                    if fullReward { target = zip(target, comps.upstream(of: e)).map { $0 + $1 } }
                    if allChild { for b in target.indices { target[b] += comps.logLikelihood[e][b] + comps.entropy[e + 1][b] } }
                }
                return target.mean
            }
        }
    }
}
