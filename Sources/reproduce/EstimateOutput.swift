import Foundation
import Pipeline

/// The table `reproduce plan --estimate` prints: per claim, units, estimated core-hours, the
/// longest unit and peak memory, and where the numbers come from. Always labelled an estimate.
enum EstimateTable {
    static func render(_ claims: [any Claim], scale: Scale, estimator: CostEstimator) -> String {
        let estimates = claims.map { estimator.estimate($0, at: scale) }
        var out = "ESTIMATE for scale \(scale.rawValue) (not a measurement): each claim's measured unit wall times (timing files),\n"
        out += "scaled by its work model where it has one (Reproductions/WorkModels.swift); one core per unit.\n\n"
        let header = ["claim", "units", "core-hours", "longest unit", "memory/unit", "measured from"]
        var rows: [[String]] = []
        for e in estimates {
            rows.append([e.claim, String(e.units.count),
                         e.isMeasured ? CostFormat.coreHours(e.coreSeconds) : "?",
                         e.isMeasured ? CostFormat.duration(e.longestUnitSeconds) : "?",
                         e.peakBytes.map(CostFormat.megabytes) ?? "?", e.basis])
        }
        let measured = estimates.filter(\.isMeasured)
        rows.append(["total", String(estimates.map(\.units.count).reduce(0, +)),
                     CostFormat.coreHours(measured.map(\.coreSeconds).reduce(0, +)) + (measured.count < estimates.count ? " + ?" : ""),
                     "", "", "\(measured.count) of \(estimates.count) claims measured"])
        out += table(header, rows)
        let folders = Array(Set(estimates.flatMap(\.timingFolders))).sorted()
        if !folders.isEmpty {
            out += "\nTiming files read from \(folders.count) folder\(folders.count == 1 ? "" : "s") under " + commonRoots(folders).joined(separator: ", ") + ".\n"
        }
        if measured.count < estimates.count {
            out += "Claims marked ? have no timing files: run them at a smaller scale first (e.g. `reproduce run all --scale quick`), or pass --timings DIR.\n"
        }
        return out
    }

    /// Left-aligned first column, right-aligned numbers, two spaces between columns.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 || i == row.count - 1 ? cell + pad : pad + cell
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }

    /// The results roots the folders lie under (the part before "/<scale>/seed-").
    private static func commonRoots(_ folders: [String]) -> [String] {
        Array(Set(folders.map { f in
            Scale.allCases.compactMap { s in f.range(of: "/\(s.rawValue)/seed-").map { String(f[..<$0.lowerBound]) } }.first ?? f
        })).sorted()
    }
}
