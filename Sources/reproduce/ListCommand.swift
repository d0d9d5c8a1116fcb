import ArgumentParser
import Pipeline
import Reproductions

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List every claim with its paper, source and units per scale.")

    func run() throws {
        for claim in Registry.claims {
            let units = Scale.allCases.map { "\($0.rawValue) \(claim.units(at: $0).count)" }.joined(separator: ", ")
            print("\(claim.id)\n    \(claim.paper), \(claim.source)\n    \(claim.summary)\n    units: \(units)")
        }
        let bench = EstimatorBenchmark()
        let units = Scale.allCases.map { "\($0.rawValue) \(bench.units(at: $0).count)" }.joined(separator: ", ")
        print("\nBenchmark (not a claim; no verdict): \(bench.id)\n    \(bench.summary)\n    `reproduce run estimators` -> Reports/ESTIMATORS.md\n    units: \(units)")
    }
}
