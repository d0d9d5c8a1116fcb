import ArgumentParser
import Foundation
import Reproductions

/// `reproduce exact --spec FILE`: the exact oracle's numbers for one small bandit network.
struct Exact: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print E[R], its exact gradient and the exact mean/variance of REINFORCE and HNCA for one network (JSON).",
        discussion: """
        The spec (JSON): {"unitValues": [-1, 1] or [0, 1], "input": [x...],
        "hidden": [{"weights": [[...] per unit], "bias": [...]}, ...], "output": {"weights": [[...] per action], "bias": [...]},
        "reward": [R(a) per action]} with weights indexed [unit][input]; optional "clip". At most 20 hidden units.
        Output: {"objective", "gradient", "estimators": {"reinforce": {"mean", "variance"}, "hnca": {...}}}, parameters
        hidden layer by hidden layer (weights row by row, then biases), then the output layer the same way.
        Malformed input: one line on stderr, exit status 2.
        """)

    @Option(help: "The network spec (JSON file).")
    var spec: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: spec) else {
            throw UsageError(message: "cannot read spec file '\(spec)'")
        }
        let report: ExactReport
        do { report = try ExactReport(try ExactSpec.parse(data)) }
        catch let p as ExactSpec.Problem { throw UsageError(message: "\(spec): \(p.description)") }
        FileHandle.standardOutput.write(try report.json() + Data("\n".utf8))
    }
}
