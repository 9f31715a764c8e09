import XCTest

@testable import Features

/// Packets at the given offsets (seconds after t0), `size` bytes each, download.
func samples(_ offsets: [Double], size: Int = 500, t0: Double = 1_600_000_000, direction: PacketDirection = .download)
    -> [PacketSample]
{
    offsets.map { PacketSample(time: t0 + $0, frameLength: size, direction: direction, isIPv4: true, ipProtocol: 6) }
}

func extract(_ packets: [PacketSample], set: FeatureSet = .referenceV1, config: WindowConfig? = nil) throws -> [WindowResult] {
    var extractor = try FeatureExtractor(featureSet: set, config: config)
    var windows: [WindowResult] = []
    for p in packets { extractor.add(p) { windows.append($0) } }
    extractor.finish { windows.append($0) }
    return windows
}

/// `count` packets spread evenly over [from, from + span).
func spread(_ count: Int, from: Double, span: Double) -> [Double] {
    (0..<count).map { from + span * Double($0) / Double(count) }
}

final class WindowingTests: XCTestCase {
    private let t0 = 1_600_000_000.0

    func testTumblingWindowsStartAtTheFirstPacketAndDropTheFinalPartialWindow() throws {
        // 20 packets per second over 10 s: windows [0,3) [3,6) [6,9); [9,12) is partial.
        let windows = try extract(samples(spread(200, from: 0, span: 10)))
        XCTAssertEqual(windows.map(\.index), [0, 1, 2])
        XCTAssertEqual(windows.map { $0.start - t0 }, [0, 3, 6])
        XCTAssertEqual(windows.map { $0.end - t0 }, [3, 6, 9])
        XCTAssertEqual(windows.map(\.packetCount), [60, 60, 60])
        XCTAssertTrue(windows.allSatisfy { !$0.skipped && $0.values.count == 37 })
    }

    func testAWindowEndingExactlyAtTheLastPacketIsComplete() throws {
        // The reference loops while start + W <= last time.
        let windows = try extract(samples(spread(30, from: 0, span: 3) + [3.0]))
        XCTAssertEqual(windows.count, 1)
        XCTAssertEqual(windows[0].packetCount, 30)  // the packet at 3.0 belongs to [3, 6)
    }

    func testKeepPartialPolicyAddsTheFinalWindow() throws {
        var config = WindowConfig.reference
        config.policy = .keepPartial
        let windows = try extract(samples(spread(200, from: 0, span: 10)), config: config)
        XCTAssertEqual(windows.map(\.index), [0, 1, 2, 3])
        XCTAssertEqual(windows[3].packetCount, 20)
        XCTAssertEqual(windows[3].end - t0, 12)
        XCTAssertFalse(windows[3].skipped)
    }

    func testSlidingWindowsOverlap() throws {
        var config = WindowConfig.reference
        config.step = 1
        let windows = try extract(samples(spread(100, from: 0, span: 10)), config: config)
        // Starts 0…7 are complete (start + 3 ≤ 9.9).
        XCTAssertEqual(windows.map { $0.start - t0 }, [0, 1, 2, 3, 4, 5, 6])
        XCTAssertTrue(windows.allSatisfy { $0.packetCount == 30 })
        XCTAssertEqual(windows[1].values[2], 30 * 500)  // bytes_total
    }

    func testWindowsBelowTheMinimumAreReportedAsSkipped() throws {
        let windows = try extract(samples(spread(14, from: 0, span: 3) + spread(15, from: 3, span: 3) + [6.5]))
        XCTAssertEqual(windows.map(\.packetCount), [14, 15])
        XCTAssertEqual(windows[0].skipReason, .tooFewPackets)
        XCTAssertTrue(windows[0].values.isEmpty)
        XCTAssertNil(windows[1].skipReason)
    }

    func testAGapLongerThanAWindowYieldsEmptySkippedWindows() throws {
        // 20 packets in [0, 2), nothing until 10, then 20 packets in [10, 12.5).
        let packets = samples(spread(20, from: 0, span: 2) + spread(20, from: 10, span: 2.5))
        let windows = try extract(packets)
        XCTAssertEqual(windows.map(\.index), [0, 1, 2, 3])  // [12, 15) is partial
        XCTAssertEqual(windows.map(\.packetCount), [20, 0, 0, 16])
        XCTAssertEqual(windows.map(\.skipped), [false, true, true, false])
        XCTAssertEqual(windows[1].skipReason, .tooFewPackets)
        var config = WindowConfig.reference
        config.policy = .keepPartial
        let kept = try extract(packets, config: config)
        XCTAssertEqual(kept.map(\.packetCount), [20, 0, 0, 16, 4])
        XCTAssertEqual(kept.last?.skipReason, .tooFewPackets)
    }

    func testZeroDurationWindowsAreSkippedLikeTheReference() throws {
        let windows = try extract(samples(Array(repeating: 1.0, count: 20) + [4.0]))
        XCTAssertEqual(windows.first?.skipReason, .zeroDuration)
        var config = WindowConfig.reference
        config.skipZeroDuration = false
        let kept = try extract(samples(Array(repeating: 1.0, count: 20) + [4.0]), config: config)
        XCTAssertNil(kept[0].skipReason)
        XCTAssertEqual(kept[0].values[0], 0)  // bytes_per_second with no elapsed time
        XCTAssertEqual(kept[0].values[20], 0)  // mean_iat
        XCTAssertEqual(kept[0].values[27], 0)  // cv_iat with mean 0
    }

    func testOnePacketWindowWithMinimumOne() throws {
        var config = WindowConfig.reference
        config.minPackets = 1
        config.skipZeroDuration = false
        let windows = try extract(samples([0.5, 3.5]), config: config)
        XCTAssertEqual(windows.count, 1)
        let v = windows[0].values
        XCTAssertEqual(v[2], 500)  // bytes_total
        XCTAssertEqual(v[4], 0)  // std
        XCTAssertEqual(v[18], 0)  // skew
        XCTAssertEqual(v[29], 0)  // no bursts
        XCTAssertEqual(v[34], -log2(1 + 1e-10), accuracy: 1e-15)  // entropy of one bin
    }

    func testTimestampsGoingBackwardsAreCountedNotTrusted() throws {
        var extractor = try FeatureExtractor(featureSet: .referenceV1)
        for p in samples([0, 1, 0.5, 2]) { _ = extractor.add(p) }
        XCTAssertEqual(extractor.reorderedPackets, 1)
        XCTAssertEqual(extractor.packetsSeen, 4)
    }

    func testInvalidSettingsAreRejected() {
        XCTAssertThrowsError(try FeatureExtractor(featureSet: .referenceV1, config: WindowConfig(window: 0)))
        XCTAssertThrowsError(try FeatureExtractor(featureSet: .referenceV1, config: WindowConfig(window: 3, step: 4)))
    }

    func testLongRunsKeepTheBufferBounded() throws {
        // 2 hours at 50 packets/s through 3 s windows: the buffer never holds more than a window.
        var extractor = try FeatureExtractor(featureSet: .streamV1)
        var emitted = 0
        var t = t0
        for i in 0..<360_000 {
            t += 0.02
            let sample = PacketSample(time: t, frameLength: 60 + i % 1400, direction: i % 3 == 0 ? .upload : .download)
            extractor.add(sample) { _ in emitted += 1 }
        }
        XCTAssertTrue((2398...2400).contains(emitted), "\(emitted) windows")
        XCTAssertLessThanOrEqual(extractor.bufferedPackets, 151)
    }
}

/// A window of a flood does not grow memory: beyond the cap its packets are not kept, the windows they
/// fall in are skipped as `too_many_packets`, and the windows after it are computed as usual.
final class WindowBufferCapTests: XCTestCase {
    func testAFloodedWindowIsSkippedAndMemoryStaysBounded() throws {
        var config = FeatureSet.referenceV1.defaultConfig
        config.maximumBufferedPackets = 100
        var extractor = try FeatureExtractor(featureSet: .referenceV1, config: config)
        var windows: [WindowResult] = []
        var most = 0
        // 5,000 packets in [0, 3), then 20 per second until 12 s.
        for p in samples(spread(5_000, from: 0, span: 3)) + samples(spread(180, from: 3, span: 9)) {
            extractor.add(p) { windows.append($0) }
            most = max(most, extractor.bufferedPackets)
        }
        extractor.finish { windows.append($0) }
        XCTAssertLessThanOrEqual(most, 100)
        XCTAssertEqual(extractor.overflowPackets, 4_900)
        XCTAssertEqual(windows.map(\.skipReason), [.tooManyPackets, nil, nil])
        XCTAssertEqual(windows[1].packetCount, 60)
        XCTAssertFalse(windows[1].values.isEmpty)
    }
}
