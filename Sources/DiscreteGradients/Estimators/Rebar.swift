/// REBAR (Tucker et al., 2017; RELAX draft Eq. 12):
///
///   g = f(b) d log p(b) - eta f(sigma_lambda(z~)) d log p(b) + eta d f(sigma_lambda(z)) - eta d f(sigma_lambda(z~)),
///
/// which is RELAX (Eq. 13) with the surrogate c(z) = eta f(sigma_lambda(z)) (`ScaledRelaxedObjective`).
/// It needs f at continuous inputs and its derivatives there; eta and log lambda are trained on
/// the Eq. 14 variance gradient like any surrogate.
public enum Rebar {
    public static func estimate<F: DifferentiableObjective>(_ f: F, sample: RelaxedBernoulliSample,
                                                            controlVariate: ScaledRelaxedObjective<F>,
                                                            varianceGradient: Bool = false) -> GradientEstimate {
        Relax.estimate(value: f.value(sample.b), sample: sample, surrogate: controlVariate, varianceGradient: varianceGradient)
    }
}
