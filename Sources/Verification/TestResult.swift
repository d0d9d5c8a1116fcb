/// Which tail(s) a test looks at. `.greater` means H1: parameter > null value.
public enum Alternative: String, Codable, Sendable {
    case twoSided = "two-sided", greater, less
}

/// A confidence interval at a stated level.
public struct Interval: Codable, Sendable, Equatable {
    public var lower: Double
    public var upper: Double
    public var level: Double
    public init(lower: Double, upper: Double, level: Double) {
        self.lower = lower; self.upper = upper; self.level = level
    }
    public func contains(_ x: Double) -> Bool { lower <= x && x <= upper }
}

/// The outcome of one hypothesis test, with everything a report must state about it.
public struct TestResult: Codable, Sendable {
    public var test: String
    public var null: String
    public var alternative: String
    public var statisticName: String
    public var statistic: Double
    public var degreesOfFreedom: Double?
    public var pValue: Double
    /// The alpha this test is judged at (after any multiple-testing correction).
    public var alpha: Double
    public var sampleSize: Int
    public var estimate: Double?
    public var interval: Interval?
    /// Standardised effect (Cohen's d for t-tests).
    public var effectSize: Double?
    /// Power of the test at `designEffect` (the effect the design is meant to detect).
    public var power: Double?
    public var designEffect: Double?
    /// Set by a multiple-testing procedure (`Holm.apply`, `BenjaminiHochberg.apply`): its
    /// decision overrides `pValue < alpha`, because a step-wise procedure can retain a test
    /// whose p-value is under its own threshold (Holm stops at the first failure).
    public var adjustment: Adjustment?

    public init(test: String, null: String, alternative: String, statisticName: String, statistic: Double,
                degreesOfFreedom: Double? = nil, pValue: Double, alpha: Double, sampleSize: Int,
                estimate: Double? = nil, interval: Interval? = nil, effectSize: Double? = nil,
                power: Double? = nil, designEffect: Double? = nil) {
        self.test = test; self.null = null; self.alternative = alternative
        self.statisticName = statisticName; self.statistic = statistic
        self.degreesOfFreedom = degreesOfFreedom; self.pValue = pValue; self.alpha = alpha
        self.sampleSize = sampleSize; self.estimate = estimate; self.interval = interval
        self.effectSize = effectSize; self.power = power; self.designEffect = designEffect
    }

    /// H0 rejected: by the multiple-testing procedure when there is one, else p < alpha.
    /// A NaN p-value never rejects.
    public var rejected: Bool {
        guard pValue.isFinite else { return false }
        if let adjustment { return adjustment.rejected }
        return pValue < alpha
    }

    /// The same result judged at another alpha (drops any earlier multiple-testing decision).
    public func judged(at alpha: Double) -> TestResult {
        var r = self; r.alpha = alpha; r.adjustment = nil; return r
    }
    public func with(power: Double, at effect: Double) -> TestResult {
        var r = self; r.power = power; r.designEffect = effect; return r
    }
}

/// How a multiple-testing procedure judged one test of a family.
public struct Adjustment: Codable, Sendable, Equatable {
    /// "Holm" (family-wise error) or "Benjamini-Hochberg" (false discovery rate, exploratory only).
    public var procedure: String
    /// The family-wise alpha (Holm) or the false discovery rate q (Benjamini-Hochberg).
    public var familyLevel: Double
    public var familySize: Int
    /// 1-based position of this p-value in ascending order within the family.
    public var rank: Int
    /// The adjusted p-value (rejected exactly when it is below `familyLevel`, up to rounding).
    public var adjustedPValue: Double
    public var rejected: Bool
    /// Why the decision differs from `pValue < alpha`, when it does.
    public var note: String?

    public init(procedure: String, familyLevel: Double, familySize: Int, rank: Int,
                adjustedPValue: Double, rejected: Bool, note: String? = nil) {
        self.procedure = procedure; self.familyLevel = familyLevel; self.familySize = familySize
        self.rank = rank; self.adjustedPValue = adjustedPValue; self.rejected = rejected; self.note = note
    }
}
