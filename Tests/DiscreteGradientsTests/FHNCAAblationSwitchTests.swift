import DiscreteGradients
import Foundation
import Testing

/// The released code's f-HNCA ablation switches (all_child, full_reward; HNCA Section 2.2's
/// ablation) against the exact enumeration oracle: every setting is unbiased, with and without a
/// baseline, and changes the estimate only where the switch has something to act on.
@Suite struct FHNCAAblationSwitchTests {
    static let switched: [VAEScoreMethod] = [.fHNCAAllChild, .fHNCAFullReward, .fHNCAAllChildFullReward]

    @Test(arguments: VAEEstimatorTests.shapes)
    func everySwitchSettingIsExactlyUnbiased(latent: [Int]) {
        for seed in UInt64(1)...3 {
            let (vae, x) = VAEEstimatorTests.tiny(latent, seed: seed + 40 * UInt64(latent.count))
            let exact = VAEOracle.encoderGradient(vae, x)
            let baselines = (0..<latent.count).map { 2.0 - Double($0) }
            for method in Self.switched {
                for b in [nil, baselines] {
                    let mean = VAEOracle.moments(method, vae, x, baselines: b).mean
                    let error = zip(mean, exact).map { abs($0 - $1) }.max()!
                    #expect(error < 1e-7, "\(method.label) (baseline \(b != nil)) on \(latent), seed \(seed): max |E[g] - grad| = \(error)")
                }
            }
        }
    }

    /// The switches change the estimator's variance (the ablation measures their effect on training),
    /// except at one layer, where the unit has no encoder children and rho = 1.
    @Test func switchesActOnlyWhereTheUnitHasChildren() {
        let (one, x1) = VAEEstimatorTests.tiny([3], seed: 5)
        let plain1 = VAEOracle.moments(.fHNCA, one, x1).variance
        for method in Self.switched {
            let v = VAEOracle.moments(method, one, x1).variance
            #expect(zip(v, plain1).map { abs($0 - $1) }.max()! < 1e-12, "\(method.label) at L = 1")
        }
        let (two, x2) = VAEEstimatorTests.tiny([3, 2], seed: 5)
        let plain2 = VAEOracle.moments(.fHNCA, two, x2).variance.reduce(0, +)
        for method in Self.switched {
            let v = VAEOracle.moments(method, two, x2).variance.reduce(0, +)
            #expect(abs(v - plain2) > 1e-6 * plain2, "\(method.label) at L = 2: total variance \(v) vs \(plain2)")
        }
    }

    /// The ablation's negative control: counting the direct components as upstream is biased.
    @Test(arguments: [[3, 2], [2, 2, 2]])
    func upstreamWithDirectComponentsIsBiased(latent: [Int]) {
        let (vae, x) = VAEEstimatorTests.tiny(latent, seed: 23)
        let exact = VAEOracle.encoderGradient(vae, x)
        let mean = VAEOracle.moments(.fHNCAUpstreamWithDirect, vae, x).mean
        #expect(zip(mean, exact).map { abs($0 - $1) }.max()! > 1e-3)
    }

    /// Upstream plus downstream components make up the whole ELBO at every layer.
    @Test func upstreamAndDownstreamPartitionTheELBO() {
        let (vae, x) = VAEEstimatorTests.tiny([2, 2, 2], seed: 7)
        var s = RandomStream(seed: 3)
        let pass = vae.forward(x, stream: &s).pass
        let c = ELBOComponents(vae, pass)
        for e in 0..<3 {
            let sum = zip(c.upstream(of: e), c.downstream(of: e)).map { $0 + $1 }
            #expect(abs(sum[0] - c.total[0]) < 1e-12)
        }
    }
}
