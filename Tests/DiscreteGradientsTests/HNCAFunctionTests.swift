import DiscreteGradients
import Testing

/// f-HNCA (Eq. 5-6) against the exact enumeration of small known-function networks.
@Suite("f-HNCA against the exact oracle")
struct HNCAFunctionTests {
    static func problems() -> [KnownFunctionNetwork] {
        var s = RandomStream(seed: 77)
        return (0..<20).map { k in
            let depth = 1 + k % 3
            let widths = (0..<depth).map { _ in 1 + s.integer(below: 3) }
            return KnownFunctionNetwork.random(inputs: 2, widths: widths, encoding: k % 2 == 0 ? .zeroOne : .plusMinusOne, scale: 1.3, stream: &s)
        }
    }

    static func moments(_ net: KnownFunctionNetwork, _ component: Int?, _ estimator: ([[Double]]) -> [[Double]]) -> ExactMoments {
        ExactMoments(over: net.configurations(), estimator: { c in
            let per = estimator(c.values)
            if let i = component { return per[i] }
            return per.dropFirst().reduce(per[0]) { zip($0, $1).map(+) }
        }, probability: { $0.p })
    }

    @Test("the exact gradient of E[f] matches central finite differences")
    func finiteDifferences() {
        for net in Self.problems().prefix(6) {
            let g = net.exactGradient().gradient
            let theta = net.flattenedParameters
            for k in theta.indices {
                var up = theta, down = theta
                up[k] += 1e-5; down[k] -= 1e-5
                let fd = (net.with(flattenedParameters: up).exactGradient().objective - net.with(flattenedParameters: down).exactGradient().objective) / 2e-5
                #expect(abs(fd - g[k]) < 1e-7)
            }
        }
    }

    @Test("f-HNCA (Eq. 6) is unbiased; so is per-component REINFORCE")
    func unbiased() {
        for net in Self.problems() {
            let g = net.exactGradient().gradient
            let h = Self.moments(net, nil) { net.fHNCA($0) }, r = Self.moments(net, nil) { net.reinforce($0) }
            #expect(zip(h.mean, g).allSatisfy { abs($0 - $1) < 1e-12 })
            #expect(zip(r.mean, g).allSatisfy { abs($0 - $1) < 1e-12 })
        }
    }

    @Test("Appendix H: Var(f-HNCA component) <= Var(REINFORCE component) for every parameter")
    func appendixH() {
        for net in Self.problems() {
            for i in net.layers.indices {
                let h = Self.moments(net, i) { net.fHNCA($0) }, r = Self.moments(net, i) { net.reinforce($0) }
                #expect(zip(h.mean, r.mean).allSatisfy { abs($0 - $1) < 1e-12 })
                #expect(zip(h.variance, r.variance).allSatisfy { $0 <= $1 + 1e-12 + 1e-9 * $1 })
            }
        }
    }

    @Test("the mutants: the realised component is biased; the realised normaliser breaks Appendix H")
    func mutants() {
        let nets = Self.problems()
        let bias = nets.map { net in
            let g = net.exactGradient().gradient
            return zip(Self.moments(net, nil) { net.fHNCA($0, variant: .realisedComponent) }.mean, g).map { abs($0 - $1) }.max()!
        }.max()!
        #expect(bias > 1e-3)
        let violated = nets.contains { net in
            net.layers.indices.contains { i in
                let h = Self.moments(net, i) { net.fHNCA($0, variant: .realisedNormaliser) }, r = Self.moments(net, i) { net.reinforce($0) }
                return zip(h.variance, r.variance).contains { $0 > $1 * (1 + 1e-6) + 1e-12 }
            }
        }
        #expect(violated)
    }
}
