import Foundation
import DiscreteGradients
import Pipeline
import Verification

/// relax.unbiased: LAX, RELAX (Eq. 13) and REBAR (Eq. 12) are unbiased for every control
/// variate: random tanh surrogates, random temperatures, random eta. Exact layer: the mean by
/// Gauss-Legendre quadrature over (u, v) against the closed-form gradient; statistical layer:
/// Monte Carlo means with TOST. Mutants: the three plausible bugs of the conditional scheme.
public struct RelaxUnbiasedClaim: SingleRunClaim {
    public let id = "relax.unbiased"
    public let paper = "RELAX draft (Grathwohl et al., 2018) and Duvenaud's lecture"
    public let source = "Eqs. 12-13; lecture slide \"Extension to discrete p(b|theta)\" (\"Unbiased for all c_phi\")"
    public let statement = "RELAX is \"Unbiased for all c_φ\"; REBAR (Eq. 12) and LAX are unbiased for any eta, temperature and surrogate."
    public let summary = "LAX, RELAX and REBAR are unbiased for every surrogate"
    public init() {}

    func configurations(_ scale: Scale) -> Int { switch scale { case .smoke: 3; case .quick: 12; case .paper: 50 } }
    func samples(_ scale: Scale) -> Int { switch scale { case .smoke: 4_000; case .quick: 40_000; case .paper: 400_000 } }
    static let tolerance = 1e-8

    struct Config { var a: Double; var f: SquaredDistance; var net: TanhSurrogate; var rebar: ScaledRelaxedObjective<SquaredDistance> }

    static func randomConfig(_ s: inout RandomStream) -> Config {
        let f = SquaredDistance(targets: [s.uniform(0.1, 0.9)])
        let net = TanhSurrogate(inputs: 1, hidden: 10, logTemperature: s.uniform(log(0.2), log(2)), stream: &s)
        return Config(a: s.uniform(-2, 2), f: f, net: net,
                      rebar: ScaledRelaxedObjective(f, eta: s.uniform(-1, 2), logTemperature: s.uniform(log(0.2), log(2))))
    }

    public func evidence(context: RunContext) throws -> Evidence {
        var master = context.stream()
        var configStream = master.split(0)
        let configs = (0..<configurations(context.scale)).map { _ in Self.randomConfig(&configStream) }
        let alpha = StatisticalPolicy.claimAlpha
        let n = samples(context.scale)
        // The Monte Carlo configuration: fixed, away from the extremes.
        var mcStream = master.split(1)
        let f0 = SquaredDistance(targets: [0.3])
        let mc = Config(a: 0.4, f: f0, net: TanhSurrogate(inputs: 1, hidden: 10, logTemperature: log(0.5), stream: &mcStream),
                        rebar: ScaledRelaxedObjective(f0, eta: 0.6, logTemperature: log(0.5)))
        let mcExact = mc.f.exactGradient(logits: [mc.a])[0]

        func judge(_ variants: [RelaxVariant], noise: RandomStream) throws -> (checks: [Check], rows: [[String]]) {
            var rows: [[String]] = []
            var exactChecks: [Check] = []
            var tests: [TestResult] = []
            var noise = noise
            let u = (0..<n).map { _ in noise.uniform() }, v = (0..<n).map { _ in noise.uniform() }
            for variant in variants {
                var worst = 0.0
                for c in configs {
                    let m = RelaxVariant.moments(variant, a: c.a, f: c.f, net: c.net, rebar: c.rebar, jacobian: false)
                    worst = max(worst, abs(m.mean - c.f.exactGradient(logits: [c.a])[0]))
                }
                exactChecks.append(.exact("\(variant.rawValue): exact mean", asserts: "E[g] = dE[f]/da by quadrature over (u, v), for each of \(configs.count) random (a, t, surrogate, tau, eta, lambda)",
                                          passed: worst < Self.tolerance, detail: "max |E[g] - exact| = \(fmt(worst, 3)) (tolerance \(fmt(Self.tolerance)))"))
                let exactMoments = RelaxVariant.moments(variant, a: mc.a, f: mc.f, net: mc.net, rebar: mc.rebar, jacobian: false)
                let sd = (exactMoments.meanSquare - exactMoments.mean * exactMoments.mean).squareRoot()
                let draws = (0..<n).map { RelaxVariant.evaluate(variant, a: mc.a, u: u[$0], v: v[$0], f: mc.f, net: mc.net, rebar: mc.rebar, jacobian: false).gradient[0] }
                guard draws.allSatisfy(\.isFinite) else { throw ClaimError.nonFinite("\(variant.rawValue) sample") }
                tests.append(Equivalence.tost(draws, target: mcExact, margin: 0.05 * sd, alpha: alpha, label: "E[g \(variant.rawValue)]"))
                rows.append([variant.rawValue, fmt(worst, 3), fmt(mcExact, 6), fmt(exactMoments.mean, 6), fmt(draws.mean, 6), fmt(sd, 4)])
            }
            tests = Holm.apply(tests, familyAlpha: alpha)
            let mcCheck = Check.allOf("Monte Carlo means", asserts: "each estimator's mean over \(n) draws lies within ±5% of its own sd of the exact gradient (TOST, Holm)",
                                      tests, design: .equivalence,
                                      detail: zip(variants, tests).map { "\($0.0.rawValue): mean \(fmt($0.1.estimate ?? .nan, 5)) vs \(fmt(mcExact, 5)), p = \(fmt($0.1.pValue, 2)), power \(fmt($0.1.power ?? .nan, 2))" }.joined(separator: "; "))
            return (exactChecks + [mcCheck], rows)
        }

        let real = try judge([.reinforce, .lax, .rebar, .relax], noise: master.split(2))
        var mutants: [NegativeControl] = []
        var mutantRows: [[String]] = []
        for (k, (variant, bug)) in [(RelaxVariant.relaxNoCorrection, "drops the -d/da c(z~) term of Eq. 13"),
                                    (.relaxIndependentZTilde, "draws z~ = a + logit(v) from the marginal p(z), conditioned on its own b' = H(z~) instead of the sampled b"),
                                    (.rebarEtaOneTerm, "scales only the path terms of Eq. 12 by eta; the score term uses f(sigma(z~)) unscaled")].enumerated() {
            let r = try judge([variant], noise: master.split(10 + k))
            mutants.append(NegativeControl(name: variant.rawValue, bug: bug, checks: r.checks))
            mutantRows += r.rows
        }
        // The concrete relaxation, for contrast: biased by design.
        let concrete = NoiseQuadrature(breakpoints: [[Fn.sigmoid(-mc.a)]], pointsPerPiece: 48).expectation {
            BinaryConcrete(logTemperature: log(0.5)).estimate(mc.f, logits: [mc.a], u: $0)
        }[0]
        let worstReal = real.rows.map { Double($0[1]) ?? .nan }.max() ?? .nan
        return Evidence(
            headline: "Largest |E[g] - exact gradient| over \(configs.count) random settings: \(fmt(worstReal, 2)) (REINFORCE, LAX, REBAR, RELAX); all three mutants are biased.",
            setup: [
                "One Bernoulli b = H(z), z = a + logit(u); f(b) = (b - t)^2 with random t in (0.1, 0.9) and a in (-2, 2)",
                "RELAX and LAX: random 1-10-1 tanh surrogates on 2 sigmoid(z/tau) - 1, weights N(0, 1/fan-in), log tau uniform in (log 0.2, log 2); REBAR: eta in (-1, 2), lambda in (0.2, 2)",
                "LAX treats z (logistic, location a) as the continuous variable and f(H(z)) as a black box",
                "Exact means: Gauss-Legendre quadrature, 48 nodes on each side of u = 1 - theta and of v = 1 - theta (tolerance \(fmt(Self.tolerance)))",
                "Monte Carlo: a = 0.4, t = 0.3, eta = 0.6, lambda = tau = 0.5; \(n) draws per estimator (common u, v); TOST margin 5% of the estimator's exact sd; family alpha \(fmt(alpha)), Holm",
            ],
            checks: real.checks, negativeControls: mutants,
            tables: [Table(title: "Exact and Monte Carlo means", columns: ["estimator", "max |bias| (quadrature, all settings)", "exact gradient (MC setting)", "quadrature mean", "Monte Carlo mean", "sd(g)"],
                           rows: real.rows + mutantRows + [["binary concrete (tau = 0.5, biased by design)", "", fmt(mcExact, 6), fmt(concrete, 6), "", ""]])])
    }
}
