import Capture
import Foundation
import Simulator
import Trees
import XCTest
@testable import Analyzer

/// Silence never votes: a long gap splits a stream into sessions, quiet windows are idle, and the
/// empty time between sessions costs nothing.
final class SilenceAndSessionTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamprobe-silence-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Copies `source`'s packets into `path`: once as they are, then again shifted by `shift` seconds.
    func merge(_ source: String, into path: String, shift: Double) throws {
        let writer = try PcapWriter(path: path, linkType: 1)
        for offset in [0.0, shift] {
            _ = try FileSource(path: source).forEachPacket { p in
                try writer.write(timestamp: p.timestamp.timeInterval + offset, frame: p.bytes, originalLength: p.originalLength)
                return true
            }
        }
        try writer.close()
    }

    /// Copies `source`'s packets into `path`, the last `late` of them `delay` seconds late.
    func delayTail(_ source: String, into path: String, late: Int, delay: Double) throws {
        var total = 0
        _ = try FileSource(path: source).forEachPacket { _ in total += 1; return true }
        let writer = try PcapWriter(path: path, linkType: 1)
        var n = 0
        _ = try FileSource(path: source).forEachPacket { p in
            let offset = n >= total - late ? delay : 0
            try writer.write(timestamp: p.timestamp.timeInterval + offset, frame: p.bytes, originalLength: p.originalLength)
            n += 1
            return true
        }
        try writer.close()
    }

    func analyze(_ path: String) throws -> StreamReport {
        let model = try BoundModel(try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.json))
        let report = try CaptureAnalyzer(model: model).analyze(path: path)
        XCTAssertEqual(report.streams.count, 1)
        return try XCTUnwrap(report.streams.first)
    }

    func testAnHourOfSilenceSplitsTheStreamAndIsNotClassified() throws {
        let one = directory.appendingPathComponent("one.pcap").path
        try Session(profile: .spotify(.very_high), link: .cable, download: .paced, duration: 60, seed: 31).write(to: one)
        let single = try analyze(one)
        let two = directory.appendingPathComponent("two.pcap").path
        try merge(one, into: two, shift: 3_600)
        let merged = try analyze(two)

        XCTAssertEqual(single.sessions.count, 1)
        XCTAssertEqual(merged.sessions.count, 2)
        XCTAssertGreaterThan(merged.sessions[1].start - merged.sessions[0].end, 3_000)
        // No window covers the hour between the sessions (3 s windows would be 1,200 of them).
        XCTAssertLessThanOrEqual(merged.windows.count, 2 * single.windows.count + 2)
        XCTAssertFalse(merged.windows.contains { $0.start > merged.sessions[0].end + 3 && $0.end < merged.sessions[1].start })
        // Idle windows are never classified; the answer is the one of the stream without the gap.
        XCTAssertTrue(merged.windows.filter(\.idle).allSatisfy { $0.label == nil && $0.probabilities == nil })
        XCTAssertEqual(merged.label, single.label)
        XCTAssertEqual(merged.final, single.final)
        XCTAssertEqual(merged.sessions[0].label, merged.sessions[1].label)
    }

    func testOnePacketADayLateDoesNotDecideAnything() throws {
        let one = directory.appendingPathComponent("one.pcap").path
        try Session(profile: .spotify(.high), link: .cable, download: .paced, duration: 60, seed: 32).write(to: one)
        let single = try analyze(one)
        let late = directory.appendingPathComponent("late.pcap").path
        try delayTail(one, into: late, late: 3, delay: 86_400)
        let merged = try analyze(late)
        // Without sessions, the day would be 28,800 windows of silence, and they would vote.
        XCTAssertLessThanOrEqual(merged.windows.count, single.windows.count + 2)
        XCTAssertLessThanOrEqual(merged.sessions.count, 2)
        XCTAssertEqual(merged.label, single.label)
        XCTAssertEqual(merged.confidence ?? .nan, single.confidence ?? .nan, accuracy: 0.05)
        XCTAssertEqual(merged.final, single.final)
    }

    func testAStreamTooShortToJudgeGetsNoAnswer() throws {
        let short = directory.appendingPathComponent("short.pcap").path
        try Session(profile: .spotify(.high), link: .cable, download: .paced, duration: 12, seed: 33).write(to: short)
        let s = try analyze(short)
        XCTAssertNil(s.label)
        XCTAssertNil(s.confidence)
        XCTAssertTrue(s.note?.hasPrefix("too short to judge") == true, s.note ?? "no note")
        let text = TextReport.quietLine(CaptureReport(capture: "short.pcap", packets: 1, bytes: 1, durationSeconds: 12, flows: 1,
                                                      linkType: "EN10MB", model: ModelSummary(name: "m", classes: [], featureSet: "f", windowSeconds: 3),
                                                      streams: [s], note: nil, warnings: []))
        XCTAssertTrue(text.contains("unclassified (too short to judge"), text)
    }

    func testASingleTrackFetchIsJudgedOverTheWholeCapture() throws {
        // Bulk: the whole track in a few seconds, then silence while it plays, until the capture ends.
        let bulk = directory.appendingPathComponent("bulk.pcap").path
        let summary = try Session(profile: .spotify(.normal), link: .fibre, download: .bulk, duration: 90, seed: 34).write(to: bulk)
        let s = try analyze(bulk)
        XCTAssertEqual(s.sessions.count, 1)
        XCTAssertGreaterThan(s.sessions[0].end - s.sessions[0].start, 60, "the silence after the fetch belongs to the session")
        XCTAssertNotNil(s.label, s.note ?? "")
        XCTAssertEqual(summary.tracks.filter { $0.downloadStart < 90 }.count, 1)
    }
    /// A silence shorter than a session gap stays inside the session: its empty windows are one
    /// idle entry that counts them all, and the window numbers run on without a hole.
    func testASilenceInsideASessionIsOneIdleEntry() throws {
        let one = directory.appendingPathComponent("one.pcap").path
        try Session(profile: .spotify(.high), link: .cable, download: .paced, duration: 60, seed: 33).write(to: one)
        let single = try analyze(one)
        let two = directory.appendingPathComponent("two.pcap").path
        try merge(one, into: two, shift: 590)
        let merged = try analyze(two)

        XCTAssertEqual(merged.sessions.count, 1)
        // The copy's windows are not on the first one's 3 s grid: one more window may straddle it.
        XCTAssertLessThanOrEqual(merged.windows.count, 2 * single.windows.count + 2)
        let long = try XCTUnwrap(merged.windows.max { $0.windowCount < $1.windowCount })
        XCTAssertTrue(long.idle)
        XCTAssertEqual(long.packets, 0)
        XCTAssertGreaterThan(long.windowCount, 150)   // about 530 s of 3 s windows
        XCTAssertEqual(long.end - long.start, Double(long.windowCount) * 3, accuracy: 1e-6)
        for (a, b) in zip(merged.windows, merged.windows.dropFirst()) {
            XCTAssertEqual(b.index, a.index + a.windowCount)
            XCTAssertFalse(a.idle && a.packets == 0 && b.idle && b.packets == 0, "two empty entries side by side")
        }
        // The windows' majority is the stream's own (the silence does not vote).
        XCTAssertEqual(merged.final, single.final)
    }

    /// Packets 599 s apart (one session of days) cost one or two entries each, not 200 windows
    /// each; a session without a window worth classifying gets no answer.
    func testRarePacketsFarApartAreBoundedAndNotJudged() throws {
        let one = directory.appendingPathComponent("one.pcap").path
        try Session(profile: .spotify(.high), link: .cable, download: .paced, duration: 20, seed: 34).write(to: one)
        var frame: [UInt8] = []
        _ = try FileSource(path: one).forEachPacket { p in frame = Array(p.bytes); return false }
        let sparse = directory.appendingPathComponent("sparse.pcap").path
        let writer = try PcapWriter(path: sparse, linkType: 1)
        for i in 0..<300 { try writer.write(timestamp: 1_700_000_000 + Double(i) * 599, frame: frame, originalLength: frame.count) }
        try writer.close()
        let model = try BoundModel(try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.json))
        let report = try CaptureAnalyzer(model: model, options: AnalysisOptions(scope: .all)).analyze(path: sparse)
        let s = try XCTUnwrap(report.streams.first)
        XCTAssertEqual(s.sessions.count, 1)
        XCTAssertLessThanOrEqual(s.windows.count, 2 * 300 + 1)
        XCTAssertEqual(s.windows.windowTotal, Int((299 * 599.0 / 3).rounded(.down)))
        XCTAssertNil(s.label)
        XCTAssertTrue(s.note?.hasPrefix("too sparse to judge") == true, s.note ?? "no note")
    }
}
