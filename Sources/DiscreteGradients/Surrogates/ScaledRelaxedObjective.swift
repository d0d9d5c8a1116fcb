import Foundation

/// REBAR's control variate as a surrogate: c(z) = eta f(sigma_lambda(z)) (RELAX draft, Eq. 12),
/// with phi = (eta, log lambda). REBAR is RELAX (Eq. 13) with this fixed-form surrogate: the
/// -eta f(sigma(z~)) score term and the +eta d f(sigma(z)) - eta d f(sigma(z~)) path terms of Eq. 12
/// are the RELAX terms of c.
public struct ScaledRelaxedObjective<F: DifferentiableObjective>: Surrogate {
    public var objective: F
    public var parameters: [Double]
    public init(_ objective: F, eta: Double, logTemperature: Double) {
        self.objective = objective; self.parameters = [eta, logTemperature]
    }
    public var parameterNames: [String] { ["eta", "log lambda"] }
    public var eta: Double { parameters[0] }
    public var relaxation: BinaryConcrete { BinaryConcrete(logTemperature: parameters[1]) }

    public func evaluate(_ z: [Double], parameterGradients: Bool) -> SurrogateEvaluation {
        let eta = parameters[0], r = relaxation, n = z.count
        let x = z.map(r.relax)
        let q = z.map(r.derivative)
        let fx = objective.value(x), grad = objective.gradient(x)
        let dz = (0..<n).map { eta * grad[$0] * q[$0] }
        guard parameterGradients else { return SurrogateEvaluation(value: eta * fx, dz: dz) }
        let dxLogLambda = z.map(r.derivativeLogTemperature)
        let dqLogLambda = z.map(r.derivativeOfDerivativeLogTemperature)
        let hw = objective.hessianVectorProduct(x, dxLogLambda)
        var dfLogLambda = 0.0
        for j in 0..<n { dfLogLambda += grad[j] * dxLogLambda[j] }
        let dDz = (0..<n).map { i in [grad[i] * q[i], eta * (hw[i] * q[i] + grad[i] * dqLogLambda[i])] }
        return SurrogateEvaluation(value: eta * fx, dz: dz, dValue: [fx, eta * dfLogLambda], dDz: dDz)
    }
}
