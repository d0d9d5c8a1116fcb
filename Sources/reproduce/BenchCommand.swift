import ArgumentParser
import DiscreteGradients
import Foundation
import Reproductions

/// `reproduce bench bandit`: the speed of the contextual-bandit training step (HNCA paper,
/// Section 1.2's claim that HNCA's backward pass costs the order of the forward pass), against
/// the floor set by the step's own matrix products on the same shapes.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (not timed tests): `bandit` times the HNCA and REINFORCE training steps.",
        discussion: "Medians over repeats, one BLAS thread (set OPENBLAS_NUM_THREADS=1 for figures comparable with runs).")

    @Argument(help: "What to benchmark: bandit.")
    var target: String = "bandit"

    @Option(help: "Timed repeats per figure (the median is reported).")
    var repeats: Int = 15

    @Option(help: "Training steps per repeat.")
    var steps: Int = 20

    func run() throws {
        guard target == "bandit" else { throw UsageError(message: "unknown benchmark '\(target)' (expected: bandit)") }
        guard repeats >= 1, steps >= 1 else { throw UsageError(message: "--repeats and --steps must be at least 1") }
        let threads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset (OpenBLAS default)"
        print("bandit training step: 784 binary inputs, hidden layers of 200 Bernoulli units, softmax over 10 actions, batch 50")
        print("median of \(repeats) repeats x \(steps) steps; OPENBLAS_NUM_THREADS=\(threads)")
        print("floor = the step's matrix products alone (forward X W and gradient X^T G per layer) on the same shapes")
        print("")
        func column(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        print(["depth", "estimator", "step (ms)", "examples/s", "floor (ms)", "step/floor"].enumerated().map { column($1, [5, 10, 10, 11, 11, 11][$0]) }.joined(separator: " "))
        for depth in 1...3 {
            let floor = BanditBenchmark.floorSeconds(depth: depth, repeats: repeats, steps: steps)
            for credit in [HiddenCredit.reinforce, .hnca] {
                let step = try BanditBenchmark.stepSeconds(depth: depth, credit: credit, repeats: repeats, steps: steps)
                let cells = [String(depth), credit.rawValue, String(format: "%.3f", step * 1e3),
                             String(format: "%.0f", Double(BanditBenchmark.batchSize) / step), String(format: "%.3f", floor * 1e3),
                             String(format: "%.2f", step / floor)]
                print(cells.enumerated().map { column($1, [5, 10, 10, 11, 11, 11][$0]) }.joined(separator: " "))
            }
        }
    }
}
