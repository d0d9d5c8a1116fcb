import DiscreteGradients
import Verification

/// How much work a reproduction does. `smoke` runs in seconds (unit tests), `quick` is the
/// default of `make reproduce` (the whole suite in minutes on 2 cores), `paper` uses the
/// paper's own settings (hours; resumable and distributable by unit).
public enum Scale: String, Codable, Sendable, CaseIterable, Comparable {
    case smoke, quick, paper
    public static func < (a: Scale, b: Scale) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One independently runnable, resumable piece of a claim's work: a configuration and a
/// replicate index (usually the seed index). Each unit writes exactly one result file.
public struct RunUnit: Codable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public var config: String
    public var index: Int
    public init(_ config: String, _ index: Int = 0) {
        precondition(!config.isEmpty && !config.contains("/") && !config.contains("#"), "bad unit config '\(config)'")
        self.config = config; self.index = index
    }
    /// "config#index", the form used on the command line (`--unit`).
    public var description: String { "\(config)#\(index)" }
    public init?(parsing text: String) {
        let parts = text.split(separator: "#", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[1]), i >= 0, !parts[0].isEmpty, !parts[0].contains("/") else { return nil }
        self.init(String(parts[0]), i)
    }
    public static func < (a: RunUnit, b: RunUnit) -> Bool { (a.config, a.index) < (b.config, b.index) }
    /// The result file's name.
    public var fileStem: String { "\(config)-\(index)" }
}

/// A reproduction target: one claim of ../shared/CLAIMS.md.
///
/// The pipeline asks a claim for its units at a scale, runs each unit once (results are
/// stored, so reruns resume), then asks the claim to turn all unit results into `Evidence`.
/// Evidence is computed from stored results alone, so reports can be rebuilt without rerunning.
public protocol Claim: Sendable {
    /// What one unit produces; stored as JSON.
    associatedtype UnitResult: Codable & Sendable

    /// The id from CLAIMS.md, e.g. "hnca.theorem1".
    var id: String { get }
    /// The paper, e.g. "HNCA (Young, 2022)".
    var paper: String { get }
    /// Where in the paper: section, equation, figure.
    var source: String { get }
    /// The claim in the paper's words (a short quote) or as CLAIMS.md states it.
    var statement: String { get }
    /// A few words for the index table.
    var summary: String { get }

    /// Every sub-claim's pre-registered design (estimand, side, SESOI or margin, alpha share,
    /// sample size per scale). `reproduce design` prints them; `Expectations/design.tsv` holds
    /// them, and `reproduce check` fails when the code differs from it.
    var designs: [SubClaimDesign] { get }

    func units(at scale: Scale) -> [RunUnit]
    func run(_ unit: RunUnit, context: RunContext) throws -> UnitResult
    func evidence(from results: [(unit: RunUnit, result: UnitResult)], scale: Scale) throws -> Evidence
}

/// A claim whose whole work is one unit (typical of exact checks): it returns its evidence directly.
public protocol SingleRunClaim: Claim where UnitResult == Evidence {
    func evidence(context: RunContext) throws -> Evidence
}

public extension SingleRunClaim {
    func units(at scale: Scale) -> [RunUnit] { [RunUnit("main")] }
    func run(_ unit: RunUnit, context: RunContext) throws -> Evidence { try evidence(context: context) }
    func evidence(from results: [(unit: RunUnit, result: Evidence)], scale: Scale) throws -> Evidence {
        guard let first = results.first else { throw ClaimError.missingResults("no result for the single unit") }
        return first.result
    }
}

public enum ClaimError: Error, CustomStringConvertible {
    case nonFinite(String)
    case missingResults(String)
    case missingData(String)
    case failed(String)
    public var description: String {
        switch self {
        case .nonFinite(let s): "non-finite value: \(s)"
        case .missingResults(let s): "missing results: \(s)"
        case .missingData(let s): "missing data: \(s)"
        case .failed(let s): s
        }
    }
}

/// Everything a unit needs from the pipeline: its identity, its random streams, progress.
public final class RunContext: @unchecked Sendable {
    public let claimID: String
    public let unit: RunUnit
    public let scale: Scale
    public let masterSeed: UInt64
    /// What data the run used; claims that load data set it (recorded in the result file).
    public var dataset: String = "synthetic (no external data)"
    private let progressSink: (@Sendable (String) -> Void)?
    private let startTime = ContinuousClock.now
    private var lastReport = ContinuousClock.now

    public init(claimID: String, unit: RunUnit, scale: Scale, masterSeed: UInt64,
                progress: (@Sendable (String) -> Void)? = nil) {
        self.claimID = claimID; self.unit = unit; self.scale = scale; self.masterSeed = masterSeed
        self.progressSink = progress
    }

    /// The unit's random stream: one independent GSL generator per (master seed, claim, unit,
    /// label), seeded from a hash of those. Same inputs, same numbers, bit for bit.
    public func stream(_ label: String = "") -> RandomStream {
        RandomStream(master: masterSeed, claim: claimID, label: unit.config + (label.isEmpty ? "" : "/" + label),
                     index: unit.index)
    }
    /// The seed `stream(label)` uses, for the record.
    public func streamSeed(_ label: String = "") -> UInt64 { stream(label).seed }

    /// Reports progress (at most every two seconds): step i of n, elapsed time and an estimate.
    public func progress(step: Int, of total: Int, _ note: String = "") {
        guard let sink = progressSink else { return }
        let now = ContinuousClock.now
        guard now - lastReport >= .seconds(2) || step == total else { return }
        lastReport = now
        let elapsed = Double((now - startTime).components.seconds) + Double((now - startTime).components.attoseconds) * 1e-18
        let eta = step > 0 ? elapsed * Double(total - step) / Double(step) : .nan
        sink("[\(claimID) \(unit)] step \(step)/\(total)\(note.isEmpty ? "" : " " + note) elapsed \(Duration.format(elapsed)) eta \(Duration.format(eta)) (total ~\(Duration.format(elapsed + eta)))")
    }
}

extension Duration {
    static func format(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        if seconds < 60 { return "\(Int(seconds.rounded()))s" }
        if seconds < 3600 { return "\(Int(seconds / 60))m\(Int(seconds.truncatingRemainder(dividingBy: 60)))s" }
        return "\(Int(seconds / 3600))h\(Int((seconds / 60).truncatingRemainder(dividingBy: 60)))m"
    }
}
