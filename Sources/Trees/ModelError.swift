/// Why a model file was rejected, with the place inside the file.
///
/// `description` is one line: `model.json: trees[3].left[17] = 99 is out of range (tree has 31 nodes)`.
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Where the model came from (a path, or `embedded:NAME`).
    public var source: String
    /// The path inside the document (`ensemble.trees[3].left[17]`), empty for the whole file.
    public var location: String
    /// What is wrong there.
    public var problem: String

    public init(source: String, location: String = "", problem: String) {
        self.source = source
        self.location = location
        self.problem = problem
    }

    public var description: String {
        location.isEmpty ? "\(source): \(problem)" : "\(source): \(location) \(problem)"
    }

    /// The exit status the command line maps a model error to (65, "bad model").
    public static let exitStatus: Int32 = 65
}

/// A problem with a table of training or evaluation rows (CSV input).
public struct TableError: Error, CustomStringConvertible, Sendable, Equatable {
    public var source: String
    public var problem: String
    public init(source: String, problem: String) {
        self.source = source
        self.problem = problem
    }
    public var description: String { "\(source): \(problem)" }
    /// Unreadable or invalid input (66).
    public static let exitStatus: Int32 = 66
}
