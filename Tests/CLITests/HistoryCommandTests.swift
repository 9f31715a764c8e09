import Foundation
import XCTest

/// `streamprobe history`: a real SQLite file, checked with the `sqlite3` command-line client.
final class HistoryCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try CLIRunner.temporaryDirectory("history-cli") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func sh(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let r = try CLIRunner.run(args, currentDirectory: dir)
        XCTAssertEqual(r.status, 0, "\(args.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        return r
    }

    static var sqlite3: String? {
        ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3", "/opt/homebrew/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func sqlite(_ db: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.sqlite3!)
        p.arguments = [dir.appendingPathComponent(db).path, sql]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, sql)
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `history add` twice gives the same database (byte-identical dump); the file is what the docs say.
    func testAddTwiceAndSQLiteClient() throws {
        guard Self.sqlite3 != nil else { throw XCTSkip("the sqlite3 command-line client is not installed (CI installs it)") }
        for (i, mode) in ["bulk", "paced", "bulk"].enumerated() {
            _ = try sh(["simulate", "--profile", "spotify:high", "--download", mode, "-d", "400", "--seed", "\(40 + i)", "--link", "cable",
                        "--skip-share", "0.3", "-o", "c\(i).pcap"])
        }
        // The same bytes under another name are the same capture.
        try FileManager.default.copyItem(at: dir.appendingPathComponent("c0.pcap"), to: dir.appendingPathComponent("copy.pcap"))
        let first = try sh(["history", "add", "c0.pcap", "c1.pcap", "c2.pcap", "copy.pcap", "--db", "h.sqlite"])
        XCTAssertTrue(first.stdout.contains("3 captures added"), first.stdout)
        XCTAssertTrue(first.stdout.contains("1 already there"), first.stdout)
        let dump = try sqlite("h.sqlite", ".dump")
        let second = try sh(["history", "add", "--dir", ".", "--db", "h.sqlite"])
        XCTAssertTrue(second.stdout.contains("0 captures added"), second.stdout)
        XCTAssertEqual(try sqlite("h.sqlite", ".dump"), dump, "adding the same captures again changes nothing")

        XCTAssertEqual(try sqlite("h.sqlite", "PRAGMA journal_mode"), "wal")
        XCTAssertEqual(try sqlite("h.sqlite", "PRAGMA integrity_check"), "ok")
        XCTAssertEqual(try sqlite("h.sqlite", "SELECT identifier FROM grdb_migrations"), "v1")
        XCTAssertEqual(try sqlite("h.sqlite", "SELECT COUNT(*) FROM capture"), "3")
        let digest = try sqlite("h.sqlite", "SELECT sha256 FROM capture WHERE path = 'c1.pcap'")
        XCTAssertEqual(digest.count, 64)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/sha256sum") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            p.arguments = [dir.appendingPathComponent("c1.pcap").path]
            let out = Pipe(); p.standardOutput = out
            try p.run(); p.waitUntilExit()
            XCTAssertTrue(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).hasPrefix(digest))
        }
        // The plays are the analyzer's.
        let report = try sh(["analyze", "c1.pcap", "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as! [String: Any]
        let plays = ((json["streams"] as! [[String: Any]]).flatMap { ($0["plays"] as? [[String: Any]]) ?? [] })
        XCTAssertGreaterThan(plays.count, 1)
        XCTAssertEqual(try sqlite("h.sqlite", "SELECT COUNT(*) FROM play JOIN capture ON capture.id = capture_id WHERE path = 'c1.pcap'"), "\(plays.count)")

        // Summaries.
        let total = try sqlite("h.sqlite", "SELECT COUNT(*) FROM play")
        let text = try sh(["history", "--db", "h.sqlite"])
        XCTAssertTrue(text.stdout.contains("\(total) plays"), text.stdout)
        XCTAssertTrue(text.stdout.contains("per hour of day"), text.stdout)
        let csv = try sh(["history", "summary", "--db", "h.sqlite", "--format", "csv"])
        XCTAssertTrue(csv.stdout.hasPrefix("table,key,plays,listening_s,skips,share,first_epoch,last_epoch\ntotal,all,\(total),"), csv.stdout)
        let js = try sh(["history", "--db", "h.sqlite", "--format", "json"])
        let summary = try JSONSerialization.jsonObject(with: Data(js.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(summary["plays"] as? Int, Int(total))
        XCTAssertEqual(summary["captures"] as? Int, 3)
        let missing = try CLIRunner.run(["history", "--db", "nosuch.sqlite"], currentDirectory: dir)
        XCTAssertEqual(missing.status, 66)
    }

    /// Two processes writing the same file at once lose nothing and never fail on a lock.
    func testTwoConcurrentWriters() throws {
        guard Self.sqlite3 != nil else { throw XCTSkip("the sqlite3 command-line client is not installed (CI installs it)") }
        for i in 0..<8 {
            _ = try sh(["simulate", "--profile", "spotify:normal", "--download", i % 2 == 0 ? "bulk" : "paced", "-d", "240", "--seed", "\(70 + i)",
                        "--link", "fibre", "-o", "w\(i).pcap"])
        }
        // Each adds its own four and two shared ones, one capture at a time (many short transactions).
        let a = ["history", "add", "w0.pcap", "w1.pcap", "w2.pcap", "w3.pcap", "w6.pcap", "w7.pcap", "--db", "two.sqlite", "-j", "1"]
        let b = ["history", "add", "w4.pcap", "w5.pcap", "w6.pcap", "w7.pcap", "w0.pcap", "w1.pcap", "--db", "two.sqlite", "-j", "1"]
        nonisolated(unsafe) var resultB: CLIResult?
        let done = DispatchSemaphore(value: 0)
        let directory = dir!
        let t = Thread { resultB = try? CLIRunner.run(b, currentDirectory: directory); done.signal() }
        t.start()
        let resultA = try CLIRunner.run(a, currentDirectory: dir)
        done.wait()
        XCTAssertEqual(resultA.status, 0, resultA.stderr)
        XCTAssertEqual(resultB?.status, 0, resultB?.stderr ?? "")
        XCTAssertFalse((resultA.stderr + (resultB?.stderr ?? "")).contains("locked"))
        XCTAssertEqual(try sqlite("two.sqlite", "SELECT COUNT(*) FROM capture"), "8")
        // Nothing lost: the same plays as one writer adding everything.
        _ = try sh(["history", "add", "--dir", ".", "--db", "one.sqlite"])
        let plays = "SELECT group_concat(sha256 || ':' || n, ',') FROM (SELECT sha256, COUNT(play.id) AS n FROM capture LEFT JOIN play ON capture_id = capture.id GROUP BY sha256 ORDER BY sha256)"
        XCTAssertEqual(try sqlite("two.sqlite", plays), try sqlite("one.sqlite", plays))
    }

    /// `analyze --history` goes with --live; as root, a live capture on the loopback writes its entry (opened before
    /// root is given up, closed with the final counts when the capture ends).
    func testLiveCaptureEntry() throws {
        let bad = try CLIRunner.run(["analyze", "x.pcap", "--history", "h.sqlite"], currentDirectory: dir)
        XCTAssertEqual(bad.status, 64, bad.stderr)
        guard geteuid() == 0 else { throw XCTSkip("live capture needs root") }
        guard Self.sqlite3 != nil else { throw XCTSkip("the sqlite3 command-line client is not installed (CI installs it)") }
        let port = UInt16.random(in: 40000...60000)
        let r = try CLIRunner.run(["analyze", "--live", "-i", "lo", "-d", "1", "--filter", "udp and port \(port)", "--scope", "all",
                                   "--history", "live.sqlite", "-q"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try sqlite("live.sqlite", "SELECT source || ' ' || finished FROM capture"), "live 1")
        XCTAssertEqual(try sqlite("live.sqlite", "PRAGMA integrity_check"), "ok")
    }
}
