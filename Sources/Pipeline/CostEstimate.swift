import Foundation

/// An estimate (never a measurement) of what a claim's units cost at a scale: measured wall times
/// of the same claim's units from timing files (at the same scale if any exist, else the nearest
/// smaller scale, else a larger one), scaled by the claim's `WorkModeled` work ratio. A claim
/// without a work model is assumed to cost per unit what it cost where it was measured.
public struct ClaimEstimate: Sendable {
    public var claim: String
    /// The units estimated (all of them, or those still to run).
    public var units: [RunUnit]
    /// Estimated wall seconds per unit (one core each); empty when nothing was measured.
    public var seconds: [RunUnit: Double]
    /// Estimated peak memory of one unit's process, in bytes; nil when nothing was measured.
    public var peakBytes: Double?
    /// The scale whose timing files the estimate scales, and how many it read from where.
    public var measuredScale: Scale?
    public var timingFiles: Int
    public var timingFolders: [String]
    /// Whether a work model scaled the times (false: per-unit cost assumed unchanged).
    public var workModeled: Bool

    public init(claim: String, units: [RunUnit], seconds: [RunUnit: Double], peakBytes: Double?, measuredScale: Scale?,
                timingFiles: Int, timingFolders: [String], workModeled: Bool) {
        self.claim = claim; self.units = units; self.seconds = seconds; self.peakBytes = peakBytes
        self.measuredScale = measuredScale; self.timingFiles = timingFiles; self.timingFolders = timingFolders
        self.workModeled = workModeled
    }

    public var isMeasured: Bool { measuredScale != nil }
    public var coreSeconds: Double { units.reduce(0) { $0 + (seconds[$1] ?? 0) } }
    public var longestUnitSeconds: Double { units.compactMap { seconds[$0] }.max() ?? 0 }

    /// Where the numbers come from, in a few words.
    public var basis: String {
        guard let s = measuredScale else { return "no timing files: not estimated" }
        return "\(timingFiles) \(s.rawValue) timing file\(timingFiles == 1 ? "" : "s")" + (workModeled ? ", work model" : ", unscaled (no work model)")
    }
}

public struct CostEstimator: Sendable {
    /// Result folders whose timing files are read (e.g. the run's own --out and a quick run's).
    public let stores: [ResultStore]
    public init(stores: [ResultStore]) { self.stores = stores }

    private struct Measurement { var unit: RunUnit; var seconds: Double; var peakBytes: Double? }

    /// Estimates `units` (default: all of the claim's units at `scale`).
    public func estimate(_ claim: any Claim, at scale: Scale, units requested: [RunUnit]? = nil) -> ClaimEstimate {
        let units = requested ?? claim.units(at: scale)
        let model = claim as? any WorkModeled
        func work(_ u: RunUnit, _ s: Scale) -> UnitWork { model?.work(of: u, at: s) ?? UnitWork(work: 1) }
        var result = ClaimEstimate(claim: claim.id, units: units, seconds: [:], peakBytes: nil, measuredScale: nil,
                                   timingFiles: 0, timingFolders: [], workModeled: model != nil)
        let lower = Scale.allCases.filter { $0 < scale }.reversed()
        let preference = [scale] + lower + Scale.allCases.filter { $0 > scale }
        for reference in preference {
            let (measured, folders) = measurements(claim, at: reference)
            guard !measured.isEmpty else { continue }
            // Seconds per unit of work: per configuration where it was measured, else the claim's overall rate.
            var perConfig: [String: (seconds: Double, work: Double)] = [:]
            var overall = (seconds: 0.0, work: 0.0)
            for m in measured {
                let w = max(work(m.unit, reference).work, .leastNonzeroMagnitude)
                perConfig[m.unit.config, default: (0, 0)].seconds += m.seconds
                perConfig[m.unit.config, default: (0, 0)].work += w
                overall.seconds += m.seconds; overall.work += w
            }
            for u in units {
                let rate = perConfig[u.config].map { $0.seconds / $0.work } ?? overall.seconds / overall.work
                result.seconds[u] = rate * work(u, scale).work
            }
            // Memory: the largest measured process, plus the extra images this scale holds.
            let measuredPeak = measured.compactMap(\.peakBytes).max()
            let referenceImages = measured.map { work($0.unit, reference).imagesInMemory }.max() ?? 0
            let targetImages = units.map { work($0, scale).imagesInMemory }.max() ?? 0
            result.peakBytes = measuredPeak.map { $0 + Double(max(0, targetImages - referenceImages)) * UnitWork.bytesPerImage }
            result.measuredScale = reference
            result.timingFiles = measured.count
            result.timingFolders = folders
            break
        }
        return result
    }

    /// Every timing file of the claim at a scale, across the stores and their seed folders.
    private func measurements(_ claim: any Claim, at scale: Scale) -> ([Measurement], [String]) {
        var out: [Measurement] = [], folders: [String] = []
        let units = claim.units(at: scale)
        for store in stores {
            for seed in seedFolders(store, scale) {
                var found = false
                for u in units {
                    guard let s = store.coreSeconds(claim: claim.id, scale: scale, seed: seed, unit: u) else { continue }
                    out.append(Measurement(unit: u, seconds: s, peakBytes: store.readNumber(store.memoryURL(claim: claim.id, scale: scale, seed: seed, unit: u))))
                    found = true
                }
                if found { folders.append(store.directory(claim: claim.id, scale: scale, seed: seed).path) }
            }
        }
        return (out, folders)
    }

    private func seedFolders(_ store: ResultStore, _ scale: Scale) -> [UInt64] {
        let dir = store.root.appendingPathComponent(scale.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.compactMap { $0.hasPrefix("seed-") ? UInt64($0.dropFirst(5)) : nil }.sorted()
    }
}

/// Human-readable durations and sizes for estimates and status lines.
public enum CostFormat {
    public static func coreHours(_ seconds: Double) -> String {
        let h = seconds / 3600
        return h >= 10 ? String(format: "%.0f", h) : h >= 0.1 ? String(format: "%.1f", h) : String(format: "%.3f", h)
    }
    public static func duration(_ seconds: Double) -> String { Duration.format(seconds) }
    public static func megabytes(_ bytes: Double) -> String { String(format: "%.0f MB", bytes / 1_048_576) }
}
