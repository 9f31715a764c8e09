import XCTest
@testable import Features

/// stream-v1 judges the silences between downloads from their context.
final class QuietWindowTests: XCTestCase {
    func testSilentWindowsCarryContextAndNaNWindowFeatures() throws {
        let set = FeatureSet.streamV1
        XCTAssertTrue(set.defaultConfig.quietWindows)
        var extractor = try FeatureExtractor(featureSet: set)
        var windows: [WindowResult] = []
        // A 1 MB burst in the first second (700 packets of 1500 B), then 20 s of silence, then one packet.
        for i in 0..<700 {
            extractor.add(PacketSample(time: 1000 + Double(i) * 0.001, frameLength: 1500, direction: .download)) { windows.append($0) }
        }
        extractor.add(PacketSample(time: 1021, frameLength: 66, direction: .upload)) { windows.append($0) }
        extractor.finish { windows.append($0) }
        XCTAssertEqual(windows.count, 7)
        XCTAssertFalse(windows[0].skipped)
        let names = set.featureNames
        let bytesTotal = names.firstIndex(of: "bytes_total")!
        let lastBurst = names.firstIndex(of: "ctx_last_burst_bytes")!
        let silence = names.firstIndex(of: "ctx_silence_current")!
        XCTAssertEqual(windows[0].values[bytesTotal], 700 * 1500)
        for w in windows.dropFirst() {
            XCTAssertFalse(w.skipped, "a quiet window is evaluated from its context")
            XCTAssertEqual(w.packetCount, 0)
            XCTAssertTrue(w.values[bytesTotal].isNaN)
            XCTAssertEqual(w.values[lastBurst], 700 * 1500)
        }
        XCTAssertGreaterThan(windows[6].values[silence], windows[1].values[silence])

        // The reference set keeps the reference behaviour: those windows are skipped.
        var reference = try FeatureExtractor(featureSet: .referenceV1)
        var skipped = 0
        for i in 0..<700 { reference.add(PacketSample(time: 1000 + Double(i) * 0.001, frameLength: 1500)) { if $0.skipped { skipped += 1 } } }
        reference.add(PacketSample(time: 1021, frameLength: 66)) { if $0.skipped { skipped += 1 } }
        XCTAssertEqual(skipped, 6)
    }
}
