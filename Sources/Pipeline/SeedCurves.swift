import Verification

public extension Figure.Series {
    /// A learning curve over seeds: the mean per step (epoch) across seeds, with a two-sided 95%
    /// Student-t interval as error bars when asked. Curves are cut to the shortest seed's length.
    static func meanOverSeeds(_ name: String, _ x: [Double], _ perSeed: [[Double]], errorBars: Bool = true) -> Figure.Series {
        let steps = min(perSeed.map(\.count).min() ?? 0, x.count)
        var mean: [Double] = [], lo: [Double] = [], hi: [Double] = []
        for e in 0..<steps {
            let s = Summary(perSeed.map { $0[e] })
            let half = s.n > 1 ? Dist.tUpperQuantile(0.025, df: Double(s.n - 1)) * s.standardError : 0
            mean.append(s.mean); lo.append(s.mean - half); hi.append(s.mean + half)
        }
        let xs = Array(x.prefix(steps))
        return errorBars ? .init(name, x: xs, y: mean, style: .errorbars, yLow: lo, yHigh: hi)
                         : .init(name, x: xs, y: mean, style: .lines)
    }
}
