import Foundation
import DiscreteGradients
import Pipeline
import Verification

/// relax.relaxation-direction: Section 6.1, "RELAX learns a relaxation whose derivative points in
/// the direction of decreased loss for all values of reparameterization noise u, whereas REBAR's
/// fixed relaxation only does so for values of u > t".
///
/// What is measured. Fix theta = 1/2 (a = 0) and t = 0.499, where dE[f]/dtheta = 1 - 2t > 0: the
/// loss decreases as theta decreases. The relaxation's derivative at noise u is d/da c(z(u)) with
/// z(u) = a + logit(u) (the reparameterised term of the estimator); it "points toward decreased
/// loss" when it has the sign of dE[f]/da, i.e. is > 0. RELAX: the 1-10-1 tanh surrogate trained
/// by Eq. 14 (Adam lr 0.01, one sample per step) with theta held at 1/2, then read on the grid
/// u = 0.005, 0.010, ..., 0.995. REBAR: f(sigma_lambda(z)) = (sigma(z/lambda) - t)^2, whose
/// derivative 2 (sigma - t) sigma'/lambda is > 0 exactly when u > sigmoid(lambda logit(t) - a)
/// (= t for lambda = 1).
public struct RelaxDirectionClaim: Claim {
    public typealias UnitResult = DirectionRun
    public let id = "relax.relaxation-direction"
    public let paper = "RELAX draft (Grathwohl et al., 2018)"
    public let source = "Section 6.1 (and Figure 1, right)"
    public let statement = "\"RELAX learns a relaxation whose derivative points in the direction of decreased loss for all values of reparameterization noise u, whereas REBAR's fixed relaxation only does so for values of u > t.\""
    public let summary = "RELAX's learned relaxation points toward lower loss for every u; REBAR's only for u > t"
    public init() {}

    public struct DirectionRun: Codable, Sendable {
        public var grid: [Double]
        public var relaxation: [Double]
        public var derivative: [Double]
        public var fractionCorrect: Double
        public var allCorrect: Bool
        public var logTemperature: Double
        /// log Var(g) (exact) before and after training the surrogate.
        public var initialLogVariance: Double
        public var finalLogVariance: Double
        public var maxAbsDerivative: Double
    }

    static let target = 0.499
    static let grid = (1...199).map { Double($0) / 200 }
    func seeds(_ scale: Scale) -> Int { switch scale { case .smoke: 2; case .quick: 30; case .paper: 100 } }
    func steps(_ scale: Scale) -> Int { switch scale { case .smoke: 200; case .quick: 3000; case .paper: 10000 } }

    public func units(at scale: Scale) -> [RunUnit] {
        ["relax", "relax-variance-ascent", "relax-free-theta"].flatMap { c in (0..<seeds(scale)).map { RunUnit(c, $0) } }
    }

    public func run(_ unit: RunUnit, context: RunContext) throws -> DirectionRun {
        let method: RelaxToyMethod = unit.config == "relax-variance-ascent" ? .relaxVarianceAscent : .relax
        // "relax-free-theta": the toy's own training (theta learned, 10000 steps at quick and paper
        // scale), read at the run's final theta: a secondary measurement, reported in the table.
        let free = unit.config == "relax-free-theta"
        let stream = RandomStream(master: context.masterSeed, claim: id, label: "noise", index: unit.index)
        let r = try RelaxToy.train(method: method, target: Self.target, steps: free ? RelaxToyClaim().steps(context.scale) : steps(context.scale),
                                   checkpoints: 1, stream: stream, fixedLogit: !free, context: context)
        let net = TanhSurrogate(inputs: 1, hidden: RelaxToy.hidden, parameters: r.surrogateParameters)
        let zs = Self.grid.map { BernoulliReparameterization.z(logit: r.finalLogit, u: $0) }
        let evals = zs.map { net.evaluate([$0], parameterGradients: false) }
        let d = evals.map { $0.dz[0] }   // dz/da = 1
        let correct = d.filter { $0 > 0 }.count
        return DirectionRun(grid: Self.grid, relaxation: evals.map(\.value), derivative: d,
                            fractionCorrect: Double(correct) / Double(d.count), allCorrect: correct == d.count,
                            logTemperature: net.logTemperature, initialLogVariance: r.logVariance.first ?? .nan,
                            finalLogVariance: r.logVariance.last ?? .nan, maxAbsDerivative: d.map(abs).max() ?? .nan)
    }

    /// REBAR's relaxation derivative d/da (sigma(z/lambda) - t)^2 at a = 0 on the grid.
    static func rebarDerivative(lambda: Double) -> [Double] {
        let f = SquaredDistance(targets: [target])
        let c = ScaledRelaxedObjective(f, eta: 1, logTemperature: log(lambda))
        return grid.map { c.evaluate([BernoulliReparameterization.z(logit: 0, u: $0)], parameterGradients: false).dz[0] }
    }

    public func evidence(from results: [(unit: RunUnit, result: DirectionRun)], scale: Scale) throws -> Evidence {
        let alpha = StatisticalPolicy.claimAlpha
        func runs(_ c: String) -> [DirectionRun] { results.filter { $0.unit.config == c }.sorted { $0.unit.index < $1.unit.index }.map(\.result) }
        let relax = runs("relax"), mutant = runs("relax-variance-ascent"), free = runs("relax-free-theta")
        guard !relax.isEmpty, !mutant.isEmpty else { throw ClaimError.missingResults("both configurations are needed") }

        // REBAR, exactly: the derivative is positive on the grid exactly where u > sigmoid(lambda logit t).
        var rebarChecks: [Check] = [], rebarRows: [[String]] = []
        for lambda in [1.0, 0.5] {
            let d = Self.rebarDerivative(lambda: lambda)
            let threshold = Fn.sigmoid(lambda * Fn.logit(Self.target))
            let matches = zip(Self.grid, d).allSatisfy { ($1 > 0) == ($0 > threshold) }
            let fraction = Double(d.filter { $0 > 0 }.count) / Double(d.count)
            rebarChecks.append(.exact("REBAR, lambda = \(fmt(lambda))", asserts: "REBAR's relaxation points toward decreased loss exactly for u > sigmoid(lambda logit t) = \(fmt(threshold, 5))\(lambda == 1 ? " = t" : ""), and not for every u",
                                      passed: matches && fraction < 1, detail: "sign matches the threshold at all \(d.count) grid points: \(matches); fraction of the grid pointing the right way \(fmt(fraction, 3))"))
            rebarRows.append(["REBAR f(sigma_lambda(z)), lambda = \(fmt(lambda))", fmt(fraction, 3), "u > \(fmt(threshold, 5))"])
        }

        func relaxCheck(_ r: [DirectionRun]) -> Check {
            let k = r.filter(\.allCorrect).count
            let test = Holm.apply([RelaxStatistics.binomial(successes: k, trials: r.count, p0: 0.5, alternative: .greater, alpha: alpha,
                                                            label: "learned relaxation points the right way at every u", designP: 0.95)], familyAlpha: alpha)[0]
            return .test("RELAX, every u", asserts: "in more than half of the seeds, the learned relaxation's derivative points toward decreased loss at every grid point u (exact binomial)",
                         test, design: .claimIsAlternative,
                         detail: "\(k)/\(r.count) seeds correct at all \(Self.grid.count) grid points; mean fraction of the grid correct \(fmt(r.map(\.fractionCorrect).mean, 3)); " + Check.describe(test))
        }
        let checks = [relaxCheck(relax)] + rebarChecks
        let negative = NegativeControl(name: "surrogate ascends the variance", bug: "the surrogate follows +d|g|^2/dphi (sign error in the phi update); read through the same test",
                                       checks: [relaxCheck(mutant)])
        let rebar1 = Self.rebarDerivative(lambda: 1)
        var series: [Figure.Series] = [.init("REBAR lambda = 1: d/da f(sigma(z))", x: Self.grid, y: rebar1)]
        for (k, r) in relax.prefix(3).enumerated() { series.append(.init("RELAX seed \(k): d/da c_phi(z)", x: r.grid, y: r.derivative)) }
        series.append(.init("zero", x: [0, 1], y: [0, 0]))
        var relaxationSeries: [Figure.Series] = [
            .init("f(H(z))", x: Self.grid, y: Self.grid.map { $0 > 0.5 ? (1 - Self.target) * (1 - Self.target) : Self.target * Self.target }),
            .init("REBAR f(sigma(z)), lambda = 1", x: Self.grid, y: Self.grid.map { pow(Fn.sigmoid(Fn.logit($0)) - Self.target, 2) }),
            .init("REBAR f(sigma(z/0.5))", x: Self.grid, y: Self.grid.map { pow(Fn.sigmoid(Fn.logit($0) / 0.5) - Self.target, 2) }),
        ]
        for (k, r) in relax.prefix(3).enumerated() { relaxationSeries.append(.init("RELAX c_phi seed \(k)", x: r.grid, y: r.relaxation)) }
        return Evidence(
            headline: "Learned RELAX relaxation points toward lower loss at every u in \(relax.filter(\.allCorrect).count)/\(relax.count) seeds (mean grid fraction \(fmt(relax.map(\.fractionCorrect).mean, 3))); REBAR's (lambda = 1) only for u > t (fraction \(rebarRows[0][1])).",
            setup: [
                "theta = 1/2 held fixed (a = 0), t = 0.499; dE[f]/da = sigmoid'(0)(1 - 2t) > 0, so 'toward decreased loss' means d/da c(z(u)) > 0",
                "RELAX surrogate: 1-10-1 tanh on 2 sigmoid(z/tau) - 1, log tau = log 0.5 at the start, trained \(steps(scale)) steps by Eq. 14 (Adam lr 0.01, one (u, v) per step), \(relax.count) seeds",
                "Secondary (table only, not tested): \(free.count) RELAX runs trained as in relax.toy with theta free (\(RelaxToyClaim().steps(scale)) steps), read at their final theta",
                "Grid u = 0.005, 0.010, ..., 0.995 (\(Self.grid.count) points); REBAR's relaxation f(sigma_lambda(z)) at lambda = 1 and 0.5, in closed form",
                "Family alpha \(fmt(alpha)); exact binomial (private helper until the verification branch is merged)",
            ],
            checks: checks, negativeControls: [negative],
            tables: [Table(title: "Fraction of the u grid where the relaxation's derivative points toward decreased loss",
                           columns: ["relaxation", "fraction of grid (mean over seeds)", "where"],
                           rows: rebarRows + [["RELAX learned c_phi", fmt(relax.map(\.fractionCorrect).mean, 3), "\(relax.filter(\.allCorrect).count)/\(relax.count) seeds: every u"],
                                              ["RELAX trained as in relax.toy (theta free), read at its final theta", fmt(free.map(\.fractionCorrect).mean, 3), "\(free.filter(\.allCorrect).count)/\(free.count) seeds: every u"],
                                              ["RELAX, variance ascent (mutant)", fmt(mutant.map(\.fractionCorrect).mean, 3), "\(mutant.filter(\.allCorrect).count)/\(mutant.count) seeds: every u"]])],
            figures: [
                Figure(id: "direction", title: "d/da c(z(u)) at theta = 1/2 (> 0: toward lower loss)", xLabel: "u", yLabel: "d/da c(z(u))",
                       series: series, caption: "REBAR's fixed relaxation changes sign at u = t; the learned RELAX relaxations are the ones to compare."),
                Figure(id: "relaxations", title: "Relaxations at theta = 1/2 (like Figure 1, right)", xLabel: "u", yLabel: "value", series: relaxationSeries,
                       caption: "f(H(z)) jumps at u = 1/2; REBAR smooths it with sigma(z/lambda); RELAX learns its own curve."),
            ],
            notes: [
                "Why the sign is not pinned down by Eq. 14 here: for one Bernoulli, the constant surrogate c = (1 - theta) f(1) + theta f(0) makes g = (f(1) - f(0)) theta (1 - theta) for both values of b, i.e. a zero-variance RELAX estimator. Variance minimisation therefore drives d c/dz towards 0 without fixing its sign.",
                "Measured: exact log Var(g) went from \(fmt(relax.map(\.initialLogVariance).mean, 3)) at initialisation to \(fmt(relax.map(\.finalLogVariance).mean, 3)) after training (means over seeds); the largest |d c/da| on the grid is \(fmt(relax.map(\.maxAbsDerivative).mean, 3)) on average, against \(fmt(rebar1.map(abs).max() ?? .nan, 3)) for REBAR's relaxation at lambda = 1.",
            ])
    }
}
