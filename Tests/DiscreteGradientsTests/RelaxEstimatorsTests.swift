import Foundation
import Testing
import DiscreteGradients

/// RELAX draft, Sections 2-3: REBAR (Eq. 12), RELAX (Eq. 13) and LAX are unbiased for every
/// control variate, and Eq. 14's single-sample d|g|^2/dphi has the mean d tr Var(g)/dphi.
/// Every expectation here is a deterministic Gauss-Legendre quadrature over the uniform noise
/// (u, v), split at u = 1 - theta where b flips: no statistical test, no false-positive rate.
@Suite("RELAX estimators")
struct RelaxEstimatorsTests {
    let targets = [0.499, 0.3]
    let f: SquaredDistance
    init() { f = SquaredDistance(targets: targets) }

    func randomLogits(_ s: inout RandomStream, _ n: Int) -> [Double] { (0..<n).map { _ in s.uniform(-1.5, 1.5) } }

    /// E over (u, v) of the estimator built by `estimator` at logits a.
    func quadratureMean(_ a: [Double], points: Int = 12, _ estimator: (RelaxedBernoulliSample) -> [Double]) -> [Double] {
        let n = a.count
        return NoiseQuadrature.relaxNoise(logits: a, pointsPerPiece: points).expectation { noise in
            estimator(RelaxedBernoulliSample(logits: a, u: Array(noise[0..<n]), v: Array(noise[n..<(2 * n)])))
        }
    }
    func maxError(_ x: [Double], _ y: [Double]) -> Double { zip(x, y).map { abs($0 - $1) }.max()! }

    @Test("the conditional z~ lies on b's side and its path derivative matches finite differences")
    func conditionalSample() {
        var s = RandomStream(seed: 11)
        for _ in 0..<200 {
            let a = s.uniform(-3, 3), v = s.uniform(), b: Double = s.bernoulli(0.5) ? 1 : 0
            let c = BernoulliReparameterization.conditional(logit: a, b: b, v: v)
            #expect(BernoulliReparameterization.hard(c.z) == b)
            let h = 1e-6
            let fd = (BernoulliReparameterization.conditional(logit: a + h, b: b, v: v).z
                      - BernoulliReparameterization.conditional(logit: a - h, b: b, v: v).z) / (2 * h)
            #expect(abs(fd - c.dzda) < 1e-7 * max(1, abs(c.dzda)))
            // the same z~ as the u' construction: z~ = a + logit(u')
            let theta = Fn.sigmoid(a)
            let uPrime = b > 0.5 ? 1 - theta + v * theta : v * (1 - theta)
            #expect(abs(c.z - BernoulliReparameterization.z(logit: a, u: uPrime)) < 1e-9)
        }
    }

    @Test("p(z | b): integrating the conditional over v and b recovers the logistic marginal of z")
    func conditionalMarginal() {
        // E[sigmoid(z~)] with b ~ Bern(theta) equals E[sigmoid(z)].
        let a = 0.7, theta = Fn.sigmoid(a)
        let q = NoiseQuadrature(breakpoints: [[1 - theta], []], pointsPerPiece: 40)
        let viaZ = q.expectation { [Fn.sigmoid(BernoulliReparameterization.z(logit: a, u: $0[0]))] }[0]
        let viaZTilde = q.expectation { x in
            let b = BernoulliReparameterization.hard(BernoulliReparameterization.z(logit: a, u: x[0]))
            return [Fn.sigmoid(BernoulliReparameterization.conditional(logit: a, b: b, v: x[1]).z)]
        }[0]
        #expect(abs(viaZ - viaZTilde) < 1e-9)
    }

    @Test("TanhSurrogate: hand-written dc/dz, dc/dphi and d(dc/dz)/dphi match finite differences")
    func tanhSurrogateDerivatives() {
        var s = RandomStream(seed: 5)
        for n in [1, 3] {
            let c = TanhSurrogate(inputs: n, hidden: 4, logTemperature: s.uniform(-1.5, 0.5), stream: &s)
            let z = (0..<n).map { _ in s.uniform(-3, 3) }
            checkSurrogate(c, at: z)
        }
    }

    @Test("OutputScaledSurrogate over a Glorot-initialised TanhSurrogate: hand-written derivatives match finite differences")
    func outputScaledSurrogateDerivatives() {
        var s = RandomStream(seed: 7)
        for n in [1, 2] {
            let net = TanhSurrogate(inputs: n, hidden: 10, glorotUniformWithLogTemperature: s.uniform(-1.5, 0.5), stream: &s)
            let limit = (6.0 / Double(n + 10)).squareRoot()
            #expect(net.parameters.prefix(10 * n).allSatisfy { abs($0) <= limit })
            for scale in [0.0, s.uniform(-2, 2)] {
                let c = OutputScaledSurrogate(net, scale: scale)
                #expect(c.parameters.count == net.parameters.count + 1)
                let z = (0..<n).map { _ in s.uniform(-3, 3) }
                if scale == 0 { #expect(c.evaluate(z, parameterGradients: false).value == 0) }
                checkSurrogate(c, at: z)
            }
        }
    }

    @Test("ScaledRelaxedObjective (REBAR's eta f(sigma_lambda(z))): hand-written derivatives match finite differences")
    func rebarSurrogateDerivatives() {
        var s = RandomStream(seed: 6)
        for _ in 0..<5 {
            let c = ScaledRelaxedObjective(f, eta: s.uniform(-1, 2), logTemperature: s.uniform(-1.5, 0.5))
            checkSurrogate(c, at: [s.uniform(-3, 3), s.uniform(-3, 3)])
        }
    }

    func checkSurrogate<S: Surrogate>(_ c: S, at z: [Double]) {
        let h = 1e-6
        let e = c.evaluate(z, parameterGradients: true)
        for i in z.indices {
            var zp = z, zm = z; zp[i] += h; zm[i] -= h
            let fd = (c.evaluate(zp, parameterGradients: false).value - c.evaluate(zm, parameterGradients: false).value) / (2 * h)
            #expect(abs(fd - e.dz[i]) < 1e-6 * max(1, abs(fd)), "dc/dz_\(i)")
        }
        for p in c.parameters.indices {
            var cp = c, cm = c; cp.parameters[p] += h; cm.parameters[p] -= h
            let ep = cp.evaluate(z, parameterGradients: false), em = cm.evaluate(z, parameterGradients: false)
            let fdValue = (ep.value - em.value) / (2 * h)
            #expect(abs(fdValue - e.dValue[p]) < 1e-6 * max(1, abs(fdValue)), "dc/d\(c.parameterNames[p])")
            for i in z.indices {
                let fd = (ep.dz[i] - em.dz[i]) / (2 * h)
                #expect(abs(fd - e.dDz[i][p]) < 1e-6 * max(1, abs(fd)), "d(dc/dz_\(i))/d\(c.parameterNames[p])")
            }
        }
    }

    @Test("single-sample d|g|^2/dphi of RELAX, REBAR and LAX matches finite differences at fixed noise")
    func singleSampleVarianceGradient() {
        var s = RandomStream(seed: 7)
        let h = 1e-6
        for _ in 0..<5 {
            let a = randomLogits(&s, 2)
            let sample = RelaxedBernoulliSample(logits: a, stream: &s)
            let relax = TanhSurrogate(inputs: 2, hidden: 5, logTemperature: s.uniform(-1.5, 0.5), stream: &s)
            let rebar = ScaledRelaxedObjective(f, eta: s.uniform(0, 2), logTemperature: s.uniform(-1.5, 0.5))
            func g2<S: Surrogate>(_ c: S) -> Double {
                Relax.estimate(value: f.value(sample.b), sample: sample, surrogate: c).gradient.reduce(0) { $0 + $1 * $1 }
            }
            func check<S: Surrogate>(_ c: S) {
                let analytic = Relax.estimate(value: f.value(sample.b), sample: sample, surrogate: c, varianceGradient: true).squaredNormGradient
                for p in c.parameters.indices {
                    var cp = c, cm = c; cp.parameters[p] += h; cm.parameters[p] -= h
                    let fd = (g2(cp) - g2(cm)) / (2 * h)
                    #expect(abs(fd - analytic[p]) < 1e-5 * max(1, abs(fd)), "\(c.parameterNames[p])")
                }
            }
            check(relax); check(rebar)
            // LAX on the same black box f(H(z))
            let u = [s.uniform(), s.uniform()]
            let z = zip(a, u).map { BernoulliReparameterization.z(logit: $0, u: $1) }
            let fz = f.value(z.map(BernoulliReparameterization.hard))
            let lax = Lax.estimate(value: fz, z: z, u: u, surrogate: relax, varianceGradient: true).squaredNormGradient
            for p in relax.parameters.indices {
                var cp = relax, cm = relax; cp.parameters[p] += h; cm.parameters[p] -= h
                let gp = Lax.estimate(value: fz, z: z, u: u, surrogate: cp).gradient, gm = Lax.estimate(value: fz, z: z, u: u, surrogate: cm).gradient
                let fd = (gp.reduce(0) { $0 + $1 * $1 } - gm.reduce(0) { $0 + $1 * $1 }) / (2 * h)
                #expect(abs(fd - lax[p]) < 1e-5 * max(1, abs(fd)))
            }
        }
    }

    @Test("RELAX, REBAR and REINFORCE are exactly unbiased for random surrogates, temperatures and eta (quadrature)",
          arguments: [(1, 48, 1e-10), (2, 10, 1e-4)])
    // One coordinate: 48 nodes per piece reach ~1e-13. Two coordinates (a 4-D rule, 20^4 nodes) only
    // check the coupling through c(z); its quadrature error is ~1e-5 while the mutants are off by > 1e-3.
    func unbiasedByQuadrature(coordinates n: Int, points: Int, tolerance: Double) {
        var s = RandomStream(seed: 8 + UInt64(n))
        let f = SquaredDistance(targets: Array(targets.prefix(n)))
        for _ in 0..<(n == 1 ? 6 : 2) {
            let a = randomLogits(&s, n)
            let exact = f.exactGradient(logits: a)
            #expect(maxError(exact, IndependentBernoulli(logits: a).gradient { f.value($0) }) < 1e-14)
            let relax = TanhSurrogate(inputs: n, hidden: 5, logTemperature: s.uniform(-1.5, 0.3), stream: &s)
            let rebar = ScaledRelaxedObjective(f, eta: s.uniform(-1, 2), logTemperature: s.uniform(-1.5, 0.3))
            let relaxMean = quadratureMean(a, points: points) { Relax.estimate(value: f.value($0.b), sample: $0, surrogate: relax).gradient }
            let rebarMean = quadratureMean(a, points: points) { Rebar.estimate(f, sample: $0, controlVariate: rebar).gradient }
            let reinforceMean = quadratureMean(a, points: points) { smp in smp.score.map { f.value(smp.b) * $0 } }
            #expect(maxError(relaxMean, exact) < tolerance, "RELAX \(relaxMean) vs \(exact)")
            #expect(maxError(rebarMean, exact) < tolerance, "REBAR \(rebarMean) vs \(exact)")
            #expect(maxError(reinforceMean, exact) < 1e-12)
        }
    }

    @Test("LAX on a continuous logistic z with the black box f(H(z)) is exactly unbiased (quadrature)")
    func laxUnbiased() {
        var s = RandomStream(seed: 9)
        for _ in 0..<4 {
            let a = randomLogits(&s, 2)
            let c = TanhSurrogate(inputs: 2, hidden: 5, logTemperature: s.uniform(-1.5, 0.3), stream: &s)
            let q = NoiseQuadrature(breakpoints: a.map { [Fn.sigmoid(-$0)] }, pointsPerPiece: 24)
            let mean = q.expectation { u in
                let z = zip(a, u).map { BernoulliReparameterization.z(logit: $0, u: $1) }
                return Lax.estimate(value: f.value(z.map(BernoulliReparameterization.hard)), z: z, u: u, surrogate: c).gradient
            }
            #expect(maxError(mean, f.exactGradient(logits: a)) < 1e-7)
        }
    }

    @Test("the binary concrete estimator is biased (it differentiates the relaxed objective)")
    func concreteIsBiased() {
        let a = [0.3, -0.4]
        let q = NoiseQuadrature(breakpoints: a.map { [Fn.sigmoid(-$0)] }, pointsPerPiece: 24)
        let concrete = q.expectation { BinaryConcrete(logTemperature: log(0.5)).estimate(f, logits: a, u: $0) }
        #expect(maxError(concrete, f.exactGradient(logits: a)) > 1e-3)
    }

    @Test("Eq. 14: the quadrature mean of d|g|^2/dphi equals finite differences of the exact tr Var(g)")
    func varianceGradientIdentity() {
        var s = RandomStream(seed: 10)
        let a = randomLogits(&s, 1)
        let f = SquaredDistance(targets: [0.499])
        let relax = TanhSurrogate(inputs: 1, hidden: 3, logTemperature: log(0.5), stream: &s)
        let rebar = ScaledRelaxedObjective(f, eta: 0.7, logTemperature: log(0.5))
        func check<S: Surrogate>(_ c: S) {
            let mean = quadratureMean(a, points: 40) { Relax.estimate(value: f.value($0.b), sample: $0, surrogate: c, varianceGradient: true).squaredNormGradient }
            func traceVariance(_ c: S) -> Double {
                let m = quadratureMean(a, points: 40) { smp in
                    let g = Relax.estimate(value: f.value(smp.b), sample: smp, surrogate: c).gradient
                    return [g[0], g[0] * g[0]]
                }
                return m[1] - m[0] * m[0]
            }
            let h = 1e-5
            for p in c.parameters.indices {
                var cp = c, cm = c; cp.parameters[p] += h; cm.parameters[p] -= h
                let fd = (traceVariance(cp) - traceVariance(cm)) / (2 * h)
                #expect(abs(fd - mean[p]) < 1e-6 * max(1, abs(fd)), "\(c.parameterNames[p]): \(mean[p]) vs \(fd)")
            }
        }
        check(relax); check(rebar)
    }

    // MARK: mutants: each plausible bug must be caught by the exact (quadrature) mean

    @Test("mutant killed: RELAX without the -d c(z~) correction is biased")
    func mutantNoCorrection() {
        let a = [0.2, -0.5]
        var s = RandomStream(seed: 12)
        let c = TanhSurrogate(inputs: 2, hidden: 5, logTemperature: log(0.5), stream: &s)
        let mean = quadratureMean(a) { smp in
            let p = Relax.parts(value: f.value(smp.b), sample: smp, surrogate: c, parameterGradients: false)
            return p.scoreTerm.indices.map { p.scoreTerm[$0] + p.pathZ[$0] }
        }
        #expect(maxError(mean, f.exactGradient(logits: a)) > 1e-3)
    }

    @Test("mutant killed: z~ drawn independently of b (from the marginal, with the conditional path derivative) is biased")
    func mutantIndependentZTilde() {
        let a = [0.2, -0.5]
        var s = RandomStream(seed: 13)
        let c = TanhSurrogate(inputs: 2, hidden: 5, logTemperature: log(0.5), stream: &s)
        let n = a.count
        let mean = NoiseQuadrature.relaxNoise(logits: a, pointsPerPiece: 12).expectation { noise in
            let u = Array(noise[0..<n]), v = Array(noise[n..<(2 * n)])
            var smp = RelaxedBernoulliSample(logits: a, u: u, v: v)
            for i in 0..<n {
                // z~ = a + logit(v): the right marginal, but conditioned on b' = H(z~), not on b.
                let theta = Fn.sigmoid(a[i])
                let bPrime = v[i] > 1 - theta ? 1.0 : 0.0
                let vPrime = bPrime > 0.5 ? (v[i] - (1 - theta)) / theta : v[i] / (1 - theta)
                let c = BernoulliReparameterization.conditional(logit: a[i], b: bPrime, v: vPrime)
                smp.zTilde[i] = c.z; smp.dzTildeDa[i] = c.dzda
            }
            return Relax.estimate(value: f.value(smp.b), sample: smp, surrogate: c).gradient
        }
        #expect(maxError(mean, f.exactGradient(logits: a)) > 1e-3)
    }

    @Test("mutant killed: REBAR with eta on the path terms only is biased")
    func mutantEtaOnOneTerm() {
        let a = [0.2, -0.5]
        let withEta = ScaledRelaxedObjective(f, eta: 0.6, logTemperature: log(0.5))
        let withoutEta = ScaledRelaxedObjective(f, eta: 1, logTemperature: log(0.5))
        let mean = quadratureMean(a) { smp in
            let score = Relax.parts(value: f.value(smp.b), sample: smp, surrogate: withoutEta, parameterGradients: false)
            let path = Relax.parts(value: f.value(smp.b), sample: smp, surrogate: withEta, parameterGradients: false)
            return a.indices.map { score.scoreTerm[$0] + path.pathZ[$0] - path.pathZTilde[$0] }
        }
        #expect(maxError(mean, f.exactGradient(logits: a)) > 1e-3)
    }
}
