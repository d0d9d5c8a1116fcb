import Foundation

/// What one training minibatch produced.
public struct NetworkTrainingStatistics: Sendable {
    /// Sum of rewards over the batch (for 0/1 rewards, the number of rewarded actions).
    public var rewardSum: Double
    /// Sum over all parameters of the per-parameter variance (divisor B - 1) of the per-example
    /// gradient across the batch: the numerator of the HNCA paper's "mean gradient variance" (Figure 1).
    public var varianceSum: Double
    /// The same sum over the hidden layers' parameters only.
    public var hiddenVarianceSum: Double
}

public enum NetworkTrainingError: Error, CustomStringConvertible {
    case nonFinite(String)
    public var description: String {
        switch self { case .nonFinite(let s): "non-finite value in \(s)" }
    }
}

/// Trains a `StochasticNetwork` (hidden Bernoulli layers, softmax output) on minibatches with
/// REINFORCE or HNCA (HNCA paper, Section 1 and Algorithm 1): stochastic forward pass, every unit's
/// learning signal (`FlipRatios`, the same kernels as `NetworkHNCA`), the per-example gradient
/// variance, Adam ascent on E[R] and the moving-average reward baseline (decay 0.99, Section 1.3).
///
/// All buffers are allocated once; every layer and minibatch goes through BLAS (`Matrix.gemm`) and
/// through flat loops that the compiler vectorises. This is the fast path for training; the
/// stateless `NetworkHNCA().signals(...)` computes the same learning signals for one sample.
///
/// ```swift
/// let trainer = NetworkTrainer(network: net, credit: .hnca, batchSize: 50, learningRate: 1e-4)
/// trainer.input = images                        // [50 x inputs]
/// let stats = try trainer.train(labels: labels[...], stream: &stream)   // reward 1 if action == label
/// ```
///
/// Internally each layer's weights are kept fan-in x fan-out (X W, one row per example);
/// `network` returns them in the library's [units x inputs] layout.
public final class NetworkTrainer {
    /// Weights (fan-in x fan-out) and biases of the hidden layers, then the output layer.
    var weights: [Matrix]
    var biases: [[Double]]
    let encodings: [UnitEncoding]
    let clips: [Double?]
    public let credit: HiddenCredit
    public let batchSize: Int
    public let usesBaseline: Bool
    /// The exponential moving-average reward baseline (decay 0.99, Section 1.3).
    public private(set) var baseline = 0.0
    public static let baselineDecay = 0.99

    var adamWeights: [Adam]
    var adamBiases: [Adam]
    /// outputs[0] is the input batch (B x inputs); outputs[k] the values of hidden layer k.
    var outputs: [Matrix]
    /// Logits of every layer (hidden layers, then the output layer).
    var logits: [Matrix]
    /// Clipped firing probabilities of the hidden layers (index k - 1 for layer k).
    var firing: [Matrix]
    /// Softmax probabilities of the output unit (B x actions).
    public private(set) var policy: Matrix
    public private(set) var actions: [Int]
    /// d(estimate)/d(logit) per example for every layer (the per-example "delta"), B x fan-out.
    var deltas: [Matrix]
    var weightGradients: [Matrix]
    var biasGradients: [[Double]]
    /// r = q(children | parent flipped) / q(children | parent as sampled), per hidden unit (B x H_k).
    var flipRatio: [Matrix]
    /// exp(gap W) of each layer above the first, in the library's layout (fan-out x fan-in), and its reciprocal.
    var expUp: [Matrix]
    var expDown: [Matrix]
    var rewards: [Double]

    public var hiddenLayers: Int { weights.count - 1 }
    public var inputCount: Int { weights[0].rows }
    public var actionCount: Int { weights[weights.count - 1].cols }
    public var parameterCount: Int { zip(weights, biases).reduce(0) { $0 + $1.0.data.count + $1.1.count } }
    /// Parameters of the output layer (the rest are the hidden layers').
    public var outputParameterCount: Int { weights[weights.count - 1].data.count + biases[biases.count - 1].count }

    /// The minibatch the next `forward` / `train` reads (B x inputs), in the first layer's input encoding.
    public var input: Matrix {
        get { outputs[0] }
        set {
            precondition(newValue.rows == batchSize && newValue.cols == inputCount, "NetworkTrainer: input must be \(batchSize) x \(inputCount)")
            outputs[0] = newValue
        }
    }
    /// Direct access to the input buffer (fills it without a copy).
    public func withInput<T>(_ body: (inout Matrix) throws -> T) rethrows -> T {
        let r = try body(&outputs[0])
        precondition(outputs[0].rows == batchSize && outputs[0].cols == inputCount)
        return r
    }

    /// The network being trained, in the library's layout.
    public var network: StochasticNetwork {
        let n = hiddenLayers
        let hidden = (0..<n).map { k in BernoulliLayer(weights: weights[k].transposed, bias: biases[k], encoding: encodings[k], clip: clips[k]) }
        return StochasticNetwork(hidden: hidden, output: SoftmaxLayer(weights: weights[n].transposed, bias: biases[n]))
    }

    /// `credit` for the hidden units (the output unit is trained by REINFORCE), Adam with
    /// `learningRate`, and the moving-average baseline when `baseline`.
    public init(network: StochasticNetwork, credit: HiddenCredit, batchSize: Int, learningRate: Double, baseline: Bool = true) {
        precondition(batchSize >= 2, "the per-example gradient variance needs at least two examples per batch")
        precondition(!network.hidden.isEmpty, "NetworkTrainer: the network needs at least one hidden layer")
        self.credit = credit; self.batchSize = batchSize; self.usesBaseline = baseline
        weights = network.hidden.map(\.parameters.weights.transposed) + [network.output.parameters.weights.transposed]
        biases = network.hidden.map(\.parameters.bias) + [network.output.parameters.bias]
        encodings = network.hidden.map(\.encoding)
        clips = network.hidden.map(\.clip)
        let B = batchSize
        adamWeights = weights.map { Adam(parameterCount: $0.data.count, learningRate: learningRate) }
        adamBiases = biases.map { Adam(parameterCount: $0.count, learningRate: learningRate) }
        outputs = [Matrix(rows: B, cols: weights[0].rows)] + weights.dropLast().map { Matrix(rows: B, cols: $0.cols) }
        logits = weights.map { Matrix(rows: B, cols: $0.cols) }
        firing = weights.dropLast().map { Matrix(rows: B, cols: $0.cols) }
        policy = Matrix(rows: B, cols: weights[weights.count - 1].cols)
        actions = [Int](repeating: 0, count: B)
        deltas = weights.map { Matrix(rows: B, cols: $0.cols) }
        weightGradients = weights.map { Matrix(rows: $0.rows, cols: $0.cols) }
        biasGradients = biases.map { [Double](repeating: 0, count: $0.count) }
        flipRatio = weights.dropLast().map { Matrix(rows: B, cols: $0.cols) }
        expUp = weights.dropFirst().map { Matrix(rows: $0.cols, cols: $0.rows) }
        expDown = expUp
        rewards = [Double](repeating: 0, count: B)
    }

    // MARK: Forward pass

    /// Samples every hidden layer and the action for the batch in `input` (Algorithm 1, lines 1-5).
    public func forward(stream: inout RandomStream) {
        let n = hiddenLayers
        for k in 0...n {
            // L = b + X W
            logits[k].data.withUnsafeMutableBufferPointer { l in
                let cols = biases[k].count
                biases[k].withUnsafeBufferPointer { b in
                    for r in 0..<batchSize { for j in 0..<cols { l[r * cols + j] = b[j] } }
                }
            }
            Matrix.gemm(outputs[k], weights[k], beta: 1, into: &logits[k])
            if k < n { sampleHidden(layer: k, stream: &stream) } else { sampleAction(stream: &stream) }
        }
    }

    /// p = clip(sigmoid(l)), output `on` with probability p else `off`.
    func sampleHidden(layer k: Int, stream: inout RandomStream) {
        let count = logits[k].data.count
        var u = [Double](repeating: 0, count: count)
        stream.fillUniform(&u)
        let (lo, hi) = FlipRatios.probabilityBounds(clip: clips[k])
        let on = encodings[k].on, off = encodings[k].off
        // exp(-l) for the whole layer at once (`VectorExp`: exactly exp per value).
        var e = logits[k].data
        for i in 0..<count { e[i] = -e[i] }
        VectorExp.inPlace(&e)
        logits[k].data.withUnsafeBufferPointer { l in
            firing[k].data.withUnsafeMutableBufferPointer { p in
                outputs[k + 1].data.withUnsafeMutableBufferPointer { x in
                    for i in 0..<count {
                        let q = min(max(1 / (1 + e[i]), lo), hi)
                        p[i] = q
                        x[i] = u[i] < q ? on : off
                    }
                }
            }
        }
    }

    /// Softmax policy over actions and one sampled action per example.
    func sampleAction(stream: inout RandomStream) {
        let k = hiddenLayers, K = actionCount
        var u = [Double](repeating: 0, count: batchSize)
        stream.fillUniform(&u)
        logits[k].data.withUnsafeBufferPointer { l in
            policy.data.withUnsafeMutableBufferPointer { pi in
                for r in 0..<batchSize {
                    var m = -Double.infinity
                    for a in 0..<K { m = max(m, l[r * K + a]) }
                    var s = 0.0
                    for a in 0..<K { let e = exp(l[r * K + a] - m); pi[r * K + a] = e; s += e }
                    for a in 0..<K { pi[r * K + a] /= s }
                    var cumulative = 0.0, chosen = K - 1
                    for a in 0..<K {
                        cumulative += pi[r * K + a]
                        if u[r] < cumulative { chosen = a; break }
                    }
                    actions[r] = chosen
                }
            }
        }
    }

    // MARK: Training step

    /// One update on the batch in `input` with `labels`: reward 1 if the sampled action is the
    /// label, else 0 (the contextual bandit of Section 1.3). Returns the batch's reward and
    /// gradient-variance sums.
    public func train(labels: ArraySlice<Int>, stream: inout RandomStream) throws -> NetworkTrainingStatistics {
        precondition(labels.count == batchSize)
        return try train(stream: &stream) { actions, rewards in
            for (r, y) in labels.enumerated() { rewards[r] = actions[r] == y ? 1 : 0 }
        }
    }

    /// One update on the batch in `input`: `reward(actions, &rewards)` fills every example's reward
    /// for the sampled actions.
    public func train(stream: inout RandomStream, reward: ([Int], inout [Double]) -> Void) throws -> NetworkTrainingStatistics {
        forward(stream: &stream)
        reward(actions, &rewards)
        var rewardSum = 0.0
        for r in 0..<batchSize { rewardSum += rewards[r] }
        // The learning signal R - b, with b from the batches before this one (it must not depend on this sample).
        computeDeltas(rewards: rewards, baseline: usesBaseline ? baseline : 0)
        let (varianceSum, hiddenVarianceSum, meanGradientSquares) = gradientsAndVariance()
        let n = hiddenLayers
        // A finite sum of squares means every weight and bias gradient is finite (NaN and inf propagate).
        guard varianceSum.isFinite, meanGradientSquares.isFinite else {
            throw NetworkTrainingError.nonFinite("gradient (\(credit.rawValue), \(n) hidden layers)")
        }
        for k in 0...n {
            adamWeights[k].update(&weights[k], gradient: weightGradients[k], .ascend)
            adamBiases[k].update(&biases[k], gradient: biasGradients[k], .ascend)
        }
        if usesBaseline {
            baseline = Self.baselineDecay * baseline + (1 - Self.baselineDecay) * rewardSum / Double(batchSize)
        }
        return NetworkTrainingStatistics(rewardSum: rewardSum, varianceSum: varianceSum, hiddenVarianceSum: hiddenVarianceSum)
    }

    /// Every layer's per-example learning signal (d estimate / d logit) for the current sample.
    func computeDeltas(rewards: [Double], baseline b: Double) {
        let n = hiddenLayers
        let signal = rewards.map { $0 - b }
        // Output unit: REINFORCE, dlog pi(A)/dL_a = 1{a = A} - pi_a.
        FlipRatios.softmaxSignals(policy: policy, actions: actions, signal: signal, into: &deltas[n])
        if credit != .reinforce { computeFlipRatios() }
        for k in 0..<n {
            FlipRatios.hiddenSignals(credit, probabilities: firing[k], values: outputs[k + 1], encoding: encodings[k], clip: clips[k],
                                     ratio: credit == .reinforce ? nil : flipRatio[k], signal: signal, into: &deltas[k])
        }
    }

    /// Flip ratios of every hidden layer from its children (the softmax output for the last one).
    func computeFlipRatios() {
        let n = hiddenLayers
        // exp(+-gap W) in the library layout (fan-out x fan-in): the same numbers, elementwise.
        for k in 1...n { FlipRatios.exponentials(parentMajor: weights[k], gap: encodings[k - 1].gap, up: &expUp[k - 1], down: &expDown[k - 1]) }
        FlipRatios.softmaxChild(policy: policy, actions: actions, parents: outputs[n], parentEncoding: encodings[n - 1],
                                up: expUp[n - 1], down: expDown[n - 1], into: &flipRatio[n - 1])
        if n >= 2 {
            for k in 0..<(n - 1) {
                FlipRatios.bernoulliChild(childLogits: logits[k + 1], childValues: outputs[k + 2], childEncoding: encodings[k + 1],
                                          childClip: clips[k + 1], parents: outputs[k + 1], parentEncoding: encodings[k],
                                          weights: weights[k + 1], parentMajorWeights: true, up: expUp[k], down: expDown[k], into: &flipRatio[k])
            }
        }
    }

    /// Batch-mean gradients into `weightGradients` / `biasGradients`, and the sums over parameters
    /// of the per-parameter variance (divisor B - 1) of the per-example gradients (all layers, hidden layers).
    /// The per-example weight gradient is x_b g_b^T, so sum_params sum_b w^2 = sum_b |x_b|^2 |g_b|^2: no extra gemm.
    func gradientsAndVariance() -> (all: Double, hidden: Double, meanSquares: Double) {
        let B = batchSize, n = hiddenLayers
        var varianceSum = 0.0, hiddenVarianceSum = 0.0, allMeanSquares = 0.0
        for k in 0...n {
            Matrix.gemm(outputs[k], transposeA: true, deltas[k], alpha: 1 / Double(B), into: &weightGradients[k])
            let cols = deltas[k].cols, rows = outputs[k].cols
            var biasGrad = [Double](repeating: 0, count: cols)
            var perExampleSquares = 0.0
            deltas[k].data.withUnsafeBufferPointer { d in
                outputs[k].data.withUnsafeBufferPointer { x in
                    for r in 0..<B {
                        var gg = 0.0, xx = 0.0
                        for j in 0..<cols { let v = d[r * cols + j]; gg += v * v; biasGrad[j] += v }
                        for i in 0..<rows { let v = x[r * rows + i]; xx += v * v }
                        perExampleSquares += gg * (xx + 1)   // weights (|x|^2 |g|^2) and biases (|g|^2)
                    }
                }
            }
            for j in 0..<cols { biasGrad[j] /= Double(B) }
            biasGradients[k] = biasGrad
            let meanSquares = Self.sumOfSquares(weightGradients[k].data) + Self.sumOfSquares(biasGrad)
            allMeanSquares += meanSquares
            let layerVariance = max(0, perExampleSquares - Double(B) * meanSquares) / Double(B - 1)
            varianceSum += layerVariance
            if k < n { hiddenVarianceSum += layerVariance }
        }
        return (varianceSum, hiddenVarianceSum, allMeanSquares)
    }

    /// sum_i v_i^2 with eight independent partial sums (vectorised; a single running sum is latency-bound).
    static func sumOfSquares(_ values: [Double]) -> Double {
        values.withUnsafeBufferPointer { v in
            var partial = SIMD8<Double>(repeating: 0)
            var i = 0
            while i + 8 <= v.count {
                let x = UnsafeRawPointer(v.baseAddress! + i).loadUnaligned(as: SIMD8<Double>.self)
                partial += x * x
                i += 8
            }
            var total = partial.sum()
            while i < v.count { total += v[i] * v[i]; i += 1 }
            return total
        }
    }

    /// For cross-checks against the exact oracle and the stateless estimators: takes the batch in
    /// `input` with the given hidden values and actions as the sample, and returns every layer's
    /// per-example learning signal (hidden layers, then the output) and the mean per-parameter
    /// gradient variance. No update.
    public func learningSignals(hiddenValues: [Matrix], actions given: [Int], rewards: [Double],
                                baseline b: Double) -> (signals: [Matrix], meanVariance: Double) {
        let n = hiddenLayers
        precondition(hiddenValues.count == n && given.count == batchSize && rewards.count == batchSize)
        for k in 0...n {
            logits[k] = Matrix(rows: batchSize, cols: biases[k].count)
            for r in 0..<batchSize { for j in 0..<biases[k].count { logits[k][r, j] = biases[k][j] } }
            Matrix.gemm(outputs[k], weights[k], beta: 1, into: &logits[k])
            if k < n {
                let (lo, hi) = FlipRatios.probabilityBounds(clip: clips[k])
                firing[k] = logits[k].map { min(max(1 / (1 + exp(-$0)), lo), hi) }
                outputs[k + 1] = hiddenValues[k]
            } else {
                for r in 0..<batchSize { let p = Fn.softmax(Array(logits[k].row(r))); for a in p.indices { policy[r, a] = p[a] } }
            }
        }
        actions = given
        computeDeltas(rewards: rewards, baseline: b)
        let all = gradientsAndVariance().all
        return (deltas, all / Double(parameterCount))
    }
}
