import DiscreteGradients
import Reproductions
import Testing

/// The bandit's fast trainer (hnca.bandit) must compute exactly the learning signals of the
/// library's REINFORCE and HNCA estimators (which hnca.unbiased checks against the exact oracle),
/// and the same Figure-1 gradient-variance metric.
@Suite struct BanditTrainerTests {
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

    func trainer(for net: StochasticNetwork, credit: HiddenCredit, input: Matrix) -> BanditTrainer {
        let mine = BanditNetwork(weights: net.hidden.map(\.parameters.weights.transposed) + [net.output.parameters.weights.transposed],
                                 biases: net.hidden.map(\.parameters.bias) + [net.output.parameters.bias])
        let t = BanditTrainer(network: mine, credit: credit, batchSize: input.rows, learningRate: 1e-3, baseline: false)
        t.outputs[0] = input
        return t
    }

    @Test(arguments: [1, 2, 3]) func signalsMatchTheLibraryEstimators(depth: Int) {
        let (net, x, sample, rewards) = fixture(depth: depth, seed: UInt64(40 + depth))
        for (credit, estimator) in [(HiddenCredit.reinforce, NetworkReinforce() as any BanditEstimator),
                                    (.hnca, NetworkHNCA(messages: .direct) as any BanditEstimator)] {
            let reference = estimator.signals(net, sample, rewards: rewards, baseline: 0.3)
            let (mine, meanVariance) = trainer(for: net, credit: credit, input: x)
                .learningSignals(hiddenValues: sample.hidden.map(\.values), actions: sample.actions, rewards: rewards, baseline: 0.3)
            for (k, expected) in (reference.hidden + [reference.output]).enumerated() {
                let worst = zip(mine[k].data, expected.data).map { abs($0 - $1) }.max() ?? 0
                #expect(worst < 1e-12, "\(credit) layer \(k): max difference \(worst) mine \(mine[k].data.prefix(14)) ref \(expected.data.prefix(14))")
            }
            let expectedVariance = reference.variance(over: sample).meanOverParameters
            #expect(abs(meanVariance - expectedVariance) <= 1e-10 * expectedVariance, "\(credit): variance \(meanVariance) vs \(expectedVariance)")
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
