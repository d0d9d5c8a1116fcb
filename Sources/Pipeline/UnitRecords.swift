import Foundation

/// Side files next to a unit's result, for scheduling rather than science: the unit's CPU time
/// (for core-hour estimates), the peak memory of the process that ran it (to size cluster
/// requests) and a failure marker (so `reproduce status` can
/// tell a failed unit from one that has not run). Neither is read by evidence or reports.
public extension ResultStore {
    /// Peak resident memory in bytes of the process that ran the unit (an upper bound when one
    /// process ran several units in a row).
    func memoryURL(claim: String, scale: Scale, seed: UInt64, unit: RunUnit) -> URL {
        directory(claim: claim, scale: scale, seed: seed).appendingPathComponent(unit.fileStem + ".peak-bytes")
    }
    /// The unit's CPU time in seconds (user + system, all threads): what "core-hours" means,
    /// unlike the wall time of `timingURL`, which other processes on a shared machine inflate.
    func cpuTimingURL(claim: String, scale: Scale, seed: UInt64, unit: RunUnit) -> URL {
        directory(claim: claim, scale: scale, seed: seed).appendingPathComponent(unit.fileStem + ".cpu-seconds")
    }
    /// Core-seconds a finished unit used: its CPU time, or its wall time for results written
    /// before CPU time was recorded.
    func coreSeconds(claim: String, scale: Scale, seed: UInt64, unit: RunUnit) -> Double? {
        readNumber(cpuTimingURL(claim: claim, scale: scale, seed: seed, unit: unit))
            ?? readNumber(timingURL(claim: claim, scale: scale, seed: seed, unit: unit))
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

/// This process's resource usage so far (getrusage of RUSAGE_SELF), nil if the call fails.
private func selfUsage() -> rusage? {
    var usage = rusage()
    #if os(Linux)
    let who = RUSAGE_SELF.rawValue
    #else
    let who = RUSAGE_SELF
    #endif
    return getrusage(who, &usage) == 0 ? usage : nil
}

/// User + system CPU seconds this process has used so far, over all its threads.
public func processCPUSeconds() -> Double {
    guard let usage = selfUsage() else { return 0 }
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// This process's peak resident memory so far, in bytes (Linux reports ru_maxrss in KiB).
public func peakResidentBytes() -> Double {
    guard let usage = selfUsage() else { return 0 }
    #if os(Linux)
    return Double(usage.ru_maxrss) * 1024
    #else
    return Double(usage.ru_maxrss)
    #endif
}
