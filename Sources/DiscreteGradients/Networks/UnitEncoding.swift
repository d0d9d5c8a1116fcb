/// How a Bernoulli unit's binary outcome is presented to its children: {0, 1} (the paper's
/// Algorithm 1 and VAE) or {-1, +1} (the paper's contextual-bandit experiments, Section 1.3).
public enum UnitEncoding: String, Codable, Sendable, CaseIterable {
    case zeroOne
    case plusMinusOne

    /// The value of a unit that did not fire.
    @inlinable public var off: Double { self == .zeroOne ? 0 : -1 }
    /// The value of a unit that fired.
    @inlinable public var on: Double { 1 }
    /// on - off: how far a parent's value moves when it flips.
    @inlinable public var gap: Double { self == .zeroOne ? 1 : 2 }
    @inlinable public func value(fired: Bool) -> Double { fired ? on : off }
    /// Reads a value back (anything above the midpoint counts as fired).
    @inlinable public func fired(_ value: Double) -> Bool { value > (self == .zeroOne ? 0.5 : 0) }
    /// The other value: the counterfactual a parent is flipped to.
    @inlinable public func flipped(_ value: Double) -> Double { fired(value) ? off : on }
}
