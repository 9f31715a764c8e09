/// Why a feature set or a window configuration cannot be used.
public enum FeatureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A feature the engine cannot compute (e.g. named by a model file).
    case unknownFeature(String)
    /// A feature set name that is not known (known: `FeatureSet.knownNames`).
    case unknownFeatureSet(String)
    /// The same feature named twice in one list.
    case duplicateFeature(String)
    /// A list with no feature at all.
    case emptyFeatureList
    /// A window parameter out of range; the text says which.
    case invalidConfig(String)

    public var description: String {
        switch self {
        case .unknownFeature(let name):
            return "unknown feature '\(name)': streamprobe cannot compute it"
        case .unknownFeatureSet(let name):
            return "unknown feature set '\(name)' (known: \(FeatureSet.knownNames.joined(separator: ", ")))"
        case .duplicateFeature(let name):
            return "feature '\(name)' is listed twice"
        case .emptyFeatureList:
            return "the feature list is empty"
        case .invalidConfig(let text):
            return "invalid window settings: \(text)"
        }
    }
}
