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
    /// Hall's (1992) skew-corrected t on the mean of n observations (`SkewCorrectedT`): the t
    /// interval's one-sided error under skewness is O(1/sqrt n), this one's O(1/n). Below
    /// `SkewCorrectedT.minimumN` it is the plain t (the sample skewness is too noisy there).
    case skewCorrectedT = "skew-corrected-t"
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

    /// Why a sub-claim is descriptive: something the suite measures that the paper does not state
    /// (CLAIMS.md rule 13). Its check is computed and shown, but gives no verdict: the claim's
    /// verdict, its mutants' kills and its layers' coverage ignore it. Nil: a verdict sub-claim,
    /// which needs a quote.
    public var descriptiveBecause: String?
    public var isDescriptive: Bool { descriptiveBecause != nil }
    /// The same design, shown without a verdict because the paper does not state it.
    public func descriptive(_ why: String) -> SubClaimDesign { var d = self; d.descriptiveBecause = why; return d }

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

    /// Whether the interval is a mean of per-unit scalars (plain or skew-corrected t): the kind
    /// `reproduce calibrate` resamples on the claims' own shapes.
    public var isMeanInterval: Bool { method == .t || method == .skewCorrectedT }

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
    /// `sampleSDNodes` replaces the quadrature over the sample sd (nodes s with weights) for an
    /// independent check of it (`TailCalibration`); nil: `Power.forEachSampleSDNode`.
    public func probabilities(trueEffect e: Double, n: Int, alpha: Double,
                              sampleSDNodes: [(s: Double, weight: Double)]? = nil) -> (reproduced: Double, notReproduced: Double) {
        switch method {
        case .exact:
            let v = decide(Interval(lower: reference + e, upper: reference + e, level: 1))
            return (v == .reproduced ? 1 : 0, v == .notReproduced ? 1 : 0)
        case .clopperPearson:
            return binomialProbabilities(rate: reference + e, n: n, alpha: alpha)
        case .t, .skewCorrectedT, .welch, .normal:
            guard n >= 2, planningSD.isFinite, planningSD >= 0 else { return (0, 0) }
            let se = method == .welch ? planningSD * (2 / Double(n)).squareRoot() : planningSD / Double(n).squareRoot()
            // Welch's interval estimates its df (Welch-Satterthwaite), between n - 1 (one group's
            // variance dominates) and 2n - 2 (equal variances). Planning at the lower end, for the
            // critical value and for the spread of the estimated sd, gives probabilities that hold
            // at any variance ratio; 2n - 2 was optimistic at n = 5 (CALIBRATION.md).
            let df: Double? = switch method { case .t, .skewCorrectedT, .welch: Double(n - 1); default: nil }
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
            let accumulate = { (s: Double, weight: Double) in
                let p = given(half: q * se * s)
                rep += weight * p.reproduced; not += weight * p.notReproduced
            }
            if let sampleSDNodes { for node in sampleSDNodes { accumulate(node.s, node.weight) } }
            else { Power.forEachSampleSDNode(df: df, accumulate) }
            return (rep, not)
        }
    }

    private func binomialProbabilities(rate p: Double, n: Int, alpha: Double) -> (reproduced: Double, notReproduced: Double) {
        let p = min(1, max(0, p))
        var rep = 0.0, not = 0.0
        // Only the counts with non-negligible probability: beyond 40 sd (plus a margin for tiny
        // n p) of the mean the binomial pmf is below 1e-300, so a design of 10^6 draws needs a
        // few thousand interval inversions instead of 10^6.
        let spread = 40 * (Double(n) * p * (1 - p)).squareRoot() + 50
        let lo = max(0, Int((Double(n) * p - spread).rounded(.down)))
        let hi = min(n, Int((Double(n) * p + spread).rounded(.up)))
        for k in lo...hi {
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

    /// The verdict probabilities of the whole sub-claim (its `count` intervals judged together by
    /// `Verdict.all`: REPRODUCED only when every interval is, NOT REPRODUCED when any interval is),
    /// from the per-interval ones, by bounds that hold whatever the correlation between the
    /// intervals (they share seeds, draws or streams, so independence is not assumed):
    /// - where the claim holds (every interval at the claim-holds effect): P(REPRODUCED) >=
    ///   1 - count (1 - p) (Bonferroni) and P(NOT REPRODUCED) <= count x the per-interval rate
    ///   (union bound);
    /// - where it fails (at least one interval at the claim-fails effect, the others anywhere):
    ///   P(NOT REPRODUCED) >= that interval's rate, and P(REPRODUCED) <= that interval's rate.
    /// Each returned number is the side of the bound the rules need: the guaranteed probability of
    /// the right verdict, the largest possible rate of the wrong one.
    public func subClaimProbabilities(n: Int, alpha a: Double)
        -> (reproducedWhenHolds: Double, notReproducedWhenHolds: Double, notReproducedWhenFails: Double,
            reproducedAtFailureBoundary: Double, intervalReproducedWhenHolds: Double) {
        let k = Double(count)
        let holds = probabilities(trueEffect: claimHoldsEffect, n: n, alpha: a)
        let fails = probabilities(trueEffect: claimFailsEffect, n: n, alpha: a)
        // False REPRODUCED: at the boundary of "the claim fails" (no effect; the margin for TOST).
        let boundary: Double = claimed == .equivalent ? sesoi : 0
        let falseRep = probabilities(trueEffect: boundary, n: n, alpha: a).reproduced
        return (max(0, 1 - k * (1 - holds.reproduced)), min(1, k * holds.notReproduced), fails.notReproduced,
                falseRep, holds.reproduced)
    }

    /// The planning summary at one scale: the two probabilities the rules require to be >= 0.95,
    /// the two false-verdict rates, and whether the scale can decide the sub-claim, all for the
    /// sub-claim as a whole (`subClaimProbabilities`; CLAIMS.md rule 2), not per interval.
    public func plan(scale: String, familyAlpha: Double) -> DesignPlan {
        let n = sampleSize[scale: scale]
        let a = alpha(familyAlpha: familyAlpha)
        if method == .exact {
            return .exact
        }
        let p = subClaimProbabilities(n: n, alpha: a)
        let decidable = p.reproducedWhenHolds >= DesignPlan.requiredProbability && p.notReproducedWhenFails >= DesignPlan.requiredProbability
        return DesignPlan(n: n, alpha: a, reproducedWhenHolds: p.reproducedWhenHolds, notReproducedWhenFails: p.notReproducedWhenFails,
                          falseReproduced: p.reproducedAtFailureBoundary, falseNotReproduced: p.notReproducedWhenHolds, decidable: decidable,
                          neededN: decidable ? n : neededSampleSize(alpha: a),
                          intervals: count, intervalReproducedWhenHolds: p.intervalReproducedWhenHolds)
    }

    /// The smallest n (up to 10^7) at which both whole-sub-claim probabilities reach the required level.
    public func neededSampleSize(alpha a: Double) -> Int? {
        func ok(_ n: Int) -> Bool {
            let p = subClaimProbabilities(n: n, alpha: a)
            return p.reproducedWhenHolds >= DesignPlan.requiredProbability && p.notReproducedWhenFails >= DesignPlan.requiredProbability
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
    /// P(REPRODUCED) of the whole sub-claim at the SESOI (no bias for equivalence claims) in every
    /// interval: a lower bound (`SubClaimDesign.subClaimProbabilities`).
    public var reproducedWhenHolds: Double
    /// P(NOT REPRODUCED) of the whole sub-claim when an interval has no effect (a bias of twice the
    /// margin for equivalence claims): a lower bound.
    public var notReproducedWhenFails: Double
    /// P(REPRODUCED) where the claim just fails (no effect; bias = margin for equivalence): an upper bound.
    public var falseReproduced: Double
    /// P(NOT REPRODUCED) of the whole sub-claim where it just holds (effect = SESOI in every
    /// interval; no bias for equivalence): an upper bound (union over the intervals).
    public var falseNotReproduced: Double
    public var decidable: Bool
    /// The sample size that would make it decidable (nil: none up to the search cap).
    public var neededN: Int?
    /// Intervals judged together (the design's `count`); nil in plans stored before whole-sub-claim
    /// planning (issue 20), whose probabilities were per interval.
    public var intervals: Int?
    /// P(REPRODUCED) of one interval where the claim holds (the number the whole-sub-claim bound starts from).
    public var intervalReproducedWhenHolds: Double?

    public init(n: Int, alpha: Double, reproducedWhenHolds: Double, notReproducedWhenFails: Double,
                falseReproduced: Double, falseNotReproduced: Double, decidable: Bool, neededN: Int?,
                intervals: Int? = nil, intervalReproducedWhenHolds: Double? = nil) {
        self.n = n; self.alpha = alpha; self.reproducedWhenHolds = reproducedWhenHolds
        self.notReproducedWhenFails = notReproducedWhenFails; self.falseReproduced = falseReproduced
        self.falseNotReproduced = falseNotReproduced; self.decidable = decidable; self.neededN = neededN
        self.intervals = intervals; self.intervalReproducedWhenHolds = intervalReproducedWhenHolds
    }
    /// A deterministic check: always decidable, no error rates.
    public static let exact = DesignPlan(n: 1, alpha: 0, reproducedWhenHolds: 1, notReproducedWhenFails: 1,
                                         falseReproduced: 0, falseNotReproduced: 0, decidable: true, neededN: 1)
}

extension Sequence where Element == SubClaimDesign {
    /// The designs, with those named in `reasons` made descriptive for the reason given; every
    /// name must be one of the designs (a typo would silently keep a verdict).
    public func describing(_ reasons: [String: String]) -> [SubClaimDesign] {
        let all = Array(self)
        for name in reasons.keys where !all.contains(where: { $0.name == name }) {
            preconditionFailure("descriptive sub-claim \"\(name)\" is not a design; designs: \(all.map(\.name).joined(separator: "; "))")
        }
        return all.map { d in reasons[d.name].map { d.descriptive($0) } ?? d }
    }

    /// The design registered under `name`; a claim asking for a name it never registered is a
    /// programming error, reported with the names it has.
    public func named(_ name: String) -> SubClaimDesign {
        guard let design = first(where: { $0.name == name }) else {
            preconditionFailure("no sub-claim design named \"\(name)\"; registered: \(map(\.name).joined(separator: "; "))")
        }
        return design
    }
}
