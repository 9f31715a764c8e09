import XCTest

@testable import Features

/// Direction and webcam features, checked against values worked out by hand.
final class WindowFamilyTests: XCTestCase {
    private func packet(_ t: Double, _ size: Int, _ direction: PacketDirection) -> PacketSample {
        PacketSample(time: 1000 + t, frameLength: size, direction: direction, isIPv4: true, ipProtocol: 17)
    }

    func testWebcamFeaturesByHand() throws {
        let packets = [
            packet(0.00, 1000, .download), packet(0.10, 200, .upload), packet(0.20, 1200, .download),
            packet(0.35, 300, .upload), packet(0.45, 800, .download),
            packet(0.60, 600, .download), packet(0.90, 400, .download),
            packet(1.20, 100, .upload),
        ]
        let set = try FeatureSet.named("webcam-v1")
        XCTAssertEqual(set.featureNames, [
            "Pkts number", "Avg pkts interval", "Avg pkts size", "Inbound pkts", "Outbound pkts",
            "In pkts interval", "Out pkts interval", "In pkts size", "Out pkts size", "Bit Rate",
            "Inbound bit rate", "Outbound bit rate",
        ])
        let windows = try extract(packets, set: set)
        XCTAssertEqual(windows.count, 2)
        // [0, 0.5): intervals 0 (first packet of the call), 0.1, 0.1, 0.15, 0.1.
        let first: [Double] = [5, 0.09, 700, 3, 2, 0.225, 0.25, 1000, 250, 7000, 6000, 1000]
        // [0.5, 1.0): intervals 0.15 (since the packet at 0.45, in the previous window), 0.3.
        let second: [Double] = [2, 0.225, 500, 2, 0, 0.3, 0, 500, 0, 2000, 2000, 0]
        XCTAssertEqual(windows[0].values.count, first.count)
        XCTAssertEqual(windows[1].values.count, second.count)
        for (actual, expected) in zip(windows[0].values, first) { XCTAssertEqual(actual, expected, accuracy: 1e-9) }
        for (actual, expected) in zip(windows[1].values, second) { XCTAssertEqual(actual, expected, accuracy: 1e-9) }
        XCTAssertEqual(windows[1].start - 1000, 0.5, accuracy: 1e-12)
    }

    func testDirectionFeaturesByHand() throws {
        // Window [0, 3): download 3 × 1500 B, upload 2 × 60 B, one unknown 400 B.
        let packets = [
            packet(0.0, 1500, .download), packet(0.1, 60, .upload), packet(0.2, 1500, .download),
            packet(0.3, 60, .upload), packet(0.4, 1500, .download), packet(0.5, 400, .unknown),
            packet(3.1, 1500, .download),
        ]
        var config = WindowConfig.reference
        config.minPackets = 1
        XCTAssertEqual(FeatureFamily.directionNames, [
            "down_bytes", "up_bytes", "down_packets", "up_packets", "down_mean_pkt_size", "up_mean_pkt_size",
            "down_up_bytes_ratio", "down_up_packets_ratio", "down_up_mean_size_ratio", "down_bytes_share",
            "down_bytes_per_second", "up_bytes_per_second",
        ])
        let windows = try extract(packets, set: .directionV1, config: config)
        XCTAssertEqual(windows.count, 1)
        let expected: [Double] = [4500, 120, 3, 2, 1500, 60, 4500.0 / 120, 1.5, 25, 4500.0 / 4620, 1500, 40]
        XCTAssertEqual(windows[0].values.count, expected.count)
        for (k, (actual, value)) in zip(windows[0].values, expected).enumerated() {
            XCTAssertEqual(actual, value, accuracy: 1e-9, FeatureFamily.directionNames[k])
        }
    }

    func testDirectionRatiosStayFiniteWithoutUpload() throws {
        var config = WindowConfig.reference
        config.minPackets = 1
        let windows = try extract(samples([0, 1, 3.5], size: 1000), set: .directionV1, config: config)
        XCTAssertEqual(windows[0].values[DirectionSlot.downUpBytesRatio], 2000)  // divides by max(0, 1)
        XCTAssertEqual(windows[0].values[DirectionSlot.downBytesShare], 1)  // all bytes are download
        XCTAssertTrue(windows[0].values.allSatisfy(\.isFinite))
    }
}
