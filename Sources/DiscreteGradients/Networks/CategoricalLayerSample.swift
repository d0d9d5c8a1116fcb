import Foundation

/// What a `CategoricalLayer` drew for a minibatch through the Gumbel reparameterisation of the
/// RELAX draft's Appendix B: per example and group, z = theta + G (G standard Gumbels from u),
/// b = argmax z (the Gumbel-max trick, P(b = k) = softmax(theta)_k), and z~ ~ p(z | b) from v with
/// its Jacobian dz~/dtheta at fixed (v, b) (`CategoricalReparameterization.conditional`). Groups
/// are independent given the input, so the conditional of the whole row given every group's class
/// is the product of the groups' conditionals. Everything REBAR, RELAX and LAX read is here.
public struct CategoricalLayerSample: Sendable {
    /// The layer's input X [batch x inputs].
    public var input: Matrix
    /// theta [batch x groups K].
    public var logits: Matrix
    public let groups: Int
    public var classes: Int { logits.cols / groups }
    /// The class of every group, [batch][groups].
    public var choices: [[Int]]
    /// The one-hot outputs [batch x groups K]: the next layer's input.
    public var values: Matrix
    /// z = theta + G [batch x groups K] (dz/dtheta = I).
    public var z: Matrix
    /// z~ ~ p(z | b) [batch x groups K].
    public var zTilde: Matrix
    /// dz~/dtheta within each group: row b holds, group by group, the K x K block
    /// [k][j] = dz~_{gk}/dtheta_{gj} row-major ([batch x groups K K]); across groups it is 0.
    public var dzTildeDtheta: Matrix

    /// From its parts (for oracles that integrate over z and z~ given the classes).
    public init(input: Matrix, logits: Matrix, groups: Int, choices: [[Int]], z: Matrix, zTilde: Matrix, dzTildeDtheta: Matrix) {
        let K = logits.cols / max(groups, 1)
        precondition(groups >= 1 && K * groups == logits.cols && K >= 2, "CategoricalLayerSample: \(logits.cols) logits for \(groups) groups")
        precondition(choices.count == logits.rows && choices.allSatisfy { $0.count == groups && $0.allSatisfy { (0..<K).contains($0) } },
                     "CategoricalLayerSample: choices must be [batch][groups] classes")
        precondition(z.rows == logits.rows && z.cols == logits.cols && zTilde.rows == z.rows && zTilde.cols == z.cols
                     && dzTildeDtheta.rows == z.rows && dzTildeDtheta.cols == groups * K * K, "CategoricalLayerSample: relaxation shapes")
        var values = Matrix(rows: logits.rows, cols: logits.cols)
        for (r, row) in choices.enumerated() { for (g, k) in row.enumerated() { values[r, g * K + k] = 1 } }
        self.input = input; self.logits = logits; self.groups = groups; self.choices = choices
        self.values = values; self.z = z; self.zTilde = zTilde; self.dzTildeDtheta = dzTildeDtheta
    }

    /// The draw from explicit noise u, v in (0, 1), both shaped like the logits.
    public static func draw(input: Matrix, logits theta: Matrix, groups: Int, u: Matrix, v: Matrix) -> CategoricalLayerSample {
        precondition(u.rows == theta.rows && u.cols == theta.cols && v.rows == theta.rows && v.cols == theta.cols, "CategoricalLayerSample: noise shape")
        let K = theta.cols / groups
        var z = theta, zt = theta, jac = Matrix(rows: theta.rows, cols: groups * K * K)
        var choices = [[Int]](repeating: [], count: theta.rows)
        for r in 0..<theta.rows {
            for g in 0..<groups {
                let cols = (g * K)..<((g + 1) * K)
                let th = cols.map { theta[r, $0] }
                let zg = CategoricalReparameterization.z(logits: th, u: cols.map { u[r, $0] })
                let b = CategoricalReparameterization.hard(zg)
                let c = CategoricalReparameterization.conditional(logits: th, b: b, v: cols.map { v[r, $0] })
                for k in 0..<K {
                    z[r, g * K + k] = zg[k]; zt[r, g * K + k] = c.z[k]
                    for j in 0..<K { jac[r, g * K * K + k * K + j] = c.jacobian[k][j] }
                }
                choices[r].append(b)
            }
        }
        return CategoricalLayerSample(input: input, logits: theta, groups: groups, choices: choices, z: z, zTilde: zt, dzTildeDtheta: jac)
    }

    public var batchSize: Int { logits.rows }

    /// The score d log p(b)/dtheta = onehot(b) - softmax(theta), group by group [batch x groups K].
    public var score: Matrix {
        let K = classes
        var s = values
        for r in 0..<logits.rows {
            for g in 0..<groups {
                let pi = Fn.softmax((0..<K).map { logits[r, g * K + $0] })
                for k in 0..<K { s[r, g * K + k] -= pi[k] }
            }
        }
        return s
    }
}
