import Foundation

/// One protocol for every encoder-gradient estimator of a `DiscreteVAE`: draw the latents for a
/// minibatch and return, per encoder layer, the estimate's derivative along each unit's logit
/// (the learning signal c: weight (j, i) gets c_bj Phi_e[b, i], bias j gets c_bj; the exact
/// entropy gradient included). `VAEGradient` turns it into parameter gradients by two gemms per
/// layer. The estimators: the score-function family of the HNCA paper (REINFORCE with or without
/// a baseline, leave-one-out, DisARM, f-HNCA: `VAEScoreEstimator`) and the control-variate family
/// of the RELAX draft's Table 1 (NVIL, MuProp, REBAR, RELAX, LAX: `VAEControlVariateEstimator`).
public protocol VAEGradientEstimator: Sendable {
    var label: String { get }
    func estimate(_ vae: DiscreteVAE, _ x: Matrix, stream: inout RandomStream) -> VAEEstimate
}

/// What an estimator returns: the main pass (the decoder's exact gradient is taken on it) and
/// the per-layer learning signals.
public struct VAEEstimate: Sendable {
    public var pass: VAEPass
    public var signals: [Matrix]
    public init(pass: VAEPass, signals: [Matrix]) { self.pass = pass; self.signals = signals }
}

public extension DiscreteVAE {
    /// The full minibatch gradient from an estimate.
    func gradient(_ estimate: VAEEstimate) -> VAEGradient {
        let (enc, variance) = encoderGradient(signals: estimate.signals, pass: estimate.pass)
        let (dec, prior) = decoderGradient(pass: estimate.pass)
        return VAEGradient(encoder: enc, decoder: dec, prior: prior, encoderVarianceSum: variance)
    }
}

/// The HNCA paper's estimators (`VAEEncoderEstimator`) with optional constant baselines per layer.
public struct VAEScoreEstimator: VAEGradientEstimator {
    public let method: VAEEncoderEstimator
    public var baselines: [Double]?
    public init(_ method: VAEEncoderEstimator, baselines: [Double]? = nil) { self.method = method; self.baselines = baselines }
    public var label: String { method.rawValue + (baselines == nil ? "" : " + baseline") }
    public func estimate(_ vae: DiscreteVAE, _ x: Matrix, stream: inout RandomStream) -> VAEEstimate {
        let draws = vae.draw(x, partial: method.partialPasses, stream: &stream)
        return VAEEstimate(pass: draws.main, signals: method.signals(vae, draws, baselines: baselines))
    }
}

extension VAEControlVariateEstimator: VAEGradientEstimator {
    public var label: String { method.label }
    /// Every method draws u then v per layer (`reparameterizedForward`; NVIL and MuProp read only
    /// b), so all methods consume the same uniforms.
    public func estimate(_ vae: DiscreteVAE, _ x: Matrix, stream: inout RandomStream) -> VAEEstimate {
        let (pass, relaxations) = vae.reparameterizedForward(x, stream: &stream)
        return VAEEstimate(pass: pass, signals: (0..<vae.layerCount).map {
            layerSignal(vae, pass, layer: $0, relaxation: method.needsRelaxation ? relaxations[$0] : nil)
        })
    }
}
