import Capture
import Foundation
import Simulator
import Wire
import XCTest

@testable import Features

/// The 37 reference features against an independent numpy/pandas implementation
/// (scripts/reference_features.py) on a capture written by the project's pcap writer.
/// Regenerate both files with scripts/make-feature-fixtures.sh.
final class ReferenceParityTests: XCTestCase {
    private var fixtureDirectory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    }

    /// Writes the fixture capture when STREAMPROBE_WRITE_FIXTURES=1 (to STREAMPROBE_FIXTURE_DIR, or the source tree).
    func testWriteFixtureCaptureWhenAsked() throws {
        guard ProcessInfo.processInfo.environment["STREAMPROBE_WRITE_FIXTURES"] == "1" else {
            throw XCTSkip("set STREAMPROBE_WRITE_FIXTURES=1 to rewrite the fixture capture")
        }
        let directory = ProcessInfo.processInfo.environment["STREAMPROBE_FIXTURE_DIR"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
        try ReferenceFixture.writePcap(to: directory + "/" + ReferenceFixture.pcapName)
    }

    /// The committed capture is still the one the pattern generates (the golden CSV belongs to it).
    func testCommittedCaptureMatchesThePattern() throws {
        let committed = try Data(contentsOf: fixtureDirectory.appendingPathComponent(ReferenceFixture.pcapName))
        let path = NSTemporaryDirectory() + "features-fixture-\(getpid()).pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ReferenceFixture.writePcap(to: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), committed)
    }

    func testEveryWindowMatchesTheGoldenCSV() throws {
        let golden = try GoldenTable(url: fixtureDirectory.appendingPathComponent(ReferenceFixture.goldenName))
        XCTAssertEqual(Array(golden.header.dropFirst(6)), FeatureFamily.referenceNames)

        // The Analyzer's reference scope, done here with Capture + Wire: IPv4 frames > 60 bytes.
        let source = try FileSource(path: fixtureDirectory.appendingPathComponent(ReferenceFixture.pcapName).path)
        var extractor = try FeatureExtractor(featureSet: .referenceV1)
        var windows: [WindowResult] = []
        var inScope = 0
        let end = try source.forEachPacket { packet in
            let decoded = decode(linkType: LinkType(rawValue: source.linkType), bytes: packet.bytes)
            let sample = PacketSample(
                time: packet.timestamp.timeInterval, frameLength: packet.capturedLength, direction: .unknown,
                isIPv4: decoded.network == .ipv4, ipProtocol: decoded.ipProtocol.rawValue,
                payloadLength: decoded.payloadLength)
            if sample.isInReferenceScope {
                inScope += 1
                extractor.add(sample) { windows.append($0) }
            }
            return true
        }
        XCTAssertEqual(end, .endOfInput)
        windows += extractor.finish()
        XCTAssertGreaterThan(inScope, 200)

        XCTAssertEqual(windows.count, golden.rows.count, "number of windows")
        var compared = 0
        for (window, row) in zip(windows, golden.rows) {
            XCTAssertEqual(window.index, Int(row[0]))
            XCTAssertEqual(window.start, Double(row[1]), "start of window \(window.index)")
            XCTAssertEqual(window.packetCount, Int(row[3]), "packets of window \(window.index)")
            XCTAssertEqual(window.skipped, row[4] == "1", "skip flag of window \(window.index)")
            XCTAssertEqual(window.skipReason?.rawValue ?? "", row[5], "skip reason of window \(window.index)")
            guard !window.skipped else { continue }
            for (k, name) in FeatureFamily.referenceNames.enumerated() {
                let expected = try XCTUnwrap(Double(row[6 + k]), "\(name) of window \(window.index)")
                let actual = window.values[k]
                let tolerance = 1e-9 * max(abs(expected), abs(actual)) + 1e-15
                XCTAssertLessThanOrEqual(
                    abs(actual - expected), tolerance, "\(name), window \(window.index): \(actual) vs \(expected)")
                compared += 1
            }
        }
        XCTAssertEqual(compared, 37 * 10, "features compared")
        // The golden file covers the edge cases it is meant to.
        let reasons = golden.rows.map { $0[5] }
        XCTAssertTrue(reasons.contains("zero_duration"))
        XCTAssertTrue(golden.rows.contains { $0[3] == "1" })
        XCTAssertTrue(golden.rows.contains { $0[3] == "0" })
        XCTAssertTrue(golden.rows.contains { $0[3] == "15" && $0[4] == "0" })
    }
}

/// A small CSV table without quoting (what reference_features.py writes).
struct GoldenTable {
    var header: [String]
    var rows: [[String]]

    init(url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        header = lines.removeFirst()
        rows = lines
    }
}
