import Testing
import DiscreteGradients

/// What a library user does: build a Bernoulli network, sample it, estimate the gradient of the
/// expected reward with HNCA, and take Adam steps. The README's example, as a test.
@Suite struct LibraryUsageTests {
    /// The README's example, at a small size: `NetworkTrainer` (the fast path hnca.bandit trains with)
    /// on a 4-armed contextual bandit whose reward is 1 when the action equals the context's index.
    @Test func aUserTrainsABernoulliNetworkWithTheFastTrainer() throws {
        var stream = RandomStream(seed: 42)                       // GSL mt19937; pass streams, never globals
        let net = StochasticNetwork.glorotUniform(inputs: 6, hiddenSizes: [16, 16], actions: 4,
                                                  encoding: .plusMinusOne, stream: &stream)
        let trainer = NetworkTrainer(network: net, credit: .hnca, batchSize: 50, learningRate: 0.03)
        func batch(_ n: Int) -> (Matrix, [Int]) {
            var x = Matrix(rows: n, cols: 6)
            var labels: [Int] = []
            for r in 0..<n {
                let label = stream.integer(below: 4)
                labels.append(label)
                x[r, label] = 1
                x[r, 4] = stream.bernoulli(0.5) ? 1 : 0
                x[r, 5] = stream.bernoulli(0.5) ? 1 : 0
            }
            return (x, labels)
        }
        func accuracy(_ net: StochasticNetwork) -> Double {
            let (x, labels) = batch(2000)
            let actions = net.sample(x, stream: &stream).actions
            return Double(zip(actions, labels).filter { $0 == $1 }.count) / 2000
        }
        let before = accuracy(trainer.network)
        for _ in 0..<300 {
            let (images, labels) = batch(50)
            trainer.input = images
            _ = try trainer.train(stream: &stream) { actions, rewards in   // the reward of each example's action
                for b in actions.indices { rewards[b] = actions[b] == labels[b] ? 1 : 0 }
            }
        }
        let trained = trainer.network                               // back as a StochasticNetwork
        let after = accuracy(trained)
        #expect(before < 0.35)
        #expect(after > 0.8, "accuracy \(before) -> \(after)")
    }

    /// The same with the stateless API (sample, learning signals, mean gradient, one Adam per block),
    /// which runs the same kernels with fresh buffers. Chance is 1/4.
    @Test func aUserTrainsABernoulliNetworkWithHNCAAndAdam() {
        var stream = RandomStream(seed: 42)
        var net = StochasticNetwork.glorotUniform(inputs: 6, hiddenSizes: [16, 16], actions: 4,
                                                  encoding: .plusMinusOne, stream: &stream)
        var optimisers = net.hidden.map { (Adam(parameterCount: $0.parameters.weights.data.count, learningRate: 0.03),
                                           Adam(parameterCount: $0.parameters.bias.count, learningRate: 0.03)) }
        var outputOptimiser = (Adam(parameterCount: net.output.parameters.weights.data.count, learningRate: 0.03),
                               Adam(parameterCount: net.output.parameters.bias.count, learningRate: 0.03))
        func batch(_ n: Int) -> (Matrix, [Int]) {
            var x = Matrix(rows: n, cols: 6)
            var labels: [Int] = []
            for r in 0..<n {
                let label = stream.integer(below: 4)
                labels.append(label)
                x[r, label] = 1
                x[r, 4] = stream.bernoulli(0.5) ? 1 : 0
                x[r, 5] = stream.bernoulli(0.5) ? 1 : 0
            }
            return (x, labels)
        }
        func accuracy() -> Double {
            let (x, labels) = batch(2000)
            let actions = net.sample(x, stream: &stream).actions
            return Double(zip(actions, labels).filter { $0 == $1 }.count) / 2000
        }
        let before = accuracy()
        let hnca = NetworkHNCA(messages: .efficient)
        for _ in 0..<300 {
            let (x, labels) = batch(50)
            let sample = net.sample(x, stream: &stream)
            let rewards = zip(sample.actions, labels).map { $0 == $1 ? 1.0 : 0.0 }
            let gradient = hnca.signals(net, sample, rewards: rewards, baseline: 0).mean(over: sample)
            for l in net.hidden.indices {
                optimisers[l].0.update(&net.hidden[l].parameters.weights, gradient: gradient.hidden[l].weights, .ascend)
                optimisers[l].1.update(&net.hidden[l].parameters.bias, gradient: gradient.hidden[l].bias, .ascend)
            }
            outputOptimiser.0.update(&net.output.parameters.weights, gradient: gradient.output.weights, .ascend)
            outputOptimiser.1.update(&net.output.parameters.bias, gradient: gradient.output.bias, .ascend)
        }
        let after = accuracy()
        // Chance is 0.25 (binomial sd 0.01 at n = 2000); a network that learned nothing stays near it.
        #expect(before < 0.35)
        #expect(after > 0.8, "accuracy \(before) -> \(after)")
    }
}
