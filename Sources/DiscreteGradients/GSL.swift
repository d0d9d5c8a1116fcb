import CGSL

/// Process-wide GSL set-up. GSL's default error handler calls abort(); we turn it off and
/// check return codes and NaNs instead. Idempotent and thread-safe (a Swift `static let`).
public enum GSL {
    private static let handlerOff: Bool = {
        gsl_set_error_handler_off()
        return true
    }()
    public static func configure() { _ = handlerOff }
}
