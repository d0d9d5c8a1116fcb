import Foundation

/// A folder with the four standard MNIST-format files (plain or .gz): MNIST itself, or
/// Fashion-MNIST, which uses the same names and format.
public enum MNISTFolder {
    public static let trainImages = "train-images-idx3-ubyte"
    public static let trainLabels = "train-labels-idx1-ubyte"
    public static let testImages = "t10k-images-idx3-ubyte"
    public static let testLabels = "t10k-labels-idx1-ubyte"

    /// The path of `stem` in `folder`: the plain file if present, else `stem.gz` (the name
    /// reported if neither exists).
    static func locate(_ stem: String, in folder: String) -> String {
        let plain = (folder as NSString).appendingPathComponent(stem)
        if FileManager.default.fileExists(atPath: plain) { return plain }
        return plain + ".gz"
    }

    /// The standard 60000 / 10000 split from `folder`.
    public static func load(_ folder: String, name: String, hint: String = "") throws -> ImageDataset {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError.missing(path: folder, hint: hint.isEmpty ? "expected a folder with the four MNIST-format files" : hint)
        }
        let train = try IDXFile.readImages(images: locate(trainImages, in: folder), labels: locate(trainLabels, in: folder), hint: hint)
        let test = try IDXFile.readImages(images: locate(testImages, in: folder), labels: locate(testLabels, in: folder), hint: hint)
        return ImageDataset(name: name, provenance: "standard train/test split from \(folder)", classes: 10, train: train, test: test)
    }
}

/// The data sets the reproductions use, by where they come from.
public enum StandardDatasets {
    /// Debian's `dataset-fashion-mnist` package installs here.
    public static let fashionMNISTFolder = "/usr/share/datasets/fashion-mnist"
    /// The environment variable naming a folder with the full MNIST files.
    public static let mnistEnvironmentKey = "MNIST_DIR"

    /// Full MNIST from the folder named by `MNIST_DIR`, or nil when the variable is unset.
    public static func mnistFromEnvironment() throws -> ImageDataset? {
        guard let dir = ProcessInfo.processInfo.environment[mnistEnvironmentKey], !dir.isEmpty else { return nil }
        return try MNISTFolder.load(dir, name: "MNIST", hint: "\(mnistEnvironmentKey) must name a folder with the four standard MNIST files")
    }

    public static func fashionMNIST(folder: String = fashionMNISTFolder) throws -> ImageDataset {
        try MNISTFolder.load(folder, name: "Fashion-MNIST", hint: "install the Debian package dataset-fashion-mnist (make deps)")
    }

    /// The 5000-image MNIST subset (`make data`), searched for in $DG_DATA_DIR, then in ./data
    /// and the `data` folders of up to three parent directories.
    public static func mnist5k(path: String? = nil) throws -> ImageDataset {
        try MNISTSubsetCSV.load(path ?? MNISTSubsetCSV.defaultPath())
    }
}
