import Foundation

/// One stochastic node X ~ p(. | Pa_X; theta_X) of a stochastic computation graph (Section 2).
///
/// Values are 0..<arity (a Bernoulli node has arity 2). The conditional is a softmax (logistic
/// for arity 2) of logits that are linear in features of the parents' values:
/// - `.table`: one feature per joint parent configuration, so theta is a free logit table;
/// - `.logistic`: a bias plus the parents' values (one-hot for categorical parents), a
///   logistic/softmax regression on the parents.
/// A Bernoulli node has one logit row (p(1) = sigmoid(r)); a categorical node one row per value.
public struct StochasticNode: Sendable, Codable, Equatable {
    public enum Form: String, Sendable, Codable { case table, logistic }

    public var name: String
    public var arity: Int
    public var parents: [Int]
    public var parentArities: [Int]
    public var form: Form
    /// theta_X, row-major `rows x featureCount`.
    public var theta: [Double]

    public init(name: String, arity: Int = 2, parents: [Int] = [], parentArities: [Int] = [], form: Form = .table,
                theta: [Double]? = nil) {
        precondition(arity >= 2 && parents.count == parentArities.count, "StochasticNode \(name): bad arity or parents")
        self.name = name; self.arity = arity; self.parents = parents; self.parentArities = parentArities; self.form = form
        self.theta = []
        self.theta = theta ?? [Double](repeating: 0, count: rows * featureCount)
        precondition(self.theta.count == rows * featureCount, "StochasticNode \(name): theta has \(self.theta.count) entries, needs \(rows * featureCount)")
    }

    public var rows: Int { arity == 2 ? 1 : arity }
    public var featureCount: Int {
        switch form {
        case .table: parentArities.reduce(1, *)
        case .logistic: 1 + parentArities.reduce(0) { $0 + $1 - 1 }
        }
    }
    public var parameterCount: Int { theta.count }

    /// Active features for the parents' values in the full sample x: (index, value) pairs.
    public func features(_ x: [Int]) -> [(Int, Double)] {
        switch form {
        case .table:
            var code = 0
            for (p, a) in zip(parents, parentArities) { code = code * a + x[p] }
            return [(code, 1)]
        case .logistic:
            var out: [(Int, Double)] = [(0, 1)]
            var offset = 1
            for (p, a) in zip(parents, parentArities) {
                if x[p] > 0 { out.append((offset + x[p] - 1, 1)) }
                offset += a - 1
            }
            return out
        }
    }

    /// p(. | Pa_X) for the parents' values in x.
    public func probabilities(_ x: [Int]) -> [Double] {
        let f = features(x)
        var logits = [Double](repeating: 0, count: rows)
        for r in 0..<rows { for (j, v) in f { logits[r] += theta[r * featureCount + j] * v } }
        if arity == 2 { let p1 = Fn.sigmoid(logits[0]); return [1 - p1, p1] }
        return Fn.softmax(logits)
    }

    /// The score d/dtheta_X log p(x_X | Pa_X) (the factor of Eq. 1), dense over theta_X;
    /// `value` is this node's own value in the sample x.
    public func score(value: Int, _ x: [Int]) -> [Double] {
        let p = probabilities(x)
        var g = [Double](repeating: 0, count: theta.count)
        for r in 0..<rows {
            let k = arity == 2 ? 1 : r
            let coefficient = (value == k ? 1 : 0) - p[k]
            for (j, v) in features(x) { g[r * featureCount + j] += coefficient * v }
        }
        return g
    }
}
