import Foundation
import Testing
import DiscreteGradients
import Verification

/// RELAX draft, Section 4 and Appendix B: REBAR, RELAX and LAX for a categorical variable with K
/// classes. Unbiasedness is checked exactly: the K classes enumerated, trapezoidal quadrature over
/// the Gumbel noise given each class (`GumbelQuadrature`), against the closed-form gradient of
/// E[f(b)] (no statistical test). The conditional sample's law is checked against its exact
/// conditional CDF, derived from the unconditional Gumbel-max model (not from the sampler), by a
/// chi-square test on probability-integral-transform bins at a fixed seed (false-positive rate
/// 1e-6 per test).
@Suite("Categorical RELAX estimators")
struct CategoricalRelaxTests {
    static let quadrature = GumbelQuadrature(step: 0.2)

    struct Setting {
        var theta: [Double]
        var f: SquaredDistance
        var net: TanhSurrogate
        var rebar: ScaledConcreteObjective<SquaredDistance>
    }
    static func randomSetting(_ s: inout RandomStream, classes K: Int) -> Setting {
        let f = SquaredDistance(targets: (0..<K).map { _ in s.uniform(0.1, 0.9) })
        let net = TanhSurrogate(inputs: K, hidden: 6, logTemperature: s.uniform(log(0.5), log(2)), stream: &s)
        let theta = (0..<K).map { _ in s.uniform(-2, 2) }
        return Setting(theta: theta, f: f, net: net,
                       rebar: ScaledConcreteObjective(f, eta: s.uniform(-1, 2), logTemperature: s.uniform(log(0.5), log(2))))
    }

    /// The exact gradient of E[f(b)] by enumeration of the K classes.
    static func exactGradient(_ st: Setting) -> [Double] {
        Categorical(logits: st.theta).gradient { st.f.value($0) }
    }

    enum Estimator: CaseIterable { case reinforce, relax, rebar, lax, zTildeIsZ }

    /// One estimate at (b, z, z~): the mutant `zTildeIsZ` uses the unconditional relaxed sample z in
    /// place of z~ (with its unconditional path dz/dtheta = I).
    static func estimate(_ e: Estimator, _ st: Setting, _ s: RelaxedCategoricalSample) -> [Double] {
        let fb = st.f.value(s.oneHot)
        switch e {
        case .reinforce: return s.score.map { fb * $0 }
        case .relax: return CategoricalRelax.estimate(value: fb, sample: s, surrogate: st.net).gradient
        case .rebar: return CategoricalRebar.estimate(st.f, sample: s, controlVariate: st.rebar).gradient
        case .lax: return CategoricalLax.estimate(value: fb, sample: s, surrogate: st.net).gradient
        case .zTildeIsZ:
            let K = s.z.count
            var m = s
            m.zTilde = s.z
            m.dzTildeDtheta = (0..<K).map { k in (0..<K).map { $0 == k ? 1 : 0 } }
            return CategoricalRelax.estimate(value: fb, sample: m, surrogate: st.net).gradient
        }
    }

    /// E[g] = sum_b pi_b E[A(b, Z) + B(b, Z) | b] (`GumbelQuadrature`): z and z~ evaluated at the same
    /// conditional node, which is exact for the mean because g is additive in them.
    static func exactMean(_ e: Estimator, _ st: Setting, quadrature q: GumbelQuadrature = quadrature) -> [Double] {
        q.conditionalExpectation(logits: st.theta) { b, z, J in
            estimate(e, st, RelaxedCategoricalSample(logits: st.theta, b: b, z: z, zTilde: z, dzTildeDtheta: J))
        }
    }

    @Test("the quadrature rule: weights sum to 1, the exponential's moments are exact")
    func quadratureRule() {
        let q = Self.quadrature
        #expect(abs(q.weights.reduce(0, +) - 1) < 1e-13)
        let m = q.expectation(dimensions: 1) { [$0[0], $0[0] * $0[0], log($0[0])] }
        #expect(abs(m[0] - 1) < 1e-12 && abs(m[1] - 2) < 1e-12)
        #expect(abs(m[2] + 0.5772156649015329) < 1e-12)    // E[log E] = -Euler's gamma
    }

    @Test("Gumbel-max: P(argmax(theta + G) = k) = softmax(theta)_k by quadrature over u")
    func gumbelMax() {
        // P(b = k) = E_u[1{argmax = k}] = integral over G_k of p(G_k) prod_{j != k} F(theta_k + G_k - theta_j).
        let theta = [0.3, -1.1, 0.8, 0.0]
        let pi = Fn.softmax(theta)
        for k in theta.indices {
            let p = Self.quadrature.expectation(dimensions: 1) { e in
                let zk = theta[k] - log(e[0])
                return [theta.indices.filter { $0 != k }.reduce(1.0) { $0 * exp(-exp(-(zk - theta[$1]))) }]
            }[0]
            #expect(abs(p - pi[k]) < 1e-10, "class \(k)")
        }
        // and the sampler's b = H(z) is the argmax
        var s = RandomStream(seed: 3)
        for _ in 0..<100 {
            let sample = RelaxedCategoricalSample(logits: theta, stream: &s)
            #expect(sample.z.allSatisfy { $0 <= sample.z[sample.b] })
            #expect(sample.b == Categorical(logits: theta).hardSample(gumbels: zip(sample.z, theta).map { $0 - $1 }))
        }
    }

    @Test("z~ given b: its argmax is b, its Jacobian matches finite differences, the shifted-frame formula holds")
    func conditionalSampleShape() {
        var s = RandomStream(seed: 17)
        for K in [2, 3, 5] {
            for _ in 0..<50 {
                let theta = (0..<K).map { _ in s.uniform(-3, 3) }
                let b = s.integer(below: K)
                let v = (0..<K).map { _ in s.uniform() }
                let c = CategoricalReparameterization.conditional(logits: theta, b: b, v: v)
                #expect(CategoricalReparameterization.hard(c.z) == b)
                for j in 0..<K {
                    var hi = theta, lo = theta
                    hi[j] += 1e-6; lo[j] -= 1e-6
                    let zh = CategoricalReparameterization.conditional(logits: hi, b: b, v: v).z
                    let zl = CategoricalReparameterization.conditional(logits: lo, b: b, v: v).z
                    for k in 0..<K { #expect(abs((zh[k] - zl[k]) / 2e-6 - c.jacobian[k][j]) < 1e-6) }
                }
                // shifted frame: theta' = theta - L gives z~' = z~ - L, with the brief's closed form.
                let L = Fn.logSumExp(theta), shifted = theta.map { $0 - L }
                let c0 = CategoricalReparameterization.conditional(logits: shifted, b: b, v: v)
                for k in 0..<K {
                    let closed = k == b ? -log(-log(v[b])) : -log(-log(v[k]) / exp(shifted[k]) - log(v[b]))
                    #expect(abs(c0.z[k] - closed) < 1e-9 * max(1, abs(closed)))
                    #expect(abs(c.z[k] - L - c0.z[k]) < 1e-9 * max(1, abs(c0.z[k])))
                }
            }
        }
    }

    @Test("the mixture over b of p(z | b) is p(z): sum_b pi_b E[h(Z) | b] = E[h(z)] for smooth h")
    func conditionalMixture() {
        let theta = [0.4, -0.9, 1.2]
        func h(_ z: [Double]) -> [Double] {
            let x = Fn.softmax(z.map { $0 / 0.6 })
            return [x[0] * x[1], tanh(z[2] - z[0]), Fn.sigmoid(z[1] / 0.4)]
        }
        let direct = Self.quadrature.unconditionalExpectation(logits: theta, h)
        let mixture = Self.quadrature.conditionalExpectation(logits: theta) { _, z, _ in h(z) }
        for i in direct.indices { #expect(abs(direct[i] - mixture[i]) < 1e-7, "h_\(i): \(direct[i]) vs \(mixture[i])") }
    }

    @Test("unbiased for every surrogate: REINFORCE, RELAX, REBAR and LAX have mean dE[f]/dtheta exactly (K = 2, 3, 4)")
    func unbiased() {
        var s = RandomStream(seed: 2024)
        for K in [2, 3, 3, 4] {
            let st = Self.randomSetting(&s, classes: K)
            let exact = Self.exactGradient(st)
            for e in [Estimator.reinforce, .relax, .rebar, .lax] {
                let q = K == 4 ? GumbelQuadrature(step: 0.3) : Self.quadrature
                let mean = Self.exactMean(e, st, quadrature: q)
                let err = zip(mean, exact).map { abs($0 - $1) }.max()!
                #expect(err < 1e-7, "K = \(K), \(e): max |E[g] - grad| = \(err)")
            }
        }
    }

    @Test("the mutant z~ := z (the unconditional relaxed sample) is biased: E[g] - grad = -E[c(z) score(b)]")
    func mutantBiased() {
        var s = RandomStream(seed: 99)
        for K in [2, 3] {
            let st = Self.randomSetting(&s, classes: K)
            let exact = Self.exactGradient(st)
            let mean = Self.exactMean(.zTildeIsZ, st)
            let bias = zip(mean, exact).map { $0 - $1 }
            // the predicted bias, by the same quadrature
            let predicted = Self.quadrature.conditionalExpectation(logits: st.theta) { b, z, _ in
                let c = st.net.evaluate(z, parameterGradients: false).value
                return CategoricalReparameterization.score(logits: st.theta, b: b).map { -c * $0 }
            }
            #expect(bias.map(abs).max()! > 1e-3, "K = \(K): bias \(bias)")
            #expect(zip(bias, predicted).allSatisfy { abs($0 - $1) < 1e-9 })
        }
    }

    @Test("an independent unconditional z~ (fresh Gumbels, ignoring b) is unbiased: the conditioning is for variance, not the mean")
    func independentZTildeIsUnbiased() {
        // g = (f(b) - c(z')) score(b) + dc(z) - dc(z'), z' = theta + G' independent of b: E[c(z') score] = 0 and
        // the two path terms have the same mean.
        var s = RandomStream(seed: 7)
        let st = Self.randomSetting(&s, classes: 3)
        let exact = Self.exactGradient(st)
        let scoreTerm = Self.quadrature.conditionalExpectation(logits: st.theta) { b, _, _ in
            CategoricalReparameterization.score(logits: st.theta, b: b).map { st.f.value((0..<3).map { $0 == b ? 1 : 0 }) * $0 }
        }
        let pathZ = Self.quadrature.unconditionalExpectation(logits: st.theta) { st.net.evaluate($0, parameterGradients: false).dz }
        // z' has the law of z, so E[dc(z')] = E[dc(z)] and the c(z') score term has mean E[c] E[score] = 0
        let mean = zip(scoreTerm, zip(pathZ, pathZ)).map { $0 + $1.0 - $1.1 }
        #expect(zip(mean, exact).allSatisfy { abs($0 - $1) < 1e-10 })
        // its Monte Carlo mean on the sampled estimator agrees within 5 standard errors
        var r = RandomStream(seed: 8)
        var draws: [[Double]] = []
        for _ in 0..<20_000 {
            var sample = RelaxedCategoricalSample(logits: st.theta, stream: &r)
            let fresh = CategoricalReparameterization.z(logits: st.theta, u: (0..<3).map { _ in r.uniform() })
            sample.zTilde = fresh
            sample.dzTildeDtheta = (0..<3).map { k in (0..<3).map { $0 == k ? 1 : 0 } }
            draws.append(CategoricalRelax.estimate(value: st.f.value(sample.oneHot), sample: sample, surrogate: st.net).gradient)
        }
        for j in 0..<3 {
            let col = draws.map { $0[j] }
            #expect(abs(col.mean - exact[j]) < 5 * (col.sampleVariance / Double(col.count)).squareRoot(), "theta_\(j)")
        }
    }

    @Test("sampled estimators agree with the stream-driven sample: RelaxedCategoricalSample(stream:) draws u then v")
    func streamSample() {
        var a = RandomStream(seed: 5), b = RandomStream(seed: 5)
        let theta = [0.1, 0.2, -0.3]
        let s1 = RelaxedCategoricalSample(logits: theta, stream: &a)
        let u = (0..<3).map { _ in b.uniform() }, v = (0..<3).map { _ in b.uniform() }
        let s2 = RelaxedCategoricalSample(logits: theta, u: u, v: v)
        #expect(s1.z == s2.z && s1.zTilde == s2.zTilde && s1.b == s2.b)
    }

    /// The exact conditional CDF of z~_k given b, from the unconditional model (not from the
    /// sampler): z~_b - L is standard Gumbel; for k != b, with y = exp(-(x - L)),
    /// P(z_k <= x | b) = e^{-y} + (e^{-pi_k y} - e^{-y}) / (1 - pi_k).
    static func conditionalCDF(_ x: Double, k: Int, b: Int, logits theta: [Double]) -> Double {
        let L = Fn.logSumExp(theta), y = exp(-(x - L))
        if k == b { return exp(-y) }
        let pk = exp(theta[k] - L)
        return exp(-y) + (exp(-pk * y) - exp(-y)) / (1 - pk)
    }

    @Test("z~ ~ p(z | b): chi-square on 20 PIT bins per (b, k) against the exact conditional CDF (seed 31, alpha 1e-6 each); the unconditional draw fails")
    func conditionalGoodnessOfFit() {
        let theta = [0.5, -0.3, 0.1]
        let K = 3, n = 20_000, bins = 20
        var s = RandomStream(seed: 31)
        func chiSquareP(_ pit: [Double]) -> Double {
            var counts = [Double](repeating: 0, count: bins)
            for p in pit { counts[min(bins - 1, Int(p * Double(bins)))] += 1 }
            let expected = Double(pit.count) / Double(bins)
            let x2 = counts.reduce(0) { $0 + ($1 - expected) * ($1 - expected) / expected }
            return Dist.chiSquaredUpper(x2, df: Double(bins - 1))
        }
        for b in 0..<K {
            var real = [[Double]](repeating: [], count: K), mutant = real
            for _ in 0..<n {
                let v = (0..<K).map { _ in s.uniform() }
                let z = CategoricalReparameterization.conditional(logits: theta, b: b, v: v).z
                let zu = CategoricalReparameterization.z(logits: theta, u: v)    // unconditional: ignores b
                for k in 0..<K {
                    real[k].append(Self.conditionalCDF(z[k], k: k, b: b, logits: theta))
                    mutant[k].append(Self.conditionalCDF(zu[k], k: k, b: b, logits: theta))
                }
            }
            for k in 0..<K {
                #expect(chiSquareP(real[k]) > 1e-6, "b = \(b), k = \(k)")
            }
            #expect(mutant.map(chiSquareP).min()! < 1e-6, "b = \(b): the unconditional z~ passed")
        }
    }

    @Test("ScaledConcreteObjective (eta f(softmax(z / lambda)), Eq. 15): dc/dz, dc/dphi and d(dc/dz)/dphi match finite differences")
    func concreteSurrogateDerivatives() {
        var s = RandomStream(seed: 41)
        for K in [2, 3, 4] {
            let f = SquaredDistance(targets: (0..<K).map { _ in s.uniform(0, 1) })
            let c = ScaledConcreteObjective(f, eta: s.uniform(-1, 2), logTemperature: s.uniform(log(0.5), log(2)))
            let z = (0..<K).map { _ in s.normal(sd: 1.5) }
            let e = c.evaluate(z, parameterGradients: true)
            let h = 1e-6
            for j in 0..<K {
                var zp = z, zm = z; zp[j] += h; zm[j] -= h
                let fd = (c.evaluate(zp, parameterGradients: false).value - c.evaluate(zm, parameterGradients: false).value) / (2 * h)
                #expect(abs(fd - e.dz[j]) < 1e-7)
            }
            for p in 0..<2 {
                var cp = c, cm = c
                cp.parameters[p] += h; cm.parameters[p] -= h
                let ep = cp.evaluate(z, parameterGradients: false), em = cm.evaluate(z, parameterGradients: false)
                #expect(abs((ep.value - em.value) / (2 * h) - e.dValue[p]) < 1e-7)
                for j in 0..<K { #expect(abs((ep.dz[j] - em.dz[j]) / (2 * h) - e.dDz[j][p]) < 1e-6) }
            }
        }
    }

    @Test("Eq. 14 for categorical RELAX, REBAR and LAX: the hand-written Jacobian along phi matches finite differences of g")
    func varianceGradientJacobian() {
        var s = RandomStream(seed: 12)
        let st = Self.randomSetting(&s, classes: 3)
        let sample = RelaxedCategoricalSample(logits: st.theta, stream: &s)
        let fb = st.f.value(sample.oneHot)
        func check<S: Surrogate>(_ surrogate: S, _ g: (S, Bool) -> GradientEstimate) {
            let e = g(surrogate, true)
            let h = 1e-6
            for p in surrogate.parameters.indices {
                var sp = surrogate, sm = surrogate
                sp.parameters[p] += h; sm.parameters[p] -= h
                let gp = g(sp, false).gradient, gm = g(sm, false).gradient
                for j in 0..<3 { #expect(abs((gp[j] - gm[j]) / (2 * h) - e.jacobian[j][p]) < 1e-6) }
            }
        }
        check(st.net) { CategoricalRelax.estimate(value: fb, sample: sample, surrogate: $0, varianceGradient: $1) }
        check(st.net) { CategoricalLax.estimate(value: fb, sample: sample, surrogate: $0, varianceGradient: $1) }
        check(st.rebar) { CategoricalRebar.estimate(st.f, sample: sample, controlVariate: $0, varianceGradient: $1) }
    }
}
