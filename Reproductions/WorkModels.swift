import Pipeline

// Work models for the claims whose units cost very different amounts at different scales, so that
// `reproduce plan --estimate` can scale a measured quick (or smoke) unit time to paper scale. Each
// is read off the claim's own settings; only proportionality within a claim matters. Claims not
// listed here are estimated as if a unit cost the same at every scale (they run in seconds).

/// Image counts of the data sets the training claims load (see ClaimImageData).
enum DataSetSize {
    /// The MNIST 5k subset: 400 train / 100 test images per class.
    static let subset = (train: 4000, test: 1000)
    /// Full MNIST or its substitute Fashion-MNIST.
    static let full = (train: 60000, test: 10000)
    static func images(paperData: Bool, trainLimit: Int?, testLimit: Int?) -> (train: Int, test: Int) {
        let base = paperData ? full : subset
        return (min(base.train, trainLimit ?? .max), min(base.test, testLimit ?? .max))
    }
}

/// One pass of a 784-pixel image through fully connected layers of `width` units, `layers` deep:
/// the matrix products (784 x width, then width x width per further layer) plus the per-pixel work
/// that does not grow with the width (binarisation, sigmoids, log-likelihoods), counted as 16
/// multiply-adds a pixel. Without that term a width-50 quick unit overstated a width-200 paper
/// unit by ~1.8x (hnca.vae, measured).
private func passCost(width: Int, layers: Int) -> Double {
    784 * (Double(width) + 16) + Double(max(0, layers - 1)) * Double(width * width)
}

extension HNCABandit: WorkModeled {
    /// Each epoch trains on every train image (forward + backward) and evaluates the test images.
    public func work(of unit: RunUnit, at scale: Scale) -> UnitWork {
        let s = settings(scale)
        let n = DataSetSize.images(paperData: s.paperData, trainLimit: s.trainLimit, testLimit: s.testLimit)
        let depth = Config(name: unit.config)?.depth ?? 1
        let perEpoch = 3 * Double(n.train) + Double(n.test)
        return UnitWork(work: Double(s.epochs) * perEpoch * passCost(width: 200, layers: depth), imagesInMemory: n.train + n.test)
    }
}

extension HNCAVAE: WorkModeled {
    /// Training units: epochs over the train images plus the importance-weighted test bound;
    /// the exact and timing units scale with their own repetition counts.
    public func work(of unit: RunUnit, at scale: Scale) -> UnitWork {
        let s = settings(scale)
        switch unit.config {
        case "exact":
            return UnitWork(work: Double(s.exactNetworks))
        case "cost":
            return UnitWork(work: Double(s.costWidth * s.costWidth))
        case "timing":
            let w = Double(s.timingWidth), L = 3.0   // L = 1, 2, 3 are timed
            return UnitWork(work: w * w * L * L * Double(s.timingRepetitions * s.timingUpdates))
        default:
            let parts = unit.config.split(separator: "-")
            let layers = parts.first.flatMap { Int($0.dropFirst()) } ?? 1
            let n = DataSetSize.images(paperData: s.paperData, trainLimit: s.trainLimit, testLimit: nil)
            let trainPasses = 3 * Double(s.epochs) * Double(n.train)
            let boundPasses = Double(min(s.testImages, n.test) * s.boundSamples)
            var perTrainPass = passCost(width: s.units, layers: layers)
            // f-HNCA (and its mutant) flips every latent unit and re-scores its children: width x width
            // per further layer and width x 784 pixels for the last, each a log-probability (16 multiply-adds).
            if parts.count == 2, parts[1].hasPrefix("fHNCA") || parts[1] == "mutant" {
                let w = Double(s.units)
                perTrainPass += 16 * (Double(layers - 1) * w * w + w * 784) / 3
            }
            return UnitWork(work: trainPasses * perTrainPass + boundPasses * passCost(width: s.units, layers: layers),
                            imagesInMemory: n.train + n.test)
        }
    }
}

extension HNCAAblation: WorkModeled {
    /// Training units: hnca.vae's f-HNCA units at L = 3 without the test bound; the exact unit
    /// scales with its networks.
    public func work(of unit: RunUnit, at scale: Scale) -> UnitWork {
        let s = HNCAVAE().settings(scale)
        if unit.config == "exact" { return UnitWork(work: Double(s.exactNetworks)) }
        let n = DataSetSize.images(paperData: s.paperData, trainLimit: s.trainLimit, testLimit: nil)
        let w = Double(s.units), L = Double(Self.layers)
        let perTrainPass = passCost(width: s.units, layers: Self.layers) + 16 * ((L - 1) * w * w + w * 784) / 3
        return UnitWork(work: 3 * Double(s.epochs) * Double(n.train) * perTrainPass, imagesInMemory: n.train + n.test)
    }
}

extension RelaxVAEClaim: WorkModeled {
    /// Training units: epochs over the train images plus a variance probe per epoch.
    public func work(of unit: RunUnit, at scale: Scale) -> UnitWork {
        let s = settings(scale)
        if unit.config == "exact" { return UnitWork(work: Double(s.quadraturePoints)) }
        let layers = unit.config.hasPrefix("linear2") ? 2 : 1
        let n = DataSetSize.images(paperData: s.paperData, trainLimit: s.trainLimit, testLimit: nil)
        let passes = Double(s.epochs) * (3 * Double(n.train) + 3 * Double(s.varianceDraws * s.batch))
        // The learned networks per example and layer: RELAX's r (inputs x, samples below, z) about 8
        // network passes per training example (value and input derivative at z and z~, and Eq. 14's
        // reverse-over-forward at both), NVIL's and MuProp's baseline network about 3 (value, fit).
        let method = unit.config.split(separator: "-").dropFirst().first.map(String.init) ?? ""
        var networks = 0.0
        for e in 0..<layers {
            let inputs = Double(784 + (e + 1) * s.units)
            if method == "relax", s.rHidden.count == 2 {
                networks += 8 * (inputs * Double(s.rHidden[0]) + Double(s.rHidden[0] * s.rHidden[1]) + Double(s.rHidden[1]))
            }
            if method == "nvil" || method == "muprop", let h = s.baselineHidden.first {
                networks += 3 * Double(e == 0 ? 784 : s.units) * Double(h)
            }
        }
        let trainExamples = Double(s.epochs) * Double(n.train)
        return UnitWork(work: passes * passCost(width: s.units, layers: layers) + trainExamples * networks, imagesInMemory: n.train + n.test)
    }
}

extension RelaxToyClaim: WorkModeled {
    public func work(of unit: RunUnit, at scale: Scale) -> UnitWork { UnitWork(work: Double(steps(scale))) }
}

extension RelaxDirectionClaim: WorkModeled {
    public func work(of unit: RunUnit, at scale: Scale) -> UnitWork {
        UnitWork(work: Double(unit.config == "relax-free-theta" ? RelaxToyClaim().steps(scale) : steps(scale)))
    }
}

extension HNCAStochasticLastLayer: WorkModeled {
    /// Training units: epochs of (forward + backward, about 3 passes) over the train images and one
    /// pass over the test images, each pass the convolutions (3x3, VALID, on 28x28) and the dense layer
    /// to the Bernoulli units; the exact and cost units are the same size at every scale.
    public func work(of unit: RunUnit, at scale: Scale) -> UnitWork {
        let s = settings(scale)
        switch unit.config {
        case "exact": return UnitWork(work: Double(s.exactNetworks))
        case "cost": return UnitWork(work: Double(s.costWidths.count))
        default:
            let n = DataSetSize.images(paperData: s.paperData, trainLimit: s.trainLimit, testLimit: s.testLimit)
            var side = 28, channels = 1, pass = 0.0
            for c in s.channels {
                side -= 2
                pass += Double(side * side * c * 9 * channels)
                channels = c
            }
            pass += Double(side * side * channels * s.units) + 16 * 784
            let perEpoch = 3 * Double(n.train) + Double(n.test)
            return UnitWork(work: Double(s.epochs) * perEpoch * pass, imagesInMemory: n.train + n.test)
        }
    }
}
