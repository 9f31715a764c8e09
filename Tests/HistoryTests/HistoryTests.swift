import Analyzer
import Foundation
import Simulator
import Trees
import XCTest
@testable import History

final class SHA256Tests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hex(of: Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(of: Data(repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Fed in pieces of every size, the digest is the same as in one piece.
    func testPiecewiseEqualsWhole() {
        let data = Data((0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let whole = SHA256.hex(of: data)
        for step in [1, 3, 63, 64, 65, 200] {
            var h = SHA256()
            var i = 0
            while i < data.count { h.update(data[i..<min(data.count, i + step)]); i += step }
            XCTAssertEqual(SHA256.hex(h.finalize()), whole, "step \(step)")
        }
    }
}

final class HistoryDatabaseTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamprobe-history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func report(client: String, starts: [Double], skipped: Set<Int> = [], tier: String = "high") -> CaptureReport {
        var stream = StreamReport(client: client, selection: "test", flows: [], packets: 1, downloadBytes: 1, uploadBytes: 1, durationSeconds: 1,
                                  label: tier, confidence: 1, probabilities: [], windows: [], windowShare: [], final: tier, disagreement: nil)
        stream.plays = starts.enumerated().map { i, s in
            PlayReport(startSeconds: s - starts[0], startEpoch: s, playSeconds: 200, bytes: 4_000_000, tier: tier, skipped: skipped.contains(i),
                       complete: true, basis: "first-fetch")
        }
        return CaptureReport(capture: "x", packets: 1, bytes: 1, durationSeconds: 1, flows: 1, linkType: "EN10MB",
                             model: ModelSummary(name: "m", classes: [], featureSet: "f", windowSeconds: 3), streams: [stream], note: nil, warnings: [])
    }

    /// `history add` in the library: path order, a bad file counted and reported without stopping
    /// the others, and a second import finds every capture already there.
    func testImportKeepsGoingPastABadFileAndSkipsKnownCaptures() throws {
        var paths: [String] = []
        for i in 0..<2 {
            let path = directory.appendingPathComponent("c\(i).pcap").path
            _ = try Session(profile: Profile(parsing: "spotify:high")!, link: .cable, download: .bulk, background: [],
                            duration: 90, seed: UInt64(70 + i)).write(to: path)
            paths.append(path)
        }
        let bad = directory.appendingPathComponent("b.pcap").path
        try Data("not a capture".utf8).write(to: URL(fileURLWithPath: bad))
        paths.insert(bad, at: 1)
        let db = directory.appendingPathComponent("import.sqlite").path
        let model = try BoundModel(try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.models))
        final class Lines: @unchecked Sendable { var out: [String] = []; var err: [String] = [] }
        let lines = Lines()
        let console = Console(out: { lines.out.append($0) }, err: { lines.err.append($0) })
        let first = try HistoryImport(paths: paths, database: db, model: model, jobs: 2, quiet: false).run(on: console)
        XCTAssertEqual(first.added, 2)
        XCTAssertEqual(first.failed, 1)
        XCTAssertEqual(first.exitStatus, ExitStatus.batchPartialFailure)
        XCTAssertGreaterThan(first.plays, 0)
        XCTAssertEqual(lines.err.count, 1)
        XCTAssertTrue(lines.err[0].hasPrefix(bad), lines.err[0])
        XCTAssertEqual(lines.out.count, 3)   // the two captures in path order, then the count line
        XCTAssertTrue(lines.out[0].hasPrefix(paths[0]) && lines.out[1].hasPrefix(paths[2]), "\(lines.out)")
        XCTAssertEqual(lines.out[2], first.line(database: db))
        let again = try HistoryImport(paths: [paths[0], paths[2]], database: db, model: model, jobs: 1, quiet: true).run(on: console)
        XCTAssertEqual(again, HistoryImport.Outcome(added: 0, known: 2, failed: 0, plays: 0))
        XCTAssertEqual(try HistoryDatabase(path: db).counts().plays, first.plays)
    }

    func testAddIsIdempotentAndSummaries() throws {
        let path = directory.appendingPathComponent("h.sqlite").path
        let db = try HistoryDatabase(path: path)
        XCTAssertEqual(try db.appliedMigrations(), ["v1"])
        // 2025-01-01 23:00 UTC and 2025-01-02 08:00 UTC.
        let day1 = 1_735_772_400.0, day2 = 1_735_804_800.0
        XCTAssertTrue(try db.add(sha256: "aa", path: "a.pcap", fileBytes: 10, report: report(client: "10.0.0.1", starts: [day1, day1 + 200, day1 + 400], skipped: [1])))
        XCTAssertTrue(try db.add(sha256: "bb", path: "b.pcap", fileBytes: 10, report: report(client: "10.0.0.2", starts: [day2], tier: "low")))
        XCTAssertFalse(try db.add(sha256: "aa", path: "other-name.pcap", fileBytes: 10, report: report(client: "10.0.0.9", starts: [1, 2])))
        XCTAssertEqual(try db.counts().captures, 2)
        XCTAssertEqual(try db.counts().plays, 4)
        // A second connection (another process would do the same) sees a migrated file and changes nothing.
        XCTAssertEqual(try HistoryDatabase(path: path).appliedMigrations(), ["v1"])

        let s = try db.summary()
        XCTAssertEqual(s.plays, 4)
        XCTAssertEqual(s.skips, 1)
        XCTAssertEqual(s.clients, 2)
        XCTAssertEqual(s.listeningSeconds, 800, accuracy: 1e-9)
        XCTAssertEqual(s.perDay.map(\.key), ["2025-01-01", "2025-01-02"])
        XCTAssertEqual(s.perDay.map(\.plays), [3, 1])
        XCTAssertEqual(s.perHour.map(\.key), ["08", "23"])
        XCTAssertEqual(s.tiers.map(\.key), ["high", "low"])
        XCTAssertEqual(s.tiers[0].share!, 0.75, accuracy: 1e-9)
        XCTAssertEqual(s.perClient.first?.key, "10.0.0.1")
        let only = try db.summary(SummaryFilter(client: "10.0.0.2"))
        XCTAssertEqual(only.plays, 1)
        XCTAssertEqual(try db.summary(SummaryFilter(since: day2 - 3600)).plays, 1)

        let csv = HistoryFormats.csv(s)
        XCTAssertTrue(csv.hasPrefix("table,key,plays,listening_s,skips,share,first_epoch,last_epoch\ntotal,all,4,800.000,1,"), csv)
        XCTAssertTrue(csv.contains("\ntier,high,3,600.000,1,0.7500,"), csv)
        let json = try JSONSerialization.jsonObject(with: Data(HistoryFormats.json(s).utf8)) as! [String: Any]
        XCTAssertEqual(json["plays"] as? Int, 4)
        XCTAssertEqual((json["per_day"] as? [[String: Any]])?.count, 2)
        XCTAssertTrue(HistoryFormats.text(s).contains("2025-01-01"))

        // The page: a bar per day, 24 hour cells, a row per tier and client; self-contained.
        let html = HistoryHTML.render(s)
        XCTAssertEqual(html.components(separatedBy: "<rect class=\"day\"").count - 1, 2)
        XCTAssertEqual(html.components(separatedBy: "<rect class=\"hour\"").count - 1, 24)
        XCTAssertTrue(html.contains("<td>10.0.0.1</td>") && html.contains("<td>low</td>"))
        XCTAssertFalse(html.lowercased().contains("<script") || html.contains("http"))
    }

    /// Live appends: a play appended twice is stored once; the entry is closed with the final counts.
    func testLiveAppends() throws {
        let db = try HistoryDatabase(path: directory.appendingPathComponent("live.sqlite").path)
        let id = try db.beginLive(key: "live:1", path: "live", model: "m")
        let p = PlayReport(startSeconds: 1, startEpoch: 1_700_000_000, playSeconds: 10, bytes: 5, tier: nil, skipped: false, complete: true, basis: "lead")
        try db.append(p, client: "c", capture: id)
        try db.append(p, client: "c", capture: id)
        try db.finishLive(capture: id, report: report(client: "c", starts: []))
        XCTAssertEqual(try db.counts().plays, 1)
    }

    /// Two writers on two connections (as two processes would be), each in its own thread, interleaving
    /// hundreds of transactions: nothing lost, no "database is locked".
    func testTwoConnectionsWritingAtOnce() throws {
        let path = directory.appendingPathComponent("two.sqlite").path
        let a = try HistoryDatabase(path: path), b = try HistoryDatabase(path: path)
        let live = try a.beginLive(key: "live:x", path: "live", model: "m")
        nonisolated(unsafe) var errors: [Error] = []
        let lock = NSLock()
        let group = DispatchGroup()
        let reports = (0..<100).map { i in report(client: "file", starts: [1_600_000_000 + Double(i), 1_600_000_500 + Double(i)]) }
        DispatchQueue.global().async(group: group) {
            for i in 0..<300 {
                let p = PlayReport(startSeconds: Double(i), startEpoch: 1_700_000_000 + Double(i), playSeconds: 1, bytes: 1, tier: "high",
                                   skipped: false, complete: true, basis: "lead")
                do { try a.append(p, client: "live", capture: live) } catch { lock.lock(); errors.append(error); lock.unlock() }
            }
        }
        DispatchQueue.global().async(group: group) {
            for i in 0..<100 {
                do { try b.add(sha256: "h\(i)", path: "\(i).pcap", fileBytes: 1, report: reports[i]) }
                catch { lock.lock(); errors.append(error); lock.unlock() }
            }
        }
        group.wait()
        XCTAssertTrue(errors.isEmpty, "\(errors)")
        XCTAssertEqual(try a.counts().plays, 300 + 200)
        XCTAssertEqual(try b.counts().captures, 101)
    }
}

/// A live capture appending plays (this process, as `analyze --live --history` does) while `history add` runs in
/// another process on the same file: nothing lost, no "database is locked".
final class LiveAndAddConcurrencyTests: XCTestCase {
    static var binary: URL {
        var dir = Bundle(for: LiveAndAddConcurrencyTests.self).bundleURL
        while dir.pathExtension == "xctest" || dir.lastPathComponent == "Contents" || dir.lastPathComponent == "MacOS" { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("streamprobe")
    }

    func testLiveAppendsWhileHistoryAddRuns() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else { throw XCTSkip("the streamprobe binary is not built") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("streamprobe-live-add-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var paths: [String] = []
        for i in 0..<6 {
            let path = dir.appendingPathComponent("c\(i).pcap").path
            _ = try Session(profile: Profile(parsing: "spotify:normal")!, link: .fibre, download: i % 2 == 0 ? .bulk : .paced, background: [],
                            duration: 300, seed: UInt64(200 + i), options: SimulationOptions()).write(to: path)
            paths.append(path)
        }
        let db = dir.appendingPathComponent("h.sqlite").path
        let live = try HistoryDatabase(path: db)
        let entry = try live.beginLive(key: "live:test", path: "live", model: "m")

        func run(_ arguments: [String]) throws -> Process {
            let p = Process()
            p.executableURL = Self.binary
            p.arguments = arguments
            p.standardOutput = FileHandle.nullDevice
            let err = Pipe()
            p.standardError = err
            try p.run()
            return p
        }
        let add = try run(["history", "add"] + paths + ["--db", db, "-j", "1"])
        var appended = 0
        var errors: [Error] = []
        while add.isRunning || appended < 200 {
            let p = PlayReport(startSeconds: Double(appended), startEpoch: 1_800_000_000 + Double(appended), playSeconds: 1, bytes: 1, tier: "normal",
                               skipped: false, complete: true, basis: "lead")
            do { try live.append(p, client: "live", capture: entry) } catch { errors.append(error) }
            appended += 1
            usleep(2_000)
        }
        add.waitUntilExit()
        XCTAssertEqual(add.terminationStatus, 0)
        XCTAssertTrue(errors.isEmpty, "\(errors)")
        // The same captures added by one writer alone give the same plays.
        let alone = dir.appendingPathComponent("alone.sqlite").path
        let single = try run(["history", "add"] + paths + ["--db", alone])
        single.waitUntilExit()
        let expected = try HistoryDatabase(path: alone).counts()
        let got = try live.counts()
        XCTAssertEqual(got.captures, expected.captures + 1)
        XCTAssertEqual(got.plays, expected.plays + appended, "\(appended) live plays and \(expected.plays) from the captures")
        XCTAssertGreaterThan(expected.plays, 6)
    }
}
