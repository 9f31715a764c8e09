import Capture
import Foundation
import Simulator
import Trees
import XCTest
@testable import Analyzer

/// `CaptureBatch`, the orchestration behind `analyze` with several captures: the output is in path
/// order and the same whatever the number of jobs, a bad file is reported and counted without
/// stopping the others, and the window table and HTML pages cover the captures that were analysed.
final class CaptureBatchTests: XCTestCase {
    /// The lines a run printed, in order.
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var out: [String] = []
        private(set) var err: [String] = []
        var console: Console {
            Console(out: { [self] line in lock.lock(); out.append(line); lock.unlock() },
                    err: { [self] line in lock.lock(); err.append(line); lock.unlock() })
        }
    }

    func testOrderFailuresAndJobs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("streamprobe-batch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let high = dir.appendingPathComponent("a-high.pcap").path, low = dir.appendingPathComponent("sub/c-low.pcap").path
        try Session(profile: .spotify(.very_high), link: .cable, download: .paced, duration: 60, seed: 61).write(to: high)
        try Session(profile: .spotify(.low), link: .fibre, download: .bulk, duration: 60, seed: 62).write(to: low)
        // A capture cut inside its global header: it fails with its reason, the others go on.
        try Data(contentsOf: URL(fileURLWithPath: low)).prefix(4).write(to: dir.appendingPathComponent("b-cut.pcap"))
        try Data("hello".utf8).write(to: dir.appendingPathComponent("notes.txt"))

        let paths = try CaptureBatch.paths(in: dir.path)
        XCTAssertEqual(paths.map { URL(fileURLWithPath: $0).lastPathComponent }, ["a-high.pcap", "b-cut.pcap", "c-low.pcap"])
        let model = try BoundModel(try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.json))

        func run(jobs: Int, json: Bool, quiet: Bool, html: String? = nil, csv: String? = nil) throws -> (Lines, CaptureBatch.Outcome) {
            let lines = Lines()
            let batch = CaptureBatch(paths: paths, title: dir.path, model: model, options: AnalysisOptions(), jobs: jobs,
                                     presentation: ReportPresentation(json: json, quiet: quiet), htmlFolder: html, windowsCSV: csv)
            return (lines, try batch.run(on: lines.console))
        }

        // JSON Lines: one line per capture in path order, the failure as {capture, error, exit_code}.
        let csv = dir.appendingPathComponent("windows.csv").path, html = dir.appendingPathComponent("pages").path
        let (one, outcome) = try run(jobs: 1, json: true, quiet: false, html: html, csv: csv)
        XCTAssertEqual(outcome.failed, 1)
        XCTAssertEqual(outcome.exitStatus, ExitStatus.batchPartialFailure)
        XCTAssertEqual(one.out.count, 3, "\(one.out)")
        let docs = try one.out.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(docs.map { $0["capture"] as? String }, paths)
        XCTAssertEqual(docs[1]["exit_code"] as? Int, Int(ExitStatus.unreadableInput))
        XCTAssertNil(docs[0]["error"])
        XCTAssertEqual(one.err.filter { $0.contains("b-cut.pcap") }.count, 1, "\(one.err)")
        XCTAssertEqual(outcome.rows.map(\.path), paths)
        XCTAssertNotNil(outcome.rows[1].error)
        // The window table holds both analysed captures, the pages one per analysed capture.
        let table = try String(contentsOfFile: csv, encoding: .utf8)
        XCTAssertTrue(table.contains(high) && table.contains(low), String(table.prefix(300)))
        XCTAssertFalse(table.contains("b-cut.pcap"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: html).sorted(), ["001-a-high.html", "003-c-low.html"])

        // Whatever the number of jobs, the same output in every presentation.
        for (json, quiet) in [(true, false), (false, true), (false, false)] {
            let (a, _) = try run(jobs: 1, json: json, quiet: quiet)
            let (b, _) = try run(jobs: 3, json: json, quiet: quiet)
            XCTAssertEqual(a.out, b.out, "json \(json) quiet \(quiet)")
            XCTAssertEqual(a.err, b.err)
        }
        // Text: each report, a rule, and the summary table last, counting the failure.
        let (text, _) = try run(jobs: 2, json: false, quiet: false)
        XCTAssertEqual(text.out.filter { $0 == String(repeating: "─", count: 72) }.count, 2)
        let summary = try XCTUnwrap(text.out.last)
        XCTAssertTrue(summary.contains("summary of \(dir.path): 3 captures, 1 failed"), summary)
        XCTAssertTrue(summary.contains("very_high") && summary.contains("error:"), summary)
        // -q: one line per capture, the failure too.
        let (quiet, _) = try run(jobs: 2, json: false, quiet: true)
        XCTAssertEqual(quiet.out.count, 3, "\(quiet.out)")
        XCTAssertTrue(quiet.out[1].hasPrefix("\(paths[1]): error: "), quiet.out[1])
    }

    func testAnEmptyDirectoryIsUnreadableInput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("streamprobe-batch-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try CaptureBatch.paths(in: dir.path)) { error in
            XCTAssertEqual(ExitStatus.code(for: error), ExitStatus.unreadableInput)
            XCTAssertEqual("\(error)", "\(dir.path): no pcap or pcapng capture found below this directory")
        }
    }
}
