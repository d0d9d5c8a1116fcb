import Foundation

/// One protocol for every encoder-gradient estimator of a `DiscreteVAE`: draw the latents for a
/// minibatch and return, per encoder layer, the estimate's derivative along each unit's logit
/// (the learning signal c: weight (j, i) gets c_bj Phi_e[b, i], bias j gets c_bj; the exact
/// entropy gradient included). `VAEGradient` turns it into parameter gradients by two gemms per
/// layer. The estimators: the score-function family of the HNCA paper (REINFORCE with or without
/// a baseline, leave-one-out, DisARM, f-HNCA: `VAEScoreEstimator`) and the control-variate family
/// of the RELAX draft's Table 1 (NVIL, MuProp, REBAR, RELAX, LAX: `VAEControlVariateEstimator`).
///
/// Adding an estimator means one type conforming here; `VAETrainer` trains a VAE with any of them.
public protocol VAEGradientEstimator: Sendable {
    var label: String { get }
    /// Draws the latents for minibatch `x` (rows) from `stream` and estimates; the estimator's
    /// learned parts are read, never changed, so the estimate is a function of the draws.
    func estimate(_ vae: DiscreteVAE, _ x: Matrix, stream: inout RandomStream) -> VAEEstimate
    /// Fits the estimator's learned parts (baselines, control variates) on the estimate it has
    /// just made, before the model moves. Estimators without learned parts do nothing.
    mutating func learn(_ vae: DiscreteVAE, from estimate: VAEEstimate)
}

public extension VAEGradientEstimator {
    mutating func learn(_ vae: DiscreteVAE, from estimate: VAEEstimate) {}
}

/// What an estimator returns: the main pass (the decoder's exact gradient is taken on it), the
/// per-layer learning signals and, for estimators that relax b, each layer's relaxation (what
/// their learning reads).
public struct VAEEstimate: Sendable {
    public var pass: VAEPass
    public var signals: [Matrix]
    public var relaxations: [VAERelaxation]?
    public init(pass: VAEPass, signals: [Matrix], relaxations: [VAERelaxation]? = nil) {
        self.pass = pass; self.signals = signals; self.relaxations = relaxations
    }
}

public extension DiscreteVAE {
    /// The full minibatch gradient from an estimate.
    func gradient(_ estimate: VAEEstimate) -> VAEGradient {
        let (enc, variance) = encoderGradient(signals: estimate.signals, pass: estimate.pass)
        let (dec, prior) = decoderGradient(pass: estimate.pass)
        return VAEGradient(encoder: enc, decoder: dec, prior: prior, encoderVarianceSum: variance)
    }
}

/// The HNCA paper's estimators (`VAEScoreMethod`), with the Section 1.3 moving-average
/// baseline per layer where the method defines one (REINFORCE, f-HNCA).
public struct VAEScoreEstimator: VAEGradientEstimator {
    public let method: VAEScoreMethod
    /// One moving average per encoder layer of `method.baselineTargets`, or nil: no baseline.
    public var movingAverages: [MovingAverageBaseline]?

    /// `baseline`: subtract a moving average (decay 0.99, from 0) per layer, updated after each
    /// estimate (so it depends on past minibatches only and the estimator stays unbiased).
    public init(_ method: VAEScoreMethod, baseline: Bool = false, layers: Int = 0) {
        precondition(!baseline || method.acceptsBaseline, "VAEScoreEstimator: \(method.rawValue) takes no baseline")
        precondition(!baseline || layers > 0, "VAEScoreEstimator: a baseline needs the number of encoder layers")
        self.method = method
        movingAverages = baseline ? Array(repeating: MovingAverageBaseline(decay: 0.99), count: layers) : nil
    }
    public var label: String { method.label + (movingAverages == nil ? "" : " + baseline") }
    /// The baselines subtracted now, per layer (nil: none).
    public var baselines: [Double]? { movingAverages?.map(\.value) }

    public func estimate(_ vae: DiscreteVAE, _ x: Matrix, stream: inout RandomStream) -> VAEEstimate {
        let draws = vae.draw(x, partial: method.partialPasses, stream: &stream)
        return VAEEstimate(pass: draws.main, signals: method.signals(vae, draws, baselines: baselines))
    }

    public mutating func learn(_ vae: DiscreteVAE, from estimate: VAEEstimate) {
        guard movingAverages != nil else { return }
        for (e, target) in method.baselineTargets(vae, estimate.pass).enumerated() { movingAverages![e].update(with: [target]) }
    }
}

extension VAEControlVariateEstimator: VAEGradientEstimator {
    public var label: String { method.label }
    /// Every method draws u then v per layer (`reparameterizedForward`; NVIL and MuProp read only
    /// b), so all methods consume the same uniforms and runs paired within a seed stay paired.
    public func estimate(_ vae: DiscreteVAE, _ x: Matrix, stream: inout RandomStream) -> VAEEstimate {
        let (pass, drawn) = vae.reparameterizedForward(x, stream: &stream)
        let relaxations = method.needsRelaxation ? drawn : nil
        return VAEEstimate(pass: pass, signals: (0..<vae.layerCount).map {
            layerSignal(vae, pass, layer: $0, relaxation: relaxations?[$0])
        }, relaxations: relaxations)
    }
}
