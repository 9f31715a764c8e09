import SplitMix
import XCTest

@testable import Features

/// Context and live-vs-VOD features on synthetic download patterns with known answers.
final class HorizonTests: XCTestCase {
    private let t0 = 1_650_000_000.0

    /// Bulk bursts: `burstBytes` at 100 Mbit/s every `period` seconds (1514-byte frames),
    /// with one 66-byte upload ACK per two frames; `duration` seconds in all.
    private func bulk(burstBytes: Int, period: Double, duration: Double) -> [PacketSample] {
        var out: [PacketSample] = []
        let frames = burstBytes / 1514
        let spacing = 1514.0 * 8 / 100e6
        var start = 0.0
        while start < duration {
            for k in 0..<frames {
                let t = t0 + start + Double(k) * spacing
                out.append(PacketSample(time: t, frameLength: 1514, direction: .download, isIPv4: true, ipProtocol: 6))
                if k % 2 == 1 {
                    out.append(PacketSample(time: t + 20e-6, frameLength: 66, direction: .upload, isIPv4: true, ipProtocol: 6))
                }
            }
            start += period
        }
        // Keep-alives so windows keep closing between the bursts.
        var t = 1.0
        var merged: [PacketSample] = out
        while t < duration {
            merged.append(PacketSample(time: t0 + t, frameLength: 66, direction: .upload, isIPv4: true, ipProtocol: 6))
            t += 2.7
        }
        return merged.sorted { $0.time < $1.time }
    }

    private func value(_ window: WindowResult, _ name: String, in set: FeatureSet) -> Double {
        window.values[set.featureNames.firstIndex(of: name)!]
    }

    func testContextRecoversTheStreamBitrateWhenEveryBurstRunsAtLinkSpeed() throws {
        let set = FeatureSet.streamV1
        var config = WindowConfig.reference
        config.minPackets = 1
        // 160 kbit/s ≈ 4 MB per 200 s; 96 kbit/s ≈ 2.4 MB per 200 s.
        let high = try extract(bulk(burstBytes: 4_000_000, period: 200, duration: 1000), set: set, config: config)
        let normal = try extract(bulk(burstBytes: 2_400_000, period: 200, duration: 1000), set: set, config: config)
        // In-burst windows look alike: the link, not the stream.
        let highBurst = high.first { !$0.skipped && value($0, "bytes_total", in: set) > 1e6 }!
        let normalBurst = normal.first { !$0.skipped && value($0, "bytes_total", in: set) > 1e6 }!
        XCTAssertEqual(value(highBurst, "mean_pkt_size", in: set), value(normalBurst, "mean_pkt_size", in: set), accuracy: 30)

        let lateHigh = high.last { !$0.skipped }!
        let lateNormal = normal.last { !$0.skipped }!
        XCTAssertGreaterThan(lateHigh.end - t0, 900)
        let highCycle = value(lateHigh, "ctx_cycle_bytes_per_second", in: set)
        let normalCycle = value(lateNormal, "ctx_cycle_bytes_per_second", in: set)
        XCTAssertEqual(highCycle * 8 / 1000, 160, accuracy: 2)
        XCTAssertEqual(normalCycle * 8 / 1000, 96, accuracy: 2)
        // Over the whole unit so far: ≈ the bitrate too (5 bursts in ~1000 s).
        XCTAssertEqual(value(lateHigh, "unit_down_bytes_per_second", in: set) * 8 / 1000, 160, accuracy: 20)
        XCTAssertEqual(value(lateHigh, "ctx_seconds", in: set), 600, accuracy: 0.11)
        XCTAssertEqual(value(lateHigh, "ctx_burst_count", in: set), 3)
        XCTAssertEqual(value(lateHigh, "ctx_burst_mean_bytes", in: set), Double(4_000_000 / 1514 * 1514), accuracy: 1)
        XCTAssertEqual(value(lateHigh, "ctx_silence_mean", in: set), 200 - 0.32, accuracy: 0.05)
        XCTAssertEqual(value(lateHigh, "ctx_burst_throughput", in: set) * 8 / 1e6, 100, accuracy: 1)
        // Context bytes per second: 3 bursts of 4 MB in 600 s.
        XCTAssertEqual(value(lateHigh, "ctx_down_bytes_per_second", in: set), 3 * 3_998_854 / 600, accuracy: 200)
    }

    func testTheFirstWindowsReportTheShortContextTheyHave() throws {
        let set = FeatureSet.streamV1
        var config = WindowConfig.reference
        config.minPackets = 1
        config.skipZeroDuration = false
        let windows = try extract(bulk(burstBytes: 1_000_000, period: 20, duration: 60), set: set, config: config)
        XCTAssertEqual(value(windows[0], "ctx_seconds", in: set), 3, accuracy: 0.11)
        XCTAssertEqual(value(windows[0], "unit_seconds", in: set), 3, accuracy: 1e-9)
        let fifth = windows[4]
        XCTAssertEqual(value(fifth, "ctx_seconds", in: set), 15, accuracy: 0.11)
        XCTAssertEqual(value(fifth, "ctx_silence_current", in: set), 15 - 0.08, accuracy: 0.01)
        XCTAssertEqual(value(fifth, "ctx_burst_count", in: set), 1)
    }

    /// VOD: 2.5 MB bursts (0.8 s) every 8 s. Live: a packet every 7 ms, sizes 300–1300 B.
    private func vod(duration: Double) -> [PacketSample] {
        var out: [PacketSample] = []
        var start = 0.0
        while start < duration {
            for k in 0..<1650 { out.append(PacketSample(time: t0 + start + Double(k) * 0.8 / 1650, frameLength: 1514, direction: .download)) }
            start += 8
        }
        return out
    }

    private func live(duration: Double) -> [PacketSample] {
        var random = SplitMix64(seed: 7)
        var out: [PacketSample] = []
        var t = 0.0
        while t < duration {
            out.append(PacketSample(time: t0 + t, frameLength: random.int(300...1300), direction: .download))
            t += 0.007
        }
        return out
    }

    func testLiveAndVODShapesDiffer() throws {
        let set = FeatureSet.livevodV1
        XCTAssertEqual(set.defaultConfig.shapeSeconds, 60)
        let vodWindows = try extract(vod(duration: 125), set: set).filter { !$0.skipped }
        let liveWindows = try extract(live(duration: 125), set: set).filter { !$0.skipped }
        XCTAssertEqual(vodWindows.count, 4)
        XCTAssertEqual(liveWindows.count, 4)
        let v = vodWindows[3], l = liveWindows[3]
        XCTAssertEqual(value(v, "lv_seconds", in: set), 60, accuracy: 0.11)
        XCTAssertGreaterThan(value(v, "lv_idle_bin_share", in: set), 0.85)
        XCTAssertLessThan(value(l, "lv_idle_bin_share", in: set), 0.01)
        XCTAssertEqual(value(v, "lv_peak_gap_mean", in: set), 8, accuracy: 0.3)
        XCTAssertEqual(value(v, "lv_peak_count", in: set), 7, accuracy: 1)
        XCTAssertGreaterThan(value(l, "lv_peak_count", in: set), 10)
        XCTAssertLessThan(value(l, "lv_peak_gap_mean", in: set), 5)
        XCTAssertGreaterThan(value(v, "lv_cv_second_bytes", in: set), 1.5)
        XCTAssertLessThan(value(l, "lv_cv_second_bytes", in: set), 0.3)
        XCTAssertLessThan(value(v, "lv_duty_cycle", in: set), 0.25)
        // Timing-only variants tell the same story without sizes.
        XCTAssertGreaterThan(value(v, "lv_idle_bin_share_pkts", in: set), 0.85)
        XCTAssertLessThan(value(l, "lv_idle_bin_share_pkts", in: set), 0.01)
        XCTAssertEqual(value(v, "lv_peak_gap_mean_pkts", in: set), 8, accuracy: 0.3)
        XCTAssertLessThan(value(l, "lv_cv_second_pkts", in: set), 0.1)
        // Average download rate over the horizon [60, 120): seven 2.5 MB bursts.
        XCTAssertEqual(value(v, "lv_down_bytes_per_second", in: set), 7 * 1650.0 * 1514 / 60, accuracy: 1)
    }

    func testPeaksOfASeries() {
        let peaks = ShapeFeatures.peaks([0, 10, 0, 0, 0, 10, 12, 0, 0, 0, 10, 0])
        XCTAssertEqual(peaks.count, 3)
        XCTAssertEqual(peaks.meanGap, (10 - 1) / 2.0)
        XCTAssertEqual(peaks.duty, 4.0 / 12)
        let flat = ShapeFeatures.peaks([5, 5, 5])
        XCTAssertEqual(flat.count, 0)
        XCTAssertEqual(flat.cv, 0)
    }
}
