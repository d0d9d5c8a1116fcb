import DiscreteGradients
import Foundation
import Pipeline

/// One row of `reproduce bench`: a training step's median time against its BLAS floor.
public struct BenchRow: Codable, Sendable {
    /// bandit, vae or toy.
    public var group: String
    /// Hidden layers (bandit), stochastic layers L (VAE), 1 (toy).
    public var depth: Int
    public var estimator: String
    /// Examples per step (the minibatch; 1 for the toy's single draw).
    public var batch: Int
    /// Median seconds of one training step.
    public var stepSeconds: Double
    /// Median seconds of the step's own matrix products replayed alone on the same shapes (0: none).
    public var floorSeconds: Double
    /// The median over repeats of step / floor measured back to back (nil when the step runs no matrix product).
    public var medianRatio: Double?
    /// How many matrix products the step runs, and their multiply-adds.
    public var products: Int
    public var productMultiplyAdds: Int
    /// exp/expm1/log/log1p calls of one step as `VAEOperationCount` counts them (VAE rows only).
    public var transcendentals: Int? = nil
    /// Parts of the step timed alone (bandit trainer rows): "forward" (products and sampling), "Adam" (every block).
    public var parts: [String: Double]? = nil
    public var examplesPerSecond: Double { Double(batch) / stepSeconds }
    public var ratio: Double? { medianRatio }
}

/// `reproduce bench`: per training step, the median wall time, examples/s and the ratio to the
/// floor set by the step's own matrix products (the shapes `MatrixProductLog` records while one
/// step runs, replayed alone with random operands in the same process). A benchmark, not a test:
/// no verdict reads these numbers.
public enum StepBenchmark {
    public struct Settings: Sendable {
        public var repeats: Int
        public var steps: Int
        /// Units per VAE layer: one set of rows per width.
        public var vaeUnits: [Int]
        public init(repeats: Int, steps: Int, vaeUnits: [Int]) { self.repeats = repeats; self.steps = steps; self.vaeUnits = vaeUnits }
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Median over `repeats` of the mean time of `steps` calls of `step` (after one warm-up call).
    static func time(_ settings: Settings, _ step: () throws -> Void) rethrows -> Double {
        try step()
        var times: [Double] = []
        for _ in 0..<settings.repeats {
            times.append(try seconds { for _ in 0..<settings.steps { try step() } } / Double(settings.steps))
        }
        return median(times)
    }

    /// The floor pass: the recorded products alone, with random operands allocated once.
    static func floorPass(_ products: [MatrixProductLog.Product]) -> () -> Void {
        var stream = RandomStream(seed: 2023)
        func random(_ r: Int, _ c: Int) -> Matrix { Matrix(rows: r, cols: c, data: (0..<(r * c)).map { _ in stream.uniform(-1, 1) }) }
        let operands = products.map { p in
            (p.transposeA ? random(p.k, p.m) : random(p.m, p.k), p.transposeB ? random(p.n, p.k) : random(p.k, p.n))
        }
        var outputs = products.map { Matrix(rows: $0.m, cols: $0.n) }
        return {
            for (i, p) in products.enumerated() {
                Matrix.gemm(operands[i].0, transposeA: p.transposeA, operands[i].1, transposeB: p.transposeB, beta: 1, into: &outputs[i])
            }
        }
    }

    /// Times `step` and its floor, interleaved: each repeat times `steps` steps, then `steps` floor
    /// passes, so that both see the same machine load; the ratio is the median of the per-repeat
    /// ratios. `step` is recorded once (after a warm-up) for its products.
    static func row(group: String, depth: Int, estimator: String, batch: Int, _ settings: Settings, stepsPerCall: Int = 1,
                    _ step: () throws -> Void) rethrows -> BenchRow {
        try step()
        let products = try MatrixProductLog.recording { try step() }.products
        let floor = floorPass(products)
        floor()
        var stepTimes: [Double] = [], floorTimes: [Double] = [], ratios: [Double] = []
        let per = Double(settings.steps * stepsPerCall)
        for _ in 0..<settings.repeats {
            let s = try seconds { for _ in 0..<settings.steps { try step() } } / per
            let f = products.isEmpty ? 0 : seconds { for _ in 0..<settings.steps { floor() } } / per
            stepTimes.append(s); floorTimes.append(f)
            if f > 0 { ratios.append(s / f) }
        }
        return BenchRow(group: group, depth: depth, estimator: estimator, batch: batch, stepSeconds: median(stepTimes),
                        floorSeconds: median(floorTimes), medianRatio: ratios.isEmpty ? nil : median(ratios),
                        products: products.count / stepsPerCall,
                        productMultiplyAdds: products.reduce(0) { $0 + $1.multiplyAdds } / stepsPerCall)
    }

    // MARK: The rows

    public static let banditBatch = 50, banditInputs = 784, banditUnits = 200, banditActions = 10

    /// hnca.bandit's step through the library (`NetworkTrainer`: forward, credit, gradients and
    /// their variance, Adam, baseline), depth 1-3, REINFORCE and HNCA; and the stateless user path
    /// (`net.sample`, `NetworkHNCA().signals(...).mean(over:)`, Adam per block) for HNCA.
    public static func bandit(_ settings: Settings, progress: (String) -> Void = { _ in }) throws -> [BenchRow] {
        var rows: [BenchRow] = []
        let B = banditBatch
        for depth in 1...3 {
            for credit in [HiddenCredit.reinforce, .hnca] {
                progress("bandit depth \(depth) \(credit.rawValue)")
                var stream = RandomStream(seed: 2022)
                let network = BanditNetwork.glorotUniform(inputs: banditInputs, hidden: Array(repeating: banditUnits, count: depth),
                                                          actions: banditActions, stream: &stream)
                let trainer = NetworkTrainer(network: network, credit: credit, batchSize: B, learningRate: 1e-4, baseline: true)
                trainer.withInput { x in for i in x.data.indices { x.data[i] = stream.uniform() < 0.2 ? 1 : 0 } }
                let labels = (0..<B).map { $0 % banditActions }[...]
                var r = try row(group: "bandit", depth: depth, estimator: credit == .hnca ? "HNCA" : "REINFORCE", batch: B, settings) {
                    _ = try trainer.train(labels: labels, stream: &stream)
                }
                // Parts timed alone: the forward pass, and Adam on blocks of the network's sizes.
                let forward = time(settings) { trainer.forward(stream: &stream) }
                var blocks = (network.hidden.map(\.parameters) + [network.output.parameters]).flatMap { [$0.weights.data, $0.bias] }
                let gradients = blocks.map { $0.map { _ in stream.uniform(-1e-3, 1e-3) } }
                var adams = blocks.map { Adam(parameterCount: $0.count, learningRate: 1e-4) }
                let adam = time(settings) { for k in blocks.indices { adams[k].update(&blocks[k], gradient: gradients[k], .ascend) } }
                r.parts = ["forward": forward, "Adam": adam]
                rows.append(r)
            }
            progress("bandit depth \(depth) HNCA (stateless)")
            var stream = RandomStream(seed: 2022)
            var net = BanditNetwork.glorotUniform(inputs: banditInputs, hidden: Array(repeating: banditUnits, count: depth),
                                                  actions: banditActions, stream: &stream)
            let x = Matrix(rows: B, cols: banditInputs, data: (0..<(B * banditInputs)).map { _ in stream.uniform() < 0.2 ? 1 : 0 })
            let labels = (0..<B).map { $0 % banditActions }
            var adams = (net.hidden.map(\.parameters) + [net.output.parameters]).map {
                (Adam(parameterCount: $0.weights.data.count, learningRate: 1e-4), Adam(parameterCount: $0.bias.count, learningRate: 1e-4))
            }
            let hnca = NetworkHNCA()
            rows.append(row(group: "bandit", depth: depth, estimator: "HNCA (stateless)", batch: B, settings) {
                let sample = net.sample(x, stream: &stream)
                let rewards = zip(sample.actions, labels).map { $0 == $1 ? 1.0 : 0.0 }
                let g = hnca.signals(net, sample, rewards: rewards, baseline: 0).mean(over: sample)
                for k in net.hidden.indices {
                    adams[k].0.update(&net.hidden[k].parameters.weights.data, gradient: g.hidden[k].weights.data, .ascend)
                    adams[k].1.update(&net.hidden[k].parameters.bias, gradient: g.hidden[k].bias, .ascend)
                }
                adams[depth].0.update(&net.output.parameters.weights.data, gradient: g.output.weights.data, .ascend)
                adams[depth].1.update(&net.output.parameters.bias, gradient: g.output.bias, .ascend)
            })
        }
        return rows
    }

    /// hnca.vae's training step (one `VAETrainer.train`: draws, the encoder estimate and the exact
    /// decoder and prior gradients, the ELBO, Adam) for L = 1, 2, 3.
    public static func vae(_ settings: Settings, progress: (String) -> Void = { _ in }) -> [BenchRow] {
        var rows: [BenchRow] = []
        let B = 50, inputs = 784
        for units in settings.vaeUnits {
        for L in 1...3 {
            for method in [VAEMethod.reinforce, .fHNCA, .leaveOneOut, .disARM] {
                progress("vae \(units) units L=\(L) \(method.label)")
                var stream = RandomStream(seed: 2024)
                let vae = DiscreteVAE.glorotUniform(inputs: inputs, latent: Array(repeating: units, count: L), stream: &stream)
                let x = Matrix(rows: B, cols: inputs, data: (0..<(B * inputs)).map { _ in stream.uniform() < 0.2 ? 1 : 0 })
                var trainer = VAETrainer(model: vae, estimator: method.estimator(layers: L), learningRate: 1e-4)
                var elbo = 0.0
                var r = row(group: "vae", depth: L, estimator: "\(method.label) (\(units) units)", batch: B, settings) {
                    elbo += trainer.train(x, stream: &stream).elbo.reduce(0, +)
                }
                // The step's counted transcendentals (the same calls; counting only adds them up).
                r.transcendentals = VAEOperationCount.counting {
                    elbo += trainer.train(x, stream: &stream).elbo.reduce(0, +)
                }.transcendentals
                rows.append(r)
                _ = elbo
            }
        }
        }
        return rows
    }

    /// relax.toy's training step (`RelaxToy.train` without its exact-variance checkpoints): one draw,
    /// the estimate and its variance gradient, Adam on the logit and on the surrogate.
    public static func toy(_ settings: Settings, progress: (String) -> Void = { _ in }) throws -> [BenchRow] {
        var rows: [BenchRow] = []
        let steps = 2000
        for method in [RelaxToyMethod.reinforce, .rebar, .relax] {
            progress("toy \(method.label)")
            var seed: UInt64 = 7
            rows.append(try row(group: "toy", depth: 1, estimator: method.label, batch: 1, settings, stepsPerCall: steps) {
                seed += 1
                _ = try RelaxToy.train(method: method, target: 0.45, steps: steps, checkpoints: 1, stream: RandomStream(seed: seed), exactVariance: false)
            })
        }
        return rows
    }

    /// Median seconds per call of exp and of log1p on arguments like the entropies' (|x| up to 8).
    public static func libmSeconds(_ settings: Settings) -> (exp: Double, log1p: Double) {
        var stream = RandomStream(seed: 99)
        let xs = (0..<4096).map { _ in stream.uniform(-8, 8) }
        var sink = 0.0
        let e = time(settings) { for x in xs { sink += exp(-abs(x)) } } / Double(xs.count)
        let l = time(settings) { for x in xs { sink += log1p(exp(-abs(x))) } } / Double(xs.count) - e
        if sink == 42 { print(sink) }
        return (e, max(l, 0))
    }

    // MARK: Output

    public static let columns = ["group", "depth / L", "estimator", "step (ms)", "examples/s", "floor (ms)", "step / floor", "products per step"]

    public static func cells(_ r: BenchRow) -> [String] {
        [r.group, String(r.depth), r.estimator, String(format: "%.4f", r.stepSeconds * 1e3), String(format: "%.0f", r.examplesPerSecond),
         r.products > 0 ? String(format: "%.4f", r.floorSeconds * 1e3) : "-",
         r.ratio.map { String(format: "%.2f", $0) } ?? "n/a (no products)",
         "\(r.products) (\(r.productMultiplyAdds) multiply-adds)"]
    }

    /// The table as aligned text.
    public static func text(_ rows: [BenchRow]) -> String {
        let all = [columns] + rows.map(cells)
        let widths = columns.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        return all.map { r in r.indices.map { c in c == 2 || c == 0 ? r[c].padding(toLength: widths[c], withPad: " ", startingAt: 0)
                                                                    : String(repeating: " ", count: widths[c] - r[c].count) + r[c] }
            .joined(separator: "  ") }.joined(separator: "\n")
    }

    /// The ratio to the floor per configuration of the rows `include` selects: one series per estimator
    /// over depth / L, and the issue-13 targets as horizontal lines.
    public static func figure(_ rows: [BenchRow], id: String, title: String, xLabel: String,
                              targets: [(Double, String)], include: (BenchRow) -> Bool) -> Figure {
        let chosen = rows.filter { include($0) && $0.ratio != nil }
        var names: [String] = []
        for r in chosen where !names.contains(r.estimator) { names.append(r.estimator) }
        var series = names.map { name -> Figure.Series in
            let rs = chosen.filter { $0.estimator == name }
            return .init(name, x: rs.map { Double($0.depth) }, y: rs.map { $0.ratio! }, style: .linespoints)
        }
        for (target, name) in targets { series.append(.init(name, x: [1, 3], y: [target, target], style: .lines)) }
        return Figure(id: id, title: title, xLabel: xLabel, yLabel: "step / floor", logY: true, series: series,
                      caption: "Each curve is a training step's time divided by the time of the same step's matrix products alone on the same shapes (one BLAS thread); horizontal lines are the issue-13 targets.")
    }
}
