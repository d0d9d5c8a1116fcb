/// Exact per-coordinate mean and variance of an estimator that is a function of a discrete
/// sample, from the sample space's enumeration (configuration, probability).
public struct ExactMoments: Sendable, Codable {
    public var mean: [Double]
    public var variance: [Double]
    public var secondMoment: [Double]

    public init<S: Sequence>(over space: S, estimator: (S.Element) -> [Double], probability: (S.Element) -> Double) {
        var m: [Double] = [], m2: [Double] = []
        for x in space {
            let p = probability(x)
            let g = estimator(x)
            if m.isEmpty { m = .init(repeating: 0, count: g.count); m2 = m }
            for i in g.indices { m[i] += p * g[i]; m2[i] += p * g[i] * g[i] }
        }
        mean = m
        secondMoment = m2
        variance = zip(m, m2).map { max(0, $1 - $0 * $0) }
    }

    /// Moments over an independent-Bernoulli sample space.
    public init(_ dist: IndependentBernoulli, estimator: ([Double]) -> [Double]) {
        self.init(over: dist.enumerate(), estimator: { estimator($0.b) }, probability: { $0.p })
    }

    /// max_i |mean_i - target_i|.
    public func maxBias(against target: [Double]) -> Double {
        zip(mean, target).map { abs($0 - $1) }.max() ?? 0
    }
}
