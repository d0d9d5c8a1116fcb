/// Everything random an encoder-gradient estimate uses: the main encoder pass and, for the
/// multi-sample estimators, one extra partial pass per layer (Section 2.2: "both DisARM and
/// REINFORCE LOO require sampling an additional partial forward pass beginning from each layer").
/// Estimators are deterministic functions of a `VAEDraws`, so the exact oracle can enumerate them.
public struct VAEDraws: Sendable {
    public var main: VAEPass
    /// partial[e]: `main` with layers e... replaced (LOO: a fresh draw from q given main Phi_e;
    /// DisARM: layer e is the antithetic partner 1[1 - u < p], later layers fresh). Empty when unused.
    public var partial: [VAEPass]
    public init(main: VAEPass, partial: [VAEPass] = []) { self.main = main; self.partial = partial }
}

/// How a method's partial passes are drawn.
public enum PartialPassKind: Sendable { case none, independent, antithetic }

public extension DiscreteVAE {
    /// Draws what `kind` needs on minibatch `x`. Cost: one encoder pass, plus for LOO and DisARM
    /// a partial pass from every layer (sum over e of L - e layers: quadratic in L).
    func draw(_ x: Matrix, partial kind: PartialPassKind, stream: inout RandomStream) -> VAEDraws {
        let (main, uniforms) = forward(x, stream: &stream)
        switch kind {
        case .none: return VAEDraws(main: main)
        case .independent:
            return VAEDraws(main: main, partial: (0..<layerCount).map { resample(main, from: $0, stream: &stream) })
        case .antithetic:
            return VAEDraws(main: main, partial: (0..<layerCount).map { e in
                let u = uniforms[e], p = main.encoder[e].probabilities
                var partner = u
                let off = coding.off
                for k in partner.data.indices { partner.data[k] = 1 - u.data[k] < p.data[k] ? 1 : off }
                return resample(main, from: e, first: partner, stream: &stream)
            })
        }
    }
}
