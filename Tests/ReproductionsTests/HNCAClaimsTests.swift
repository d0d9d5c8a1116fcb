import DiscreteGradients
import Foundation
import Pipeline
import Reproductions
import Testing
import Verification

/// The four HNCA claims at smoke scale, and the `reproduce exact` spec. Every sub-claim is a
/// pre-registered design; the exact ones are deterministic and hold at every scale, the Monte
/// Carlo ones are decided by intervals at the claim's family alpha (smoke is plumbing only).
@Suite("HNCA claims")
struct HNCAClaimsTests {
    static let claims: [any SingleRunClaim] = [HNCAUnbiased(), HNCATheorem1(), HNCAEfficiency(), HNCASoftmaxOutput()]

    @Test("each claim runs at smoke scale, is not ERROR, and kills every mutant", arguments: 0..<4)
    func smoke(index: Int) throws {
        let claim = Self.claims[index]
        let context = RunContext(claimID: claim.id, unit: RunUnit("main"), scale: .smoke, masterSeed: 1)
        let evidence = try claim.evidence(context: context)
        #expect(evidence.verdict != .error, "\(claim.id): \(evidence.errorReason ?? "")")
        #expect(evidence.negativeControlsKilled, "\(claim.id): a mutant survived")
        #expect(!evidence.figures.isEmpty)
        // Every check is decided under the design of the same name; the exact ones hold at every scale.
        let names = Set(claim.designs.map(\.name))
        for check in evidence.checks {
            #expect(names.contains(check.name), "\(claim.id) / \(check.name): no design of that name")
            #expect(check.subClaim != nil && check.tests.isEmpty, "\(claim.id) / \(check.name): not decided by a design")
            if check.subClaim?.method == .exact {
                #expect(check.verdict == .reproduced, "\(claim.id) / \(check.name): \(check.detail)")
            }
        }
        #expect(Set(evidence.checks.map(\.name)) == names, "\(claim.id): designs without a check")
    }

    @Test("every design is decidable at paper scale and at quick scale", arguments: 0..<4)
    func decidable(index: Int) {
        let claim = Self.claims[index]
        #expect(claim.designs.reduce(0) { $0 + $1.alphaShare } <= 1 + 1e-12)
        for scale in ["quick", "paper"] {
            for d in claim.designs {
                let plan = d.plan(scale: scale, familyAlpha: Registry.familyAlpha)
                #expect(plan.decidable, "\(claim.id) / \(d.name) at \(scale): needs n = \(plan.neededN.map(String.init) ?? "?") (runs \(plan.n))")
            }
        }
    }

    @Test("hnca.efficiency's verdict reads operation counts only: two runs agree apart from the timing table")
    func efficiencyDeterministic() throws {
        let claim = HNCAEfficiency()
        func run() throws -> Data {
            var e = try claim.evidence(context: RunContext(claimID: claim.id, unit: RunUnit("main"), scale: .smoke, masterSeed: 1))
            #expect(!e.timing.isEmpty)
            e.timing = []
            let encoder = JSONEncoder(); encoder.outputFormatting = [.sortedKeys]
            return try encoder.encode(e)
        }
        #expect(try run() == run())
    }

    @Test("the claims are registered") func registered() {
        for id in ["hnca.unbiased", "hnca.theorem1", "hnca.efficiency", "hnca.softmax-output"] {
            #expect(Registry.claim(id) != nil, "\(id)")
        }
    }
}

@Suite("reproduce exact: spec parsing and the oracle's report")
struct HNCAExactSpecTests {
    static let valid = """
    {"unitValues": [-1, 1], "input": [1, 0],
     "hidden": [{"weights": [[0.5, -0.3], [1.2, 0.1]], "bias": [0.1, -0.2]}, {"weights": [[0.7, -1.1]], "bias": [0.3]}],
     "output": {"weights": [[0.3], [0.2], [-1]], "bias": [0, 0.1, -0.1]}, "reward": [1, 0, 0.5]}
    """

    func problem(_ text: String) -> String? {
        do { _ = try ExactSpec.parse(Data(text.utf8)); return nil } catch let p as ExactSpec.Problem { return p.description } catch { return "unexpected \(error)" }
    }

    @Test("a valid spec gives E[R], a gradient that matches finite differences, and unbiased estimators")
    func validSpec() throws {
        let spec = try ExactSpec.parse(Data(Self.valid.utf8))
        let report = try ExactReport(spec)
        let oracle = try spec.oracle()
        // 2x2 + 2 + 1x2 + 1 + 3x1 + 3 = 15 parameters, hidden layer by hidden layer, then output.
        #expect(report.gradient.count == 15)
        #expect(oracle.network.flattenedParameters == [0.5, -0.3, 1.2, 0.1, 0.1, -0.2, 0.7, -1.1, 0.3, 0.3, 0.2, -1, 0, 0.1, -0.1])
        let fd = oracle.finiteDifferenceGradient()
        #expect(zip(report.gradient, fd).allSatisfy { abs($0 - $1) < 1e-8 })
        for name in ["reinforce", "hnca"] {
            let m = try #require(report.estimators[name])
            #expect(zip(m.mean, report.gradient).allSatisfy { abs($0 - $1) < 1e-12 }, "\(name)")
        }
        let h = report.estimators["hnca"]!.variance, r = report.estimators["reinforce"]!.variance
        #expect(zip(h, r).allSatisfy { $0 <= $1 + 1e-12 })
        #expect(report.objective > 0 && report.objective < 1)
        let json = try JSONSerialization.jsonObject(with: report.json()) as! [String: Any]
        #expect(Set(json.keys) == ["objective", "gradient", "estimators"])
    }

    @Test("{0,1} units and no hidden layer are accepted")
    func variants() throws {
        let zeroOne = Self.valid.replacingOccurrences(of: "[-1, 1]", with: "[0, 1]")
        #expect(try ExactSpec.parse(Data(zeroOne.utf8)).encoding == .zeroOne)
        let flat = #"{"unitValues": [0, 1], "input": [1, 0.5], "hidden": [], "output": {"weights": [[1, 2], [0, -1]], "bias": [0, 0]}, "reward": [1, 0]}"#
        let report = try ExactReport(try ExactSpec.parse(Data(flat.utf8)))
        #expect(report.gradient.count == 6)
    }

    @Test("malformed specs get one clear line", arguments: [
        ("unitValues", #"{"unitValues": [0, 2], "input": [1], "hidden": [], "output": {"weights": [[1], [2]], "bias": [0, 0]}, "reward": [1, 0]}"#, "unitValues must be"),
        ("ragged weights", #"{"unitValues": [0, 1], "input": [1], "hidden": [{"weights": [[1, 2]], "bias": [0]}], "output": {"weights": [[1]], "bias": [0]}, "reward": [1]}"#, "hidden[0].weights[0] has 2 entries, expected 1"),
        ("bias count", #"{"unitValues": [0, 1], "input": [1], "hidden": [{"weights": [[1]], "bias": [0, 1]}], "output": {"weights": [[1]], "bias": [0]}, "reward": [1]}"#, "hidden[0].bias has 2 entries"),
        ("output width", #"{"unitValues": [0, 1], "input": [1, 1], "hidden": [], "output": {"weights": [[1]], "bias": [0]}, "reward": [1]}"#, "output.weights[0] has 1 entries, expected 2"),
        ("reward count", #"{"unitValues": [0, 1], "input": [1], "hidden": [], "output": {"weights": [[1], [2]], "bias": [0, 0]}, "reward": [1]}"#, "reward has 1 entries, expected 2"),
        ("overflow", #"{"unitValues": [0, 1], "input": [1e999], "hidden": [], "output": {"weights": [[1]], "bias": [0]}, "reward": [1]}"#, "not finite"),
        ("missing key", #"{"unitValues": [0, 1], "input": [1], "hidden": [], "output": {"weights": [[1]], "bias": [0]}}"#, "missing key \"reward\""),
        ("wrong type", #"{"unitValues": [0, 1], "input": "x", "hidden": [], "output": {"weights": [[1]], "bias": [0]}, "reward": [1]}"#, "wrong type at input"),
        ("not JSON", #"{"unitValues": [0, 1], "input": [1"#, "not valid JSON"),
        ("empty input", #"{"unitValues": [0, 1], "input": [], "hidden": [], "output": {"weights": [[]], "bias": [0]}, "reward": [1]}"#, "input is empty"),
    ])
    func malformed(name: String, text: String, expected: String) {
        let message = problem(text)
        #expect(message?.contains(expected) == true, "\(name): \(message ?? "accepted")")
        #expect(message?.contains("\n") != true)
    }

    @Test("more than 20 hidden units is refused as too large to enumerate")
    func tooLarge() {
        let w = Array(repeating: "[0.1]", count: 21).joined(separator: ", ")
        let text = #"{"unitValues": [0, 1], "input": [1], "hidden": [{"weights": [\#(w)], "bias": [\#(Array(repeating: "0", count: 21).joined(separator: ", "))]}], "output": {"weights": [[\#(Array(repeating: "0", count: 21).joined(separator: ", "))]], "bias": [0]}, "reward": [1]}"#
        #expect(problem(text)?.contains("too many to enumerate") == true, "\(problem(text) ?? "accepted")")
    }
}

/// The `reproduce exact` command end to end (needs the built executable, like CLITests).
@Suite("reproduce exact command")
struct HNCAExactCommandTests {
    func write(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hnca-exact-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test("a valid spec prints the report as JSON on stdout, exit 0")
    func valid() throws {
        let out = try CLI.run(["exact", "--spec", try write(HNCAExactSpecTests.valid)])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        #expect((json?["gradient"] as? [Double])?.count == 15)
        #expect(((json?["estimators"] as? [String: Any])?["hnca"] as? [String: Any])?["variance"] != nil)
    }

    @Test("malformed or missing specs: one line on stderr, exit 2, nothing on stdout", arguments: [
        #"{"unitValues": [1, 2], "input": [1], "hidden": [], "output": {"weights": [[1]], "bias": [0]}, "reward": [1]}"#,
        #"{"unitValues": [0, 1], "input": [1], "hidden": [], "output": {"weights": [[1, 2]], "bias": [0]}, "reward": [1]}"#,
        "not json",
    ])
    func malformed(text: String) throws {
        let out = try CLI.run(["exact", "--spec", try write(text)])
        #expect(out.status == 2)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.split(separator: "\n").count == 1, "\(out.stderr)")
    }

    @Test func missingFile() throws {
        let out = try CLI.run(["exact", "--spec", "/nonexistent/spec.json"])
        #expect(out.status == 2 && out.stderr.contains("cannot read"))
    }
}
