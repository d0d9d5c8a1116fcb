/// How much work one unit does at a scale, relative to the same claim's other units and scales,
/// so that a unit's measured wall time at one scale predicts its time at another.
///
/// Claims adopt `WorkModeled` to state their cost in their own terms (epochs x images x network
/// size, samples drawn...); the numbers only need to be proportional to the compute, not in any
/// particular unit. A claim without a model is estimated as if its units cost the same at every
/// scale, and the estimate says so.
public struct UnitWork: Sendable, Equatable {
    /// Proportional to the unit's compute (arbitrary unit, consistent within one claim).
    public var work: Double
    /// Images the unit holds in memory (data sets dominate memory growth between scales).
    public var imagesInMemory: Int
    public init(work: Double, imagesInMemory: Int = 0) {
        self.work = work; self.imagesInMemory = imagesInMemory
    }
    /// Bytes one image of 784 Float pixels takes (binarised copies are made per batch). With it, a
    /// 60 MB quick hnca.vae unit predicts 266 MB at paper scale; 255 MB was measured (VmHWM).
    public static let bytesPerImage = 784.0 * 4
}

public protocol WorkModeled {
    func work(of unit: RunUnit, at scale: Scale) -> UnitWork
}
