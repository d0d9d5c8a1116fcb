import Foundation
import Testing

/// Runs the built `reproduce` executable (built by `make test` before the tests, next to the test bundle).
struct CLI {
    static var executable: URL {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [bundleDir.appendingPathComponent("reproduce")]
        // When the runner is inside the .xctest bundle folder (or a helper), look one and two levels up.
        candidates.append(bundleDir.deletingLastPathComponent().appendingPathComponent("reproduce"))
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates += [root.appendingPathComponent(".build/release/reproduce"), root.appendingPathComponent(".build/debug/reproduce")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ arguments: [String], in dir: URL? = nil, environment: [String: String] = [:]) throws -> Output {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let dir { p.currentDirectoryURL = dir }
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

@Suite(.serialized) struct CLITests {
    @Test func theExecutableWasBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: CLI.executable.path),
                "build it first: swift build -c release --product reproduce (make test does)")
    }

    @Test func anUnknownClaimIsOneLineExitTwoNothingWritten() throws {
        let dir = temporaryDirectory()
        let out = dir.appendingPathComponent("results")
        let r = try CLI.run(["run", "no.such.claim", "--out", out.path])
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stderr.contains("unknown claim id 'no.such.claim'"))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test(arguments: [["--scale", "huge"], ["--seed", "0"], ["--seed", "-3"], ["--jobs", "0"], ["--bogus-flag"]])
    func badOptionsAreOneLineExitTwo(_ extra: [String]) throws {
        let out = temporaryDirectory().appendingPathComponent("results")
        let r = try CLI.run(["run", "lecture.reinforce", "--out", out.path] + extra)
        #expect(r.status == 2, "\(extra): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(extra): \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func anUnwritableOutputIsOneLineExitTwo() throws {
        let r = try CLI.run(["run", "lecture.reinforce", "--scale", "smoke", "--out", "/proc/no-such-dir/results"])
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    /// A rerun reuses a result only when the same code made it: after a code change (here a
    /// different `DG_CODE` fingerprint) the unit is recomputed, and says so, instead of the old
    /// numbers standing in for the new code's.
    @Test func aResultMadeByOtherCodeIsRecomputedNotReused() throws {
        let out = temporaryDirectory().appendingPathComponent("results")
        let args = ["run", "lecture.reinforce", "--scale", "smoke", "--out", out.path]
        let file = out.appendingPathComponent("smoke/seed-1/lecture.reinforce/main-0.json")
        func recordedCode() throws -> String? {
            (try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])?["code"] as? String
        }
        let first = try CLI.run(args, environment: ["DG_CODE": "code-a"])
        #expect(first.stderr.contains("done in"))
        #expect(try recordedCode() == "code-a")
        let same = try CLI.run(args, environment: ["DG_CODE": "code-a"])
        #expect(!same.stderr.contains("done in"), "the same code's result is reused: \(same.stderr)")
        let changed = try CLI.run(args, environment: ["DG_CODE": "code-b"])
        #expect(changed.stderr.contains("made by other code"), "\(changed.stderr)")
        #expect(changed.stderr.contains("done in"))
        #expect(try recordedCode() == "code-b")
    }

    @Test func listNamesEveryClaim() throws {
        let r = try CLI.run(["list"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("lecture.reinforce"))
    }

    @Test func helpExplainsTheCommands() throws {
        let r = try CLI.run(["--help"])
        #expect(r.status == 0)
        for word in ["list", "run", "report", "check", "plan", "smoke", "quick", "paper"] { #expect(r.stdout.contains(word)) }
    }

    @Test func sameSeedTwiceGivesByteIdenticalResultsAndADifferentSeedDifferentNumbers() throws {
        let dir = temporaryDirectory()
        func runOnce(_ name: String, seed: Int) throws -> (Data, String) {
            let out = dir.appendingPathComponent(name)
            let r = try CLI.run(["run", "lecture.reinforce", "--scale", "smoke", "--seed", "\(seed)", "--out", out.path, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            let file = out.appendingPathComponent("smoke/seed-\(seed)/lecture.reinforce/main-0.json")
            let verdict = r.stdout.split(separator: ":").dropFirst().first.map { String($0.split(separator: "(")[0]).trimmingCharacters(in: .whitespaces) } ?? ""
            return (try Data(contentsOf: file), verdict)
        }
        let (a, va) = try runOnce("a", seed: 7)
        let (b, vb) = try runOnce("b", seed: 7)
        let (c, vc) = try runOnce("c", seed: 8)
        #expect(a == b)
        #expect(a != c)
        #expect(va == vb && vb == vc)
    }

    @Test func checkFailsOnAVerdictThatDiffersFromTheExpectation() throws {
        let dir = temporaryDirectory()
        let out = dir.appendingPathComponent("results")
        _ = try CLI.run(["run", "lecture.reinforce", "--scale", "smoke", "--out", out.path, "--quiet"])
        let expectations = dir.appendingPathComponent("smoke.tsv")
        try "lecture.reinforce\tNOT REPRODUCED\n".write(to: expectations, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", "--scale", "smoke", "--out", out.path, "--expectations", expectations.path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("DIFFERENCE lecture.reinforce: expected NOT REPRODUCED"))
        let recorded = try CLI.run(["check", "--scale", "smoke", "--out", out.path, "--expectations", expectations.path, "--record"])
        #expect(recorded.status == 0)
        let again = try CLI.run(["check", "--scale", "smoke", "--out", out.path, "--expectations", expectations.path])
        #expect(again.status == 0, "\(again.stdout)")
    }

    @Test func planPrintsOneRunnableCommandPerUnit() throws {
        let r = try CLI.run(["plan", "lecture.reinforce", "--scale", "paper"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("reproduce run lecture.reinforce --unit 'main#0' --scale paper"))
    }
}
