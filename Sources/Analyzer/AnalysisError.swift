import Capture
import Features
import Trees

/// Exit codes, as `--help` and the README document them.
public enum ExitStatus {
    public static let success: Int32 = 0
    public static let internalError: Int32 = 1
    public static let batchPartialFailure: Int32 = 2
    public static let usage: Int32 = 64
    public static let badModel: Int32 = 65
    public static let unreadableInput: Int32 = 66
    public static let interfaceUnavailable: Int32 = 69
    public static let permissionDenied: Int32 = 77

    /// The exit code for an error any stage may throw.
    public static func code(for error: Error) -> Int32 {
        switch error {
        case let e as CaptureError: return e.exitCode
        case let e as AnalysisError: return e.exitCode
        case is ModelError: return badModel
        case is TableError: return unreadableInput
        default: return internalError
        }
    }
}

/// An error of the analysis pipeline itself, one line naming the input and the problem.
public struct AnalysisError: Error, CustomStringConvertible, Sendable {
    public var source: String
    public var problem: String
    public var exitCode: Int32

    public init(source: String, problem: String, exitCode: Int32) {
        self.source = source; self.problem = problem; self.exitCode = exitCode
    }

    public var description: String { source.isEmpty ? problem : "\(source): \(problem)" }

    public static func unsupportedLinkType(_ source: String, _ value: Int32, _ name: String) -> AnalysisError {
        AnalysisError(source: source, problem: "unsupported link type \(value) (\(name))", exitCode: ExitStatus.unreadableInput)
    }
}
