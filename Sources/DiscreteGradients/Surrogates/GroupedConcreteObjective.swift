import Foundation

/// REBAR's control variate for a layer of G categorical groups of K classes (RELAX draft Eq. 12
/// with the concrete relaxation of Appendix B, Eq. 15, applied group by group):
/// c(z) = eta f(x), x_g = softmax(z_g / lambda), phi = (eta, log lambda). With one group it is
/// `ScaledConcreteObjective`; it exists because a layer's downstream f reads every group's
/// one-hot at once, so the relaxation must soften each group separately but feed f jointly.
///
/// Per group (the sums over i run over the group's K coordinates): m_g = sum_i x_i df_i,
/// G_j = x_j (df_j - m_g) / lambda, dc/dz_j = eta G_j; along log lambda, w_i = -x_i (z_i - zbar_g) / lambda
/// with zbar_g = sum_i x_i z_i, dc/dlog lambda = eta grad f . w and
/// dG_j/dlog lambda = [w_j (df_j - m_g) + x_j ((Hw)_j - dm_g)] / lambda - G_j,
/// dm_g = sum_i w_i df_i + x_i (Hw)_i (H the Hessian of f, over all groups).
public struct GroupedConcreteObjective<F: DifferentiableObjective>: Surrogate {
    public var objective: F
    public var parameters: [Double]
    public let groups: Int
    public init(_ objective: F, groups: Int, eta: Double, logTemperature: Double) {
        precondition(groups >= 1, "GroupedConcreteObjective: need a group")
        self.objective = objective; self.groups = groups; self.parameters = [eta, logTemperature]
    }
    public var parameterNames: [String] { ["eta", "log lambda"] }
    public var eta: Double { parameters[0] }
    public var temperature: Double { exp(parameters[1]) }

    /// x_g = softmax(z_g / lambda) for every group (Eq. 15).
    public func relax(_ z: [Double]) -> [Double] {
        let K = z.count / groups, lambda = temperature
        return (0..<groups).flatMap { g in Fn.softmax((0..<K).map { z[g * K + $0] / lambda }) }
    }

    public func evaluate(_ z: [Double], parameterGradients: Bool) -> SurrogateEvaluation {
        precondition(z.count % groups == 0 && z.count / groups >= 2, "GroupedConcreteObjective: \(z.count) inputs for \(groups) groups")
        let eta = parameters[0], lambda = exp(parameters[1]), K = z.count / groups, n = z.count
        let x = relax(z)
        let fx = objective.value(x), df = objective.gradient(x)
        var m = [Double](repeating: 0, count: groups)
        for i in 0..<n { m[i / K] += x[i] * df[i] }
        let G = (0..<n).map { x[$0] * (df[$0] - m[$0 / K]) / lambda }
        let dz = G.map { eta * $0 }
        guard parameterGradients else { return SurrogateEvaluation(value: eta * fx, dz: dz) }
        var zbar = [Double](repeating: 0, count: groups)
        for i in 0..<n { zbar[i / K] += x[i] * z[i] }
        let w = (0..<n).map { -x[$0] * (z[$0] - zbar[$0 / K]) / lambda }
        let hw = objective.hessianVectorProduct(x, w)
        var dfLog = 0.0
        var dm = [Double](repeating: 0, count: groups)
        for i in 0..<n { dfLog += df[i] * w[i]; dm[i / K] += w[i] * df[i] + x[i] * hw[i] }
        let dDz = (0..<n).map { j -> [Double] in
            let dG = (w[j] * (df[j] - m[j / K]) + x[j] * (hw[j] - dm[j / K])) / lambda - G[j]
            return [G[j], eta * dG]
        }
        return SurrogateEvaluation(value: eta * fx, dz: dz, dValue: [fx, eta * dfLog], dDz: dDz)
    }
}
