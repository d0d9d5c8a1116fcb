import Foundation

/// Side files next to a unit's result, for scheduling rather than science: the peak memory of the
/// process that ran it (to size cluster requests) and a failure marker (so `reproduce status` can
/// tell a failed unit from one that has not run). Neither is read by evidence or reports.
public extension ResultStore {
    /// Peak resident memory in bytes of the process that ran the unit (an upper bound when one
    /// process ran several units in a row).
    func memoryURL(claim: String, scale: Scale, seed: UInt64, unit: RunUnit) -> URL {
        directory(claim: claim, scale: scale, seed: seed).appendingPathComponent(unit.fileStem + ".peak-bytes")
    }
    /// Present when the unit's last attempt failed; one line saying why. A result file wins over it.
    func failureURL(claim: String, scale: Scale, seed: UInt64, unit: RunUnit) -> URL {
        directory(claim: claim, scale: scale, seed: seed).appendingPathComponent(unit.fileStem + ".failed")
    }

    /// A number stored alone in a small text file (timing and memory files), or nil.
    func readNumber(_ url: URL) -> Double? {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        return Double(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// This process's peak resident memory so far, in bytes (Linux reports ru_maxrss in KiB).
public func peakResidentBytes() -> Double {
    var usage = rusage()
    #if os(Linux)
    let who = RUSAGE_SELF.rawValue
    #else
    let who = RUSAGE_SELF
    #endif
    guard getrusage(who, &usage) == 0 else { return 0 }
    #if os(Linux)
    return Double(usage.ru_maxrss) * 1024
    #else
    return Double(usage.ru_maxrss)
    #endif
}
