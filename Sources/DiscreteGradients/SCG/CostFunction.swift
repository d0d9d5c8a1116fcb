/// A cost node f_i(X_i) of an SCG (Section 2): a table over the joint values of its scope
/// X_i (mixed radix, first scope variable most significant).
public struct CostFunction: Sendable, Codable, Equatable {
    public var name: String
    public var scope: [Int]
    public var table: [Double]
    public init(name: String, scope: [Int], table: [Double]) {
        self.name = name; self.scope = scope; self.table = table
    }
    /// A cost built from a closure over the scope's values, for the given arities.
    public init(name: String, scope: [Int], arities: [Int], _ f: ([Int]) -> Double) {
        var table: [Double] = []
        MixedRadix.forEach(arities) { table.append(f($0)) }
        self.init(name: name, scope: scope, table: table)
    }
    public func value(_ x: [Int], arities: [Int]) -> Double {
        table[MixedRadix.code(scope.map { x[$0] }, scope.map { arities[$0] })]
    }
}

/// Joint configurations of a few discrete variables as one integer (first variable most significant).
public enum MixedRadix {
    public static func code(_ values: [Int], _ arities: [Int]) -> Int {
        var c = 0
        for (v, a) in zip(values, arities) { c = c * a + v }
        return c
    }
    public static func decode(_ code: Int, _ arities: [Int]) -> [Int] {
        var c = code
        var out = [Int](repeating: 0, count: arities.count)
        for i in arities.indices.reversed() { out[i] = c % arities[i]; c /= arities[i] }
        return out
    }
    /// Calls body with every configuration in code order.
    public static func forEach(_ arities: [Int], _ body: ([Int]) -> Void) {
        let total = arities.reduce(1, *)
        for c in 0..<total { body(decode(c, arities)) }
    }
}
