import Foundation
import Verification

/// Small statistical helpers shared by the lecture claims (all built on Verification's tests).
enum LectureStatistics {
    /// |x - target|^2 summed over coordinates.
    static func squaredError(_ x: [Double], _ target: [Double]) -> Double {
        zip(x, target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }

    /// Per-draw values whose sample mean is exactly log(s_A^2 / s_B^2) and whose standard error
    /// is the delta-method (influence-function) standard error of that log variance ratio on
    /// paired draws: psi_i = (A_i - mean A)^2 / s_A^2 - (B_i - mean B)^2 / s_B^2 has mean exactly
    /// 0 (both terms average (n - 1)/n), so log(s_A^2/s_B^2) + psi_i can be fed to a t-test or TOST.
    static func logVarianceRatioPseudoValues(_ a: [Double], _ b: [Double]) -> (logRatio: Double, values: [Double]) {
        precondition(a.count == b.count && a.count > 2)
        let sa = Summary(a), sb = Summary(b)
        let logRatio = log(sa.variance / sb.variance)
        let values = a.indices.map { i in
            logRatio + (a[i] - sa.mean) * (a[i] - sa.mean) / sa.variance - (b[i] - sb.mean) * (b[i] - sb.mean) / sb.variance
        }
        return (logRatio, values)
    }

    /// Standard errors (sd / sqrt n) of a sample's coordinates' means, as an interval at +-k se.
    static func meanInterval(_ xs: [Double], k: Double = 2) -> (mean: Double, low: Double, high: Double) {
        let s = Summary(xs)
        return (s.mean, s.mean - k * s.standardError, s.mean + k * s.standardError)
    }
}
