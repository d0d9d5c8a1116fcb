import Foundation
import Testing
import DiscreteGradients

/// The lecture's estimators against values computed by hand or in closed form.
@Suite struct LectureEstimatorsTests {
    let quadrature = StandardNormalQuadrature()

    @Test func quadratureReproducesKnownNormalMoments() {
        #expect(abs(quadrature.expectation { _ in 1 } - 1) < 1e-13)
        #expect(abs(quadrature.expectation { $0 } - 0) < 1e-13)
        #expect(abs(quadrature.expectation { $0 * $0 } - 1) < 1e-12)
        #expect(abs(quadrature.expectation { pow($0, 4) } - 3) < 1e-12)
        #expect(abs(quadrature.expectation { pow($0, 8) } - 105) < 1e-9)      // 7!! = 105
        #expect(abs(quadrature.expectation { exp(2 * $0) } - exp(2)) < 1e-12) // E e^(t eps) = e^(t^2/2)
        #expect(abs(quadrature.expectation { cos($0) } - exp(-0.5)) < 1e-13)
    }

    @Test func reparameterisationEstimateMatchesTheChainRuleByHand() {
        let q = Gaussian(mu: 0.5, sigma: 0.8)
        let eps = 1.3
        let z = 0.5 + 0.8 * 1.3
        let g = GaussianReparameterization.estimate(q, eps: eps) { 2 * $0 }   // f = z^2
        #expect(abs(g[0] - 2 * z) < 1e-14)
        #expect(abs(g[1] - 2 * z * 0.8 * 1.3) < 1e-14)   // dz/dlog sigma = sigma * eps
    }

    @Test func gaussianScoreIsTheDerivativeOfTheLogDensity() {
        let q = Gaussian(mu: -0.2, logSigma: 0.3)
        let z = 0.9, h = 1e-6
        func logDensity(_ mu: Double, _ logSigma: Double) -> Double {
            let s = exp(logSigma)
            return -0.5 * (z - mu) * (z - mu) / (s * s) - logSigma - 0.5 * log(2 * Double.pi)
        }
        let s = q.score(z)
        #expect(abs(s.mu - (logDensity(q.mu + h, q.logSigma) - logDensity(q.mu - h, q.logSigma)) / (2 * h)) < 1e-8)
        #expect(abs(s.logSigma - (logDensity(q.mu, q.logSigma + h) - logDensity(q.mu, q.logSigma - h)) / (2 * h)) < 1e-8)
    }

    @Test func bothGaussianEstimatorsHaveTheClosedFormMean() {
        // f = exp: d/dmu E = e^(mu + s^2/2), d/dlog s E = s^2 e^(mu + s^2/2).
        let q = Gaussian(mu: 0.4, sigma: 0.7)
        let e = exp(0.4 + 0.49 / 2)
        let exact = [e, 0.49 * e]
        let reparam = quadrature.moments { GaussianReparameterization.estimate(q, eps: $0, derivative: exp) }
        let reinforce = quadrature.moments { Reinforce.estimate(q, eps: $0, value: exp) }
        #expect(reparam.maxBias(against: exact) < 1e-12)
        #expect(reinforce.maxBias(against: exact) < 1e-12)
        // Var of the reparameterisation mu-coordinate is Var(e^z) = (e^(s^2) - 1) e^(2 mu + s^2).
        #expect(abs(reparam.variance[0] - (exp(0.49) - 1) * exp(0.8 + 0.49)) < 1e-11)
        #expect(reparam.variance[0] < reinforce.variance[0])
    }

    @Test func categoricalGradientMatchesFiniteDifferences() {
        let theta = [0.5, 0.0, -0.7, 1.1]
        let f: ([Double]) -> Double = { b in b[0] * 3 - b[2] * 2 + b[3] * b[3] * 0.5 }
        let exact = Categorical(logits: theta).gradient(f)
        let h = 1e-6
        for j in theta.indices {
            var up = theta, down = theta
            up[j] += h; down[j] -= h
            let fd = (Categorical(logits: up).expectation(f) - Categorical(logits: down).expectation(f)) / (2 * h)
            #expect(abs(exact[j] - fd) < 1e-8)
        }
        #expect(abs(exact.reduce(0, +)) < 1e-14)   // softmax gradients sum to zero
    }

    @Test func gumbelSoftmaxPathwiseGradientMatchesFiniteDifferences() {
        let theta = [0.3, -0.4, 0.9], g = [0.2, 1.5, -0.6], tau = 0.7, t = [0.1, 0.6, 0.3]
        let f: ([Double]) -> Double = { y in zip(y, t).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        let estimate = GumbelSoftmax.estimate(logits: theta, gumbels: g, temperature: tau) { y in zip(y, t).map { 2 * ($0 - $1) } }
        let h = 1e-6
        for j in theta.indices {
            var up = theta, down = theta
            up[j] += h; down[j] -= h
            let fd = (f(GumbelSoftmax.relaxedSample(logits: up, gumbels: g, temperature: tau))
                      - f(GumbelSoftmax.relaxedSample(logits: down, gumbels: g, temperature: tau))) / (2 * h)
            #expect(abs(estimate[j] - fd) < 1e-8)
        }
    }

    @Test func relaxedSampleApproachesTheGumbelMaxSampleAtLowTemperature() {
        let cat = Categorical(logits: [0.3, -0.4, 0.9])
        let g = [0.2, 1.5, -0.6]
        let y = GumbelSoftmax.relaxedSample(logits: cat.logits, gumbels: g, temperature: 0.01)
        let k = cat.hardSample(gumbels: g)
        #expect(abs(y.reduce(0, +) - 1) < 1e-14)
        #expect(abs(y[k] - 1) < 1e-6)
    }

    @Test func gumbelMaxSamplesFollowTheSoftmaxProbabilities() {
        // 100 000 draws; each class frequency within 5 standard errors of pi_k
        // (false-positive rate under 3 * 6e-7 for this fixed seed's test).
        let cat = Categorical(logits: [0.5, 0.0, -0.7])
        var stream = RandomStream(seed: 2018)
        var counts = [0, 0, 0]
        let n = 100_000
        for _ in 0..<n { counts[cat.hardSample(gumbels: (0..<3).map { _ in stream.gumbel() })] += 1 }
        for (k, p) in cat.probabilities.enumerated() {
            #expect(abs(Double(counts[k]) / Double(n) - p) < 5 * (p * (1 - p) / Double(n)).squareRoot())
        }
    }

    @Test func controlVariateAlgebraGivesOneMinusRhoSquaredAtTheOptimum() {
        let vg = 4.0, vc = 2.0, cov = 2.4
        let a = ControlVariate.optimalScale(covariance: cov, controlVariance: vc)
        #expect(a == 1.2)
        let factor = ControlVariate.optimalFactor(estimateVariance: vg, covariance: cov, controlVariance: vc)
        #expect(abs(ControlVariate.variance(scale: a, estimateVariance: vg, covariance: cov, controlVariance: vc) - factor * vg) < 1e-12)
        #expect(abs(factor - (1 - 0.72)) < 1e-12)   // rho^2 = 2.4^2 / 8
        #expect(ControlVariate(mean: 0.5, scale: 2).apply(estimate: 3, control: 1) == 2)
    }

    @Test func controlledReinforceKeepsItsMeanExactly() {
        // g = z^2 eps / sigma, c = Taylor control with E[c] = 2 mu: every scale keeps the mean 2 mu.
        let q = Gaussian(mu: 1, sigma: 0.5)
        for a in [-1.0, 0.5, 1, 1.25] {
            let cv = ControlVariate(mean: 2, scale: a)
            let m = quadrature.moments { eps in
                let g = Reinforce.estimate(q, eps: eps, value: { $0 * $0 })[0]
                let c = Reinforce.estimate(q, eps: eps, value: { 1 + 2 * ($0 - 1) })[0]
                return [cv.apply(estimate: g, control: c)]
            }
            #expect(abs(m.mean[0] - 2) < 1e-12)
        }
    }
}
