import Foundation
import DiscreteGradients
import Verification

/// "What CI can catch" (issue 9 part 5): the smallest bias injected into a library estimator that
/// the quick suite's Monte Carlo unbiasedness check flags, measured on the claim's own small model
/// with the claim's quick sample size, margins and per-interval alphas, over several master seeds.
///
/// The injection is done on the estimator's output for the same noise (common random numbers):
/// for each seed the estimator is run once, and the injected estimator's draws are formed from
/// its outputs (g -> (1 + eps) g; g -> g + eps |g*|; g -> g* + k (g - g*)). The Monte Carlo layer
/// (the t interval per coordinate, `SubClaimDesign.decide` on a TOST design with the claim's
/// margin) is then rerun on the injected draws, from their mean and sd (each injection is affine); the smallest eps that flags a seed is
/// found by bisection (the verdicts are monotone in eps).
public struct SensitivityProblem: Sendable {
    public var estimator: String
    public var claim: String
    public var model: String
    /// Quick-scale draws per Monte Carlo check.
    public var draws: Int
    /// The exact gradient per coordinate (the TOST reference).
    public var exact: [Double]
    /// The equivalence margin per coordinate.
    public var margins: [Double]
    /// The per-interval alpha per coordinate.
    public var alphas: [Double]
    /// The groups of coordinates whose additive bias is eps times the group's |g*| (one network each).
    public var groups: [Range<Int>]
    public var marginText: String
    public var alphaText: String
    /// Where the design comes from ("the claim's design" or the assumed converted design).
    public var designSource: String
    /// n draws of every coordinate, as columns, from one stream.
    public var sample: @Sendable (Int, inout RandomStream) -> [[Double]]
}

public struct SensitivityResult: Codable, Sendable {
    public var estimator: String
    public var claim: String
    public var model: String
    public var draws: Int
    public var coordinates: Int
    public var marginText: String
    public var alphaText: String
    public var designSource: String
    public var seeds: [UInt64]
    /// Seeds whose uninjected Monte Carlo layer came out REPRODUCED.
    public var reproducedWithoutInjection: Int
    /// Per seed: the smallest relative bias eps (g -> (1 + eps) g) giving NOT REPRODUCED / any verdict but REPRODUCED.
    public var relativeNot: [Double]
    public var relativeChanged: [Double]
    /// Per seed: the same for an additive bias eps |g*| on every coordinate.
    public var additiveNot: [Double]
    public var additiveChanged: [Double]
    /// Per seed: the smallest sd inflation k (g -> g* + k (g - g*), variance x k^2) that changes
    /// the verdict (a wider interval can only make the TOST INCONCLUSIVE).
    public var inflationChanged: [Double]

    /// A distribution-free interval for the 95th percentile of the per-seed thresholds: order
    /// statistics (x_(l), x_(u)) with P(x_(l) <= xi_0.95 < x_(u)) >= `level` under Binomial(S, 0.95)
    /// counts; `upper` is infinite when S is too small for u <= S.
    public static func percentileInterval(_ thresholds: [Double], p: Double = 0.95, level: Double = 0.95) -> (lower: Double, upper: Double) {
        let s = thresholds.sorted()
        let count = s.count
        guard count > 0 else { return (.nan, .nan) }
        let tail = (1 - level) / 2
        // l: the largest rank with P(B <= l - 1) <= tail; u: the smallest with P(B >= u) <= tail.
        var l = 0
        while l + 1 <= count && Dist.binomialLower(l, n: count, p: p) <= tail { l += 1 }
        var u = count + 1
        while u - 1 >= 1 && Dist.binomialUpper(u - 1, n: count, p: p) <= tail { u -= 1 }
        let lower = l >= 1 ? s[l - 1] : -.infinity
        let upper = u <= count ? s[u - 1] : .infinity
        return (lower, upper)
    }

    /// The smallest value flagged on at least 95% of the seeds (the ceil(0.95 S)-th smallest).
    public static func flaggedAt95(_ thresholds: [Double]) -> Double {
        let s = thresholds.sorted()
        guard !s.isEmpty else { return .nan }
        return s[min(s.count - 1, Int((0.95 * Double(s.count)).rounded(.up)) - 1)]
    }
}

public enum Sensitivity {
    enum Injection { case relative, additive, inflation }

    /// One coordinate's draws, summarised: every injection is affine in the draws (g -> a g + c), so
    /// the injected sample's mean and sd are a m + c and |a| s, and its t interval needs no pass over
    /// the draws (the same interval `IntervalEstimate.mean` gives, up to rounding).
    struct CoordinateSummary { var mean: Double; var sd: Double; var n: Int; var q: Double }

    /// The Monte Carlo layer's verdict on injected draws: (any coordinate NOT REPRODUCED, any
    /// coordinate not REPRODUCED).
    static func judge(_ p: SensitivityProblem, _ summaries: [CoordinateSummary], norms: [Double], _ kind: Injection, _ eps: Double,
                      stopAtChange: Bool = false) -> (not: Bool, changed: Bool) {
        var not = false, changed = false
        for (g, range) in p.groups.enumerated() {
            for i in range {
                let target = p.exact[i], c = summaries[i]
                let mean: Double, sd: Double
                switch kind {
                case .relative: mean = (1 + eps) * c.mean; sd = abs(1 + eps) * c.sd
                case .additive: mean = c.mean + eps * norms[g]; sd = c.sd
                case .inflation: mean = target + eps * (c.mean - target); sd = abs(eps) * c.sd
                }
                let design = SubClaimDesign("Monte Carlo mean", layer: .monteCarlo, estimand: "mean", claimed: .equivalent,
                                            reference: target, sesoi: p.margins[i], sesoiSource: p.marginText, alphaShare: 1,
                                            method: .t, sampleSize: PerScale(c.n), unit: "draws")
                let half = c.q * sd / Double(c.n).squareRoot()
                let v = design.decide(Interval(lower: mean - half, upper: mean + half, level: 1 - 2 * p.alphas[i]))
                if v == .notReproduced { not = true }
                if v != .reproduced { changed = true }
                if not || (stopAtChange && changed) { return (not, changed) }
            }
        }
        return (not, changed)
    }

    /// Smallest x in [lo, cap] with flagged(x) (monotone), to 1% relative; cap + 1 if none.
    static func threshold(from lo: Double, cap: Double, _ flagged: (Double) -> Bool) -> Double {
        if flagged(lo) { return lo }
        var a = lo, b = lo == 0 ? 0.01 : lo * 1.1
        while !flagged(b) { a = b; b = lo + (b - lo) * 2; if b > cap { return .infinity } }
        while (b - a) > 0.01 * max(b - lo, 1e-9) { let m = (a + b) / 2; if flagged(m) { b = m } else { a = m } }
        return b
    }

    public static func measure(_ p: SensitivityProblem, seeds: [UInt64], progress: ((String) -> Void)? = nil) -> SensitivityResult {
        var r = SensitivityResult(estimator: p.estimator, claim: p.claim, model: p.model, draws: p.draws, coordinates: p.exact.count,
                                  marginText: p.marginText, alphaText: p.alphaText, designSource: p.designSource, seeds: seeds,
                                  reproducedWithoutInjection: 0, relativeNot: [], relativeChanged: [], additiveNot: [],
                                  additiveChanged: [], inflationChanged: [])
        let norms = p.groups.map { g in g.reduce(0.0) { $0 + p.exact[$1] * p.exact[$1] }.squareRoot() }
        for seed in seeds {
            var s = RandomStream(master: seed, claim: "calibrate", label: "catch/" + p.claim + "/" + p.estimator)
            let cols = p.sample(p.draws, &s)
            let summaries = cols.indices.map { i -> CoordinateSummary in
                let m = Summary(cols[i])
                return CoordinateSummary(mean: m.mean, sd: m.sd, n: m.n, q: Dist.tUpperQuantile(p.alphas[i], df: Double(m.n - 1)))
            }
            let base = judge(p, summaries, norms: norms, .relative, 0)
            if !base.changed { r.reproducedWithoutInjection += 1 }
            r.relativeNot.append(threshold(from: 0, cap: 1000) { judge(p, summaries, norms: norms, .relative, $0).not })
            r.relativeChanged.append(threshold(from: 0, cap: 1000) { judge(p, summaries, norms: norms, .relative, $0, stopAtChange: true).changed })
            r.additiveNot.append(threshold(from: 0, cap: 1000) { judge(p, summaries, norms: norms, .additive, $0).not })
            r.additiveChanged.append(threshold(from: 0, cap: 1000) { judge(p, summaries, norms: norms, .additive, $0, stopAtChange: true).changed })
            r.inflationChanged.append(threshold(from: 1, cap: 1000) { judge(p, summaries, norms: norms, .inflation, $0, stopAtChange: true).changed })
            progress?("  \(p.estimator) seed \(seed): relative NOT at \(fmt(r.relativeNot.last!, 3)), additive NOT at \(fmt(r.additiveNot.last!, 3))")
        }
        return r
    }

    // MARK: - The claims' models (reimplemented here with the library's estimators)

    /// lecture.reinforce: b_i ~ Bern(sigmoid(a_i)), a = (0, 0.5, -1), f(b) = Σ (b_i - t_i)^2,
    /// t = (0.499, 0.45, 0.2); margins, alphas and n from the claim's own designs.
    public static func lectureReinforce(margins: [Double], alphas: [Double], draws: Int) -> SensitivityProblem {
        let logits = [0.0, 0.5, -1.0], targets = [0.499, 0.45, 0.2]
        let dist = IndependentBernoulli(logits: logits)
        let exact = zip(logits, targets).map { a, t in Fn.sigmoid(a) * (1 - Fn.sigmoid(a)) * (1 - 2 * t) }
        return SensitivityProblem(
            estimator: "REINFORCE", claim: "lecture.reinforce", model: "3 Bernoulli logits (0, 0.5, -1), f = Σ(b - t)², t = (0.499, 0.45, 0.2)",
            draws: draws, exact: exact, margins: margins, alphas: alphas, groups: [0..<3],
            marginText: "max(10% |g*_i|, 5% |g*|) per coordinate", alphaText: Set(alphas).count == 1 ? fmt(alphas[0], 3) + " each" : alphas.map { fmt($0, 3) }.joined(separator: ", "),
            designSource: "the claim's designs (`LectureReinforce.designs`)",
            sample: { n, s in
                var cols = [[Double]](repeating: [], count: 3)
                for i in 0..<3 { cols[i].reserveCapacity(n) }
                for _ in 0..<n {
                    let b = dist.sample(&s)
                    let fb = zip(b, targets).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                    let g = Reinforce.estimate(dist, sample: b, value: fb)
                    for i in 0..<3 { cols[i].append(g[i]) }
                }
                return cols
            })
    }

    /// hnca.unbiased, bandit HNCA (Eq. 3): the claim's three fixed Monte Carlo networks at master
    /// seed 1 ([4] {-1,+1}, [4, 3] {0,1}, [3, 3, 3] {-1,+1}; 3 inputs, 3 actions, scale 1.2),
    /// margin max(10% |g*_c|, 5% of the network's |∇E[R]|) per coordinate (the committed design's),
    /// at the design's per-interval alpha.
    public static func hnca(draws: Int, alpha: Double, alphaText: String) -> SensitivityProblem {
        var sm = RandomStream(master: 1, claim: "hnca.unbiased", label: "main/monte-carlo-networks")
        let shapes: [([Int], UnitEncoding)] = [([4], .plusMinusOne), ([4, 3], .zeroOne), ([3, 3, 3], .plusMinusOne)]
        let oracles = shapes.map { widths, enc in
            let net = StochasticNetwork.random(inputs: 3, hiddenSizes: widths, actions: 3, encoding: enc, scale: 1.2, stream: &sm)
            let r = (0..<3).map { _ in sm.normal() }
            return try! NetworkOracle(network: net, input: [1, 0, 1], reward: r)
        }
        var exact: [Double] = [], margins: [Double] = [], groups: [Range<Int>] = [], used: [[Int]] = []
        for o in oracles {
            let m = o.moments(of: NetworkHNCA())
            let g = o.gradient
            let cols = g.indices.filter { m.variance[$0] > 1e-12 }
            groups.append(exact.count..<(exact.count + cols.count))
            used.append(cols)
            exact += cols.map { g[$0] }; margins += cols.map { relativeMargin(g, $0) }
        }
        let usedColumns = used
        return SensitivityProblem(
            estimator: "HNCA (Eq. 3)", claim: "hnca.unbiased", model: "3 bandit networks [4] ±1, [4,3] 0/1, [3,3,3] ±1 (the claim's Monte Carlo networks, seed 1)",
            draws: draws, exact: exact, margins: margins, alphas: Array(repeating: alpha, count: exact.count), groups: groups,
            marginText: "max(10% |g*_c|, 5% |∇E[R]|) per coordinate", alphaText: alphaText,
            designSource: "the claim's committed design (`HNCAUnbiased.designs`, Monte Carlo mean)",
            sample: { n, s in
                var out: [[Double]] = []
                for (o, cols) in zip(oracles, usedColumns) {
                    let net = o.network
                    let x = Matrix(rows: n, cols: o.input.count, data: Array(repeating: o.input, count: n).flatMap { $0 })
                    let sample = net.sample(x, stream: &s)
                    let g = NetworkHNCA().signals(net, sample, rewards: sample.actions.map { o.reward[$0] }).perExample(over: sample)
                    for c in cols { out.append((0..<g.rows).map { g.data[$0 * g.cols + c] }) }
                }
                return out
            })
    }

    /// hnca.unbiased, f-HNCA (Eq. 6): the claim's known-function network at master seed 1
    /// ([3, 3, 2] {0,1}, 2 inputs, scale 1.2).
    public static func fHNCA(draws: Int, alpha: Double, alphaText: String) -> SensitivityProblem {
        var smf = RandomStream(master: 1, claim: "hnca.unbiased", label: "main/known-function-monte-carlo-network")
        let net = KnownFunctionNetwork.random(inputs: 2, widths: [3, 3, 2], encoding: .zeroOne, scale: 1.2, stream: &smf)
        let g = net.exactGradient().gradient
        @Sendable func sum(_ per: [[Double]]) -> [Double] { per.dropFirst().reduce(per[0]) { zip($0, $1).map(+) } }
        let m = ExactMoments(over: net.configurations(), estimator: { sum(net.fHNCA($0.values)) }, probability: { $0.p })
        let cols = g.indices.filter { m.variance[$0] > 1e-12 }
        return SensitivityProblem(
            estimator: "f-HNCA (Eq. 6)", claim: "hnca.unbiased", model: "known-function network [3,3,2] 0/1 (the claim's, seed 1)",
            draws: draws, exact: cols.map { g[$0] }, margins: cols.map { relativeMargin(g, $0) },
            alphas: Array(repeating: alpha, count: cols.count), groups: [0..<cols.count],
            marginText: "max(10% |g*_k|, 5% |∇E[f]|) per coordinate", alphaText: alphaText,
            designSource: "the claim's committed design (`HNCAUnbiased.designs`, f-HNCA Monte Carlo mean)",
            sample: { n, s in
                var out = [[Double]](repeating: [], count: cols.count)
                for _ in 0..<n {
                    let e = sum(net.fHNCA(net.sample(&s)))
                    for (k, c) in cols.enumerated() { out[k].append(e[c]) }
                }
                return out
            })
    }

    /// The committed hnca.unbiased margin of coordinate c: max(10% |g_c|, 5% |g|).
    static func relativeMargin(_ g: [Double], _ c: Int) -> Double {
        max(0.1 * abs(g[c]), 0.05 * g.reduce(0) { $0 + $1 * $1 }.squareRoot())
    }

    public enum RelaxEstimator: String, CaseIterable, Sendable { case reinforce = "REINFORCE", lax = "LAX", rebar = "REBAR", relax = "RELAX" }

    /// relax.unbiased: one Bernoulli, a = 0.4, f(b) = (b - 0.3)^2, the claim's tanh surrogate at
    /// master seed 1 (1-10-1, tau = 0.5), REBAR eta = 0.6, lambda = 0.5; margin `marginSD` x the
    /// estimator's exact sd (Gauss-Legendre quadrature over (u, v)).
    public static func relax(_ e: RelaxEstimator, draws: Int, margin: Double, marginText: String, alpha: Double, alphaText: String) -> SensitivityProblem {
        var master = RandomStream(master: 1, claim: "relax.unbiased", label: "main")
        _ = master.split(0)
        var mcStream = master.split(1)
        let f = SquaredDistance(targets: [0.3])
        let a = 0.4
        let net = TanhSurrogate(inputs: 1, hidden: 10, logTemperature: log(0.5), stream: &mcStream)
        let rebar = ScaledRelaxedObjective(f, eta: 0.6, logTemperature: log(0.5))
        let evaluate: @Sendable (Double, Double) -> Double = { u, v in
            let sample = RelaxedBernoulliSample(logits: [a], u: [u], v: [v])
            let fb = f.value(sample.b)
            switch e {
            case .reinforce: return fb * sample.score[0]
            case .relax: return Relax.estimate(value: fb, sample: sample, surrogate: net).gradient[0]
            case .rebar: return Rebar.estimate(f, sample: sample, controlVariate: rebar).gradient[0]
            case .lax:
                let z = BernoulliReparameterization.z(logit: a, u: u)
                return Lax.estimate(value: f.value([BernoulliReparameterization.hard(z)]), z: [z], u: [u], surrogate: net).gradient[0]
            }
        }
        let q = NoiseQuadrature.relaxNoise(logits: [a], pointsPerPiece: 48).expectation { x in
            let g = evaluate(x[0], x[1]); return [g, g * g]
        }
        let sd = (q[1] - q[0] * q[0]).squareRoot()
        let exact = f.exactGradient(logits: [a])[0]
        return SensitivityProblem(
            estimator: e.rawValue, claim: "relax.unbiased", model: "one Bernoulli a = 0.4, f = (b - 0.3)², tanh surrogate (seed 1), η = 0.6, λ = τ = 0.5",
            draws: draws, exact: [exact], margins: [margin], alphas: [alpha], groups: [0..<1],
            marginText: marginText + " (estimator sd \(fmt(sd, 3)))", alphaText: alphaText,
            designSource: "the claim's committed design (`RelaxUnbiased.designs`)",
            sample: { n, s in
                [(0..<n).map { _ in let u = s.uniform(), v = s.uniform(); return evaluate(u, v) }]
            })
    }
}
