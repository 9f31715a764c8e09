import Capture
import Foundation
import Simulator
import Trees
import XCTest
@testable import Analyzer

/// A model with temporal smoothing (models/webcam-presence.json) on simulated `call:alternate`
/// captures: the windows' classes come from the moving mean of the window probabilities of each
/// session, the majority follows them, live lines use the trailing mean.
final class TemporalSmoothingAnalyzeTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamprobe-temporal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    static var modelPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("models/webcam-presence.json").path
    }

    func loadModel() throws -> TreeModel {
        let model = try ModelLocator.resolve(nameOrPath: Self.modelPath, embedded: [:])
        XCTAssertEqual(model.classes, ["0", "1"])
        XCTAssertGreaterThan(try XCTUnwrap(model.temporal).windows, 1)
        return model
    }

    /// A simulated alternating call (180 s, ~56,000 packets) and its phases.
    func call(seed: UInt64) throws -> (path: String, phases: [CallPhase]) {
        let path = directory.appendingPathComponent("call-\(seed).pcap").path
        let summary = try Session(profile: Profile(parsing: "call:alternate")!, link: .wifi, download: nil, duration: 180,
                                  seed: seed).write(to: path)
        XCTAssertGreaterThanOrEqual(summary.phases.count, 3)
        return (path, summary.phases)
    }

    func stream(_ model: TreeModel, _ path: String, live: ((WindowReport) -> Void)? = nil) throws -> StreamReport {
        let analyzer = CaptureAnalyzer(model: try BoundModel(model))
        if let live { analyzer.onWindow = { _, w in live(w) } }
        let report = try analyzer.analyze(path: path)
        XCTAssertEqual(report.streams.count, 1)
        return try XCTUnwrap(report.streams.first)
    }

    /// The centred / trailing mean written out plainly (not via TemporalSmoothing), for comparison.
    func movingMean(_ rows: [[Double]], before: Int, after: Int) -> [[Double]] {
        rows.indices.map { i in
            let lo = max(0, i - before), hi = min(rows.count - 1, i + after)
            return (0..<rows[i].count).map { c in (lo...hi).reduce(0.0) { $0 + rows[$1][c] } / Double(hi - lo + 1) }
        }
    }

    func testWindowClassesAndMajorityComeFromTheSmoothedProbabilities() throws {
        let smoothedModel = try loadModel()
        var rawModel = smoothedModel
        rawModel.temporal = nil
        let (path, phases) = try call(seed: 1)
        var liveWindows: [WindowReport] = []
        let smoothed = try stream(smoothedModel, path) { liveWindows.append($0) }
        let raw = try stream(rawModel, path)
        XCTAssertTrue(smoothed.flows.count == 1 && smoothed.flows[0].proto == "UDP", "\(smoothed.flows)")

        let rawClassified = raw.windows.filter { $0.probabilities != nil }
        let smoothClassified = smoothed.windows.filter { $0.probabilities != nil }
        XCTAssertEqual(rawClassified.count, smoothClassified.count)
        XCTAssertGreaterThan(rawClassified.count, 300)
        let t = smoothedModel.temporal!
        let (before, after) = t.reach
        let expected = movingMean(rawClassified.map { $0.probabilities! }, before: before, after: after)
        var changed = 0
        for (i, w) in smoothClassified.enumerated() {
            for c in 0..<2 { XCTAssertEqual(w.probabilities![c], expected[i][c], accuracy: 1e-12) }
            let best = expected[i][1] > expected[i][0] ? "1" : "0"
            XCTAssertEqual(w.label, best)
            if w.label != rawClassified[i].label { changed += 1 }
        }
        XCTAssertGreaterThan(changed, 0, "smoothing changed no window's class: the test could not tell")
        // The share and the majority count the smoothed classes.
        let ones = smoothClassified.filter { $0.label == "1" }.count
        let share = try XCTUnwrap(smoothed.windowShare.first { $0.label == "1" }).share
        XCTAssertEqual(share, Double(ones) / Double(smoothClassified.count), accuracy: 1e-12)
        XCTAssertEqual(smoothed.final, ones * 2 > smoothClassified.count ? "1" : "0")

        // Live lines: the trailing mean of the windows so far.
        let liveClassified = liveWindows.filter { $0.probabilities != nil }
        let trailing = movingMean(rawClassified.map { $0.probabilities! }, before: t.windows - 1, after: 0)
        XCTAssertEqual(liveClassified.count, trailing.count)
        for (w, p) in zip(liveClassified, trailing) { XCTAssertEqual(w.probabilities![1], p[1], accuracy: 1e-12) }

        // Simulated phases (person = 1): the smoothed answers follow them on this capture.
        var right = 0, rawRight = 0
        for (s, r) in zip(smoothClassified, rawClassified) {
            let mid = (s.start + s.end) / 2
            let truth = (phases.first { mid >= $0.start && mid < $0.end } ?? phases.last!).label == "person" ? "1" : "0"
            if s.label == truth { right += 1 }
            if r.label == truth { rawRight += 1 }
        }
        let accuracy = Double(right) / Double(smoothClassified.count)
        XCTAssertGreaterThan(accuracy, 0.9, "simulated call, seed 1")
        XCTAssertGreaterThan(right, rawRight, "smoothing should help on alternating phases")
    }

    /// Two sessions (the same call again an hour later): each is smoothed on its own, never across
    /// the hour of silence between them.
    func testSmoothingStaysInsideASession() throws {
        let model = try loadModel()
        var rawModel = model
        rawModel.temporal = nil
        let (one, _) = try call(seed: 5)
        let two = directory.appendingPathComponent("two.pcap").path
        let writer = try PcapWriter(path: two, linkType: 1)
        for offset in [0.0, 3_600.0] {
            _ = try FileSource(path: one).forEachPacket { p in
                try writer.write(timestamp: p.timestamp.timeInterval + offset, frame: p.bytes, originalLength: p.originalLength)
                return true
            }
        }
        try writer.close()
        let merged = try stream(model, two)
        XCTAssertEqual(merged.sessions.count, 2)
        let smoothed = merged.windows.filter { $0.probabilities != nil }
        let raw = try stream(rawModel, two).windows.filter { $0.probabilities != nil }
        XCTAssertEqual(smoothed.count, raw.count)
        let (before, after) = model.temporal!.reach
        let first = raw.filter { $0.start < 3_600 }.map { $0.probabilities! }
        let second = raw.filter { $0.start >= 3_600 }.map { $0.probabilities! }
        XCTAssertGreaterThan(first.count, 300)
        let perSession = movingMean(first, before: before, after: after) + movingMean(second, before: before, after: after)
        let across = movingMean(first + second, before: before, after: after)
        var differs = 0
        for (i, w) in smoothed.enumerated() {
            XCTAssertEqual(w.probabilities![1], perSession[i][1], accuracy: 1e-12, "window \(i)")
            if abs(across[i][1] - perSession[i][1]) > 1e-9 { differs += 1 }
        }
        XCTAssertGreaterThan(differs, 0, "smoothing across the sessions would give the same numbers: the test could not tell")
    }
}
