import Datasets
import DiscreteGradients

/// Training images binarised once (x > 0.5, static), as the RELAX draft's released VAE script does,
/// with the published VAE set-up built on them: shared by relax.vae and the estimators benchmark.
struct StaticBinaryImages {
    /// [images x pixels], 0/1.
    let pixels: Matrix
    /// Per-pixel mean over the binarised images.
    let means: [Double]

    init(_ images: LabeledImages) {
        let D = images.pixelsPerImage
        pixels = Matrix(rows: images.count, cols: D, data: (0..<(images.count * D)).map { images.intensity(image: $0 / D, pixel: $0 % D) > 0.5 ? 1 : 0 })
        means = pixels.columnSums().map { $0 / Double(images.count) }
    }

    /// The given images as a minibatch (rows).
    func rows(_ indices: some Collection<Int>) -> Matrix {
        Matrix(rows: indices.count, cols: pixels.cols, data: indices.flatMap { pixels.row($0) })
    }

    /// The published set-up's model: +-1 latents, Glorot-uniform weights drawn first from `stream`,
    /// decoder output bias at the logit of the pixel means (clipped to [1e-3, 1 - 1e-3]), learned
    /// prior from 0, encoder input centred by the pixel means.
    func publishedModel(latent: [Int], hidden: [Int] = [], stream: inout RandomStream) -> DiscreteVAE {
        var model = DiscreteVAE.glorotUniform(inputs: pixels.cols, latent: latent, coding: .plusMinusOne, hidden: hidden, stream: &stream)
        model.decoder[0].parameters.bias = means.map { Fn.logit(min(max($0, 1e-3), 1 - 1e-3)) }
        model.inputOffset = means
        return model
    }
}
