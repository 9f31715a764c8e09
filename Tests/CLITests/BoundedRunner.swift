import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the built `streamprobe` binary under a time limit and measures it: wall time, the child's
/// own peak resident memory (`wait4`'s rusage, per child), and how it ended (exit code or signal).
/// Output goes to files, so a child that prints a lot cannot block on a full pipe.
struct BoundedRun {
    var status: Int32
    /// The signal that ended the child (nil when it exited).
    var signal: Int32?
    var timedOut: Bool
    var seconds: Double
    var peakMegabytes: Double
    var stdout: String
    var stderr: String
}

enum BoundedRunner {
    static func run(_ arguments: [String], limit: Double = 10, file: StaticString = #filePath, line: UInt = #line) throws -> BoundedRun {
        let dir = try CLIRunner.temporaryDirectory("bounded-run")
        defer { try? FileManager.default.removeItem(at: dir) }
        let outPath = dir.appendingPathComponent("stdout").path
        let errPath = dir.appendingPathComponent("stderr").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let binary = CLIRunner.binary.path
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let start = Date()
        let rc = posix_spawn(&pid, binary, &actions, nil, argv, environ)
        guard rc == 0 else { throw NSError(domain: "BoundedRunner", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "posix_spawn \(binary): \(rc)"]) }
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        while true {
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid { break }
            if r < 0 && errno != EINTR { XCTFail("wait4: \(errno)", file: file, line: line); break }
            if Date().timeIntervalSince(start) > limit {
                timedOut = true
                kill(pid, SIGKILL)
                while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
                break
            }
            usleep(2_000)
        }
        let seconds = Date().timeIntervalSince(start)
        let termination = status & 0x7f
        return BoundedRun(status: termination == 0 ? (status >> 8) & 0xff : -1,
                          signal: termination == 0 ? nil : termination,
                          timedOut: timedOut, seconds: seconds,
                          peakMegabytes: Double(usage.ru_maxrss) / 1024,   // Linux: kilobytes
                          stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}
