/// An objective f(b) of binary inputs that also accepts continuous inputs in [0, 1]^n and is
/// twice differentiable there: what the concrete relaxation and REBAR require (RELAX draft,
/// Section 4), and what REINFORCE, LAX and RELAX do not.
public protocol DifferentiableObjective: Sendable {
    func value(_ x: [Double]) -> Double
    func gradient(_ x: [Double]) -> [Double]
    /// The Hessian of f at x times the vector w (needed for the temperature's variance gradient).
    func hessianVectorProduct(_ x: [Double], _ w: [Double]) -> [Double]
}

/// The toy of Section 6.1 in n coordinates: f(x) = sum_i (x_i - t_i)^2.
public struct SquaredDistance: DifferentiableObjective {
    public var targets: [Double]
    public init(targets: [Double]) { self.targets = targets }
    public func value(_ x: [Double]) -> Double {
        var s = 0.0
        for i in x.indices { let d = x[i] - targets[i]; s += d * d }
        return s
    }
    public func gradient(_ x: [Double]) -> [Double] { x.indices.map { 2 * (x[$0] - targets[$0]) } }
    public func hessianVectorProduct(_ x: [Double], _ w: [Double]) -> [Double] { w.map { 2 * $0 } }
    /// E[f(b)] for b_i ~ Bern(theta_i), in closed form: sum_i theta_i (1 - t_i)^2 + (1 - theta_i) t_i^2.
    public func expectedLoss(probabilities theta: [Double]) -> Double {
        var s = 0.0
        for i in theta.indices { s += theta[i] * (1 - targets[i]) * (1 - targets[i]) + (1 - theta[i]) * targets[i] * targets[i] }
        return s
    }
    /// d/da_i E[f(b)] = sigmoid'(a_i) (1 - 2 t_i).
    public func exactGradient(logits a: [Double]) -> [Double] {
        a.indices.map { let th = Fn.sigmoid(a[$0]); return th * (1 - th) * (1 - 2 * targets[$0]) }
    }
}
