import Pipeline

/// Backprop-Q's claims (papers/backprop-q-xu-2018.md).
public enum BackpropQClaims {
    public static let all: [any Claim] = [BackpropQTheorem1(), BackpropQRaoBlackwell(), BackpropQErrorBound(), BackpropQMerging(), BackpropQTD(), BackpropQTechniques()]
}
