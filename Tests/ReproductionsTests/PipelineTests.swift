import Foundation
import Testing
import DiscreteGradients
import Pipeline
import Verification

/// A tiny claim for exercising the pipeline: each unit draws a few uniforms; the verdict is an
/// equivalence design (mean 1/2 within ±0.1); the mutant draws uniforms on (0, 2).
struct UniformMeanClaim: Claim {
    let id = "test.uniform-mean"
    let paper = "test"
    let source = "none"
    let statement = "uniforms have mean 1/2"
    let summary = "test claim"
    var survivingMutant = false

    var designs: [SubClaimDesign] { [Self.design] }
    static let design = SubClaimDesign("mean", layer: .monteCarlo, estimand: "mean of the draws - 1/2", claimed: .equivalent,
                                       sesoi: 0.1, sesoiSource: "test", alphaShare: 1, method: .t, planningSD: 0.3,
                                       sampleSize: PerScale(600), unit: "draws")
    func units(at scale: Scale) -> [RunUnit] { (0..<3).map { RunUnit("draws", $0) } }
    func run(_ unit: RunUnit, context: RunContext) throws -> [Double] {
        var s = context.stream()
        return (0..<200).map { _ in s.uniform() }
    }
    func evidence(from results: [(unit: RunUnit, result: [Double])], scale: Scale) throws -> Evidence {
        let xs = results.flatMap(\.result)
        let design = Self.design
        func check(_ data: [Double]) -> Check {
            .decide(design, asserts: "mean 1/2", [.mean(data.map { $0 - 0.5 }, alpha: design.alpha(familyAlpha: 1e-3))],
                    scale: scale, familyAlpha: 1e-3)
        }
        let mutant = survivingMutant ? xs : xs.map { 2 * $0 }
        return Evidence(headline: "mean \(xs.mean)", checks: [check(xs)],
                        negativeControls: [NegativeControl(name: "doubled", bug: "uniforms on (0, 2)", checks: [check(mutant)])])
    }
}

func temporaryDirectory(_ name: String = #function) -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("dg-tests-\(getpid())-\(name.filter { $0.isLetter })-\(UInt32.random(in: 0...UInt32.max))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct PipelineTests {
    @Test func unitNamesRoundTripThroughTheCommandLineForm() {
        let u = RunUnit("depth2-hnca", 4)
        #expect(u.description == "depth2-hnca#4")
        #expect(RunUnit(parsing: "depth2-hnca#4") == u)
        #expect(RunUnit(parsing: "depth2-hnca") == nil)
        #expect(RunUnit(parsing: "a/b#1") == nil)
        #expect(RunUnit(parsing: "x#-1") == nil)
    }

    @Test func aRerunSkipsFinishedUnitsAndForceRecomputes() throws {
        let store = ResultStore(root: temporaryDirectory())
        let runner = Runner(store: store, revision: "test")
        let claim = UniformMeanClaim()
        for u in claim.units(at: .smoke) {
            guard case .ran = runner.run(claim, unit: u, scale: .smoke, seed: 5, force: false) else { Issue.record("first run did not run"); return }
        }
        for u in claim.units(at: .smoke) {
            guard case .skipped = runner.run(claim, unit: u, scale: .smoke, seed: 5, force: false) else { Issue.record("rerun did not skip"); return }
            guard case .ran = runner.run(claim, unit: u, scale: .smoke, seed: 5, force: true) else { Issue.record("--force did not rerun"); return }
        }
        let (evidence, meta) = runner.evidence(claim, scale: .smoke, seed: 5)
        #expect(meta.units == 3)
        #expect(evidence.verdict == .reproduced)
        #expect(evidence.negativeControlsKilled)
    }

    @Test func aCorruptResultFileIsRecomputedNotTrusted() throws {
        let store = ResultStore(root: temporaryDirectory())
        let runner = Runner(store: store, revision: "test")
        let claim = UniformMeanClaim()
        let unit = claim.units(at: .smoke)[0]
        _ = runner.run(claim, unit: unit, scale: .smoke, seed: 5, force: false)
        let url = store.resultURL(claim: claim.id, scale: .smoke, seed: 5, unit: unit)
        let good = try Data(contentsOf: url)
        try Data(good.prefix(good.count / 2)).write(to: url)   // a truncated file, as after a crash without atomic writes
        guard case .ran = runner.run(claim, unit: unit, scale: .smoke, seed: 5, force: false) else { Issue.record("corrupt file was trusted"); return }
        #expect(try Data(contentsOf: url) == good)
    }

    @Test func sameSeedSameBytesDifferentSeedDifferentNumbers() throws {
        let claim = UniformMeanClaim()
        func resultBytes(seed: UInt64) throws -> Data {
            let store = ResultStore(root: temporaryDirectory())
            _ = Runner(store: store, revision: "r").run(claim, unit: RunUnit("draws", 1), scale: .smoke, seed: seed, force: false)
            return try Data(contentsOf: store.resultURL(claim: claim.id, scale: .smoke, seed: seed, unit: RunUnit("draws", 1)))
        }
        #expect(try resultBytes(seed: 7) == resultBytes(seed: 7))
        #expect(try resultBytes(seed: 7) != resultBytes(seed: 8))
    }

    @Test func missingResultsGiveAnErrorVerdictNotACrash() {
        let runner = Runner(store: ResultStore(root: temporaryDirectory()), revision: "r")
        let (evidence, _) = runner.evidence(UniformMeanClaim(), scale: .smoke, seed: 1)
        #expect(evidence.verdict == .error)
    }

    @Test func aSurvivingMutantTurnsTheVerdictIntoError() throws {
        let store = ResultStore(root: temporaryDirectory())
        let runner = Runner(store: store, revision: "r")
        let claim = UniformMeanClaim(survivingMutant: true)
        for u in claim.units(at: .smoke) { _ = runner.run(claim, unit: u, scale: .smoke, seed: 3, force: false) }
        let (evidence, _) = runner.evidence(claim, scale: .smoke, seed: 3)
        #expect(evidence.checks.allSatisfy { $0.verdict == .reproduced })
        #expect(evidence.verdict == .error)
        #expect(evidence.errorReason?.contains("kills no check") == true)
    }

    static let exactDesign = SubClaimDesign.exact("x", estimand: "x", tolerance: 0, source: "test")
    static let trainingDesign = SubClaimDesign("y", layer: .training, estimand: "y", claimed: .greater, sesoi: 1,
                                               sesoiSource: "test", alphaShare: 1, method: .t, planningSD: 1,
                                               sampleSize: PerScale(100), unit: "seeds")
    static func trainingCheck(_ lower: Double, _ upper: Double) -> Check {
        let e = IntervalEstimate(method: "t", estimate: (lower + upper) / 2,
                                 interval: Interval(lower: lower, upper: upper, level: 1 - 2 * trainingDesign.alpha(familyAlpha: 1e-3)), n: 100)
        return .decide(trainingDesign, asserts: "y > 0", [e], scale: .paper, familyAlpha: 1e-3)
    }

    @Test func evidenceWithoutANegativeControlIsAnError() {
        let e = Evidence(headline: "", checks: [.exact(Self.exactDesign, asserts: "x", values: [0], detail: "")], negativeControls: [])
        #expect(e.verdict == .error)
    }

    /// A mutant "killed" by a check the real method also fails proves nothing (CLAIMS.md).
    @Test func aMutantCountsOnlyWhereTheRealMethodPasses() {
        let realFails = Self.trainingCheck(-0.5, 0.5)        // NOT REPRODUCED for the real method
        let mutantFails = Self.trainingCheck(-0.6, 0.4)
        let e = Evidence(headline: "", checks: [.exact(Self.exactDesign, asserts: "x", values: [0], detail: ""), realFails],
                         negativeControls: [NegativeControl(name: "m", bug: "b", checks: [mutantFails])])
        #expect(!e.negativeControls[0].killed)
        #expect(e.verdict == .error)
    }

    /// Every layer with a REPRODUCED real check needs a mutant that fails at that layer.
    @Test func aDecidingLayerWithoutAKillIsAnError() {
        let exactPass = Check.exact(Self.exactDesign, asserts: "x", values: [0], detail: "")
        let exactFail = Check.exact(Self.exactDesign, asserts: "x", values: [1], detail: "")
        let trainingPass = Self.trainingCheck(1, 3)
        let onlyExact = Evidence(headline: "", checks: [exactPass, trainingPass],
                                 negativeControls: [NegativeControl(name: "m", bug: "b", checks: [exactFail, trainingPass])])
        #expect(onlyExact.negativeControls[0].killed)
        #expect(onlyExact.uncoveredLayers == [.training])
        #expect(onlyExact.verdict == .error)
        let both = Evidence(headline: "", checks: [exactPass, trainingPass],
                            negativeControls: [NegativeControl(name: "m", bug: "b", checks: [exactFail, Self.trainingCheck(-0.5, 0.5)])])
        #expect(both.uncoveredLayers.isEmpty)
        #expect(both.verdict == .reproduced)
    }

    /// An A/A control that declares a winner makes the comparison, and so the claim, ERROR.
    @Test func anAAControlThatDeclaresAWinnerIsAnError() {
        let exactPass = Check.exact(Self.exactDesign, asserts: "x", values: [0], detail: "")
        let exactFail = Check.exact(Self.exactDesign, asserts: "x", values: [1], detail: "")
        let controls = [NegativeControl(name: "m", bug: "b", checks: [exactFail])]
        let fine = AAControl(name: "A vs A", controls: "x", estimate: .welch([1, 2, 3, 4], [2, 1, 4, 3], alpha: 0.01))
        let biased = AAControl(name: "A vs A", controls: "x", estimate: .welch([10, 11, 12, 13], [1, 2, 3, 4], alpha: 0.01))
        #expect(Evidence(headline: "", checks: [exactPass], negativeControls: controls, aaControls: [fine]).verdict == .reproduced)
        let e = Evidence(headline: "", checks: [exactPass], negativeControls: controls, aaControls: [biased])
        #expect(e.verdict == .error)
        #expect(e.errorReason?.contains("A/A") == true)
    }

    @Test func atomicWritesLeaveNoTemporaryFiles() throws {
        let dir = temporaryDirectory()
        let url = dir.appendingPathComponent("a/b/result.json")
        try AtomicFile.write("first", to: url)
        try AtomicFile.write("second", to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "second")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        #expect(leftovers == ["result.json"])
    }

    @Test func expectationsReportEveryDifference() throws {
        let dir = temporaryDirectory()
        let url = dir.appendingPathComponent("quick.tsv")
        try "# comment\na.claim\tREPRODUCED\nb.claim\tNOT REPRODUCED\nc.claim\tINCONCLUSIVE\n".write(to: url, atomically: true, encoding: .utf8)
        let e = try Expectations(contentsOf: url)
        let diffs = e.differences(from: ["a.claim": .reproduced, "b.claim": .reproduced, "d.claim": .error])
        #expect(diffs == ["b.claim: expected NOT REPRODUCED, got REPRODUCED",
                          "c.claim: expected INCONCLUSIVE, but it has no result",
                          "d.claim: got ERROR, but no expectation is recorded"])
        try "a.claim REPRODUCED\n".write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try Expectations(contentsOf: url) }
    }

    @Test func reportsStateVerdictScaleAlphaMutantAndCommand() throws {
        let store = ResultStore(root: temporaryDirectory())
        let runner = Runner(store: store, revision: "r")
        let claim = UniformMeanClaim()
        for u in claim.units(at: .smoke) { _ = runner.run(claim, unit: u, scale: .smoke, seed: 3, force: false) }
        let (evidence, meta) = runner.evidence(claim, scale: .smoke, seed: 3)
        let reports = temporaryDirectory()
        let renderer = ReportRenderer(reportsDirectory: reports)
        try renderer.render(.init(id: claim.id, paper: claim.paper, source: claim.source, statement: claim.statement, summary: claim.summary),
                            evidence: evidence, meta: meta)
        let md = try String(contentsOf: reports.appendingPathComponent("test.uniform-mean.md"), encoding: .utf8)
        #expect(md.hasPrefix("# test.uniform-mean: REPRODUCED"))
        #expect(md.contains("Scale: `smoke`"))
        #expect(md.contains("alpha"))
        #expect(md.contains("| killed |"))
        #expect(md.contains("reproduce run test.uniform-mean --scale smoke --seed 3"))
    }
}
