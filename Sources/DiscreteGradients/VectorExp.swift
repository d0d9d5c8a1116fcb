import CKernels
import Foundation

/// exp over buffers, four values at a time where that gives exactly glibc's exp (issue 21).
///
/// `dg_exp_fill` (CKernels) evaluates glibc's own algorithm with glibc's constants and the fused
/// multiply-adds of its FMA variant, the one glibc itself runs on CPUs with AVX2 and FMA. Whether the
/// results are this process's `exp` bit for bit is checked once, on a probe set covering every table
/// entry, the polynomial's range and the special cases; if not (another libm, another CPU), every
/// value goes through `exp`. Either way a buffer's results are exactly `exp` of each value, so
/// switching a loop to `VectorExp` changes no number.
public enum VectorExp {
    /// Whether the four-lane loop reproduces `exp` here (computed once; a constant afterwards).
    public static let reproducesLibm: Bool = {
        guard dg_exp_vectorised_available() != 0 else { return false }
        var x: [Double] = [0, -0.0, 1, -1, 1e-300, -1e-300, 0x1p-54, -0x1p-54, 0x1p-55, 511.9, -511.9, 512, -512,
                           700, -700, 709.78, 709.79, -745.1, -746, 1000, -1000, .infinity, -.infinity, .nan]
        var s: UInt64 = 0x9e37_79b9_7f4a_7c15
        for k in 0..<8192 {
            s = SeedHash.mix(s)
            let u = Double(s >> 11) * 0x1p-53
            let range = [1e-12, 1e-3, 0.5, 3, 40, 300, 745][k % 7]
            x.append((2 * u - 1) * range)
        }
        var out = [Double](repeating: 0, count: x.count)
        dg_exp_fill(x.count, x, &out, 1)
        return zip(x, out).allSatisfy { exp($0).bitPattern == $1.bitPattern }
    }()

    /// out[k] = exp(x[k]) for k < count (`out` may be `x`).
    public static func fill(_ x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, count: Int) {
        dg_exp_fill(count, x, out, reproducesLibm ? 1 : 0)
    }
    /// exp of every element, in place.
    public static func inPlace(_ values: inout [Double]) {
        let n = values.count
        values.withUnsafeMutableBufferPointer { v in
            guard let p = v.baseAddress else { return }
            fill(p, into: p, count: n)
        }
    }
}
