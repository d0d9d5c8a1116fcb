import Datasets
import Pipeline

/// The image data a training claim runs on: at `quick`/`smoke` the real MNIST 5k subset (its
/// train/test split), at `paper` the full MNIST when MNIST_DIR is set, else Fashion-MNIST named
/// as a substitute. Smoke runs keep an evenly strided subset, so every class stays represented
/// (the 5k file is sorted by label).
enum ClaimImageData {
    static func load(paperData: Bool, trainLimit: Int? = nil, testLimit: Int? = nil) throws -> ImageDataset {
        do {
            if paperData {
                if let mnist = try StandardDatasets.mnistFromEnvironment() { return mnist }
                var fashion = try StandardDatasets.fashionMNIST()
                fashion.name = "Fashion-MNIST (substitute for MNIST: set MNIST_DIR to a folder with the four MNIST files to use MNIST)"
                return fashion
            }
            var data = try StandardDatasets.mnist5k()
            if let n = trainLimit, n < data.train.count {
                let step = data.train.count / n
                data.train = data.train.subset(Array(stride(from: 0, to: data.train.count, by: step).prefix(n)))
                data.provenance += "; smoke: every \(step)th train image (\(n))"
            }
            if let n = testLimit, n < data.test.count {
                data.test = data.test.subset(Array(stride(from: 0, to: data.test.count, by: data.test.count / n).prefix(n)))
            }
            return data
        } catch let error as DatasetError {
            throw ClaimError.missingData(error.description)
        }
    }
}
