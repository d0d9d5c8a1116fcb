/// Why a data set could not be loaded: always names the file and what is wrong with it.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// The file (or folder) does not exist.
    case missing(path: String, hint: String)
    /// The file exists but cannot be read as what it should be (bad magic number, wrong counts,
    /// truncated data, a corrupt gzip stream, a malformed CSV line...).
    case corrupt(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path, let hint): "data file \(path) is missing" + (hint.isEmpty ? "" : " (\(hint))")
        case .corrupt(let path, let reason): "data file \(path) is corrupt: \(reason)"
        }
    }
}
