import Foundation
import Simulator
import Trees
import XCTest
@testable import Analyzer

/// Plays estimated from the fetches against the simulator's own tracks (simulated traffic, not real-world).
final class PlaysTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamprobe-plays-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func check(_ profile: String, download: DownloadBehaviour, vpn: Bool, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = directory.appendingPathComponent("\(seed).pcap").path
        let session = Session(profile: Profile(parsing: profile)!, link: .cable, download: download, background: [], duration: 600,
                              seed: seed, options: SimulationOptions(vpn: vpn, skipShare: 0.3))
        let truth = try session.write(to: path)
        let analyzer = CaptureAnalyzer(model: try BoundModel(try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.json)))
        var seen: [PlayReport] = []
        analyzer.onPlay = { _, p in seen.append(p) }
        let report = try analyzer.analyze(path: path)
        let plays = report.streams.flatMap { $0.plays ?? [] }
        XCTAssertEqual(seen, plays, "every play is handed to the observer as it is decided", file: file, line: line)
        XCTAssertLessThanOrEqual(abs(plays.count - truth.tracks.count), 1, "plays \(plays.map(\.startSeconds)) vs tracks \(truth.tracks.map(\.playStart))", file: file, line: line)
        var near = 0, started = 0
        for t in truth.tracks where t.playStart < 600 {
            started += 1
            if plays.contains(where: { abs($0.startEpoch - (truth.startTime + t.playStart)) <= 5 }) { near += 1 }
        }
        XCTAssertGreaterThan(started, 1, file: file, line: line)
        XCTAssertGreaterThanOrEqual(Double(near), 0.75 * Double(started), "starts within 5 s: \(near) of \(started)", file: file, line: line)
        for p in plays {
            // start_s counts from the capture's first packet, a little after the simulation's time 0.
            XCTAssertEqual(p.startEpoch - p.startSeconds, truth.startTime + 1.5, accuracy: 1.5, file: file, line: line)
            XCTAssertGreaterThanOrEqual(p.playSeconds, 0, file: file, line: line)
        }
        XCTAssertTrue(plays.allSatisfy { $0.tier == nil || $0.tier == profile.split(separator: ":")[1].description } || plays.count < 2,
                      "tiers \(plays.map { $0.tier ?? "-" })", file: file, line: line)
        let json = ReportFormats.json(report, pretty: false)
        XCTAssertTrue(json.contains("\"plays\":[{"), file: file, line: line)
        XCTAssertTrue(TextReport.render(report).contains("plays (estimated from the fetches"), file: file, line: line)
    }

    func testBulkInTheClear() throws { try check("spotify:high", download: .bulk, vpn: false, seed: 3) }
    func testPacedInATunnel() throws { try check("spotify:very_high", download: .paced, vpn: true, seed: 5) }

    /// A stream that is not audio has no plays.
    func testNoPlaysForVideo() throws {
        let path = directory.appendingPathComponent("video.pcap").path
        _ = try Session(profile: Profile(parsing: "video:vod")!, link: .cable, download: nil, background: [], duration: 120, seed: 4,
                        options: SimulationOptions()).write(to: path)
        let report = try CaptureAnalyzer(model: try BoundModel(try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.json))).analyze(path: path)
        for s in report.streams where s.label == "not_audio" { XCTAssertNil(s.plays) }
    }

    /// The simulator's skips: off by default (the bytes of a session do not change), on with `skipShare`.
    func testSimulatorSkipsAreOptIn() throws {
        let a = try Session(profile: Profile(parsing: "spotify:high")!, link: .cable, download: .bulk, background: [], duration: 900,
                            seed: 9, options: SimulationOptions()).run(writer: PcapWriter.memory(linkType: 1))
        XCTAssertTrue(a.tracks.allSatisfy { !$0.skipped && $0.played == $0.length })
        let b = try Session(profile: Profile(parsing: "spotify:high")!, link: .cable, download: .bulk, background: [], duration: 900,
                            seed: 9, options: SimulationOptions(skipShare: 1)).run(writer: PcapWriter.memory(linkType: 1))
        XCTAssertTrue(b.tracks.dropLast().allSatisfy { $0.skipped && $0.played < $0.length - 30 })
        XCTAssertTrue(b.tracksCSV.hasPrefix("client,index,cdn,tier,bitrate,length_s,file_bytes,download_start,play_start,play_end,played_s,skipped,bytes,start_epoch,paused_s\n"))
    }

    /// The simulator's pauses: off by default (same bytes), on with `pauseShare`: each track then ends later by its
    /// pause, the next one starts when it ends, and a paced client fetches less in the same time.
    func testSimulatorPausesAreOptInAndShiftTheTracks() throws {
        func run(_ options: SimulationOptions) throws -> SimulationSummary {
            try Session(profile: Profile(parsing: "spotify:high")!, link: .cable, download: .paced, background: [], duration: 1_200,
                        seed: 12, options: options).run(writer: PcapWriter.memory(linkType: 1))
        }
        let plain = try run(SimulationOptions()), zero = try run(SimulationOptions(pauseShare: 0))
        XCTAssertEqual(plain.bytes, zero.bytes)
        XCTAssertEqual(plain.packets, zero.packets)
        XCTAssertTrue(plain.tracks.allSatisfy { $0.paused == 0 })
        let paused = try run(SimulationOptions(pauseShare: 1))
        XCTAssertGreaterThan(paused.tracks.count, 1)
        for (t, next) in zip(paused.tracks, paused.tracks.dropFirst()) {
            XCTAssertGreaterThanOrEqual(t.paused, 15)
            XCTAssertLessThanOrEqual(t.paused, 900)
            XCTAssertGreaterThan(t.pauseStart, t.playStart + 9.9)
            XCTAssertEqual(next.playStart, t.playStart + t.length + t.paused, accuracy: 1e-6)
        }
        XCTAssertLessThan(paused.tracks.count, plain.tracks.count)
        XCTAssertLessThan(paused.bytes, plain.bytes)
        let row = paused.tracksCSV.split(separator: "\n")[1].split(separator: ",")
        XCTAssertEqual(Double(row[14]) ?? -1, paused.tracks[0].paused, accuracy: 0.001)
    }
}
