import CGSL
import CKernels

/// A stream of pseudo-random numbers backed by a GSL generator (mt19937 by default).
///
/// It is a value type: copying a stream copies its state (the GSL state is cloned on the first
/// write after a copy), so two copies produce the same numbers. Randomness is always passed in
/// as a stream; nothing in the library draws from a global generator.
public struct RandomStream: @unchecked Sendable {
    public enum Generator: String, Codable, Sendable { case mt19937, ranlxd2 }

    final class State {
        let rng: UnsafeMutablePointer<gsl_rng>
        init(rng: UnsafeMutablePointer<gsl_rng>) { self.rng = rng }
        deinit { gsl_rng_free(rng) }
    }

    private var state: State
    /// The seed the generator was set with (never 0: GSL maps 0 to a default seed).
    public let seed: UInt64
    public let generator: Generator

    public init(seed: UInt64, generator: Generator = .mt19937) {
        GSL.configure()
        let type = generator == .mt19937 ? cgsl_rng_mt19937() : cgsl_rng_ranlxd2()
        guard let rng = gsl_rng_alloc(type) else { fatalError("gsl_rng_alloc failed: out of memory") }
        // mt19937 and ranlxd2 take an unsigned long seed; fold to 32 bits so the seed means the
        // same on every platform, and never pass 0.
        var s = UInt(truncatingIfNeeded: (seed ^ (seed >> 32)) & 0xffff_ffff)
        if s == 0 { s = 0x9e37_79b9 }
        gsl_rng_set(rng, s)
        self.state = State(rng: rng)
        self.seed = UInt64(s)
        self.generator = generator
    }

    /// A stream for one run: seeded from a hash of (master seed, claim id, run label, index).
    public init(master: UInt64, claim: String, label: String = "", index: Int = 0,
                generator: Generator = .mt19937) {
        self.init(seed: SeedHash.derive(master: master, claim: claim, label: label, index: index),
                  generator: generator)
    }

    private mutating func rng() -> UnsafeMutablePointer<gsl_rng> {
        if !isKnownUniquelyReferenced(&state) {
            guard let copy = gsl_rng_clone(state.rng) else { fatalError("gsl_rng_clone failed") }
            state = State(rng: copy)
        }
        return state.rng
    }

    /// A new, independent stream derived from this one (consumes one draw).
    public mutating func split(_ label: Int = 0) -> RandomStream {
        let a = UInt64(gsl_rng_get(rng()))
        return RandomStream(seed: SeedHash.mix(a &+ UInt64(label) &* 0x9e37_79b9_7f4a_7c15), generator: generator)
    }

    /// Uniform on the open interval (0, 1).
    public mutating func uniform() -> Double { gsl_rng_uniform_pos(rng()) }
    /// Uniform on [lower, upper).
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * gsl_rng_uniform(rng())
    }
    /// Uniform integer in 0..<n.
    public mutating func integer(below n: Int) -> Int { Int(gsl_rng_uniform_int(rng(), UInt(n))) }
    public mutating func bernoulli(_ p: Double) -> Bool { gsl_ran_bernoulli(rng(), p) == 1 }
    public mutating func normal(mean: Double = 0, sd: Double = 1) -> Double {
        mean + gsl_ran_gaussian_ziggurat(rng(), sd)
    }
    /// Standard logistic: log u - log(1 - u).
    public mutating func logistic() -> Double { gsl_ran_logistic(rng(), 1) }
    /// Standard Gumbel (type 1, a = 1, b = 1): -log(-log u).
    public mutating func gumbel() -> Double { gsl_ran_gumbel1(rng(), 1, 1) }
    public mutating func exponential(mean: Double = 1) -> Double { gsl_ran_exponential(rng(), mean) }
    public mutating func binomial(_ p: Double, trials: Int) -> Int { Int(gsl_ran_binomial(rng(), p, UInt32(trials))) }
    /// A draw from the categorical distribution with the given (unnormalised, non-negative) weights.
    public mutating func categorical(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var u = gsl_rng_uniform(rng()) * total
        for (k, w) in weights.enumerated() {
            if u < w { return k }
            u -= w
        }
        return weights.lastIndex(where: { $0 > 0 }) ?? (weights.count - 1)
    }
    /// A random permutation of 0..<n (Fisher-Yates with GSL integers).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, integer(below: i + 1)) }
        return p
    }

    /// Fills `buffer` with uniforms on (0, 1): the batched form for whole layers. The same numbers in the
    /// same order as `uniform()` per element; for mt19937 they are drawn by `dg_mt19937_uniform_pos`
    /// (CKernels: GSL's own generator code run on the generator's state, without two indirect calls per
    /// draw), after checking that the generator is GSL's mt19937 with the state layout that code assumes.
    public mutating func fillUniform(_ buffer: inout [Double]) {
        let r = rng()
        let n = buffer.count
        if generator == .mt19937, gsl_rng_size(r) == dg_mt19937_state_size(), String(cString: gsl_rng_name(r)) == "mt19937",
           let state = r.pointee.state {
            buffer.withUnsafeMutableBufferPointer { b in
                if let p = b.baseAddress { dg_mt19937_uniform_pos(state, p, n) }
            }
            return
        }
        for i in buffer.indices { buffer[i] = gsl_rng_uniform_pos(r) }
    }
    public mutating func fillNormal(_ buffer: inout [Double]) {
        let r = rng()
        for i in buffer.indices { buffer[i] = gsl_ran_gaussian_ziggurat(r, 1) }
    }
}

/// Seed derivation: a stable 64-bit hash (FNV-1a over the bytes, then splitmix64 finalisation).
public enum SeedHash {
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    public static func fnv1a(_ s: String, _ h0: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var h = h0
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }
    public static func derive(master: UInt64, claim: String, label: String, index: Int) -> UInt64 {
        var h = mix(master)
        h = fnv1a(claim, h)
        h = fnv1a("/" + label, h)
        h = mix(h ^ UInt64(bitPattern: Int64(index)))
        return h == 0 ? 1 : h
    }
}
