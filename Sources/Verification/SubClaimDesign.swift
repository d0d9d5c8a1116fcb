import Foundation

/// The layer of evidence a sub-claim belongs to (CLAIMS.md, "Negative controls"): every layer
/// that decides a verdict must have a mutant that fails at that layer.
public enum EvidenceLayer: String, Codable, Sendable, CaseIterable {
    case exact, monteCarlo = "monte-carlo", training, cost
}

/// How a sub-claim's interval is computed; fixes the degrees of freedom the decision
/// probabilities use.
public enum IntervalMethod: String, Codable, Sendable {
    /// t interval on the mean of n observations (one sample, or paired differences).
    case t = "t"
    /// Welch t interval on mean(A) - mean(B), n per group.
    case welch = "welch-t"
    /// Clopper-Pearson interval on a rate of n trials.
    case clopperPearson = "clopper-pearson"
    /// Asymptotically normal interval (e.g. the delta-method log variance ratio).
    case normal = "normal"
    /// A deterministic quantity (exact enumeration, counted operations): the interval is a point.
    case exact = "exact"
}

/// The sample sizes of a sub-claim at each scale (seeds, draws, networks: `SubClaimDesign.unit`).
public struct PerScale: Codable, Sendable, Equatable {
    public var smoke: Int, quick: Int, paper: Int
    public init(smoke: Int, quick: Int, paper: Int) { self.smoke = smoke; self.quick = quick; self.paper = paper }
    public init(_ all: Int) { self.init(smoke: all, quick: all, paper: all) }
    /// The size at a scale, by its name ("smoke", "quick", "paper").
    public subscript(scale scale: String) -> Int {
        switch scale { case "smoke": smoke; case "quick": quick; default: paper }
    }
}

/// A pre-registered sub-claim (CLAIMS.md, Statistical method 3-5): what is estimated, which side
/// the paper claims, the smallest effect of interest, the alpha share and the sample size per
/// scale, all fixed in code before any data is drawn. The verdict is read off the (1 - 2 alpha)
/// interval at the corrected alpha (`decide`); whether a scale can decide it at all is a property
/// of the design (`decidable`), not of the outcome.
public struct SubClaimDesign: Codable, Sendable, Equatable {
    public enum Claimed: String, Codable, Sendable {
        /// The estimand exceeds `reference` (by at least `sesoi` for the paper's claim to hold).
        case greater
        /// The estimand lies below `reference` (by at least `sesoi`).
        case less
        /// The estimand equals `reference` within ±`sesoi` (TOST; "unbiased", "no difference").
        case equivalent
        /// A deterministic quantity that must lie within `sesoi` of `reference` (rounding only).
        case exact
    }

    /// The sub-claim's name; checks and mutant checks carry the same name.
    public var name: String
    public var layer: EvidenceLayer
    /// What is estimated, in words, with its units.
    public var estimand: String
    public var claimed: Claimed
    /// The value of "no effect" (0 for a difference, p0 for a rate, the exact value for an estimate).
    public var reference: Double
    /// Smallest effect of interest beyond `reference` on the claimed side; the equivalence margin
    /// for `.equivalent`; the tolerance for `.exact`. In the estimand's units, never from data.
    public var sesoi: Double
    /// Where the SESOI / margin comes from (the paper's numbers, a fraction of the exact value...).
    public var sesoiSource: String
    /// Share of the claim's family alpha (weighted Bonferroni; shares of a claim sum to <= 1).
    public var alphaShare: Double
    /// Intervals this sub-claim decides on (e.g. one per coordinate); each gets alphaShare / count.
    public var count: Int
    public var method: IntervalMethod
    /// Standard deviation of one observation, stated in advance, for the decision probabilities
    /// (for `.clopperPearson` unused; for `.welch` the per-group sd).
    public var planningSD: Double
    public var sampleSize: PerScale
    /// What one observation is: "seeds", "draws", "networks"...
    public var unit: String
    /// The paper's words this sub-claim tests (CLAIMS.md, rule 13). Every sub-claim with a verdict
    /// carries one, and a test checks that it is found verbatim in its paper.
    public var quote: PaperQuote?
    /// The scales at which the estimand is the paper's (CLAIMS.md, rule 14), when declared; see
    /// `validScales` for the default.
    public var validAt: [String]?

    /// The scales at which this sub-claim's estimand is the paper's: a verdict anywhere else is a
    /// proxy. Declared per design; by default exact, Monte Carlo and cost checks are valid at
    /// every scale (they compute the paper's own quantity), training comparisons only at paper scale.
    public var validScales: [String] { validAt ?? (layer == .training ? ["paper"] : ["smoke", "quick", "paper"]) }
    /// Whether a verdict at `scale` is the paper's (not a proxy).
    public func isValid(at scale: String) -> Bool { validScales.contains(scale) }

    /// The same design anchored in a quote from the paper.
    public func quoted(_ quote: PaperQuote) -> SubClaimDesign { var d = self; d.quote = quote; return d }
    /// The same design with the scales at which its estimand is the paper's.
    public func valid(at scales: [String]) -> SubClaimDesign {
        precondition(!scales.isEmpty, "design \(name): a sub-claim needs at least one valid scale")
        var d = self; d.validAt = scales; return d
    }

    public init(_ name: String, layer: EvidenceLayer, estimand: String, claimed: Claimed, reference: Double = 0,
                sesoi: Double, sesoiSource: String, alphaShare: Double, count: Int = 1, method: IntervalMethod,
                planningSD: Double = .nan, sampleSize: PerScale, unit: String) {
        precondition(sesoi > 0 || method == .exact, "design \(name): the SESOI / margin must be positive")
        precondition(count >= 1, "design \(name): count must be >= 1")
        self.name = name; self.layer = layer; self.estimand = estimand; self.claimed = claimed
        self.reference = reference; self.sesoi = sesoi; self.sesoiSource = sesoiSource
        self.alphaShare = alphaShare; self.count = count; self.method = method; self.planningSD = planningSD
        self.sampleSize = sampleSize; self.unit = unit
    }

    /// A deterministic check: the quantity must lie within `tolerance` of `reference` (`.exact`),
    /// or strictly beyond `reference` on a side (`.greater` / `.less`; tolerance unused).
    public static func exact(_ name: String, layer: EvidenceLayer = .exact, estimand: String,
                             claimed: Claimed = .exact, reference: Double = 0,
                             tolerance: Double = 0, source: String, sampleSize: PerScale = PerScale(1),
                             unit: String = "enumerations") -> SubClaimDesign {
        SubClaimDesign(name, layer: layer, estimand: estimand, claimed: claimed, reference: reference,
                       sesoi: tolerance, sesoiSource: source, alphaShare: 0, method: .exact, planningSD: 0,
                       sampleSize: sampleSize, unit: unit)
    }

    /// The per-interval alpha within a claim whose family alpha is `familyAlpha`.
    public func alpha(familyAlpha: Double) -> Double { familyAlpha * alphaShare / Double(count) }

    // MARK: - The decision rule

    /// The verdict an interval (at level 1 - 2 alpha) gives under this design:
    /// - greater/less: NOT REPRODUCED when the interval excludes the SESOI (the effect, if any, is
    ///   smaller than the claim needs, or has the other sign); else REPRODUCED when it excludes
    ///   the reference on the claimed side; else INCONCLUSIVE.
    /// - equivalent: REPRODUCED inside ±margin, NOT REPRODUCED wholly outside it, else INCONCLUSIVE.
    /// - exact: REPRODUCED within the tolerance, else NOT REPRODUCED.
    public func decide(_ ci: Interval) -> Verdict {
        guard !ci.lower.isNaN, !ci.upper.isNaN, ci.lower <= ci.upper else { return .error }
        let r = reference, d = sesoi
        if method == .exact {
            // A deterministic value: no sampling error, so the side alone decides.
            switch claimed {
            case .greater: return ci.lower > r ? .reproduced : .notReproduced
            case .less: return ci.upper < r ? .reproduced : .notReproduced
            case .equivalent, .exact: return (ci.lower >= r - d && ci.upper <= r + d) ? .reproduced : .notReproduced
            }
        }
        switch claimed {
        case .greater:
            if ci.upper < r + d { return .notReproduced }
            return ci.lower > r ? .reproduced : .inconclusive
        case .less:
            if ci.lower > r - d { return .notReproduced }
            return ci.upper < r ? .reproduced : .inconclusive
        case .equivalent:
            if ci.lower > r - d && ci.upper < r + d { return .reproduced }
            if ci.lower > r + d || ci.upper < r - d { return .notReproduced }
            return .inconclusive
        case .exact:
            return (ci.lower >= r - d && ci.upper <= r + d) ? .reproduced : .notReproduced
        }
    }

    // MARK: - Planning: how often each verdict comes out

    /// Probabilities of the three verdicts at a true effect (estimand - reference), for n
    /// observations, judged at `alpha` per interval. Normal model for the estimate with standard
    /// error from `planningSD` and Student-t critical values; exact binomial sums for rates.
    public func probabilities(trueEffect e: Double, n: Int, alpha: Double) -> (reproduced: Double, notReproduced: Double) {
        switch method {
        case .exact:
            let v = decide(Interval(lower: reference + e, upper: reference + e, level: 1))
            return (v == .reproduced ? 1 : 0, v == .notReproduced ? 1 : 0)
        case .clopperPearson:
            return binomialProbabilities(rate: reference + e, n: n, alpha: alpha)
        case .t, .welch, .normal:
            guard n >= 2, planningSD.isFinite, planningSD >= 0 else { return (0, 0) }
            let se = method == .welch ? planningSD * (2 / Double(n)).squareRoot() : planningSD / Double(n).squareRoot()
            // Welch's interval estimates its df (Welch-Satterthwaite), between n - 1 (one group's
            // variance dominates) and 2n - 2 (equal variances). Planning at the lower end, for the
            // critical value and for the spread of the estimated sd, gives probabilities that hold
            // at any variance ratio; 2n - 2 was optimistic at n = 5 (CALIBRATION.md).
            let df: Double? = switch method { case .t, .welch: Double(n - 1); default: nil }
            let q = df.map { Dist.tUpperQuantile(alpha, df: $0) } ?? Dist.normalUpperQuantile(alpha)
            if se == 0 {
                let v = decide(Interval(lower: reference + e, upper: reference + e, level: 1 - 2 * alpha))
                return (v == .reproduced ? 1 : 0, v == .notReproduced ? 1 : 0)
            }
            // P(estimate < x) and P(estimate > x) for estimate ~ N(reference + e, se^2).
            func below(_ x: Double) -> Double { Dist.normalLower((x - reference - e) / se) }
            func above(_ x: Double) -> Double { Dist.normalUpper((x - reference - e) / se) }
            let r = reference, d = sesoi
            // The verdict probabilities given the interval's half-width.
            func given(half: Double) -> (reproduced: Double, notReproduced: Double) {
                switch claimed {
                case .greater:
                    return (above(max(r + half, r + d - half)), below(r + d - half))
                case .less:
                    return (below(min(r - half, r - d + half)), above(r - d + half))
                case .equivalent:
                    let rep = half < d ? max(0, below(r + d - half) - below(r - d + half)) : 0
                    return (rep, above(r + d + half) + below(r - d - half))
                case .exact:
                    return (0, 0)
                }
            }
            guard let df else { return given(half: q * se) }
            // A t interval's half-width is q se S with S = sqrt(V / df), V ~ chi^2(df), independent
            // of the mean: averaging over S gives the exact (noncentral t) probabilities. The
            // known-sd shortcut (S = 1) overstated them at small n (CALIBRATION.md).
            var rep = 0.0, not = 0.0
            Power.forEachSampleSDNode(df: df) { s, weight in
                let p = given(half: q * se * s)
                rep += weight * p.reproduced; not += weight * p.notReproduced
            }
            return (rep, not)
        }
    }

    private func binomialProbabilities(rate p: Double, n: Int, alpha: Double) -> (reproduced: Double, notReproduced: Double) {
        let p = min(1, max(0, p))
        var rep = 0.0, not = 0.0
        for k in 0...n {
            let w = Dist.binomialPMF(k, n: n, p: p)
            let ci = BinomialTest.clopperPearson(successes: k, trials: n, level: 1 - 2 * alpha)
            switch decide(ci) {
            case .reproduced: rep += w
            case .notReproduced: not += w
            default: break
            }
        }
        return (rep, not)
    }

    /// The effect at which a design is judged for "REPRODUCED should come out": the SESOI for a
    /// directional claim, no difference for an equivalence claim.
    public var claimHoldsEffect: Double {
        switch claimed { case .greater: sesoi; case .less: -sesoi; case .equivalent, .exact: 0 }
    }
    /// The effect at which "NOT REPRODUCED should come out": no effect for a directional claim,
    /// twice the margin for an equivalence claim (a bias of 2 margins must be caught).
    public var claimFailsEffect: Double {
        switch claimed { case .greater, .less: 0; case .equivalent: 2 * sesoi; case .exact: 2 * sesoi + 1e-300 }
    }

    /// The planning summary at one scale: the two probabilities the rules require to be >= 0.95,
    /// the two false-verdict rates, and whether the scale can decide the sub-claim.
    public func plan(scale: String, familyAlpha: Double) -> DesignPlan {
        let n = sampleSize[scale: scale]
        let a = alpha(familyAlpha: familyAlpha)
        if method == .exact {
            return .exact
        }
        let holds = probabilities(trueEffect: claimHoldsEffect, n: n, alpha: a)
        let fails = probabilities(trueEffect: claimFailsEffect, n: n, alpha: a)
        // False REPRODUCED: at the boundary of "the claim fails" (no effect; the margin for TOST).
        let boundary: Double = claimed == .equivalent ? sesoi : 0
        let falseRep = probabilities(trueEffect: boundary, n: n, alpha: a).reproduced
        // False NOT REPRODUCED: at the boundary of "the claim holds" (the SESOI; no bias for TOST).
        let falseNot = holds.notReproduced
        let decidable = holds.reproduced >= DesignPlan.requiredProbability && fails.notReproduced >= DesignPlan.requiredProbability
        return DesignPlan(n: n, alpha: a, reproducedWhenHolds: holds.reproduced, notReproducedWhenFails: fails.notReproduced,
                          falseReproduced: falseRep, falseNotReproduced: falseNot, decidable: decidable,
                          neededN: decidable ? n : neededSampleSize(alpha: a))
    }

    /// The smallest n (up to 10^7) at which both probabilities reach the required level.
    public func neededSampleSize(alpha a: Double) -> Int? {
        func ok(_ n: Int) -> Bool {
            probabilities(trueEffect: claimHoldsEffect, n: n, alpha: a).reproduced >= DesignPlan.requiredProbability
                && probabilities(trueEffect: claimFailsEffect, n: n, alpha: a).notReproduced >= DesignPlan.requiredProbability
        }
        let cap = method == .clopperPearson ? 5_000 : 10_000_000
        var hi = 2
        while !ok(hi) { hi *= 2; if hi > cap { return nil } }
        var lo = hi / 2
        if lo < 2 { return hi }
        while hi - lo > 1 { let mid = (lo + hi) / 2; if ok(mid) { hi = mid } else { lo = mid } }
        return hi
    }
}

/// A design's planning numbers at one scale.
public struct DesignPlan: Codable, Sendable, Equatable {
    /// Both verdicts must come out with at least this probability where the claim holds / fails.
    public static let requiredProbability = 0.95
    public var n: Int
    /// Per-interval alpha (after the claim's correction).
    public var alpha: Double
    /// P(REPRODUCED) at the SESOI (no bias for equivalence claims).
    public var reproducedWhenHolds: Double
    /// P(NOT REPRODUCED) at no effect (a bias of twice the margin for equivalence claims).
    public var notReproducedWhenFails: Double
    /// P(REPRODUCED) where the claim just fails (no effect; bias = margin for equivalence).
    public var falseReproduced: Double
    /// P(NOT REPRODUCED) where the claim just holds (effect = SESOI; no bias for equivalence).
    public var falseNotReproduced: Double
    public var decidable: Bool
    /// The sample size that would make it decidable (nil: none up to the search cap).
    public var neededN: Int?

    public init(n: Int, alpha: Double, reproducedWhenHolds: Double, notReproducedWhenFails: Double,
                falseReproduced: Double, falseNotReproduced: Double, decidable: Bool, neededN: Int?) {
        self.n = n; self.alpha = alpha; self.reproducedWhenHolds = reproducedWhenHolds
        self.notReproducedWhenFails = notReproducedWhenFails; self.falseReproduced = falseReproduced
        self.falseNotReproduced = falseNotReproduced; self.decidable = decidable; self.neededN = neededN
    }
    /// A deterministic check: always decidable, no error rates.
    public static let exact = DesignPlan(n: 1, alpha: 0, reproducedWhenHolds: 1, notReproducedWhenFails: 1,
                                         falseReproduced: 0, falseNotReproduced: 0, decidable: true, neededN: 1)
}

extension Sequence where Element == SubClaimDesign {
    /// The design registered under `name`; a claim asking for a name it never registered is a
    /// programming error, reported with the names it has.
    public func named(_ name: String) -> SubClaimDesign {
        guard let design = first(where: { $0.name == name }) else {
            preconditionFailure("no sub-claim design named \"\(name)\"; registered: \(map(\.name).joined(separator: "; "))")
        }
        return design
    }
}
