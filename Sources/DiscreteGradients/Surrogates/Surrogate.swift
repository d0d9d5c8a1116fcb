/// A learned control variate c_phi(z) of the relaxed variables z (RELAX draft, Eq. 13; LAX in the
/// lecture). RELAX needs its value and its derivatives dc/dz_i; training phi on the
/// single-sample variance gradient (Eq. 14) also needs dc/dphi and the mixed second
/// derivatives d(dc/dz_i)/dphi, which every surrogate writes out by hand.
public protocol Surrogate: Sendable {
    /// phi, flattened; the order is `parameterNames`.
    var parameters: [Double] { get set }
    var parameterNames: [String] { get }
    /// c(z), dc/dz and, when `parameterGradients`, dc/dphi and d(dc/dz_i)/dphi.
    func evaluate(_ z: [Double], parameterGradients: Bool) -> SurrogateEvaluation
}

/// The surrogate and its derivatives at one point z.
public struct SurrogateEvaluation: Sendable {
    /// c(z).
    public var value: Double
    /// dc/dz_i.
    public var dz: [Double]
    /// dc/dphi_p (empty unless requested).
    public var dValue: [Double]
    /// dDz[i][p] = d(dc/dz_i)/dphi_p (empty unless requested).
    public var dDz: [[Double]]
    public init(value: Double, dz: [Double], dValue: [Double] = [], dDz: [[Double]] = []) {
        self.value = value; self.dz = dz; self.dValue = dValue; self.dDz = dDz
    }
}
