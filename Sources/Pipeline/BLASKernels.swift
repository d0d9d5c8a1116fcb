import Foundation

/// The kernel set OpenBLAS chose for this process. Results are bit-reproducible for one binary,
/// seed and scale only under one kernel set (a different kernel sums a product in a different
/// order), so every unit result records it beside the git revision.
public enum BLASKernels {
    /// `openblas_get_corename()`, looked up at run time so the package also links against a
    /// BLAS that lacks it ("unknown"); `OPENBLAS_CORETYPE` is appended when the user forced it.
    public static func current() -> String {
        var name = coreName().map { "OpenBLAS " + $0 } ?? "unknown"
        if let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !forced.isEmpty {
            name += " (OPENBLAS_CORETYPE=\(forced))"
        }
        return name
    }

    /// OpenBLAS's own name for the kernel set (e.g. "Prescott", "Haswell"), nil without OpenBLAS.
    public static func coreName() -> String? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "openblas_get_corename") else { return nil }
        typealias CoreName = @convention(c) () -> UnsafeMutablePointer<CChar>?
        return unsafeBitCast(symbol, to: CoreName.self)().map { String(cString: $0) }
    }
}
