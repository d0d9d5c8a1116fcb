import Foundation
import Testing

/// Same seed, same scale, same binary: the same numbers, bit for bit (non-negotiable 3), and no
/// verdict reads a clock (CLAIMS.md, Statistical method 10). Every claim runs at smoke twice in
/// separate folders; every result file must be byte-identical once the one field that holds
/// measured time (`timing`) is removed.
@Suite(.serialized) struct DeterminismTests {
    /// The JSON value with every object key named "timing" removed, re-serialised with sorted keys.
    static func withoutTiming(_ data: Data) throws -> Data {
        func strip(_ v: Any) -> Any {
            if let o = v as? [String: Any] { return o.filter { $0.key != "timing" }.mapValues(strip) }
            if let a = v as? [Any] { return a.map(strip) }
            return v
        }
        let value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        return try JSONSerialization.data(withJSONObject: strip(value), options: [.sortedKeys, .fragmentsAllowed])
    }

    static func resultFiles(under root: URL) -> [String: URL] {
        var files: [String: URL] = [:]
        let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = e?.nextObject() as? URL {
            guard url.pathExtension == "json" else { continue }
            files[String(url.path.dropFirst(root.path.count))] = url
        }
        return files
    }

    @Test func everyClaimAtSmokeGivesTheSameEvidenceTwice() throws {
        let dir = temporaryDirectory()
        let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
        for out in [a, b] {
            let r = try CLI.run(["run", "all", "--scale", "smoke", "--seed", "3", "--out", out.path, "--jobs", "2", "--quiet"])
            // Smoke verdicts may be ERROR (too few seeds to kill a training mutant); status 1 is fine, 2 is not.
            #expect(r.status != 2, "\(r.stderr)")
        }
        let filesA = Self.resultFiles(under: a), filesB = Self.resultFiles(under: b)
        #expect(!filesA.isEmpty)
        #expect(Set(filesA.keys) == Set(filesB.keys), "the two runs wrote different result files")
        var differing: [String] = []
        for (name, urlA) in filesA.sorted(by: { $0.key < $1.key }) {
            guard let urlB = filesB[name] else { continue }
            if try Self.withoutTiming(Data(contentsOf: urlA)) != Self.withoutTiming(Data(contentsOf: urlB)) { differing.append(name) }
        }
        #expect(differing.isEmpty, "results differ between two identical runs: \(differing.joined(separator: ", "))")
    }

    /// `reproduce check` fails when the code's designs differ from the committed table.
    @Test func checkFailsOnAnUncommittedDesignChange() throws {
        let dir = temporaryDirectory()
        let out = dir.appendingPathComponent("results").path
        let table = dir.appendingPathComponent("design.tsv")
        let expectations = dir.appendingPathComponent("smoke.tsv").path
        #expect(try CLI.run(["run", "lecture.reinforce", "--scale", "smoke", "--out", out, "--quiet"]).status == 0)
        #expect(try CLI.run(["design", "--record", "--table", table.path]).status == 0)
        #expect(try CLI.run(["check", "--scale", "smoke", "--out", out, "--expectations", expectations, "--record"]).status == 0)
        let same = try CLI.run(["check", "--scale", "smoke", "--out", out, "--expectations", expectations, "--designs", table.path])
        #expect(same.status == 0, "\(same.stdout)")

        // Edit one number of lecture.reinforce's first design, as an uncommitted change would.
        var lines = try String(contentsOf: table, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let i = try #require(lines.firstIndex { $0.hasPrefix("lecture.reinforce\t") })
        var cells = lines[i].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        cells[5] = "0.5"
        lines[i] = cells.joined(separator: "\t")
        try lines.joined(separator: "\n").write(to: table, atomically: true, encoding: .utf8)
        let changed = try CLI.run(["check", "--scale", "smoke", "--out", out, "--expectations", expectations, "--designs", table.path])
        #expect(changed.status == 1)
        #expect(changed.stdout.contains("design of lecture.reinforce"), "\(changed.stdout)")
    }
}
