import DiscreteGradients
import Foundation

/// The input of `reproduce exact --spec FILE`: one small bandit network, its context and reward
/// table, from which the exact oracle computes E[R], its gradient and each estimator's exact
/// moments, so anyone can check an estimator by hand.
///
/// `{"unitValues": [-1, 1], "input": [x...], "hidden": [{"weights": [[...] per unit], "bias": [...]}, ...],
///   "output": {"weights": [[...] per action], "bias": [...]}, "reward": [R(a) per action]}`
/// Weights are indexed [unit][input]; unitValues is [-1, 1] or [0, 1]. Optional: "clip" (epsilon
/// of the [epsilon, 1 - epsilon] clip on firing probabilities).
public struct ExactSpec: Decodable, Sendable {
    public struct Layer: Decodable, Sendable {
        public var weights: [[Double]]
        public var bias: [Double]
    }
    public var unitValues: [Double]
    public var input: [Double]
    public var hidden: [Layer]
    public var output: Layer
    public var reward: [Double]
    public var clip: Double?

    /// What is wrong with a spec, in one line.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var description: String
        init(_ d: String) { description = d }
    }

    /// Parses and validates; throws a one-line `Problem` for anything malformed.
    public static func parse(_ data: Data) throws -> ExactSpec {
        let spec: ExactSpec
        do { spec = try JSONDecoder().decode(ExactSpec.self, from: data) } catch let e as DecodingError {
            if case .dataCorrupted(let c) = e, c.codingPath.isEmpty, Self.hasOutOfRangeNumber(data) {
                throw Problem("invalid spec: a number is not finite (out of the range of a double)")
            }
            throw Problem("invalid spec: " + Self.describe(e))
        } catch { throw Problem("invalid JSON: \(error.localizedDescription)") }
        try spec.validate()
        return spec
    }

    /// Valid JSON syntax whose numbers overflow a double (e.g. 1e999), which JSONDecoder rejects.
    static func hasOutOfRangeNumber(_ data: Data) -> Bool {
        let text = String(decoding: data, as: UTF8.self)
        guard let re = try? NSRegularExpression(pattern: "-?[0-9]+(\\.[0-9]+)?[eE][+-]?[0-9]+") else { return false }
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).contains { m in
            Range(m.range, in: text).flatMap { Double(text[$0]) }.map { !$0.isFinite } ?? false
        }
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ c: [CodingKey]) -> String {
            c.isEmpty ? "top level" : c.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch e {
        case .keyNotFound(let k, let c): return "missing key \"\(k.stringValue)\" at \(path(c.codingPath))"
        case .typeMismatch(_, let c): return "wrong type at \(path(c.codingPath)): \(c.debugDescription)"
        case .valueNotFound(_, let c): return "missing value at \(path(c.codingPath))"
        case .dataCorrupted(let c):
            let underlying = (c.underlyingError as NSError?).map { " (\($0.localizedDescription))" } ?? ""
            return c.codingPath.isEmpty ? "not valid JSON\(underlying)" : "bad value at \(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    public var encoding: UnitEncoding? {
        switch unitValues.sorted() {
        case [-1, 1]: .plusMinusOne
        case [0, 1]: .zeroOne
        default: nil
        }
    }

    public func validate() throws {
        guard encoding != nil else {
            throw Problem("unitValues must be [-1, 1] or [0, 1], got [\(unitValues.map { fmtJSON($0) }.joined(separator: ", "))]")
        }
        func finite(_ xs: [Double], _ what: String) throws {
            if let k = xs.firstIndex(where: { !$0.isFinite }) { throw Problem("\(what)[\(k)] is not a finite number") }
        }
        guard !input.isEmpty else { throw Problem("input is empty") }
        try finite(input, "input")
        var width = input.count
        for (k, layer) in hidden.enumerated() {
            let name = "hidden[\(k)]"
            guard !layer.weights.isEmpty else { throw Problem("\(name).weights has no units") }
            for (j, row) in layer.weights.enumerated() {
                guard row.count == width else {
                    throw Problem("\(name).weights[\(j)] has \(row.count) entries, expected \(width) (one per input of the layer)")
                }
                try finite(row, "\(name).weights[\(j)]")
            }
            guard layer.bias.count == layer.weights.count else {
                throw Problem("\(name).bias has \(layer.bias.count) entries, expected \(layer.weights.count) (one per unit)")
            }
            try finite(layer.bias, "\(name).bias")
            width = layer.weights.count
        }
        guard !output.weights.isEmpty else { throw Problem("output.weights has no actions") }
        for (a, row) in output.weights.enumerated() {
            guard row.count == width else {
                throw Problem("output.weights[\(a)] has \(row.count) entries, expected \(width) (one per unit of the last hidden layer or input)")
            }
            try finite(row, "output.weights[\(a)]")
        }
        guard output.bias.count == output.weights.count else {
            throw Problem("output.bias has \(output.bias.count) entries, expected \(output.weights.count) (one per action)")
        }
        try finite(output.bias, "output.bias")
        guard reward.count == output.weights.count else {
            throw Problem("reward has \(reward.count) entries, expected \(output.weights.count) (one per action)")
        }
        try finite(reward, "reward")
        if let c = clip, !(c > 0 && c < 0.5) { throw Problem("clip must lie in (0, 0.5), got \(fmtJSON(c))") }
        let units = hidden.reduce(0) { $0 + $1.weights.count }
        guard units <= NetworkOracle.maximumHiddenUnits else {
            throw Problem("\(units) hidden units are too many to enumerate (at most \(NetworkOracle.maximumHiddenUnits))")
        }
    }

    public func network() throws -> StochasticNetwork {
        try validate()
        let enc = encoding!
        return StochasticNetwork(
            hidden: hidden.map { BernoulliLayer(weights: Matrix($0.weights), bias: $0.bias, encoding: enc, clip: clip) },
            output: SoftmaxLayer(weights: Matrix(output.weights), bias: output.bias))
    }

    public func oracle() throws -> NetworkOracle {
        do { return try NetworkOracle(network: network(), input: input, reward: reward) }
        catch let e as NetworkOracle.Problem { throw Problem(e.description) }
    }
}

/// The output of `reproduce exact`.
public struct ExactReport: Codable, Sendable {
    public struct Moments: Codable, Sendable {
        public var mean: [Double]
        public var variance: [Double]
    }
    public var objective: Double
    public var gradient: [Double]
    public var estimators: [String: Moments]

    /// E[R], its exact gradient, and the exact moments of REINFORCE and HNCA (no baseline).
    public init(_ spec: ExactSpec) throws {
        let oracle = try spec.oracle()
        objective = oracle.objective
        gradient = oracle.gradient
        let r = oracle.moments(of: NetworkReinforce()), h = oracle.moments(of: NetworkHNCA())
        estimators = ["reinforce": Moments(mean: r.mean, variance: r.variance),
                      "hnca": Moments(mean: h.mean, variance: h.variance)]
    }

    public func json() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return try e.encode(self)
    }
}

func fmtJSON(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }
