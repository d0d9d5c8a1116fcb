/// Counted arithmetic of the discrete-VAE code (hnca.vae's cost layer): a deterministic measure
/// of the work of one update that no clock or machine load can change.
///
/// Every VAE routine that does arithmetic adds, once per call, what it does from its shapes:
/// - multiply-adds: one per scalar multiply-add or addition in a matrix product, an elementwise
///   loop or a per-example sum (a gemm of [m x k] by [k x n] is m k n);
/// - transcendentals: one per call of exp, expm1, log or log1p (sigmoid = 1, log sigmoid = 2,
///   the Bernoulli entropy = 2, as `Fn` and `ELBOComponents` compute them).
/// Random draws and comparisons are not counted. Counting is on only inside `counting(_:)`; off,
/// each routine reads one task-local value per call.
public final class VAEOperationCount: @unchecked Sendable {
    public private(set) var multiplyAdds = 0
    public private(set) var transcendentals = 0
    public init() {}

    @TaskLocal public static var current: VAEOperationCount?

    /// Runs `body` with counting on; returns its value and what it counted.
    public static func counting<T>(_ body: () throws -> T) rethrows -> (value: T, multiplyAdds: Int, transcendentals: Int) {
        let counter = VAEOperationCount()
        let value = try $current.withValue(counter) { try body() }
        return (value, counter.multiplyAdds, counter.transcendentals)
    }

    static func add(multiplyAdds m: Int = 0, transcendentals t: Int = 0) {
        guard let c = current else { return }
        c.multiplyAdds += m
        c.transcendentals += t
    }

    /// A linear layer's logits on `rows` examples: the gemm and the bias.
    static func logits(rows: Int, inputs: Int, units: Int) {
        add(multiplyAdds: rows * units * (inputs + 1))
    }
}
