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
