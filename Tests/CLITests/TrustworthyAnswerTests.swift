import Foundation
import XCTest

/// The default model's answers on traffic that is not what it is about, and the fields that make an
/// answer checkable: calibrated confidence, raw confidence, alternatives, sessions, idle windows.
final class TrustworthyAnswerTests: XCTestCase {
    func json(_ args: [String], in dir: URL) throws -> [String: Any] {
        let r = try CLIRunner.run(args, currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    }

    func testVideoInsideAVPNIsNotAudioAndClaimsNoTier() throws {
        let dir = try CLIRunner.temporaryDirectory("trust-video")
        defer { try? FileManager.default.removeItem(at: dir) }
        // The fixed player: the video the default model's stream stage was trained on (on the hls player's VOD in a
        // tunnel its confidence in not_audio is lower; docs/models/live-vs-vod.md).
        let sim = try CLIRunner.run(["simulate", "--profile", "video:vod", "--vpn", "-d", "120", "--seed", "41", "--video-player", "fixed",
                                     "-o", "vod.pcap"], currentDirectory: dir)
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let doc = try json(["analyze", "vod.pcap", "--format", "json"], in: dir)
        let streams = try XCTUnwrap(doc["streams"] as? [[String: Any]])
        XCTAssertEqual(streams.count, 1)
        let s = streams[0]
        XCTAssertEqual(s["class"] as? String, "not_audio")
        XCTAssertEqual(s["looks_like"] as? String, "video")
        XCTAssertEqual(s["basis"] as? String, "stream")
        XCTAssertGreaterThan(s["confidence"] as? Double ?? 0, 0.5)
        XCTAssertEqual(s["final"] as? String, "not_audio")
        let windows = try XCTUnwrap(s["windows"] as? [[String: Any]])
        XCTAssertFalse(windows.isEmpty)
        XCTAssertTrue(windows.allSatisfy { $0["class"] == nil || $0["class"] is NSNull }, "no window claims a tier")
        let text = try CLIRunner.run(["analyze", "vod.pcap"], currentDirectory: dir)
        XCTAssertTrue(text.stdout.contains("prediction: not_audio (looks like video)"), text.stdout)
        let quiet = try CLIRunner.run(["analyze", "vod.pcap", "-q"], currentDirectory: dir)
        XCTAssertTrue(quiet.stdout.contains(" not_audio:video "), quiet.stdout)
    }

    func testAudioAnswerCarriesCalibrationSessionsAndIdleWindows() throws {
        let dir = try CLIRunner.temporaryDirectory("trust-audio")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sim = try CLIRunner.run(["simulate", "--profile", "spotify:very_high", "--download", "bulk", "--link", "cable", "-d", "300",
                                     "--seed", "42", "-o", "vh.pcap"], currentDirectory: dir)
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let doc = try json(["analyze", "vh.pcap", "--format", "json"], in: dir)
        let s = try XCTUnwrap((doc["streams"] as? [[String: Any]])?.first)
        let label = try XCTUnwrap(s["class"] as? String)
        XCTAssertTrue(["low", "normal", "high", "very_high", "lossless"].contains(label), label)
        let confidence = try XCTUnwrap(s["confidence"] as? Double)
        XCTAssertTrue((0...1).contains(confidence))
        XCTAssertNotNil(s["raw_confidence"] as? Double)
        let alternatives = try XCTUnwrap(s["alternatives"] as? [[String: Any]])
        if !alternatives.isEmpty {
            XCTAssertGreaterThanOrEqual(alternatives.count, 2)
            XCTAssertEqual(alternatives.first?["class"] as? String, label)
        }
        let probabilities = try XCTUnwrap(s["probabilities"] as? [[String: Any]])
        XCTAssertEqual(probabilities.map { $0["class"] as? String }, ["low", "normal", "high", "very_high", "lossless", "not_audio"])
        let sum = probabilities.reduce(0.0) { $0 + ($1["probability"] as? Double ?? .nan) }
        XCTAssertEqual(sum, 1, accuracy: 1e-9)
        XCTAssertEqual((s["sessions"] as? [[String: Any]])?.count, 1)
        // Bulk: one track fetch, then minutes of silence; the silent windows are idle and unclassified.
        let windows = try XCTUnwrap(s["windows"] as? [[String: Any]])
        let idle = windows.filter { $0["idle"] as? Bool == true }
        XCTAssertGreaterThan(idle.count, windows.count / 2)
        XCTAssertTrue(idle.allSatisfy { $0["class"] == nil || $0["class"] is NSNull })
    }
}
