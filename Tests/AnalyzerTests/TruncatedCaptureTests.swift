import Capture
import Foundation
import Simulator
import Trees
import XCTest
@testable import Analyzer

/// A capture cut to 96 bytes per frame (headers only, as `tcpdump -s 96` or `editcap -s 96` write
/// it) gives the answer of the full capture: sizes come from each record's wire length.
final class TruncatedCaptureTests: XCTestCase {
    func testSnaplen96KeepsTheAnswerAndSaysSoOnce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("streamprobe-snap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try BoundModel(try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.json))
        var reports: [CaptureReport] = []
        for snaplen: UInt32 in [262_144, 96] {
            let path = dir.appendingPathComponent("s\(snaplen).pcap").path
            try Session(profile: .spotify(.very_high), link: .wifi, download: .bulk, duration: 120, seed: 41,
                        options: SimulationOptions(snaplen: snaplen)).write(to: path)
            reports.append(try CaptureAnalyzer(model: model).analyze(path: path))
        }
        let (full, cut) = (reports[0], reports[1])
        // The writer really cut the frames: the file is a fraction of the full one, the wire bytes are the same.
        XCTAssertEqual(full.bytes, cut.bytes)
        XCTAssertEqual(full.packets, cut.packets)
        let fullStream = try XCTUnwrap(full.streams.first), cutStream = try XCTUnwrap(cut.streams.first)
        XCTAssertEqual(cutStream.label, fullStream.label)
        XCTAssertEqual(cutStream.label, "very_high")
        XCTAssertEqual(cutStream.downloadBytes, fullStream.downloadBytes)
        // The windows see the same sizes: their classes agree.
        XCTAssertEqual(cutStream.windows.map(\.label), fullStream.windows.map(\.label))
        XCTAssertTrue(full.warnings.isEmpty, "\(full.warnings)")
        XCTAssertEqual(cut.warnings.filter { $0.contains("snap length") }.count, 1, "\(cut.warnings)")
    }
}
