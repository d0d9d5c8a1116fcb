/// A surrogate with a learned output scale: c(z) = s * inner(z) (RELAX draft, Section 6.1, as the
/// authors' released toy builds it: the network's output times a scalar that starts at 0, so
/// c starts at 0 and the estimator starts as REINFORCE). Parameters: the inner surrogate's, then s.
public struct OutputScaledSurrogate<Inner: Surrogate>: Surrogate {
    public var inner: Inner
    public var scale: Double

    public init(_ inner: Inner, scale: Double = 0) { self.inner = inner; self.scale = scale }

    public var parameters: [Double] {
        get { inner.parameters + [scale] }
        set {
            precondition(newValue.count == inner.parameters.count + 1, "OutputScaledSurrogate: wrong parameter count")
            inner.parameters = Array(newValue.dropLast()); scale = newValue[newValue.count - 1]
        }
    }
    public var parameterNames: [String] { inner.parameterNames + ["output scale"] }

    public func evaluate(_ z: [Double], parameterGradients: Bool) -> SurrogateEvaluation {
        let e = inner.evaluate(z, parameterGradients: parameterGradients)
        let dz = e.dz.map { scale * $0 }
        guard parameterGradients else { return SurrogateEvaluation(value: scale * e.value, dz: dz) }
        // d(s c)/dphi = s dc/dphi, d(s c)/ds = c; d(s dc/dz_i)/dphi = s d(dc/dz_i)/dphi, .../ds = dc/dz_i.
        let dValue = e.dValue.map { scale * $0 } + [e.value]
        let dDz = e.dDz.indices.map { i in e.dDz[i].map { scale * $0 } + [e.dz[i]] }
        return SurrogateEvaluation(value: scale * e.value, dz: dz, dValue: dValue, dDz: dDz)
    }
}
