import Foundation

/// The record of one unit's run: its identity (seed, scale, data set, git revision, BLAS kernels) and result.
public struct ResultEnvelope<R: Codable & Sendable>: Codable, Sendable {
    public var claim: String
    public var scale: Scale
    public var masterSeed: UInt64
    public var unit: RunUnit
    public var generator: String
    public var streamSeed: UInt64
    public var dataset: String
    public var revision: String
    /// The OpenBLAS kernel set the unit ran under (`BLASKernels.current()`); absent in files written before it was recorded.
    public var blas: String?
    /// Fingerprint of the code that produced the result (`CodeFingerprint`); absent in files written before it was recorded.
    public var code: String?
    public var result: R
}

/// What identifies the code behind a result, so that `run` recomputes a unit after the code
/// changed instead of silently reusing its old result: the git tree ids of Sources/,
/// Reproductions/ and Package.swift (unchanged by commits that touch only reports or docs), plus
/// a hash of uncommitted edits and untracked files there. `unknown` outside a git checkout,
/// where any stored result is reused as before.
public enum CodeFingerprint {
    public static let unknown = "unknown"
    /// The envelope field alone (the rest of the file is not decoded into a type).
    struct Header: Decodable { var code: String? }

    /// FNV-1a, 64 bits: a stable hash of the edits' bytes (Swift's `Hasher` is seeded per process).
    public static func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }
}

/// Where results live: `<root>/<scale>/seed-<seed>/<claim>/<config>-<index>.json`. Every file is
/// written to a temporary name and renamed, so a killed run never leaves a half-written file,
/// and a rerun skips the units whose file exists (resume).
public struct ResultStore: Sendable {
    public let root: URL
    public init(root: URL) { self.root = root }

    public func directory(claim: String, scale: Scale, seed: UInt64) -> URL {
        root.appendingPathComponent(scale.rawValue).appendingPathComponent("seed-\(seed)").appendingPathComponent(claim)
    }
    public func resultURL(claim: String, scale: Scale, seed: UInt64, unit: RunUnit) -> URL {
        directory(claim: claim, scale: scale, seed: seed).appendingPathComponent(unit.fileStem + ".json")
    }
    public func timingURL(claim: String, scale: Scale, seed: UInt64, unit: RunUnit) -> URL {
        directory(claim: claim, scale: scale, seed: seed).appendingPathComponent(unit.fileStem + ".seconds")
    }
    public func evidenceURL(claim: String, scale: Scale, seed: UInt64) -> URL {
        directory(claim: claim, scale: scale, seed: seed).appendingPathComponent("evidence.json")
    }
    public func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }
    /// Whether a result exists and was made by the code `code` identifies (any result counts when
    /// the code is `CodeFingerprint.unknown`).
    public func isCurrent(_ url: URL, code: String) -> Bool {
        guard exists(url) else { return false }
        guard code != CodeFingerprint.unknown else { return true }
        guard let data = try? Data(contentsOf: url), let header = try? Self.decoder.decode(CodeFingerprint.Header.self, from: data) else { return false }
        return header.code == code
    }

    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }()
    public static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }()

    public func write<T: Encodable>(_ value: T, to url: URL) throws {
        var data = try Self.encoder.encode(value)
        data.append(0x0a)
        try AtomicFile.write(data, to: url)
    }
    public func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ClaimError.missingResults("cannot read \(url.path)")
        }
        do { return try Self.decoder.decode(T.self, from: data) } catch {
            throw ClaimError.missingResults("corrupt result file \(url.path) (delete it or rerun with --force)")
        }
    }
}

/// Writes a file by writing a temporary sibling and renaming it over the target (atomic on POSIX).
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try data.write(to: tmp)
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw ClaimError.failed("cannot write \(url.path): \(error.localizedDescription)")
        }
        guard rename(tmp.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: tmp)
            throw ClaimError.failed("cannot write \(url.path): rename failed (errno \(errno))")
        }
    }
    public static func write(_ text: String, to url: URL) throws { try write(Data(text.utf8), to: url) }

    /// Creates `dir` if needed and proves it writable with a probe file (removed again).
    /// Returns a one-line problem, or nil. Call it only after all other input is validated.
    public static func checkWritable(_ dir: URL) -> String? {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir.path, isDirectory: &isDir), !isDir.boolValue {
            return "\(dir.path) is not a directory"
        }
        do { try fm.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            return "cannot create \(dir.path)"
        }
        let probe = dir.appendingPathComponent(".write-probe-\(getpid())")
        guard fm.createFile(atPath: probe.path, contents: Data()) else { return "\(dir.path) is not writable" }
        try? fm.removeItem(at: probe)
        return nil
    }
}
