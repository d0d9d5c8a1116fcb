import DiscreteGradients
import Foundation
import Pipeline
import Verification

/// hnca.softmax-output: a softmax output unit with logits L = W x + b passes to each parent i the
/// counterfactual probabilities softmax(L + W[:, i](v - x_i))[A] (Appendix D, given in CLAIMS.md),
/// at cost O(|pa| N), and is itself trained by REINFORCE.
///
/// What the messages mean is checked exactly: with them, p q_on / (p q_on + (1 - p) q_off) must
/// be the posterior P(Phi = on | mb(Phi)) of Eq. 2, which the oracle gets by enumeration
/// (flip the unit in each configuration and compare probabilities). Then: the fast (two-gemm)
/// messages equal the formula and a from-scratch recomputation on wide layers; the output
/// layer's HNCA gradient is REINFORCE's; the cost per example grows as |pa| N (operation counts);
/// and a Monte Carlo calibration test of the posterior.
public struct HNCASoftmaxOutput: SingleRunClaim {
    public let id = "hnca.softmax-output"
    public let paper = "HNCA (Young, 2022)"
    public let source = "Section 1.2 and Appendix D (formula given in CLAIMS.md)"
    public let statement = "A softmax output unit passes to each parent i the counterfactual probabilities softmax(L + W[:, i](v - x_i))[A]; \"the output unit itself uses the REINFORCE estimator in its update\"; cost O(|pa| N)."
    public let summary = "softmax output messages are Eq. 2's posterior; cost O(|pa| N)"
    public init() {}

    static let draws = PerScale(smoke: 5_000, quick: 40_000, paper: 400_000)
    /// TOST margin on the mean residual 1{Phi = on} - P(on | mb), in probability units (fixed).
    static let margin = 0.02
    /// Tolerance on each fitted cost exponent (|pa| and N), against 1.
    static let exponentTolerance = 0.2

    /// The paper's words the sub-claims test (CLAIMS.md rule 13). Appendix D is not in our copy:
    /// the posterior checks quote Eq. 2, the message check the definition of the messages a child
    /// passes back (Algorithm 1's caption), the others Section 1.2 on the softmax output unit.
    static let eq2Quote = PaperQuote(PaperQuote.hnca, #"$$\mathbb{P}(\Phi = \phi | \text{mb}(\Phi)) = \rho_\Phi(\phi) \pi_\Phi(\phi | \text{pa}(\Phi)). \quad (2)$$"#)
    static let messageQuote = PaperQuote(PaperQuote.hnca, #"Each element represents $\vec{q}_{0/1}[i] = \mathbb{P}(C_i | \text{pa}(C_i) \setminus \Phi, \Phi = 0/1)$ for a given child $C_i \in \text{ch}(\Phi)$."#)
    static let reinforceQuote = PaperQuote(PaperQuote.hnca, "Note that the output unit itself uses the REINFORCE estimator in its update, as it has no children, which precludes the use of HNCA.")
    static let costQuote = PaperQuote(PaperQuote.hnca, "Using a softmax unit at the output, we can still maintain the property that the time required for the backward pass is on the same order as the time required for the forward pass.")

    public var designs: [SubClaimDesign] {
        let units = HNCAProblems.fixedMonteCarloProblems(claim: id).reduce(0) { $0 + ($1.oracle.network.hidden.last?.unitCount ?? 0) }
        return [
            .exact("Eq. 2 posterior from the softmax messages", estimand: "max |p q_on / (p q_on + (1 - p) q_off) - P(Φ = on | mb(Φ)) by enumeration| over every configuration and last-layer unit of the random networks",
                   tolerance: 1e-10, source: "rounding of enumerated probabilities", sampleSize: HNCAProblems.sizes, unit: "networks").quoted(Self.eq2Quote),
            SubClaimDesign("Monte Carlo calibration", layer: .monteCarlo,
                           estimand: "mean over draws of 1{Φ = on} - P(on | mb) from the messages, for each of \(units) last-layer units of 3 fixed networks",
                           claimed: .equivalent, sesoi: Self.margin,
                           sesoiSource: "fixed: 0.02 in probability (a message error that moves the posterior by 2 points is a bug worth catching)",
                           alphaShare: 1, count: units, method: .t, planningSD: 0.5,
                           sampleSize: Self.draws, unit: "draws").quoted(Self.eq2Quote),
            .exact("fast messages = Appendix D formula = recomputation", estimand: "max |Δ log q| between the two-gemm messages, the per-edge formula and the from-scratch recomputation on layers of 50 and 120 units",
                   tolerance: 1e-10, source: "rounding in log probability", sampleSize: PerScale(4), unit: "layers").quoted(Self.messageQuote),
            .exact("output trained by REINFORCE", estimand: "max difference of the output layer's exact mean and variance under HNCA and REINFORCE (60 networks)",
                   tolerance: 1e-14, source: "rounding (the same code path)", sampleSize: PerScale(smoke: 40, quick: 60, paper: 60), unit: "networks").quoted(Self.reinforceQuote),
            .exact("cost O(|pa| N)", layer: .cost, estimand: "fitted exponents a, b of operations per example ∝ |pa|^a N^b (log-log least squares over |pa| ∈ {25, 100, 400}, N ∈ {2, 10, 40})",
                   reference: 1, tolerance: Self.exponentTolerance,
                   source: "Appendix D: O(|pa| N), exponent 1 in each; tolerance for fixed per-example overheads (a quadratic recomputation gives 2)",
                   sampleSize: PerScale(9), unit: "(|pa|, N) pairs").quoted(Self.costQuote),
        ]
    }

    /// Max |posterior from messages - posterior by enumeration| over every configuration, split
    /// into last hidden layer (softmax child) and earlier layers (Bernoulli children).
    static func posteriorErrors(_ oracle: NetworkOracle, _ hnca: NetworkHNCA) -> (last: Double, earlier: Double) {
        let net = oracle.network
        let configs = oracle.configurations()
        let n = configs.count, actions = net.actionCount
        let x = Matrix(rows: n, cols: oracle.input.count, data: Array(repeating: oracle.input, count: n).flatMap { $0 })
        let hidden = net.hidden.indices.map { k in Matrix(rows: n, cols: net.hidden[k].unitCount, data: configs.flatMap { $0.hidden[k] }) }
        let sample = net.evaluate(x, hiddenValues: hidden, actions: configs.map(\.action))
        let messages = hnca.messages(net, sample)
        var errLast = 0.0, errEarlier = 0.0
        var bitOffset = 0
        for k in net.hidden.indices {
            let post = NetworkHNCA.posteriorOn(net.hidden[k], sample.hidden[k], messages[k])
            for row in 0..<n {
                let code = row / actions, a = row % actions
                for j in 0..<net.hidden[k].unitCount {
                    let bit = bitOffset + j
                    let on = (code | (1 << bit)) * actions + a, off = (code & ~(1 << bit)) * actions + a
                    let pOn = configs[on].probability, pOff = configs[off].probability
                    guard pOn + pOff > 1e-250 else { continue }
                    let e = abs(post[row, j] - pOn / (pOn + pOff))
                    if k == net.hidden.count - 1 { errLast = max(errLast, e) } else { errEarlier = max(errEarlier, e) }
                }
            }
            bitOffset += net.hidden[k].unitCount
        }
        return (errLast, errEarlier)
    }

    struct Outcome { var checks: [Check]; var rows: [[String]]; var worst: Double }

    func judge(_ hnca: NetworkHNCA, problems: [BanditProblem], mc: [BanditProblem], designs: [SubClaimDesign], scale: Scale, stream: RandomStream) -> Outcome {
        var stream = stream
        var worstLast = 0.0, worstEarlier = 0.0
        for p in problems {
            let e = Self.posteriorErrors(p.oracle, hnca)
            worstLast = max(worstLast, e.last); worstEarlier = max(worstEarlier, e.earlier)
        }
        let posterior = Check.exact(designs.named("Eq. 2 posterior from the softmax messages"),
            asserts: "for every configuration of \(problems.count) random networks and every unit of the last hidden layer, p q_on / (p q_on + (1 - p) q_off) with q_v = softmax(L + W[:, i](v - x_i))[A] equals P(Φ = on | mb(Φ)) by enumeration (tolerance 1e-10)",
            values: [worstLast],
            detail: "max |posterior from messages - enumerated posterior| = \(fmt(worstLast, 3)) (last hidden layer); \(fmt(worstEarlier, 3)) for earlier layers (Bernoulli children, same construction)")

        // Monte Carlo calibration: the residual 1{Phi = on} - P(on | mb) has mean 0.
        let d = designs.named("Monte Carlo calibration")
        let alpha = d.alpha(familyAlpha: Registry.familyAlpha)
        let n = d.sampleSize[scale: scale.rawValue]
        var estimates: [IntervalEstimate] = []
        var rows: [[String]] = []
        for (k, p) in mc.enumerated() {
            let net = p.oracle.network
            let x = Matrix(rows: n, cols: p.oracle.input.count, data: Array(repeating: p.oracle.input, count: n).flatMap { $0 })
            let sample = net.sample(x, stream: &stream)
            let last = net.hidden.count - 1
            let post = NetworkHNCA.posteriorOn(net.hidden[last], sample.hidden[last], hnca.messages(net, sample)[last])
            var mine: [IntervalEstimate] = []
            for j in 0..<net.hidden[last].unitCount {
                let residual = (0..<n).map { (net.hidden[last].encoding.fired(sample.hidden[last].values[$0, j]) ? 1.0 : 0.0) - post[$0, j] }
                mine.append(.mean(residual, alpha: alpha))
            }
            estimates += mine
            rows.append(["\(k + 1): \(p.label)", "\(n)", "\(net.hidden[last].unitCount)", fmt(mine.map { abs($0.estimate) }.max() ?? .nan, 3),
                         "\(mine.filter { d.decide($0.interval) == .reproduced }.count) of \(mine.count)"])
        }
        let calibration = Check.decide(d,
            asserts: "for each last-layer unit, the mean of 1{Φ = on} - P(on | mb) from the messages lies within ±\(fmt(Self.margin)) (TOST per unit)",
            estimates, scale: scale, familyAlpha: Registry.familyAlpha,
            detail: "\(estimates.filter { d.decide($0.interval) == .reproduced }.count) of \(estimates.count) units inside ±\(fmt(Self.margin)); largest |mean residual| \(fmt(estimates.map { abs($0.estimate) }.max() ?? .nan, 3)); per-interval alpha \(fmt(alpha, 3))")
        return Outcome(checks: [posterior, calibration], rows: rows, worst: worstLast)
    }

    public func evidence(context: RunContext) throws -> Evidence {
        var s = context.stream("networks")
        let problems = HNCAProblems.random(HNCAProblems.count(context.scale), stream: &s)
        let mc = HNCAProblems.fixedMonteCarloProblems(claim: id)
        let designs = self.designs
        var master = context.stream("monte-carlo")

        // The fast two-gemm messages vs Appendix D's formula per edge vs recomputation from scratch.
        var sw = context.stream("wide")
        var agreement = 0.0
        for enc in UnitEncoding.allCases {
            for (width, actions) in [(50, 10), (120, 3)] {
                let net = StochasticNetwork.random(inputs: 20, hiddenSizes: [width], actions: actions, encoding: enc, scale: 0.5, stream: &sw)
                var x = Matrix(rows: 8, cols: 20)
                for k in x.data.indices { x.data[k] = sw.bernoulli(0.5) ? 1 : 0 }
                let sample = net.sample(x, stream: &sw)
                let fast = NetworkHNCA(messages: .efficient).messages(net, sample)[0]
                for other in [MessagePassing.direct, .naive] {
                    let m = NetworkHNCA(messages: other).messages(net, sample)[0]
                    agreement = max(agreement, maxAbsDiff(fast.logOn.data, m.logOn.data), maxAbsDiff(fast.logOff.data, m.logOff.data))
                }
            }
        }
        // The output unit is trained by REINFORCE: its exact moments under HNCA equal REINFORCE's.
        var outputDiff = 0.0
        let outputNetworks = designs.named("output trained by REINFORCE").sampleSize[scale: context.scale.rawValue]
        for p in problems.prefix(outputNetworks) {
            let h = p.oracle.moments(of: NetworkHNCA()), r = p.oracle.moments(of: NetworkReinforce())
            let start = p.hiddenParameterCount
            outputDiff = max(outputDiff, maxAbsDiff(Array(h.mean[start...]), Array(r.mean[start...])),
                             maxAbsDiff(Array(h.variance[start...]), Array(r.variance[start...])))
        }
        // Cost of the softmax messages per example against |pa| and N (operation counts).
        func measureCost(_ messages: MessagePassing) -> (rows: [[String]], logPa: [Double], logN: [Double], logCost: [Double]) {
            var costRows: [[String]] = []
            var logPa: [Double] = [], logN: [Double] = [], logCost: [Double] = []
            var sc = context.stream("cost")
            let batch = 16
            for width in [25, 100, 400] {
                for actions in [2, 10, 40] {
                    let net = StochasticNetwork.random(inputs: 8, hiddenSizes: [width], actions: actions, encoding: .plusMinusOne, scale: 0.3, stream: &sc)
                    var x = Matrix(rows: batch, cols: 8)
                    for k in x.data.indices { x.data[k] = sc.bernoulli(0.5) ? 1 : 0 }
                    let sample = net.sample(x, stream: &sc)
                    var count = OperationCount()
                    _ = NetworkHNCA(messages: messages).messages(net, sample, count: &count)
                    let perExample = Double(count.total) / Double(batch)
                    costRows.append(["\(width)", "\(actions)", "\(count.multiplyAdds)", "\(count.transcendentals)", fmt(perExample / Double(width * actions), 3)])
                    logPa.append(log(Double(width))); logN.append(log(Double(actions))); logCost.append(log(perExample))
                }
            }
            return (costRows, logPa, logN, logCost)
        }
        func costCheck(_ m: (rows: [[String]], logPa: [Double], logN: [Double], logCost: [Double])) -> Check {
            let (bPa, bN) = Self.fitTwoSlopes(m.logPa, m.logN, m.logCost)
            return .exact(designs.named("cost O(|pa| N)"),
                asserts: "operations per example of the softmax messages grow as |pa|^a N^b with a and b within 1 ± \(fmt(Self.exponentTolerance)) (log-log least squares over |pa| ∈ {25, 100, 400}, N ∈ {2, 10, 40})",
                values: [bPa, bN], detail: "fitted exponents: |pa| \(fmt(bPa, 3)), N \(fmt(bN, 3))")
        }
        let measured = measureCost(.efficient)
        let (costRows, logPa, logN, logCost) = measured
        let (bPa, bN) = Self.fitTwoSlopes(logPa, logN, logCost)
        let cost = costCheck(measured)
        let naiveCost = costCheck(measureCost(.naive))
        let batch = 16
        let formula = Check.exact(designs.named("fast messages = Appendix D formula = recomputation"),
            asserts: "the two-gemm messages equal softmax(L + W[:, i](v - x_i))[A] per edge and the from-scratch recomputation on layers of 50 and 120 units (tolerance 1e-10 in log probability)",
            values: [agreement], detail: "max |Δ log q| = \(fmt(agreement, 3))")
        let reinforce = Check.exact(designs.named("output trained by REINFORCE"),
            asserts: "the output layer's exact mean and variance under HNCA equal REINFORCE's (\(outputNetworks) networks)",
            values: [outputDiff], detail: "max difference \(fmt(outputDiff, 2))")

        let real = judge(NetworkHNCA(), problems: problems, mc: mc, designs: designs, scale: context.scale, stream: master.split(0))
        let mutant = judge(NetworkHNCA(variant: .ignoresCurrentValue), problems: problems, mc: mc, designs: designs, scale: context.scale, stream: master.split(1))
        let mutant2 = judge(NetworkHNCA(variant: .zeroOneFormula), problems: problems, mc: mc, designs: designs, scale: context.scale, stream: master.split(2))
        return Evidence(
            headline: "Posterior from the softmax messages matches enumeration to \(fmt(real.worst, 2)); cost per example ∝ |pa|^\(fmt(bPa, 3)) N^\(fmt(bN, 3)).",
            setup: [
                "\(problems.count) random networks as in hnca.unbiased (depth 1-3, widths 1-4, both encodings); every configuration of hidden units and action enumerated",
                "Messages: efficient = two gemms with cached exp(±gap W) (Appendix D's logsumexp over actions for all parents at once), checked against the per-edge formula and from-scratch recomputation",
                "Monte Carlo: \(Self.draws[scale: context.scale.rawValue]) draws on \(mc.count) fixed networks (drawn once from seed 1, part of the design); residual 1{Φ = on} - P(on | mb) per last-layer unit, TOST margin ±\(fmt(Self.margin)) (fixed), family alpha \(fmt(Registry.familyAlpha)) split equally over the units; planning sd 0.5 (the largest sd a 0/1 residual can have)",
                "Cost: OperationCount of the message pass for batch \(batch), |pa| ∈ {25, 100, 400}, N ∈ {2, 10, 40}",
                "quick is a valid scale (as are smoke and paper): exact enumeration, Monte Carlo and counted operations of the softmax output unit's own messages on random networks; nothing is reduced but the number of networks and draws",
            ],
            checks: real.checks + [formula, reinforce, cost],
            negativeControls: [
                NegativeControl(name: "softmax message ignores x_i", bug: "uses softmax(L + W[:, i] v)[A], forgetting to subtract the parent's current value", checks: mutant.checks),
                NegativeControl(name: "{0,1} formula on {-1,+1} parents", bug: "uses L + W[:, i](1 - x_i) and L - W[:, i] x_i whatever the encoding", checks: mutant2.checks),
                NegativeControl(name: "softmax messages recomputed from scratch", bug: "recomputes the logits W x' + b for each parent's counterfactual x' (the naive pass) instead of L + W[:, i](v - x_i): the same messages at O(|pa|² N)", checks: [naiveCost]),
            ],
            tables: [Table(title: "Operation counts of the softmax message pass (batch \(batch))", columns: ["|pa|", "N", "multiply-adds", "exp/log", "ops per example / (|pa| N)"], rows: costRows),
                     Table(title: "Monte Carlo networks", columns: ["network", "draws", "last-layer units"], rows: real.rows)],
            figures: [Figure(id: "cost", title: "Softmax message cost per example against |pa| × N", xLabel: "|pa| × N", yLabel: "operations per example",
                             logX: true, logY: true,
                             series: [.init("efficient messages", x: zip(logPa, logN).map { exp($0 + $1) }, y: logCost.map { exp($0) }, style: .points),
                                      .init("2 |pa| N", x: [50, 16000], y: [100, 32000])],
                             caption: "The cost per example follows |pa| N: constant work per (parent, action) pair.")])
    }

    /// Least squares y = c + a u + b v; returns (a, b).
    static func fitTwoSlopes(_ u: [Double], _ v: [Double], _ y: [Double]) -> (Double, Double) {
        let n = Double(u.count)
        let mu = u.reduce(0, +) / n, mv = v.reduce(0, +) / n, my = y.reduce(0, +) / n
        var suu = 0.0, svv = 0.0, suv = 0.0, suy = 0.0, svy = 0.0
        for i in u.indices {
            let a = u[i] - mu, b = v[i] - mv, c = y[i] - my
            suu += a * a; svv += b * b; suv += a * b; suy += a * c; svy += b * c
        }
        let det = suu * svv - suv * suv
        return ((svv * suy - suv * svy) / det, (suu * svy - suv * suy) / det)
    }
}
