import ArgumentParser
import Foundation
import Pipeline
import Reproductions

/// `reproduce status`: how far a run has got, from the result folder alone (works mid-run, on
/// any machine that sees --out): per claim, units done / failed / not yet run, core-hours spent
/// (timing files) and an estimate of the core-hours still to go.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per claim: units done / failed / pending, core-hours spent, and the estimated remainder.",
        discussion: "Failed: the unit's last attempt left a failure marker and no result. Pending includes running units. The remainder is an estimate (see `reproduce plan --estimate`).")

    @Argument(help: "Claim ids, or 'all'.")
    var claims: [String] = ["all"]

    @OptionGroup var options: SuiteOptions

    @Option(help: "Another result folder whose timing files help the estimate (e.g. a quick run's); repeatable.")
    var timings: [String] = []

    @Flag(help: "List every failed unit and why.")
    var verbose = false

    func run() throws {
        let scale = try options.parsedScale()
        let seed = try options.validatedSeed()
        let selected = try resolveClaims(claims)
        let store = options.store
        let estimator = CostEstimator(stores: [store] + timings.map { ResultStore(root: URL(fileURLWithPath: $0)) })
        var rows: [[String]] = []
        var totals = (units: 0, done: 0, failed: 0, pending: 0, spent: 0.0, remaining: 0.0)
        var unknown = 0
        var failures: [String] = []
        for c in selected {
            let p = RunStatus.progress(of: c, store: store, scale: scale, seed: seed)
            let left = p.remaining
            let e = left.isEmpty ? nil : estimator.estimate(c, at: scale, units: left)
            let remaining: String
            if left.isEmpty { remaining = "0" } else if let e, e.isMeasured { remaining = CostFormat.coreHours(e.coreSeconds); totals.remaining += e.coreSeconds } else { remaining = "?"; unknown += 1 }
            rows.append([c.id, String(p.total), String(p.done.count), String(p.failed.count), String(p.pending.count),
                         CostFormat.coreHours(p.secondsSpent), remaining])
            totals.units += p.total; totals.done += p.done.count; totals.failed += p.failed.count
            totals.pending += p.pending.count; totals.spent += p.secondsSpent
            failures += p.failed.map { "  \(c.id) \($0.unit): \($0.reason)" }
        }
        rows.append(["total", String(totals.units), String(totals.done), String(totals.failed), String(totals.pending),
                     CostFormat.coreHours(totals.spent), CostFormat.coreHours(totals.remaining) + (unknown > 0 ? " + ?" : "")])
        print("status of \(store.root.path) at scale \(scale.rawValue), seed \(seed) (core-hours left: an ESTIMATE)")
        print(EstimateTable.table(["claim", "units", "done", "failed", "pending", "core-hours spent", "core-hours left (est.)"], rows), terminator: "")
        if !failures.isEmpty {
            print("\(failures.count) failed unit\(failures.count == 1 ? "" : "s") (rerun or resubmit the same command to retry):")
            if verbose { failures.forEach { print($0) } } else { failures.prefix(5).forEach { print($0) }; if failures.count > 5 { print("  ... (--verbose lists all)") } }
        }
    }
}
