import Foundation
import Verification

/// The verdict each claim is expected to reach at a scale (`Expectations/<scale>.tsv`: one
/// `claim-id<TAB>VERDICT` per line, `#` comments). `make reproduce` fails on any difference.
public struct Expectations: Sendable {
    public var verdicts: [String: Verdict]

    public init(verdicts: [String: Verdict]) { self.verdicts = verdicts }

    public init(contentsOf url: URL) throws {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ClaimError.missingData("cannot read expectations file \(url.path)")
        }
        var v: [String: Verdict] = [:]
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let verdict = Verdict(rawValue: parts[1]) else {
                throw ClaimError.failed("\(url.path):\(n + 1): expected 'claim-id<TAB>VERDICT', got '\(line)'")
            }
            v[parts[0]] = verdict
        }
        verdicts = v
    }

    public func serialized(scale: Scale) -> String {
        "# Expected verdict per claim at scale \(scale.rawValue); `reproduce check` compares results with it.\n"
            + verdicts.keys.sorted().map { "\($0)\t\(verdicts[$0]!.rawValue)" }.joined(separator: "\n") + "\n"
    }

    /// Lines describing every difference between actual and expected verdicts.
    public func differences(from actual: [String: Verdict]) -> [String] {
        var out: [String] = []
        for id in Set(actual.keys).union(verdicts.keys).sorted() {
            switch (verdicts[id], actual[id]) {
            case let (e?, a?) where e != a: out.append("\(id): expected \(e.rawValue), got \(a.rawValue)")
            case let (e?, nil): out.append("\(id): expected \(e.rawValue), but it has no result")
            case let (nil, a?): out.append("\(id): got \(a.rawValue), but no expectation is recorded")
            default: break
            }
        }
        return out
    }
}
