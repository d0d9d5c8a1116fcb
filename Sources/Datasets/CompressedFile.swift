import CZlib
import Foundation

/// Reads a whole file through zlib, which inflates gzip files and passes plain files through
/// unchanged (Foundation on Linux cannot gunzip; see NOTES-swift-gsl.md).
public enum CompressedFile {
    /// The file's (decompressed) bytes. A missing file, an unreadable one, or a gzip stream that is
    /// corrupt or ends early throws a `DatasetError` naming the file.
    public static func read(_ path: String, hint: String = "") throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw DatasetError.missing(path: path, hint: hint)
        }
        guard let file = gzopen(path, "rb") else {
            throw DatasetError.corrupt(path: path, reason: "cannot be opened for reading (errno \(errno))")
        }
        defer { gzclose(file) }
        gzbuffer(file, 1 << 18)
        var bytes: [UInt8] = []
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(chunk)) }
            if n < 0 { throw DatasetError.corrupt(path: path, reason: "gzip stream is corrupt (\(zlibMessage(file)))") }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<Int(n)])
        }
        var code: Int32 = 0
        let message = gzerror(file, &code).map { String(cString: $0) } ?? ""
        if code != Z_OK {
            let what = code == Z_BUF_ERROR ? "gzip stream is truncated" : "gzip stream is corrupt"
            throw DatasetError.corrupt(path: path, reason: "\(what) (\(message), after \(bytes.count) bytes)")
        }
        return bytes
    }

    static func zlibMessage(_ file: gzFile) -> String {
        var code: Int32 = 0
        return gzerror(file, &code).map { String(cString: $0) } ?? "zlib error \(code)"
    }
}
