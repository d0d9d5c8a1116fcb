import Foundation

/// Where a claim's run stands in a result folder: which units are done (a result file exists,
/// written atomically, so its presence means it is complete), which failed on their last attempt
/// (a failure marker and no result), and which have not run (or are running). Read from the
/// folder alone, so it works while a run is in progress, on any machine that sees the folder.
public struct ClaimProgress: Sendable {
    public var claim: String
    public var units: [RunUnit]
    public var done: [RunUnit]
    public var failed: [(unit: RunUnit, reason: String)]
    public var pending: [RunUnit]
    /// Wall seconds of the done units, from their timing files (one core each).
    public var secondsSpent: Double

    public var total: Int { units.count }
    public var isComplete: Bool { done.count == units.count }
    public var hasAnyResult: Bool { !done.isEmpty }
    /// Units still to run: failed ones and pending ones.
    public var remaining: [RunUnit] { (failed.map(\.unit) + pending).sorted() }
    /// "k of n units", as reports and the index say for an unfinished claim.
    public var fractionText: String { "\(done.count) of \(total) units" }
}

public enum RunStatus {
    public static func progress(of claim: any Claim, store: ResultStore, scale: Scale, seed: UInt64) -> ClaimProgress {
        var p = ClaimProgress(claim: claim.id, units: claim.units(at: scale), done: [], failed: [], pending: [], secondsSpent: 0)
        for unit in p.units {
            if store.exists(store.resultURL(claim: claim.id, scale: scale, seed: seed, unit: unit)) {
                p.done.append(unit)
                p.secondsSpent += store.coreSeconds(claim: claim.id, scale: scale, seed: seed, unit: unit) ?? 0
            } else if let reason = try? String(contentsOf: store.failureURL(claim: claim.id, scale: scale, seed: seed, unit: unit), encoding: .utf8) {
                p.failed.append((unit, reason.trimmingCharacters(in: .whitespacesAndNewlines)))
            } else {
                p.pending.append(unit)
            }
        }
        return p
    }
}
