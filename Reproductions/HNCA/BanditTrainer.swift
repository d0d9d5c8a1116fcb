import DiscreteGradients
import Foundation

/// What one training minibatch produced.
public struct BanditBatchStatistics: Sendable {
    /// Sum of rewards over the batch (number of correct actions).
    public var rewardSum: Double
    /// Sum over all parameters of the per-parameter variance (divisor B - 1) of the per-example
    /// gradient across the batch: the numerator of Figure 1's "mean gradient variance".
    public var varianceSum: Double
    /// The same sum over the hidden layers' parameters only.
    public var hiddenVarianceSum: Double
}

/// Trains a `BanditNetwork` on minibatches: stochastic forward pass, the estimator's credit for
/// every unit, per-example gradient variance, and Adam ascent on E[R]. All buffers are allocated
/// once; every layer and minibatch goes through BLAS (`Matrix.gemm`) and through flat loops that
/// the compiler vectorises.
///
/// Notation (HNCA paper, Section 1 and Algorithm 1): the hidden unit j of a layer has logit l_j,
/// firing probability p_j = sigma(l_j) clipped to [1e-5, 1 - 1e-5], output phi_j in {-1, +1} with
/// P(+1) = p_j; the softmax output unit has logits L and samples the action A.
public final class BanditTrainer {
    public private(set) var network: BanditNetwork
    public let credit: HiddenCredit
    public let batchSize: Int
    public let usesBaseline: Bool
    /// The exponential moving-average reward baseline (decay 0.99, Section 1.3).
    public private(set) var baseline = 0.0
    public static let baselineDecay = 0.99

    var adamWeights: [Adam]
    var adamBiases: [Adam]
    /// outputs[0] is the binary input batch (B x inputs); outputs[k] the {-1, +1} outputs of hidden layer k.
    public var outputs: [Matrix]
    /// Logits of every layer (hidden layers, then the output layer).
    var logits: [Matrix]
    /// Clipped firing probabilities of the hidden layers (index k - 1 for layer k).
    var firing: [Matrix]
    /// Softmax probabilities of the output unit (B x actions).
    var policy: Matrix
    public private(set) var actions: [Int]
    /// d(estimate)/d(logit) per example for every layer (the per-example "delta"), B x fan-out.
    var deltas: [Matrix]
    var weightGradients: [Matrix]
    var biasGradients: [[Double]]
    /// r = q(children | parent flipped) / q(children | parent as sampled), per hidden unit (B x H_k).
    var flipRatio: [Matrix]
    /// exp(2 W)^T of each layer above the first (fan-out x fan-in) and its reciprocal.
    var expTwoWT: [Matrix]
    var expMinusTwoWT: [Matrix]
    var rewards: [Double]

    public init(network: BanditNetwork, credit: HiddenCredit, batchSize: Int, learningRate: Double, baseline: Bool) {
        precondition(batchSize >= 2, "the per-example gradient variance needs at least two examples per batch")
        self.network = network; self.credit = credit; self.batchSize = batchSize; self.usesBaseline = baseline
        let B = batchSize
        adamWeights = network.weights.map { Adam(parameterCount: $0.data.count, learningRate: learningRate) }
        adamBiases = network.biases.map { Adam(parameterCount: $0.count, learningRate: learningRate) }
        outputs = [Matrix(rows: B, cols: network.inputs)] + network.weights.dropLast().map { Matrix(rows: B, cols: $0.cols) }
        logits = network.weights.map { Matrix(rows: B, cols: $0.cols) }
        firing = network.weights.dropLast().map { Matrix(rows: B, cols: $0.cols) }
        policy = Matrix(rows: B, cols: network.actions)
        actions = [Int](repeating: 0, count: B)
        deltas = network.weights.map { Matrix(rows: B, cols: $0.cols) }
        weightGradients = network.weights.map { Matrix(rows: $0.rows, cols: $0.cols) }
        biasGradients = network.biases.map { [Double](repeating: 0, count: $0.count) }
        flipRatio = network.weights.dropLast().map { Matrix(rows: B, cols: $0.cols) }
        expTwoWT = network.weights.dropFirst().map { Matrix(rows: $0.cols, cols: $0.rows) }
        expMinusTwoWT = expTwoWT
        rewards = [Double](repeating: 0, count: B)
    }

    // MARK: Forward pass

    /// Samples every hidden layer and the action for the batch in `outputs[0]` (Algorithm 1, lines 1-5).
    public func forward(stream: inout RandomStream) {
        let n = network.hiddenLayers
        for k in 0...n {
            // L = b + X W
            logits[k].data.withUnsafeMutableBufferPointer { l in
                let cols = network.biases[k].count
                network.biases[k].withUnsafeBufferPointer { b in
                    for r in 0..<batchSize { for j in 0..<cols { l[r * cols + j] = b[j] } }
                }
            }
            Matrix.gemm(outputs[k], network.weights[k], beta: 1, into: &logits[k])
            if k < n { sampleHidden(layer: k, stream: &stream) } else { sampleAction(stream: &stream) }
        }
    }

    /// p = clip(sigmoid(l)), phi = +1 with probability p else -1.
    func sampleHidden(layer k: Int, stream: inout RandomStream) {
        let count = logits[k].data.count
        var u = [Double](repeating: 0, count: count)
        stream.fillUniform(&u)
        let lo = Clip.probability, hi = 1 - Clip.probability
        logits[k].data.withUnsafeBufferPointer { l in
            firing[k].data.withUnsafeMutableBufferPointer { p in
                outputs[k + 1].data.withUnsafeMutableBufferPointer { x in
                    for i in 0..<count {
                        let q = min(max(1 / (1 + exp(-l[i])), lo), hi)
                        p[i] = q
                        x[i] = u[i] < q ? 1 : -1
                    }
                }
            }
        }
    }

    /// Softmax policy over actions and one sampled action per example.
    func sampleAction(stream: inout RandomStream) {
        let k = network.hiddenLayers, K = network.actions
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

    /// One update on the batch in `outputs[0]` with `labels`: reward 1 if the sampled action is
    /// the label, else 0. Returns the batch's reward and gradient-variance sums.
    public func train(labels: ArraySlice<Int>, stream: inout RandomStream) throws -> BanditBatchStatistics {
        precondition(labels.count == batchSize)
        forward(stream: &stream)
        var rewardSum = 0.0
        for (r, y) in labels.enumerated() { rewards[r] = actions[r] == y ? 1 : 0; rewardSum += rewards[r] }
        // The learning signal R - b, with b from the batches before this one (it must not depend on this sample).
        computeDeltas(rewards: rewards, baseline: usesBaseline ? baseline : 0)
        let (varianceSum, hiddenVarianceSum, meanGradientSquares) = gradientsAndVariance()
        let n = network.hiddenLayers
        // A finite sum of squares means every weight and bias gradient is finite (NaN and inf propagate).
        guard varianceSum.isFinite, meanGradientSquares.isFinite else {
            throw BanditTrainingError.nonFinite("gradient (\(credit.rawValue), \(n) hidden layers)")
        }
        for k in 0...n {
            adamWeights[k].update(&network.weights[k], gradient: weightGradients[k], .ascend)
            adamBiases[k].update(&network.biases[k], gradient: biasGradients[k], .ascend)
        }
        if usesBaseline {
            baseline = Self.baselineDecay * baseline + (1 - Self.baselineDecay) * rewardSum / Double(batchSize)
        }
        return BanditBatchStatistics(rewardSum: rewardSum, varianceSum: varianceSum, hiddenVarianceSum: hiddenVarianceSum)
    }

    /// Every layer's per-example learning signal (d estimate / d logit) for the current sample.
    func computeDeltas(rewards: [Double], baseline b: Double) {
        let B = batchSize, n = network.hiddenLayers
        let signal = rewards.map { $0 - b }
        // Output unit: REINFORCE, dlog pi(A)/dL_a = 1{a = A} - pi_a.
        let K = network.actions
        deltas[n].data.withUnsafeMutableBufferPointer { d in
            policy.data.withUnsafeBufferPointer { pi in
                for r in 0..<B { for a in 0..<K { d[r * K + a] = ((a == actions[r] ? 1 : 0) - pi[r * K + a]) * signal[r] } }
            }
        }
        if credit != .reinforce { computeExpWeights(); computeFlipRatios() }
        for k in 0..<n { hiddenDeltas(layer: k, signal: signal) }
    }

    /// Batch-mean gradients into `weightGradients` / `biasGradients`, and the sums over parameters
    /// of the per-parameter variance (divisor B - 1) of the per-example gradients (all layers, hidden layers).
    /// The per-example weight gradient is x_b g_b^T, so sum_params sum_b w^2 = sum_b |x_b|^2 |g_b|^2: no extra gemm.
    func gradientsAndVariance() -> (all: Double, hidden: Double, meanSquares: Double) {
        let B = batchSize, n = network.hiddenLayers
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

    /// For cross-checks against the library's estimators: takes the batch in `outputs[0]` with the given
    /// hidden outputs ({-1, +1}) and actions as the sample, and returns every layer's per-example
    /// learning signal (hidden layers, then the output) and the mean per-parameter gradient variance.
    public func learningSignals(hiddenValues: [Matrix], actions given: [Int], rewards: [Double],
                                baseline b: Double) -> (signals: [Matrix], meanVariance: Double) {
        let n = network.hiddenLayers
        precondition(hiddenValues.count == n && given.count == batchSize && rewards.count == batchSize)
        for k in 0...n {
            logits[k] = Matrix(rows: batchSize, cols: network.biases[k].count)
            for r in 0..<batchSize { for j in 0..<network.biases[k].count { logits[k][r, j] = network.biases[k][j] } }
            Matrix.gemm(outputs[k], network.weights[k], beta: 1, into: &logits[k])
            if k < n {
                firing[k] = logits[k].map { min(max(1 / (1 + exp(-$0)), Clip.probability), 1 - Clip.probability) }
                outputs[k + 1] = hiddenValues[k]
            } else {
                for r in 0..<batchSize { let p = Fn.softmax(Array(logits[k].row(r))); for a in p.indices { policy[r, a] = p[a] } }
            }
        }
        actions = given
        computeDeltas(rewards: rewards, baseline: b)
        let all = gradientsAndVariance().all
        return (deltas, all / Double(network.parameterCount))
    }

    /// exp(+-2 W)^T for every layer above the first: flipping parent i (x_i -> -x_i) moves child j's
    /// logit by -2 W_ij x_i, so its odds change by the factor exp(+-2 W_ij) (Algorithm 1, lines 10-11).
    func computeExpWeights() {
        for k in 1..<network.weights.count {
            let w = network.weights[k]
            let fanIn = w.rows, fanOut = w.cols
            w.data.withUnsafeBufferPointer { wd in
                expTwoWT[k - 1].data.withUnsafeMutableBufferPointer { e in
                    expMinusTwoWT[k - 1].data.withUnsafeMutableBufferPointer { einv in
                        for i in 0..<fanIn {
                            for j in 0..<fanOut {
                                let v = exp(2 * wd[i * fanOut + j])
                                e[j * fanIn + i] = v
                                einv[j * fanIn + i] = 1 / v
                            }
                        }
                    }
                }
            }
        }
    }

    /// For each hidden unit i of each layer, r_i = prod_{C in ch(i)} pi_C(C | i flipped) / pi_C(C | i as sampled):
    /// the ratio of Eq. 2's numerators q(-phi_i) / q(phi_i), from the children's constant-time
    /// counterfactual probabilities (Section 1.2 and Appendix D for the softmax child).
    func computeFlipRatios() {
        let n = network.hiddenLayers, B = batchSize
        // Parents of the softmax output: pi'(A) / pi(A) = exp(-2 W_iA x_i) S / S'_i with
        // S = sum_a exp(L_a), S'_i = sum_a exp(L_a) exp(-2 W_ia x_i).
        do {
            let K = network.actions, H = network.weights[n].rows
            let e = expTwoWT[n - 1], einv = expMinusTwoWT[n - 1]   // K x H
            policy.data.withUnsafeBufferPointer { pi in
                outputs[n].data.withUnsafeBufferPointer { x in
                    flipRatio[n - 1].data.withUnsafeMutableBufferPointer { ratio in
                        e.data.withUnsafeBufferPointer { ep in
                            einv.data.withUnsafeBufferPointer { em in
                                for r in 0..<B {
                                    let A = actions[r]
                                    for i in 0..<H {
                                        let flipDown = x[r * H + i] > 0   // x_i = +1: factor exp(-2 W_ia)
                                        var s = 0.0
                                        for a in 0..<K { s += pi[r * K + a] * (flipDown ? em[a * H + i] : ep[a * H + i]) }
                                        let own = flipDown ? em[A * H + i] : ep[A * H + i]
                                        ratio[r * H + i] = own / s   // sum_a pi_a = 1 stands for S
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // Parents of Bernoulli children (layer k + 1 over layer k): with a_j = (1 - pi_j)/pi_j the odds
        // against child j's sampled output c_j, flipping parent i gives odds a_j exp(2 c_j x_i W_ij), so
        // pi_j(flip) / pi_j = (1 + a_j) / (1 + a_j exp(2 c_j x_i W_ij)), odds clipped like probabilities.
        if n >= 2 {
            for k in 0..<(n - 1) { bernoulliFlipRatios(layer: k) }
        }
    }

    /// Flip ratios of layer k + 1's units (index k), whose children are the Bernoulli units of the layer above.
    ///
    /// Cost: B x H x C (example, parent, child) triples per layer pair, the step's hot spot. Per triple only
    /// multiplications, adds and a clamp remain: the exponentials exp(+-2 W) are per step (`computeExpWeights`),
    /// the odds a_j and 1 / (1 + clip(a_j)) per (example, child). The loop over parents is innermost and
    /// contiguous (W^T layout) so the compiler vectorises it; two children share one load and store of the
    /// running products (with four, their constants no longer fit in registers). Each factor (1 + clip(o)) / (1 + clip(a)) lies in [1e-5, 1e5], so a running product
    /// over 200 children can still over- or underflow only when most children are near the clip. A product keeps
    /// full relative precision while it stays a normal number, so instead of taking logs every few children (a
    /// log per (example, parent, chunk) would cost more than the products), a final product that is not normal
    /// (inf, NaN, zero or subnormal) marks the rare (example, parent) recomputed in log space (`logSpaceRatio`).
    /// (Not caught: a running product that dips below 1e-308 and climbs back, which needs ~60 children at the
    /// clip in one direction followed by as many in the other.)
    func bernoulliFlipRatios(layer k: Int) {
        let B = batchSize
        let H = network.weights[k + 1].rows, C = network.weights[k + 1].cols
        let den = UnsafeMutablePointer<Double>.allocate(capacity: H)
        let isPlus = UnsafeMutablePointer<Double>.allocate(capacity: H)
        let isMinus = UnsafeMutablePointer<Double>.allocate(capacity: H)
        let odds = UnsafeMutablePointer<Double>.allocate(capacity: C)
        let inverse = UnsafeMutablePointer<Double>.allocate(capacity: C)
        // Row of exp(2 c_j x_i W_ij) over parents i for x_i = +1 (sameRow) and for x_i = -1 (otherRow).
        let sameRow = UnsafeMutablePointer<UnsafePointer<Double>>.allocate(capacity: C)
        let otherRow = UnsafeMutablePointer<UnsafePointer<Double>>.allocate(capacity: C)
        // Per child j, the smallest and largest of exp(+-2 W_ij) over parents i (per step, not per example).
        let rowMinimum = UnsafeMutablePointer<Double>.allocate(capacity: C)
        let rowMaximum = UnsafeMutablePointer<Double>.allocate(capacity: C)
        defer { rowMinimum.deallocate(); rowMaximum.deallocate() }
        expTwoWT[k].data.withUnsafeBufferPointer { ep in
            expMinusTwoWT[k].data.withUnsafeBufferPointer { em in
                for j in 0..<C {
                    var smallest = Double.infinity, largest = -Double.infinity
                    for i in 0..<H {
                        let a = ep[j * H + i], b = em[j * H + i]
                        smallest = Swift.min(smallest, Swift.min(a, b))
                        largest = Swift.max(largest, Swift.max(a, b))
                    }
                    rowMinimum[j] = smallest; rowMaximum[j] = largest
                }
            }
        }
        defer { den.deallocate(); isPlus.deallocate(); isMinus.deallocate(); odds.deallocate(); inverse.deallocate(); sameRow.deallocate(); otherRow.deallocate() }
        let lo = Clip.oddsLow, hi = Clip.oddsHigh
        /// One child's constants for the loop over parents: v = 1 / (1 + clip(a)) and the odds a, clip bounds scaled by v.
        /// `inRange`: no parent's counterfactual odds reach the clip, so the clamp can be skipped (an exact shortcut:
        /// rounding is monotone, so f >= fMin implies f * s >= fMin * s in floating point, and likewise for fMax).
        struct Child { var same, other: UnsafePointer<Double>; var scaledOdds, low, high, inverse: Double; var inRange: Bool }
        @inline(__always) func child(_ j: Int) -> Child {
            let v = inverse[j], s = odds[j] * v, low = lo * v, high = hi * v
            return Child(same: sameRow[j], other: otherRow[j], scaledOdds: s, low: low, high: high, inverse: v,
                         inRange: rowMinimum[j] * s >= low && rowMaximum[j] * s <= high)
        }
        /// The factor when the clip is known to be inactive.
        @inline(__always) func unclippedFactor(_ c: Child, _ i: Int, _ p: Double, _ m: Double) -> Double {
            c.inverse + (p * c.same[i] + m * c.other[i]) * c.scaledOdds
        }
        /// (1 + clip(a exp(2 c x_i W_ij))) / (1 + clip(a)) = v + clip(exp(2 c x_i W_ij) a v, lo v, hi v) for parent i
        /// (v > 0 commutes with the clip); the 0/1 indicators p, m of x_i = +1, -1 select the factor exactly.
        @inline(__always) func factor(_ c: Child, _ i: Int, _ p: Double, _ m: Double) -> Double {
            var o = (p * c.same[i] + m * c.other[i]) * c.scaledOdds
            o = o < c.low ? c.low : o
            o = o > c.high ? c.high : o
            return c.inverse + o
        }
        logits[k + 1].data.withUnsafeBufferPointer { lcBuffer in
            outputs[k + 2].data.withUnsafeBufferPointer { cBuffer in
                outputs[k + 1].data.withUnsafeBufferPointer { xBuffer in
                    flipRatio[k].data.withUnsafeMutableBufferPointer { ratio in
                        expTwoWT[k].data.withUnsafeBufferPointer { epBuffer in
                            expMinusTwoWT[k].data.withUnsafeBufferPointer { emBuffer in
                                let ep = epBuffer.baseAddress!, em = emBuffer.baseAddress!
                                for r in 0..<B {
                                    let xr = xBuffer.baseAddress! + r * H
                                    for i in 0..<H { den[i] = 1; isPlus[i] = xr[i] > 0 ? 1 : 0; isMinus[i] = 1 - isPlus[i] }
                                    // Per child j: odds a_j against its sampled output c_j and 1 / (1 + clip(a_j)).
                                    // The odds come from the unclipped logit: the clip applies to the
                                    // counterfactual probability clip(sigmoid(l + shift)), not before the shift.
                                    for j in 0..<C {
                                        let up = cBuffer[r * C + j] > 0, l = lcBuffer[r * C + j]
                                        odds[j] = exp(Swift.min(Swift.max(up ? -l : l, -700), 700))
                                        inverse[j] = 1 / (1 + Swift.min(Swift.max(odds[j], lo), hi))
                                        // exp(2 c_j x_i W_ij) is exp(2W) when c_j x_i = +1, exp(-2W) otherwise.
                                        sameRow[j] = UnsafePointer((up ? ep : em) + j * H)
                                        otherRow[j] = UnsafePointer((up ? em : ep) + j * H)
                                    }
                                    var j = 0
                                    while j + 2 <= C {
                                        let c0 = child(j), c1 = child(j + 1)
                                        if c0.inRange && c1.inRange {
                                            for i in 0..<H {
                                                let p = isPlus[i], m = isMinus[i]
                                                den[i] *= unclippedFactor(c0, i, p, m) * unclippedFactor(c1, i, p, m)
                                            }
                                        } else {
                                            for i in 0..<H {
                                                let p = isPlus[i], m = isMinus[i]
                                                den[i] *= factor(c0, i, p, m) * factor(c1, i, p, m)
                                            }
                                        }
                                        j += 2
                                    }
                                    while j < C {
                                        let c0 = child(j)
                                        for i in 0..<H { den[i] *= factor(c0, i, isPlus[i], isMinus[i]) }
                                        j += 1
                                    }
                                    for i in 0..<H {
                                        let d = den[i]
                                        ratio[r * H + i] = d.isNormal && d > 0 ? 1 / d
                                            : logSpaceRatio(row: r, parent: i, layer: k)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The same ratio in log space, for the rare (example, parent) whose product over- or underflows.
    func logSpaceRatio(row r: Int, parent i: Int, layer k: Int) -> Double {
        let H = network.weights[k + 1].rows, C = network.weights[k + 1].cols
        var logRatio = 0.0
        for j in 0..<C {
            let l = logits[k + 1][r, j], up = outputs[k + 2][r, j] > 0
            // The child's flipped logit is l - 2 W_ij x_i; its odds against its own output c_j are exp(-c_j l').
            let c: Double = up ? 1 : -1
            let shifted = l - 2 * network.weights[k + 1][i, j] * outputs[k + 1][r, i]
            let actual = min(max(exp(min(max(-c * l, -700), 700)), Clip.oddsLow), Clip.oddsHigh)
            let flipped = min(max(exp(min(max(-c * shifted, -700), 700)), Clip.oddsLow), Clip.oddsHigh)
            logRatio += log1p(actual) - log1p(flipped)
        }
        _ = H
        return exp(min(max(logRatio, -700), 700))
    }

    /// d(estimate)/d(l) for the hidden units of layer k + 1 (index k), times the learning signal.
    func hiddenDeltas(layer k: Int, signal: [Double]) {
        let H = firing[k].cols, B = batchSize
        firing[k].data.withUnsafeBufferPointer { pp in
            outputs[k + 1].data.withUnsafeBufferPointer { x in
                flipRatio[k].data.withUnsafeBufferPointer { ratio in
                    deltas[k].data.withUnsafeMutableBufferPointer { d in
                        for r in 0..<B {
                            let s = signal[r]
                            for i in 0..<H {
                                let idx = r * H + i, p = pp[idx], up = x[idx] > 0
                                // Where the clip holds p constant its derivative is 0, and so is the unit's signal.
                                if p <= Clip.probability || p >= 1 - Clip.probability { d[idx] = 0; continue }
                                switch credit {
                                case .reinforce:
                                    // dlog pi(phi)/dl = 1{phi = +1} - p.
                                    d[idx] = ((up ? 1 : 0) - p) * s
                                case .hnca:
                                    // Eq. 3: sum_phi rho(phi) dpi(phi)/dl = p(1 - p)(q+ - q-) / (p q+ + (1 - p) q-),
                                    // with q(-phi) = r q(phi) (Algorithm 1, lines 7-9 and 15).
                                    let rr = ratio[idx]
                                    d[idx] = up ? p * (1 - p) * (1 - rr) / (p + (1 - p) * rr) * s
                                                : p * (1 - p) * (rr - 1) / (p * rr + (1 - p)) * s
                                case .hncaSampledOutputOnly:
                                    // The mutant: rho(Phi) dlog pi(Phi)/dl, the sampled output only.
                                    let rr = ratio[idx]
                                    let rho = up ? 1 / (p + (1 - p) * rr) : 1 / (p * rr + (1 - p))
                                    d[idx] = rho * ((up ? 1 : 0) - p) * s
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

public enum BanditTrainingError: Error, CustomStringConvertible {
    case nonFinite(String)
    public var description: String {
        switch self { case .nonFinite(let s): "non-finite value in \(s)" }
    }
}
