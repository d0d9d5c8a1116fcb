import DiscreteGradients
import Testing

/// The library's fast training path (`NetworkTrainer`, the `FlipRatios` kernels that hnca.bandit
/// trains with) must compute exactly the learning signals of Algorithm 1 as written (`NetworkHNCA`
/// with `.direct` messages: a log-sigmoid per counterfactual edge) and of REINFORCE, the same
/// Figure-1 gradient-variance metric, and an unbiased HNCA gradient by the exact oracle.
@Suite struct NetworkTrainerTests {
    /// A small network with large weights (strong parent-child dependence), its sample, and
    /// arbitrary rewards, shared by the two comparisons.
    func fixture(depth: Int, seed: UInt64) -> (StochasticNetwork, Matrix, NetworkSample, [Double]) {
        var stream = RandomStream(seed: seed)
        var net = StochasticNetwork.glorotUniform(inputs: 12, hiddenSizes: Array([9, 7, 6].prefix(depth)), actions: 4,
                                                  encoding: .plusMinusOne, clip: BernoulliLayer.paperClip, stream: &stream)
        for k in net.hidden.indices { net.hidden[k].parameters.weights = net.hidden[k].parameters.weights.map { 4 * $0 } }
        net.output.parameters.weights = net.output.parameters.weights.map { 4 * $0 }
        let batch = 6
        let x = Matrix(rows: batch, cols: 12, data: (0..<(batch * 12)).map { _ in stream.uniform() < 0.4 ? 1 : 0 })
        let sample = net.sample(x, stream: &stream)
        let rewards = (0..<batch).map { _ in stream.uniform() < 0.5 ? 1.0 : 0.0 }
        return (net, x, sample, rewards)
    }

    func trainer(for net: StochasticNetwork, credit: HiddenCredit, input: Matrix) -> NetworkTrainer {
        let t = NetworkTrainer(network: net, credit: credit, batchSize: input.rows, learningRate: 1e-3, baseline: false)
        t.input = input
        return t
    }

    @Test(arguments: [1, 2, 3]) func signalsMatchAlgorithmOneAsWritten(depth: Int) {
        let (net, x, sample, rewards) = fixture(depth: depth, seed: UInt64(40 + depth))
        for (credit, estimator) in [(HiddenCredit.reinforce, NetworkReinforce() as any BanditEstimator),
                                    (.hnca, NetworkHNCA(messages: .direct) as any BanditEstimator)] {
            let reference = estimator.signals(net, sample, rewards: rewards, baseline: 0.3)
            let (mine, meanVariance) = trainer(for: net, credit: credit, input: x)
                .learningSignals(hiddenValues: sample.hidden.map(\.values), actions: sample.actions, rewards: rewards, baseline: 0.3)
            let stateless = credit == .hnca ? NetworkHNCA().signals(net, sample, rewards: rewards, baseline: 0.3)
                                            : NetworkReinforce().signals(net, sample, rewards: rewards, baseline: 0.3)
            for (k, expected) in (reference.hidden + [reference.output]).enumerated() {
                let worst = zip(mine[k].data, expected.data).map { abs($0 - $1) }.max() ?? 0
                #expect(worst < 1e-12, "\(credit) layer \(k): max difference \(worst) mine \(mine[k].data.prefix(14)) ref \(expected.data.prefix(14))")
                let fast = (stateless.hidden + [stateless.output])[k]
                let worstStateless = zip(fast.data, expected.data).map { abs($0 - $1) }.max() ?? 0
                #expect(worstStateless < 1e-12, "\(credit) layer \(k), stateless kernels: max difference \(worstStateless)")
            }
            let expectedVariance = reference.variance(over: sample).meanOverParameters
            #expect(abs(meanVariance - expectedVariance) <= 1e-10 * expectedVariance, "\(credit): variance \(meanVariance) vs \(expectedVariance)")
        }
    }

    /// The trainer's learning signals as a `BanditEstimator`, so that the exact oracle can average them
    /// over every configuration (batches of one are padded to two; the trainer needs two for its variance).
    struct TrainerEstimator: BanditEstimator {
        var credit: HiddenCredit
        var name: String { "NetworkTrainer \(credit.rawValue)" }
        func signals(_ network: StochasticNetwork, _ sample: NetworkSample, rewards: [Double], baseline: Double,
                     count: inout OperationCount) -> LearningSignals {
            let B = sample.batchSize, pad = B < 2
            func padded(_ m: Matrix) -> Matrix { pad ? Matrix(rows: 2, cols: m.cols, data: m.data + m.data) : m }
            let input = padded(sample.hidden.first?.input ?? sample.output.input)
            let t = NetworkTrainer(network: network, credit: credit, batchSize: input.rows, learningRate: 1e-3, baseline: false)
            t.input = input
            let s = t.learningSignals(hiddenValues: sample.hidden.map { padded($0.values) }, actions: pad ? sample.actions + sample.actions : sample.actions,
                                      rewards: pad ? rewards + rewards : rewards, baseline: baseline).signals
            func cut(_ m: Matrix) -> Matrix { pad ? Matrix(rows: 1, cols: m.cols, data: Array(m.data.prefix(m.cols))) : m }
            return LearningSignals(hidden: s.dropLast().map(cut), output: cut(s.last!))
        }
    }

    @Test func trainerIsUnbiasedByTheExactOracle() throws {
        var stream = RandomStream(seed: 5)
        for depth in 1...3 {
            let net = StochasticNetwork.random(inputs: 3, hiddenSizes: Array([3, 3, 2].prefix(depth)), actions: 3, encoding: .plusMinusOne,
                                               clip: BernoulliLayer.paperClip, scale: 1.5, stream: &stream)
            let oracle = try NetworkOracle(network: net, input: [1, 0, 1], reward: [0.2, 1, -0.5])
            for credit in [HiddenCredit.reinforce, .hnca] {
                let bias = zip(oracle.moments(of: TrainerEstimator(credit: credit)).mean, oracle.gradient).map { abs($0 - $1) }.max() ?? 0
                #expect(bias < 1e-12, "depth \(depth) \(credit): bias \(bias)")
            }
            let mutant = zip(oracle.moments(of: TrainerEstimator(credit: .hncaSampledOutputOnly)).mean, oracle.gradient).map { abs($0 - $1) }.max() ?? 0
            #expect(mutant > 1e-4, "depth \(depth): the mutant should be biased, bias \(mutant)")
        }
    }

    @Test func mutantDiffersFromHNCA() {
        let (net, x, sample, rewards) = fixture(depth: 2, seed: 7)
        let hnca = trainer(for: net, credit: .hnca, input: x)
            .learningSignals(hiddenValues: sample.hidden.map(\.values), actions: sample.actions, rewards: rewards, baseline: 0)
        let mutant = trainer(for: net, credit: .hncaSampledOutputOnly, input: x)
            .learningSignals(hiddenValues: sample.hidden.map(\.values), actions: sample.actions, rewards: rewards, baseline: 0)
        let difference = zip(hnca.signals[0].data, mutant.signals[0].data).map { abs($0 - $1) }.max() ?? 0
        #expect(difference > 1e-3)
    }
}
