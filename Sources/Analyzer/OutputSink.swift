import Foundation

/// Buffered output to a file or stdout.
public final class OutputSink {
    private let handle: FileHandle
    private var buffer = ""
    private let ownsHandle: Bool

    /// Standard output for nil or "-".
    public init(path: String?) throws {
        if let path, path != "-" {
            guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw AnalysisError(source: path, problem: "cannot create the output file", exitCode: ExitStatus.unreadableInput)
            }
            handle = h
            ownsHandle = true
        } else {
            handle = FileHandle.standardOutput
            ownsHandle = false
        }
    }

    public func write(_ text: String) {
        buffer += text
        if buffer.utf8.count >= 1 << 16 { flush() }
    }

    public func flush() {
        handle.write(Data(buffer.utf8))
        buffer = ""
    }

    public func close() {
        flush()
        if ownsHandle { try? handle.close() }
    }
}

/// A whole output written at once: to a file, or to standard output for nil or "-".
public enum OutputFile {
    /// A file that cannot be written is an `AnalysisError` naming it (exit 66).
    public static func write(_ text: String, to path: String?) throws {
        if let path, path != "-" {
            do {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw AnalysisError(source: path, problem: "cannot write: \(error.localizedDescription)", exitCode: ExitStatus.unreadableInput)
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// Checks before any work that an output file can be created (its folder exists and is
    /// writable), so a long job does not fail at its last step (exit 66).
    public static func checkWritable(_ path: String) throws {
        guard path != "-" else { return }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw AnalysisError(source: path, problem: "is a directory, not a file to write", exitCode: ExitStatus.unreadableInput) }
            guard FileManager.default.isWritableFile(atPath: path) else {
                throw AnalysisError(source: path, problem: "cannot be written (permission denied)", exitCode: ExitStatus.unreadableInput)
            }
            return
        }
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AnalysisError(source: path, problem: "cannot be created: no such folder \(folder)", exitCode: ExitStatus.unreadableInput)
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw AnalysisError(source: path, problem: "cannot be created: the folder \(folder) is not writable", exitCode: ExitStatus.unreadableInput)
        }
    }
}
