import DiscreteGradients
import Foundation

/// Timing of the bandit training step for `reproduce bench bandit` (a benchmark, not a test).
public enum BanditBenchmark {
    public static let batchSize = 50, inputs = 784, hiddenUnits = 200, actions = 10

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Median wall time of one training step (forward, credit, gradients and their variance, Adam).
    public static func stepSeconds(depth: Int, credit: HiddenCredit, repeats: Int, steps: Int) throws -> Double {
        var stream = RandomStream(seed: 2022)
        let network = BanditNetwork(inputs: inputs, hidden: Array(repeating: hiddenUnits, count: depth), actions: actions, stream: &stream)
        let trainer = BanditTrainer(network: network, credit: credit, batchSize: batchSize, learningRate: 1e-4, baseline: true)
        for i in trainer.outputs[0].data.indices { trainer.outputs[0].data[i] = stream.uniform() < 0.2 ? 1 : 0 }
        let labels = (0..<batchSize).map { $0 % actions }[...]
        _ = try trainer.train(labels: labels, stream: &stream)   // warm-up
        var times: [Double] = []
        for _ in 0..<repeats {
            times.append(try seconds { for _ in 0..<steps { _ = try trainer.train(labels: labels, stream: &stream) } } / Double(steps))
        }
        return median(times)
    }

    /// Median wall time of the step's matrix products alone: per layer the forward X W and the
    /// gradient X^T G, on the same shapes.
    public static func floorSeconds(depth: Int, repeats: Int, steps: Int) -> Double {
        var stream = RandomStream(seed: 2023)
        let sizes = [inputs] + Array(repeating: hiddenUnits, count: depth) + [actions]
        let xs = sizes.dropLast().map { Matrix(rows: batchSize, cols: $0, data: (0..<(batchSize * $0)).map { _ in stream.uniform() }) }
        let ws = zip(sizes.dropLast(), sizes.dropFirst()).map { Matrix(rows: $0, cols: $1, data: (0..<($0 * $1)).map { _ in stream.uniform() }) }
        var ls = sizes.dropFirst().map { Matrix(rows: batchSize, cols: $0) }
        var gs = ws.map { Matrix(rows: $0.rows, cols: $0.cols) }
        func pass() {
            for k in ws.indices {
                Matrix.gemm(xs[k], ws[k], beta: 1, into: &ls[k])
                Matrix.gemm(xs[k], transposeA: true, ls[k], alpha: 0.02, into: &gs[k])
            }
        }
        pass()
        var times: [Double] = []
        for _ in 0..<repeats { times.append(seconds { for _ in 0..<steps { pass() } } / Double(steps)) }
        return median(times)
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
