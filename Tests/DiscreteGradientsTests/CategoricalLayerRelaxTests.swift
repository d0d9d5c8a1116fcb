import Foundation
import Testing
import DiscreteGradients

/// The categorical REBAR, RELAX and LAX placed in a network layer (`CategoricalLayer`,
/// `CategoricalLayerRelax`) and on a node of a stochastic computation graph
/// (`SCGCategoricalRelax`). Unbiasedness is exact: the K^G class configurations enumerated with
/// their probabilities, trapezoidal quadrature over the Gumbel noise given the classes
/// (`GumbelQuadrature`; z and z~ evaluated at the same conditional node, exact for the mean since
/// every estimator is additive in a function of z and one of z~), against the closed-form gradient
/// of the expected downstream loss (the layer) or `ExactEnumeration` (the SCG). Only the public API
/// is used, as a library user would.
@Suite("Categorical layer and SCG RELAX")
struct CategoricalLayerRelaxTests {
    // MARK: the layer

    /// A layer with random weights on a fixed minibatch, per-example quadratic downstream losses on
    /// its one-hot output, a tanh surrogate on z and REBAR's (eta, log lambda).
    struct LayerSetting {
        var layer: CategoricalLayer
        var input: Matrix
        var losses: [SquaredDistance]
        var net: TanhSurrogate
        var eta: Double, logTemperature: Double
    }
    static func layerSetting(_ s: inout RandomStream, groups G: Int, classes K: Int, batch: Int, inputs: Int = 2) -> LayerSetting {
        var w = Matrix(rows: G * K, cols: inputs)
        for k in w.data.indices { w.data[k] = s.normal(sd: 1) }
        let layer = CategoricalLayer(weights: w, bias: (0..<(G * K)).map { _ in s.normal(sd: 0.5) }, groups: G, classes: K)
        var x = Matrix(rows: batch, cols: inputs)
        for k in x.data.indices { x.data[k] = s.uniform(-1, 1) }
        let losses = (0..<batch).map { _ in SquaredDistance(targets: (0..<(G * K)).map { _ in s.uniform(0.1, 0.9) }) }
        // temperatures >= 1 keep the integrands' poles far from the real axis (fast quadrature convergence)
        let net = TanhSurrogate(inputs: G * K, hidden: 5, logTemperature: s.uniform(0, log(2)), stream: &s)
        return LayerSetting(layer: layer, input: x, losses: losses, net: net, eta: s.uniform(-1, 2), logTemperature: s.uniform(0, log(2)))
    }

    enum Method: CaseIterable { case relax, rebar, lax }

    static func layerEstimate(_ m: Method, _ st: LayerSetting, _ sample: CategoricalLayerSample, rows: [Int]) -> CategoricalLayerRelax.Estimate {
        let f = rows.indices.map { st.losses[rows[$0]].value(Array(sample.values.row($0))) }
        switch m {
        case .relax: return CategoricalLayerRelax.relax(st.layer, sample, losses: f, surrogate: st.net)
        case .lax: return CategoricalLayerRelax.lax(st.layer, sample, losses: f, surrogate: st.net)
        case .rebar:
            return CategoricalLayerRelax.rebar(st.layer, sample, objectives: { st.losses[rows[$0]] }, eta: st.eta, logTemperature: st.logTemperature)
        }
    }

    /// Every class configuration of G groups of K, with its probability under the row's logits.
    static func configurations(logits: [Double], groups G: Int) -> [(choices: [Int], probability: Double)] {
        let K = logits.count / G
        let pi = (0..<G).map { g in Fn.softmax(Array(logits[(g * K)..<((g + 1) * K)])) }
        var out: [([Int], Double)] = []
        MixedRadix.forEach([Int](repeating: K, count: G)) { c in
            out.append((c, (0..<G).reduce(1.0) { $0 * pi[$1][c[$1]] }))
        }
        return out
    }

    /// d/dtheta E[f(b)] for one example, exactly: sum_c p(c) f(onehot(c)) (onehot(c) - pi).
    static func exactLogitGradient(logits: [Double], groups G: Int, _ f: SquaredDistance) -> [Double] {
        let K = logits.count / G
        let pi = (0..<G).flatMap { g in Fn.softmax(Array(logits[(g * K)..<((g + 1) * K)])) }
        var grad = [Double](repeating: 0, count: logits.count)
        for (c, p) in configurations(logits: logits, groups: G) {
            var onehot = [Double](repeating: 0, count: logits.count)
            for (g, k) in c.enumerated() { onehot[g * K + k] = 1 }
            let v = f.value(onehot)
            for i in grad.indices { grad[i] += p * v * (onehot[i] - pi[i]) }
        }
        return grad
    }

    /// E[estimator] for example r alone: classes enumerated, quadrature over z given them.
    static func meanLogitGradient(_ m: Method, _ st: LayerSetting, row r: Int, quadrature q: GumbelQuadrature,
                                  mutate: (inout CategoricalLayerSample) -> Void = { _ in }) -> [Double] {
        let G = st.layer.groups, K = st.layer.classes
        let x = Matrix(rows: 1, cols: st.input.cols, data: Array(st.input.row(r)))
        let theta = st.layer.logits(x)
        var total = [Double](repeating: 0, count: G * K)
        for (c, p) in configurations(logits: theta.data, groups: G) {
            let m = q.expectation(dimensions: G * K) { e in
                var z = theta, jac = Matrix(rows: 1, cols: G * K * K)
                for g in 0..<G {
                    let cond = CategoricalReparameterization.conditional(logits: Array(theta.data[(g * K)..<((g + 1) * K)]), b: c[g],
                                                                         exponentials: Array(e[(g * K)..<((g + 1) * K)]))
                    for k in 0..<K {
                        z.data[g * K + k] = cond.z[k]
                        for j in 0..<K { jac.data[g * K * K + k * K + j] = cond.jacobian[k][j] }
                    }
                }
                var sample = CategoricalLayerSample(input: x, logits: theta, groups: G, choices: [c], z: z, zTilde: z, dzTildeDtheta: jac)
                mutate(&sample)
                return layerEstimate(m, st, sample, rows: [r]).logits.data
            }
            for i in total.indices { total[i] += p * m[i] }
        }
        return total
    }

    @Test("layer: REBAR, RELAX and LAX are exactly unbiased for the logits and the parameters (G = 1, K = 3, batch 2; G = 2, K = 2)")
    func layerUnbiased() {
        var s = RandomStream(seed: 606)
        for (G, K, batch, step) in [(1, 3, 2, 0.2), (2, 2, 1, 0.35)] {
            let st = Self.layerSetting(&s, groups: G, classes: K, batch: batch)
            let q = GumbelQuadrature(step: step)
            let theta = st.layer.logits(st.input)
            var exact = Matrix(rows: batch, cols: G * K)
            for r in 0..<batch {
                let g = Self.exactLogitGradient(logits: Array(theta.row(r)), groups: G, st.losses[r])
                for i in 0..<(G * K) { exact[r, i] = g[i] }
            }
            let exactParameters = st.layer.parameterGradient(logitGradient: exact, input: st.input).flattened
            for m in Method.allCases {
                var mean = Matrix(rows: batch, cols: G * K)
                for r in 0..<batch {
                    let g = Self.meanLogitGradient(m, st, row: r, quadrature: q)
                    for i in 0..<(G * K) { mean[r, i] = g[i] }
                    let err = zip(g, Array(exact.row(r))).map { abs($0 - $1) }.max()!
                    #expect(err < 1e-6, "G = \(G), K = \(K), \(m), example \(r): max |E[g] - grad| = \(err)")
                }
                // the parameters' gradient is linear in the logit gradients, so its mean is the same map of the mean
                let meanParameters = st.layer.parameterGradient(logitGradient: mean, input: st.input).flattened
                let err = zip(meanParameters, exactParameters).map { abs($0 - $1) }.max()!
                #expect(err < 1e-6, "G = \(G), K = \(K), \(m): parameters max error \(err)")
                #expect(exactParameters.map(abs).max()! > 1e-3, "a non-trivial gradient")
            }
        }
    }

    @Test("layer: the mutant without the -dc(z~)/dtheta path term is biased, and the oracle sees it")
    func layerMutantBiased() {
        var s = RandomStream(seed: 77)
        let st = Self.layerSetting(&s, groups: 1, classes: 3, batch: 1)
        let theta = st.layer.logits(st.input)
        let exact = Self.exactLogitGradient(logits: theta.data, groups: 1, st.losses[0])
        let mean = Self.meanLogitGradient(.relax, st, row: 0, quadrature: GumbelQuadrature(step: 0.2)) {
            $0.dzTildeDtheta = Matrix(rows: 1, cols: 9)
        }
        #expect(zip(mean, exact).map { abs($0 - $1) }.max()! > 1e-3)
    }

    @Test("layer: with one group, each example's logit gradient is CategoricalRelax / CategoricalLax / CategoricalRebar on its row")
    func layerMatchesSingleVariable() {
        var s = RandomStream(seed: 5)
        let st = Self.layerSetting(&s, groups: 1, classes: 4, batch: 6, inputs: 3)
        let sample = st.layer.sample(st.input, stream: &s)
        let rows = Array(0..<6)
        let relax = Self.layerEstimate(.relax, st, sample, rows: rows)
        let lax = Self.layerEstimate(.lax, st, sample, rows: rows)
        let rebar = Self.layerEstimate(.rebar, st, sample, rows: rows)
        for r in rows {
            #expect(sample.values.row(r).reduce(0, +) == 1 && sample.values[r, sample.choices[r][0]] == 1)
            let J = (0..<4).map { k in (0..<4).map { sample.dzTildeDtheta[r, k * 4 + $0] } }
            let one = RelaxedCategoricalSample(logits: Array(sample.logits.row(r)), b: sample.choices[r][0],
                                               z: Array(sample.z.row(r)), zTilde: Array(sample.zTilde.row(r)), dzTildeDtheta: J)
            #expect(CategoricalReparameterization.hard(one.z) == one.b && CategoricalReparameterization.hard(one.zTilde) == one.b)
            let fb = st.losses[r].value(one.oneHot)
            let expected = [
                CategoricalRelax.estimate(value: fb, sample: one, surrogate: st.net).gradient,
                CategoricalLax.estimate(value: fb, sample: one, surrogate: st.net).gradient,
                CategoricalRebar.estimate(st.losses[r], sample: one,
                                          controlVariate: ScaledConcreteObjective(st.losses[r], eta: st.eta, logTemperature: st.logTemperature)).gradient,
            ]
            for (got, want) in zip([relax, lax, rebar], expected) {
                #expect(zip(Array(got.logits.row(r)), want).allSatisfy { abs($0 - $1) < 1e-12 })
            }
        }
        // the parameters' gradient is the minibatch mean G^T X / B, b = column means
        for r in 0..<4 {
            for c in 0..<3 {
                let direct = rows.reduce(0.0) { $0 + relax.logits[$1, r] * st.input[$1, c] } / 6
                #expect(abs(relax.parameters.weights[r, c] - direct) < 1e-12)
            }
            #expect(abs(relax.parameters.bias[r] - rows.reduce(0.0) { $0 + relax.logits[$1, r] } / 6) < 1e-12)
        }
    }

    @Test("layer: Eq. 14's variance gradient is the sum over examples of d|g_r|^2/dphi (finite differences of the surrogate's phi)")
    func layerVarianceGradient() {
        var s = RandomStream(seed: 9)
        let st = Self.layerSetting(&s, groups: 2, classes: 3, batch: 3)
        let sample = st.layer.sample(st.input, stream: &s)
        let f = (0..<3).map { st.losses[$0].value(Array(sample.values.row($0))) }
        func squaredNorm(_ net: TanhSurrogate, lax: Bool) -> Double {
            let e = lax ? CategoricalLayerRelax.lax(st.layer, sample, losses: f, surrogate: net)
                        : CategoricalLayerRelax.relax(st.layer, sample, losses: f, surrogate: net)
            return e.logits.data.reduce(0) { $0 + $1 * $1 }
        }
        for lax in [false, true] {
            let e = lax ? CategoricalLayerRelax.lax(st.layer, sample, losses: f, surrogate: st.net, varianceGradient: true)
                        : CategoricalLayerRelax.relax(st.layer, sample, losses: f, surrogate: st.net, varianceGradient: true)
            #expect(e.varianceGradient.count == st.net.parameters.count)
            for p in st.net.parameters.indices {
                var hi = st.net, lo = st.net
                hi.parameters[p] += 1e-6; lo.parameters[p] -= 1e-6
                let fd = (squaredNorm(hi, lax: lax) - squaredNorm(lo, lax: lax)) / 2e-6
                #expect(abs(fd - e.varianceGradient[p]) < 1e-5 * max(1, abs(fd)), "lax = \(lax), phi_\(p)")
            }
        }
    }

    @Test("GroupedConcreteObjective: equals ScaledConcreteObjective with one group; derivatives match finite differences with three")
    func groupedConcrete() {
        var s = RandomStream(seed: 41)
        let f1 = SquaredDistance(targets: [0.2, 0.7, 0.4])
        let one = GroupedConcreteObjective(f1, groups: 1, eta: 0.8, logTemperature: log(0.7))
        let scaled = ScaledConcreteObjective(f1, eta: 0.8, logTemperature: log(0.7))
        let z1 = [0.3, -1.2, 0.9]
        let a = one.evaluate(z1, parameterGradients: true), b = scaled.evaluate(z1, parameterGradients: true)
        #expect(abs(a.value - b.value) < 1e-14 && zip(a.dz, b.dz).allSatisfy { abs($0 - $1) < 1e-14 })
        #expect(zip(a.dValue, b.dValue).allSatisfy { abs($0 - $1) < 1e-13 })
        #expect(zip(a.dDz.flatMap { $0 }, b.dDz.flatMap { $0 }).allSatisfy { abs($0 - $1) < 1e-13 })

        let f = SquaredDistance(targets: (0..<6).map { _ in s.uniform(0, 1) })
        let c = GroupedConcreteObjective(f, groups: 3, eta: 1.3, logTemperature: log(0.6))
        let z = (0..<6).map { _ in s.normal(sd: 1.5) }
        let e = c.evaluate(z, parameterGradients: true)
        let h = 1e-6
        for j in 0..<6 {
            var zp = z, zm = z; zp[j] += h; zm[j] -= h
            let fd = (c.evaluate(zp, parameterGradients: false).value - c.evaluate(zm, parameterGradients: false).value) / (2 * h)
            #expect(abs(fd - e.dz[j]) < 1e-7)
        }
        for p in 0..<2 {
            var cp = c, cm = c
            cp.parameters[p] += h; cm.parameters[p] -= h
            let ep = cp.evaluate(z, parameterGradients: false), em = cm.evaluate(z, parameterGradients: false)
            #expect(abs((ep.value - em.value) / (2 * h) - e.dValue[p]) < 1e-7)
            for j in 0..<6 { #expect(abs((ep.dz[j] - em.dz[j]) / (2 * h) - e.dDz[j][p]) < 1e-6) }
        }
    }

    // MARK: the SCG

    /// A (arity 2) -> B (arity 3, logistic on A) -> C (arity 2, table on B); costs f1(B, C) and f2(A).
    static func graph(_ s: inout RandomStream) -> StochasticComputationGraph {
        var a = StochasticNode(name: "A")
        var b = StochasticNode(name: "B", arity: 3, parents: [0], parentArities: [2], form: .logistic)
        var c = StochasticNode(name: "C", parents: [1], parentArities: [3])
        for i in a.theta.indices { a.theta[i] = s.normal(sd: 1) }
        for i in b.theta.indices { b.theta[i] = s.normal(sd: 1) }
        for i in c.theta.indices { c.theta[i] = s.normal(sd: 1) }
        let f1 = CostFunction(name: "f1", scope: [1, 2], table: (0..<6).map { _ in s.normal(sd: 2) })
        let f2 = CostFunction(name: "f2", scope: [0], table: [s.normal(sd: 2), s.normal(sd: 2)])
        return StochasticComputationGraph(nodes: [a, b, c], costs: [f1, f2])
    }

    /// E[estimate] for node i: every configuration with its probability, quadrature over the node's
    /// z given its value and parents.
    static func scgMean(_ graph: StochasticComputationGraph, node i: Int, quadrature q: GumbelQuadrature,
                        _ estimate: (SCGRelaxedSample) -> [Double]) -> [Double] {
        let exact = ExactEnumeration(graph)
        var total = [Double](repeating: 0, count: graph.nodes[i].parameterCount)
        for (x, p) in zip(exact.configurations, exact.probabilities) {
            let theta = graph.nodes[i].logits(x)
            let m = q.expectation(dimensions: theta.count) { e in
                let c = CategoricalReparameterization.conditional(logits: theta, b: x[i], exponentials: e)
                let relaxed = RelaxedCategoricalSample(logits: theta, b: x[i], z: c.z, zTilde: c.z, dzTildeDtheta: c.jacobian)
                return estimate(SCGRelaxedSample(node: i, values: x, relaxed: relaxed))
            }
            for k in total.indices { total[k] += p * m[k] }
        }
        return total
    }

    @Test("SCG: REBAR, RELAX and LAX on a categorical node with a parent and a child (and on a Bernoulli node) equal ExactEnumeration's gradient")
    func scgUnbiased() {
        var s = RandomStream(seed: 2718)
        let graph = Self.graph(&s)
        let exact = ExactEnumeration(graph).gradient()
        for node in [1, 2] {
            let K = graph.nodes[node].arity
            let net = TanhSurrogate(inputs: K, hidden: 4, logTemperature: s.uniform(0, log(2)), stream: &s)
            let h = SquaredDistance(targets: (0..<K).map { _ in s.uniform(-1, 1) })
            let rebar = ScaledConcreteObjective(h, eta: s.uniform(-1, 2), logTemperature: s.uniform(0, log(2)))
            let estimators: [(String, (SCGRelaxedSample) -> [Double])] = [
                ("RELAX", { SCGCategoricalRelax.relax(graph, $0, surrogate: net).gradient }),
                ("REBAR", { SCGCategoricalRelax.rebar(graph, $0, controlVariate: rebar).gradient }),
                ("LAX", { SCGCategoricalRelax.lax(graph, $0, surrogate: net).gradient }),
            ]
            for (name, e) in estimators {
                let mean = Self.scgMean(graph, node: node, quadrature: GumbelQuadrature(step: 0.2), e)
                let err = zip(mean, exact[node]).map { abs($0 - $1) }.max()!
                #expect(err < 1e-6, "node \(graph.nodes[node].name), \(name): max |E[g] - grad| = \(err)")
            }
            #expect(exact[node].map(abs).max()! > 1e-3)
        }
    }

    @Test("SCG: relaxedSample draws the graph's law; the sampled RELAX mean is within 5 standard errors of the exact gradient (seed 31, 40 000 draws)")
    func scgMonteCarlo() {
        // Each coordinate's |mean - grad| < 5 SE fails with probability about 6e-7 under unbiasedness
        // (normal approximation), 4e-6 over the 6 coordinates; the seed is fixed, so the test is deterministic.
        var s = RandomStream(seed: 30)
        let graph = Self.graph(&s)
        let exact = ExactEnumeration(graph)
        let grad = exact.gradient()[1]
        let net = TanhSurrogate(inputs: 3, hidden: 4, logTemperature: 0, stream: &s)
        var r = RandomStream(seed: 31)
        let n = 40_000
        var sum = [Double](repeating: 0, count: grad.count), sumSq = sum
        var counts = [Int: Int]()
        for _ in 0..<n {
            let sample = graph.relaxedSample(node: 1, stream: &r)
            #expect(sample.values[1] == CategoricalReparameterization.hard(sample.relaxed.z))
            counts[MixedRadix.code(sample.values, graph.arities), default: 0] += 1
            let g = SCGCategoricalRelax.relax(graph, sample, surrogate: net).gradient
            for k in g.indices { sum[k] += g[k]; sumSq[k] += g[k] * g[k] }
        }
        for k in grad.indices {
            let mean = sum[k] / Double(n), variance = (sumSq[k] - Double(n) * mean * mean) / Double(n - 1)
            #expect(abs(mean - grad[k]) < 5 * (variance / Double(n)).squareRoot(), "theta_B[\(k)]: \(mean) vs \(grad[k])")
        }
        // the configurations' frequencies: each within 5 binomial standard errors of its probability
        for (c, p) in exact.probabilities.enumerated() {
            let freq = Double(counts[c, default: 0]) / Double(n)
            #expect(abs(freq - p) < 5 * (p * (1 - p) / Double(n)).squareRoot() + 1e-12, "configuration \(c)")
        }
    }
}
