/// The IDX format of the MNIST files (LeCun et al.): a 4-byte magic number 0x00 0x00 <type> <rank>,
/// `rank` big-endian 32-bit dimensions, then the values. MNIST images are type 0x08 (unsigned
/// byte) with rank 3 (count, rows, cols); labels are type 0x08 with rank 1.
public enum IDXFile {
    /// The unsigned-byte tensor in `path` (plain or gzip), checked to have the expected rank and
    /// exactly as many values as its dimensions say.
    public static func readBytes(_ path: String, rank expectedRank: Int, hint: String = "") throws -> (dimensions: [Int], values: ArraySlice<UInt8>) {
        let bytes = try CompressedFile.read(path, hint: hint)
        guard bytes.count >= 4 else {
            throw DatasetError.corrupt(path: path, reason: "\(bytes.count) bytes, too short for an IDX header")
        }
        let magic = bytes[0..<4].map { String($0, radix: 16) }.joined(separator: " ")
        guard bytes[0] == 0, bytes[1] == 0, bytes[2] == 0x08, Int(bytes[3]) == expectedRank else {
            let expected = "0 0 8 \(expectedRank)"
            throw DatasetError.corrupt(path: path, reason: "bad magic number \(magic) (hex), expected \(expected) for an unsigned-byte IDX file of rank \(expectedRank)")
        }
        let headerSize = 4 + 4 * expectedRank
        guard bytes.count >= headerSize else {
            throw DatasetError.corrupt(path: path, reason: "truncated header: \(bytes.count) bytes, the header needs \(headerSize)")
        }
        let dimensions = (0..<expectedRank).map { d -> Int in
            let o = 4 + 4 * d
            return Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
        }
        let expected = dimensions.reduce(1, *)
        let actual = bytes.count - headerSize
        if actual < expected {
            throw DatasetError.corrupt(path: path, reason: "truncated: dimensions \(dimensions) need \(expected) values, the file holds \(actual)")
        }
        if actual > expected {
            throw DatasetError.corrupt(path: path, reason: "wrong counts: dimensions \(dimensions) need \(expected) values, the file holds \(actual)")
        }
        return (dimensions, bytes[headerSize...])
    }

    /// An images file (rank 3) and its labels file (rank 1) as one set of labelled images,
    /// intensities = byte / 255. The counts must agree and every label must be below `classes`.
    public static func readImages(images: String, labels: String, classes: Int = 10, hint: String = "") throws -> LabeledImages {
        let (dims, pixels) = try readBytes(images, rank: 3, hint: hint)
        let (labelDims, labelBytes) = try readBytes(labels, rank: 1, hint: hint)
        guard dims[0] == labelDims[0] else {
            throw DatasetError.corrupt(path: labels, reason: "wrong counts: \(labelDims[0]) labels for \(dims[0]) images in \(images)")
        }
        guard dims[1] > 0, dims[2] > 0 else {
            throw DatasetError.corrupt(path: images, reason: "images of \(dims[1])x\(dims[2]) pixels")
        }
        if let bad = labelBytes.first(where: { Int($0) >= classes }) {
            throw DatasetError.corrupt(path: labels, reason: "label \(bad) is not one of the \(classes) classes")
        }
        return LabeledImages(pixelsPerImage: dims[1] * dims[2], intensities: pixels.map { Float($0) / 255 },
                             labels: labelBytes.map { Int($0) })
    }

    /// The bytes of an unsigned-byte IDX file holding `values` with `dimensions` (for tests and tools).
    public static func encode(dimensions: [Int], values: [UInt8]) -> [UInt8] {
        precondition(dimensions.reduce(1, *) == values.count)
        var out: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions { out += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
        return out + values
    }
}
