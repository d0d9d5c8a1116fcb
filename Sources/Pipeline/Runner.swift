import Foundation
import DiscreteGradients

/// Runs claims' units into a `ResultStore` and turns stored results into evidence.
public struct Runner: Sendable {
    public let store: ResultStore
    public let revision: String
    /// `CodeFingerprint` of the running code: a stored result made by other code is recomputed.
    public let code: String
    public let progress: (@Sendable (String) -> Void)?

    public init(store: ResultStore, revision: String, code: String = CodeFingerprint.unknown, progress: (@Sendable (String) -> Void)? = nil) {
        self.store = store; self.revision = revision; self.code = code; self.progress = progress
    }

    public enum Outcome: Sendable { case ran(seconds: Double), skipped, failed(String) }

    /// Runs one unit unless its result exists, was made by this code and decodes (or `force`). A
    /// unit that throws or produces a non-encodable result leaves no result file; its error is returned.
    public func run<C: Claim>(_ claim: C, unit: RunUnit, scale: Scale, seed: UInt64, force: Bool) -> Outcome {
        let url = store.resultURL(claim: claim.id, scale: scale, seed: seed, unit: unit)
        if !force && store.isCurrent(url, code: code) {
            if (try? store.read(ResultEnvelope<C.UnitResult>.self, from: url)) != nil { return .skipped }
        } else if !force && store.exists(url) {
            progress?("  \(claim.id) \(unit): stored result was made by other code (changed since); recomputing")
        }
        GSL.configure()
        let context = RunContext(claimID: claim.id, unit: unit, scale: scale, masterSeed: seed, progress: progress)
        let start = ContinuousClock.now
        let cpuStart = processCPUSeconds()
        do {
            let result = try claim.run(unit, context: context)
            let envelope = ResultEnvelope(claim: claim.id, scale: scale, masterSeed: seed, unit: unit,
                                          generator: "gsl mt19937", streamSeed: context.streamSeed(),
                                          dataset: context.dataset, revision: revision,
                                          blas: BLASKernels.current(), code: code, result: result)
            try store.write(envelope, to: url)
            let d = ContinuousClock.now - start
            let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            try AtomicFile.write(String(format: "%.3f\n", seconds), to: store.timingURL(claim: claim.id, scale: scale, seed: seed, unit: unit))
            try AtomicFile.write(String(format: "%.3f\n", processCPUSeconds() - cpuStart), to: store.cpuTimingURL(claim: claim.id, scale: scale, seed: seed, unit: unit))
            try? AtomicFile.write(String(format: "%.0f\n", peakResidentBytes()), to: store.memoryURL(claim: claim.id, scale: scale, seed: seed, unit: unit))
            try? FileManager.default.removeItem(at: store.failureURL(claim: claim.id, scale: scale, seed: seed, unit: unit))
            return .ran(seconds: seconds)
        } catch {
            try? AtomicFile.write("\(error)".split(separator: "\n").joined(separator: " ") + "\n",
                                  to: store.failureURL(claim: claim.id, scale: scale, seed: seed, unit: unit))
            return .failed("\(error)")
        }
    }

    /// Evidence from the stored results of every unit; ERROR evidence if any is missing or bad.
    public func evidence<C: Claim>(_ claim: C, scale: Scale, seed: UInt64) -> (evidence: Evidence, meta: RunMeta) {
        GSL.configure()   // evaluation calls GSL's inverse CDFs, whose default error handler aborts
        var results: [(unit: RunUnit, result: C.UnitResult)] = []
        var meta = RunMeta(scale: scale, seed: seed, units: 0, seconds: 0, datasets: [], revisions: [], blasKernels: [])
        for unit in claim.units(at: scale) {
            let url = store.resultURL(claim: claim.id, scale: scale, seed: seed, unit: unit)
            guard let env = try? store.read(ResultEnvelope<C.UnitResult>.self, from: url) else {
                return (Evidence.failure("no valid result for unit \(unit) at \(url.path); run `reproduce run \(claim.id) --scale \(scale.rawValue) --seed \(seed)`"), meta)
            }
            results.append((unit, env.result))
            meta.units += 1
            if !meta.datasets.contains(env.dataset) { meta.datasets.append(env.dataset) }
            if !meta.revisions.contains(env.revision) { meta.revisions.append(env.revision) }
            if let b = env.blas, !(meta.blasKernels ?? []).contains(b) { meta.blasKernels = (meta.blasKernels ?? []) + [b] }
            if let t = try? String(contentsOf: store.timingURL(claim: claim.id, scale: scale, seed: seed, unit: unit), encoding: .utf8),
               let s = Double(t.trimmingCharacters(in: .whitespacesAndNewlines)) { meta.seconds += s }
        }
        do {
            return (try claim.evidence(from: results, scale: scale), meta)
        } catch {
            return (Evidence.failure("\(error)"), meta)
        }
    }
}

/// Facts about a claim's stored run, for the report's setup section and the index.
public struct RunMeta: Codable, Sendable {
    public var scale: Scale
    public var seed: UInt64
    public var units: Int
    /// Sum of the units' wall-clock times (not part of the deterministic result files).
    public var seconds: Double
    public var datasets: [String]
    public var revisions: [String]
    /// The BLAS kernel sets the units ran under; more than one means the numbers are not one machine's bits.
    public var blasKernels: [String]?
}
