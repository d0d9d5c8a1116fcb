/// REINFORCE (Williams, 1992), the score-function estimator:
/// g = (f(b) - c) d/dtheta log p(b | theta), with an optional baseline c that must not depend on b.
public enum Reinforce {
    /// For independent Bernoullis with logits a: g_i = (f(b) - c)(b_i - sigmoid(a_i)).
    public static func estimate(_ dist: IndependentBernoulli, sample b: [Double], value fb: Double,
                                baseline c: Double = 0) -> [Double] {
        dist.score(b).map { (fb - c) * $0 }
    }
    /// Draws b and returns the estimate.
    public static func estimate(_ dist: IndependentBernoulli, f: ([Double]) -> Double, baseline c: Double = 0,
                                stream: inout RandomStream) -> [Double] {
        let b = dist.sample(&stream)
        return estimate(dist, sample: b, value: f(b), baseline: c)
    }
}
