import DiscreteGradients
import Testing

/// Random small bandit networks, their context and reward table (fixed seeds: deterministic).
func randomProblems(count: Int, seed: UInt64, clip: Double? = nil) -> [(NetworkOracle, String)] {
    var s = RandomStream(seed: seed)
    return (0..<count).map { k in
        let depth = 1 + s.integer(below: 3)
        let widths = (0..<depth).map { _ in 1 + s.integer(below: 4) }
        let inputs = 1 + s.integer(below: 3), actions = 2 + s.integer(below: 3)
        let enc: UnitEncoding = k % 2 == 0 ? .plusMinusOne : .zeroOne
        let net = StochasticNetwork.random(inputs: inputs, hiddenSizes: widths, actions: actions, encoding: enc, clip: clip, scale: 1.5, stream: &s)
        let x = (0..<inputs).map { _ in s.bernoulli(0.5) ? 1.0 : 0.0 }
        let r = (0..<actions).map { _ in s.normal() }
        return (try! NetworkOracle(network: net, input: x, reward: r), "net \(k): \(widths) \(enc.rawValue)")
    }
}

func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

@Suite("HNCA and REINFORCE against the exact oracle")
struct HNCAEstimatorTests {
    let problems = randomProblems(count: 24, seed: 31)

    @Test("the oracle's gradient agrees with central finite differences of the exact E[R]")
    func oracleGradientMatchesFiniteDifferences() {
        for (oracle, label) in problems.prefix(10) {
            let d = maxAbsDifference(oracle.gradient, oracle.finiteDifferenceGradient())
            #expect(d < 1e-7, "\(label): |analytic - finite difference| = \(d)")
        }
    }

    @Test("REINFORCE is unbiased, with and without a baseline")
    func reinforceUnbiased() {
        for (oracle, label) in problems {
            let g = oracle.gradient
            #expect(maxAbsDifference(oracle.moments(of: NetworkReinforce()).mean, g) < 1e-12, "\(label)")
            #expect(maxAbsDifference(oracle.moments(of: NetworkReinforce(), baseline: 0.7).mean, g) < 1e-12, "\(label)")
        }
    }

    @Test("HNCA (Eq. 3) is unbiased for every message-passing method", arguments: MessagePassing.allCases)
    func hncaUnbiased(method: MessagePassing) {
        for (oracle, label) in problems {
            let bias = maxAbsDifference(oracle.moments(of: NetworkHNCA(messages: method)).mean, oracle.gradient)
            #expect(bias < 1e-12, "\(label): bias \(bias)")
        }
    }

    @Test("Theorem 1: Var(HNCA) <= Var(REINFORCE) for every parameter")
    func theorem1() {
        for (oracle, label) in problems {
            let h = oracle.moments(of: NetworkHNCA()), r = oracle.moments(of: NetworkReinforce())
            for k in h.variance.indices {
                #expect(h.variance[k] <= r.variance[k] + 1e-12 * (1 + r.secondMoment[k]), "\(label) parameter \(k)")
            }
        }
    }

    @Test("efficient, direct and naive message passing give the same estimate on sampled minibatches")
    func methodsAgree() {
        var s = RandomStream(seed: 5)
        for enc in UnitEncoding.allCases {
            for clip in [nil, BernoulliLayer.paperClip] {
                let net = StochasticNetwork.random(inputs: 7, hiddenSizes: [9, 8, 6], actions: 5, encoding: enc, clip: clip, scale: 2, stream: &s)
                var x = Matrix(rows: 16, cols: 7)
                for k in x.data.indices { x.data[k] = s.bernoulli(0.5) ? 1 : 0 }
                let sample = net.sample(x, stream: &s)
                let r = (0..<16).map { _ in s.normal() }
                let ref = NetworkHNCA(messages: .direct).signals(net, sample, rewards: r).perExample(over: sample)
                for m in [MessagePassing.efficient, .naive] {
                    let g = NetworkHNCA(messages: m).signals(net, sample, rewards: r).perExample(over: sample)
                    #expect(maxAbsDifference(g.data, ref.data) < 1e-10, "\(m) \(enc) clip \(String(describing: clip))")
                }
            }
        }
    }

    @Test("the efficient messages stay finite and exact with huge logits (fallback paths)")
    func extremeLogits() {
        var s = RandomStream(seed: 8)
        let net = StochasticNetwork.random(inputs: 4, hiddenSizes: [5, 5], actions: 3, encoding: .plusMinusOne, scale: 400, stream: &s)
        let x = Matrix(rows: 4, cols: 4, data: (0..<16).map { Double($0 % 2) })
        let sample = net.sample(x, stream: &s)
        let r = [1.0, 0, 1, 0]
        let a = NetworkHNCA(messages: .efficient).signals(net, sample, rewards: r).perExample(over: sample)
        let b = NetworkHNCA(messages: .direct).signals(net, sample, rewards: r).perExample(over: sample)
        #expect(a.data.allSatisfy { $0.isFinite })
        #expect(maxAbsDifference(a.data, b.data) < 1e-8)
    }

    @Test("the efficient messages keep their precision for large but non-fallback logits", arguments: [20.0, 60.0, 120.0])
    func largeLogits(scale: Double) {
        var s = RandomStream(seed: 9)
        let net = StochasticNetwork.random(inputs: 3, hiddenSizes: [6, 6], actions: 3, encoding: .zeroOne, scale: scale, stream: &s)
        let x = Matrix(rows: 6, cols: 3, data: (0..<18).map { Double($0 % 2) })
        let sample = net.sample(x, stream: &s)
        let a = NetworkHNCA(messages: .efficient).messages(net, sample)[0]
        let b = NetworkHNCA(messages: .direct).messages(net, sample)[0]
        for (u, v) in zip(a.logOn.data + a.logOff.data, b.logOn.data + b.logOff.data) {
            #expect(u.isFinite && abs(u - v) <= 1e-9 * max(1, abs(v)), "\(u) vs \(v)")
        }
    }

    @Test("each negative control is biased on some network", arguments: [HNCAVariant.ignoresCurrentValue, .missingNormaliser, .zeroOneFormula])
    func mutantsAreBiased(variant: HNCAVariant) {
        let worst = problems.map { maxAbsDifference($0.0.moments(of: NetworkHNCA(variant: variant)).mean, $0.0.gradient) }.max()!
        #expect(worst > 1e-3, "\(variant): worst bias \(worst)")
    }
}

@Suite("Learning signals: batch mean, batch variance and per-example gradients agree")
struct HNCALearningSignalsTests {
    @Test func meanAndVarianceMatchPerExampleRows() {
        var s = RandomStream(seed: 12)
        let net = StochasticNetwork.random(inputs: 6, hiddenSizes: [5, 4], actions: 3, encoding: .plusMinusOne, stream: &s)
        var x = Matrix(rows: 20, cols: 6)
        for k in x.data.indices { x.data[k] = s.bernoulli(0.3) ? 1 : 0 }
        let sample = net.sample(x, stream: &s)
        let r = sample.actions.map { $0 == 1 ? 1.0 : 0.0 }
        for est in [NetworkReinforce(), NetworkHNCA()] as [any BanditEstimator] {
            let sig = est.signals(net, sample, rewards: r, baseline: 0.25)
            let rows = sig.perExample(over: sample)
            let columns = (0..<rows.cols).map { k in (0..<rows.rows).map { rows[$0, k] } }
            #expect(maxAbsDifference(sig.mean(over: sample).flattened, columns.map(\.mean)) < 1e-12)
            #expect(maxAbsDifference(sig.variance(over: sample).flattened, columns.map(\.sampleVariance)) < 1e-10)
        }
    }
}
