import CZlib
import Datasets
import DiscreteGradients
import Foundation
import Testing

/// Data loading: small generated IDX files (plain and gzipped), and the ways files go wrong.
@Suite struct DatasetTests {
    /// A fresh folder for one test's files.
    func scratch(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dg-dataset-tests-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }
    func write(_ bytes: [UInt8], to path: String, gzip: Bool) throws {
        if !gzip { try Data(bytes).write(to: URL(fileURLWithPath: path)); return }
        let file = try #require(gzopen(path, "wb"))
        let n = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32(bytes.count)) }
        gzclose(file)
        #expect(Int(n) == bytes.count)
    }
    /// Three 2x3 images with labels 7, 0, 9.
    let pixels: [UInt8] = [0, 255, 51, 102, 0, 255,  1, 2, 3, 4, 5, 6,  255, 255, 255, 0, 0, 0]
    let labels: [UInt8] = [7, 0, 9]

    /// Writes a four-file MNIST-format folder of the small set (train = test).
    func writeFolder(_ dir: String, gzip: Bool) throws {
        let suffix = gzip ? ".gz" : ""
        for (images, labelFile) in [(MNISTFolder.trainImages, MNISTFolder.trainLabels), (MNISTFolder.testImages, MNISTFolder.testLabels)] {
            try write(IDXFile.encode(dimensions: [3, 2, 3], values: pixels), to: "\(dir)/\(images)\(suffix)", gzip: gzip)
            try write(IDXFile.encode(dimensions: [3], values: labels), to: "\(dir)/\(labelFile)\(suffix)", gzip: gzip)
        }
    }

    @Test(arguments: [false, true]) func readsPlainAndGzippedIDX(gzip: Bool) throws {
        let dir = try scratch("ok-\(gzip)")
        try writeFolder(dir, gzip: gzip)
        let set = try MNISTFolder.load(dir, name: "tiny")
        #expect(set.train.count == 3 && set.test.count == 3 && set.pixelsPerImage == 6)
        #expect(set.train.labels == [7, 0, 9])
        #expect(set.train.intensity(image: 0, pixel: 1) == 1)
        #expect(abs(set.train.intensity(image: 0, pixel: 2) - 0.2) < 1e-6)
        #expect(set.train.intensities.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    /// Expects `body` to throw a DatasetError whose message names `file` and contains `words`.
    func expectError(naming file: String, _ words: String, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected an error naming \(file)")
        } catch let error as DatasetError {
            #expect(error.description.contains(file), "\(error)")
            #expect(error.description.contains(words), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func missingFileIsNamed() throws {
        let dir = try scratch("missing")
        expectError(naming: "\(dir)/train-images-idx3-ubyte.gz", "missing") { _ = try MNISTFolder.load(dir, name: "x") }
        expectError(naming: "\(dir)/nowhere", "missing") { _ = try MNISTFolder.load("\(dir)/nowhere", name: "x") }
    }

    @Test func wrongMagicIsRejected() throws {
        let dir = try scratch("magic")
        try writeFolder(dir, gzip: false)
        var bytes = IDXFile.encode(dimensions: [3, 2, 3], values: pixels)
        bytes[3] = 1   // a labels header on an images file
        try write(bytes, to: "\(dir)/\(MNISTFolder.trainImages)", gzip: false)
        expectError(naming: MNISTFolder.trainImages, "bad magic number") { _ = try MNISTFolder.load(dir, name: "x") }
    }

    @Test(arguments: [false, true]) func truncatedDataIsRejected(gzip: Bool) throws {
        let dir = try scratch("truncated-\(gzip)")
        try writeFolder(dir, gzip: gzip)
        let bytes = IDXFile.encode(dimensions: [3, 2, 3], values: pixels)
        let name = "\(dir)/\(MNISTFolder.testImages)" + (gzip ? ".gz" : "")
        try write(Array(bytes.dropLast(4)), to: name, gzip: gzip)
        expectError(naming: name, "truncated") { _ = try MNISTFolder.load(dir, name: "x") }
    }

    @Test func truncatedGzipStreamIsRejected() throws {
        let dir = try scratch("gzip-cut")
        try writeFolder(dir, gzip: true)
        let name = "\(dir)/\(MNISTFolder.trainLabels).gz"
        let whole = try Data(contentsOf: URL(fileURLWithPath: name))
        try whole.prefix(whole.count - 6).write(to: URL(fileURLWithPath: name))   // cut inside the trailer
        expectError(naming: name, "gzip stream is truncated") { _ = try MNISTFolder.load(dir, name: "x") }
    }

    @Test func corruptGzipStreamIsRejected() throws {
        let dir = try scratch("gzip-bad")
        try writeFolder(dir, gzip: true)
        let name = "\(dir)/\(MNISTFolder.trainImages).gz"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: name)))
        for i in 12..<(bytes.count - 8) { bytes[i] ^= 0x5a }   // scramble the deflate data
        try Data(bytes).write(to: URL(fileURLWithPath: name))
        expectError(naming: name, "gzip stream is") { _ = try MNISTFolder.load(dir, name: "x") }
    }

    @Test func labelCountMustMatchImageCount() throws {
        let dir = try scratch("counts")
        try writeFolder(dir, gzip: false)
        try write(IDXFile.encode(dimensions: [2], values: [1, 2]), to: "\(dir)/\(MNISTFolder.trainLabels)", gzip: false)
        expectError(naming: MNISTFolder.trainLabels, "2 labels for 3 images") { _ = try MNISTFolder.load(dir, name: "x") }
    }

    @Test func extraBytesAreWrongCounts() throws {
        let dir = try scratch("extra")
        try writeFolder(dir, gzip: false)
        try write(IDXFile.encode(dimensions: [3], values: labels) + [1], to: "\(dir)/\(MNISTFolder.testLabels)", gzip: false)
        expectError(naming: MNISTFolder.testLabels, "wrong counts") { _ = try MNISTFolder.load(dir, name: "x") }
    }

    @Test func subsetCSVIsParsedAndSplitPerClass() throws {
        let dir = try scratch("csv")
        // Ten rows: five of class 3, five of class 8; 784 pixels each.
        var text = ""
        for r in 0..<10 { text += (0..<784).map { String(($0 + r) % 256) }.joined(separator: ",") + ",\(r < 5 ? 3 : 8)\n" }
        try write(Array(text.utf8), to: "\(dir)/mnist_5k.csv.gz", gzip: true)
        let set = try MNISTSubsetCSV.load("\(dir)/mnist_5k.csv.gz")
        #expect(set.train.count == 8 && set.test.count == 2)
        #expect(set.train.labels == [3, 3, 3, 3, 8, 8, 8, 8] && set.test.labels == [3, 8])
        #expect(abs(set.test.intensity(image: 0, pixel: 0) - 4 / 255) < 1e-6)   // row 4, pixel 0
        try write(Array("1,2,3\n".utf8), to: "\(dir)/short.csv", gzip: false)
        expectError(naming: "short.csv", "3 fields") { _ = try MNISTSubsetCSV.load("\(dir)/short.csv") }
    }

    @Test func binarizationDrawsEachPixelWithItsIntensity() throws {
        // 20000 draws of one pixel of intensity 0.2: the count is Binomial(20000, 0.2), sd 57;
        // +-400 is 7 sd (false-failure rate ~1e-12). Pixels of intensity 0 and 1 are fixed.
        let images = LabeledImages(pixelsPerImage: 3, intensities: [0, 0.2, 1], labels: [0])
        var stream = RandomStream(seed: 11)
        var ones = 0
        let indices = Array(repeating: 0, count: 20_000)
        let m = DynamicBinarization.binarize(images, indices: indices[...], stream: &stream)
        for r in 0..<m.rows {
            #expect(m[r, 0] == 0 && m[r, 2] == 1)
            ones += Int(m[r, 1])
        }
        #expect(abs(ones - 4000) < 400)
    }

    @Test func realFashionMNISTTestFilesLoadWhenInstalled() throws {
        let folder = StandardDatasets.fashionMNISTFolder
        guard FileManager.default.fileExists(atPath: "\(folder)/t10k-images-idx3-ubyte.gz") else { return }
        let test = try IDXFile.readImages(images: "\(folder)/t10k-images-idx3-ubyte.gz", labels: "\(folder)/t10k-labels-idx1-ubyte.gz")
        #expect(test.count == 10_000 && test.pixelsPerImage == 784)
        #expect(Set(test.labels) == Set(0..<10))
        #expect(test.intensities.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
}
