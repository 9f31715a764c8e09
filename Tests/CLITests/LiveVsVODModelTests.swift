import Foundation
import XCTest

/// `analyze --model models/live-vs-vod.json` on captures of the project's simulator from seeds the training script never
/// used (it uses 31001–31004 for training and 39001–39005 for its held-out figures): the majority of the windows must
/// be the class the capture was simulated as, in the clear and inside a WireGuard tunnel.
final class LiveVsVODModelTests: XCTestCase {
    /// models/live-vs-vod.json of this checkout (Tests/CLITests/ → the package root).
    private var model: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("models/live-vs-vod.json").path
    }

    private func judge(_ profile: String, seed: Int, link: String, in dir: URL) throws -> (final: String, windows: [String]) {
        let capture = "\(profile.replacingOccurrences(of: ":", with: "-"))-\(seed).pcap"
        let sim = try CLIRunner.run(["simulate", "--profile", profile, "-d", "120", "--seed", "\(seed)", "--link", link, "-o", capture],
                                    currentDirectory: dir)
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let r = try CLIRunner.run(["analyze", capture, "--model", model, "--format", "json"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let streams = try XCTUnwrap(doc["streams"] as? [[String: Any]])
        XCTAssertEqual(streams.count, 1, "\(profile): one client, one stream")
        let stream = try XCTUnwrap(streams.first)
        let windows = (stream["windows"] as? [[String: Any]] ?? []).compactMap { $0["class"] as? String }
        return (try XCTUnwrap(stream["final"] as? String), windows)
    }

    func testMajorityOnUnseenSimulatedCaptures() throws {
        let dir = try CLIRunner.temporaryDirectory("live-vs-vod")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, Int, String, String)] = [
            ("video:live", 5101, "cable", "live"), ("video:vod", 5102, "cable", "vod"), ("video:live+vpn", 5103, "cable", "live"),
            ("video:vod+vpn", 5104, "wifi", "vod"), ("call:person", 5105, "cable", "live"),
        ]
        for (profile, seed, link, truth) in cases {
            let (final, windows) = try judge(profile, seed: seed, link: link, in: dir)
            XCTAssertEqual(final, truth, "\(profile) seed \(seed): windows \(windows)")
            XCTAssertGreaterThanOrEqual(windows.count, 3, profile)
            XCTAssertGreaterThan(windows.filter { $0 == truth }.count * 2, windows.count, "\(profile): \(windows)")
        }
    }

    /// In the clear with web, DNS, QUIC and a large bulk download beside it, the stream judged is the video (or the
    /// call), not the download that moves more bytes in less time.
    func testTheLongLivedStreamIsChosenOverABulkDownload() throws {
        let dir = try CLIRunner.temporaryDirectory("live-vs-vod-bg")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (profile, seed, truth, host) in [("video:live", 5107, "live", "video-edge"), ("video:vod", 5108, "vod", "vod-secure"),
                                              ("call:person", 5109, "live", "zoom.us")] {
            let sim = try CLIRunner.run(["simulate", "--profile", profile, "-d", "120", "--seed", "\(seed)", "--link", "cable",
                                         "--background", "web", "--background", "dns", "--background", "quic",
                                         "--background", "download", "-o", "bg.pcap"], currentDirectory: dir)
            XCTAssertEqual(sim.status, 0, sim.stderr)
            let flows = try CLIRunner.run(["flows", "bg.pcap"], currentDirectory: dir)
            XCTAssertTrue(flows.stdout.contains("download.example.net"), "the background download is there")
            let r = try CLIRunner.run(["analyze", "bg.pcap", "--model", model, "--format", "json"], currentDirectory: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let stream = try XCTUnwrap((doc["streams"] as? [[String: Any]])?.first)
            let chosen = (stream["flows"] as? [[String: Any]] ?? []).map { "\($0["server"] ?? "") \($0["service"] ?? "")" }
            XCTAssertTrue(chosen.contains { $0.contains(host) }, "\(profile): \(chosen)")
            XCTAssertFalse(chosen.contains { $0.contains("download.example.net") }, "\(profile): \(chosen)")
            XCTAssertEqual(stream["final"] as? String, truth, profile)
        }
    }

    func testTheTextReportNamesTheModelAndTheMajority() throws {
        let dir = try CLIRunner.temporaryDirectory("live-vs-vod-text")
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(try CLIRunner.run(["simulate", "--profile", "video:vod+vpn", "-d", "100", "--seed", "5106", "-o", "v.pcap"],
                                         currentDirectory: dir).status, 0)
        let r = try CLIRunner.run(["analyze", "v.pcap", "--model", model], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("model    live-vs-vod (live / vod; features livevod-v2, 30 s windows)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("final (majority of windows): vod"), r.stdout)
    }
}
