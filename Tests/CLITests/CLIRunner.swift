import Foundation
import XCTest

/// Runs the built `streamprobe` binary, as a user would, and captures what it prints.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLIRunner {
    /// The folder holding the test bundle holds the executable too (`.build/<config>/`).
    static var binary: URL {
        var dir = Bundle(for: Marker.self).bundleURL
        while dir.pathExtension == "xctest" || dir.lastPathComponent == "Contents" || dir.lastPathComponent == "MacOS" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("streamprobe")
    }

    final class Marker {}

    @discardableResult
    static func run(_ arguments: [String], currentDirectory: URL? = nil, environment: [String: String]? = nil,
                    stdin: URL? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var feeder: Thread?
        if let stdin {
            // Through a pipe (not a file handle), as `tcpdump -w - | streamprobe … -` delivers it.
            let pipe = Pipe()
            process.standardInput = pipe
            let data = try Data(contentsOf: stdin)
            feeder = Thread {
                pipe.fileHandleForWriting.write(data)
                try? pipe.fileHandleForWriting.close()
            }
        }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        feeder?.start()
        // Read both pipes before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary directory, removed by the caller's tearDown if it wishes.
    static func temporaryDirectory(_ name: String = "streamprobe-cli") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
