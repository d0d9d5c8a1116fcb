/// Images as intensities in [0, 1] (row-major, one image after another) with integer labels.
/// Stored as Float: the full MNIST training set is 47M pixels.
public struct LabeledImages: Sendable {
    public let pixelsPerImage: Int
    public let intensities: [Float]
    public let labels: [Int]

    public init(pixelsPerImage: Int, intensities: [Float], labels: [Int]) {
        precondition(pixelsPerImage > 0 && intensities.count == pixelsPerImage * labels.count,
                     "LabeledImages: \(intensities.count) intensities for \(labels.count) images of \(pixelsPerImage) pixels")
        self.pixelsPerImage = pixelsPerImage; self.intensities = intensities; self.labels = labels
    }
    public var count: Int { labels.count }
    public func intensity(image: Int, pixel: Int) -> Float { intensities[image * pixelsPerImage + pixel] }

    /// The images at `indices`, in that order.
    public func subset(_ indices: [Int]) -> LabeledImages {
        var values: [Float] = []
        values.reserveCapacity(indices.count * pixelsPerImage)
        for i in indices { values.append(contentsOf: intensities[(i * pixelsPerImage)..<((i + 1) * pixelsPerImage)]) }
        return LabeledImages(pixelsPerImage: pixelsPerImage, intensities: values, labels: indices.map { labels[$0] })
    }
}

/// A labelled image data set with its standard train/test split.
public struct ImageDataset: Sendable {
    /// Short name for reports, e.g. "MNIST" or "Fashion-MNIST (substitute for MNIST)".
    public var name: String
    /// Where it came from and how it was split, one line (recorded in result files).
    public var provenance: String
    public var classes: Int
    public var train: LabeledImages
    public var test: LabeledImages

    public init(name: String, provenance: String, classes: Int, train: LabeledImages, test: LabeledImages) {
        precondition(train.pixelsPerImage == test.pixelsPerImage, "ImageDataset: train and test images differ in size")
        self.name = name; self.provenance = provenance; self.classes = classes; self.train = train; self.test = test
    }
    public var pixelsPerImage: Int { train.pixelsPerImage }
    /// One line for `RunContext.dataset`.
    public var summary: String { "\(name): \(train.count) train / \(test.count) test images of \(pixelsPerImage) pixels; \(provenance)" }
}
