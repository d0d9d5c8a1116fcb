import DiscreteGradients

/// Dynamic binarisation (HNCA paper Section 1.3, after Dong, Mnih and Tucker 2020): every time an
/// image is used, each pixel is drawn afresh as Bernoulli(intensity). Drawing once per image per
/// epoch is therefore the same as re-binarising the whole set every epoch.
public enum DynamicBinarization {
    /// Writes a fresh binarisation of images `indices` of `images` into the rows of `batch`
    /// (values 0 or 1). Pixels of intensity 0 or 1 are deterministic and draw no random number.
    public static func fill(_ batch: inout Matrix, from images: LabeledImages, indices: ArraySlice<Int>,
                            stream: inout RandomStream) {
        let d = images.pixelsPerImage
        precondition(batch.rows == indices.count && batch.cols == d, "binarize: batch is \(batch.rows)x\(batch.cols), expected \(indices.count)x\(d)")
        images.intensities.withUnsafeBufferPointer { source in
            // One uniform per grey pixel of the batch, drawn in one call.
            var grey = 0
            for image in indices {
                for j in (image * d)..<((image + 1) * d) where source[j] > 0 && source[j] < 1 { grey += 1 }
            }
            var uniforms = [Double](repeating: 0, count: grey)
            stream.fillUniform(&uniforms)
            var k = 0
            batch.data.withUnsafeMutableBufferPointer { out in
                for (r, image) in indices.enumerated() {
                    let base = image * d, o = r * d
                    for j in 0..<d {
                        let p = Double(source[base + j])
                        if p <= 0 { out[o + j] = 0 } else if p >= 1 { out[o + j] = 1 } else {
                            out[o + j] = uniforms[k] < p ? 1 : 0
                            k += 1
                        }
                    }
                }
            }
        }
    }

    /// A fresh binarisation of `indices` as a new matrix (one row per image).
    public static func binarize(_ images: LabeledImages, indices: ArraySlice<Int>, stream: inout RandomStream) -> Matrix {
        var m = Matrix(rows: indices.count, cols: images.pixelsPerImage)
        fill(&m, from: images, indices: indices, stream: &stream)
        return m
    }
}
