import Foundation

/// Adam (Kingma & Ba, 2015) on a flat vector of scalars, with the defaults beta1 = 0.9,
/// beta2 = 0.999, epsilon = 1e-8. A private stand-in for the toy until the shared
/// `Optimizers/Adam.swift` (branch hnca-bandit) is merged.
struct ScalarAdam {
    let learningRate: Double
    let beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8
    private var m: [Double], v: [Double], t = 0
    init(count: Int, learningRate: Double) {
        self.learningRate = learningRate
        m = [Double](repeating: 0, count: count); v = m
    }
    /// The step to subtract from the parameters for the gradient g (descent on g's objective).
    mutating func step(_ g: [Double]) -> [Double] {
        t += 1
        let c1 = 1 - pow(beta1, Double(t)), c2 = 1 - pow(beta2, Double(t))
        var out = g
        for i in g.indices {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
            out[i] = learningRate * (m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon)
        }
        return out
    }
}
