import XCTest
@testable import Features

/// Whole-session features on packet series whose answer is known by construction.
final class StreamSummaryTests: XCTestCase {
    /// `count` download frames of 1,514 B, 1 ms apart, starting at `start`.
    func burst(_ s: inout StreamSummary, at start: Double, bytes: Int) {
        var t = start
        var left = bytes
        while left > 0 {
            let size = min(1_514, left)
            s.add(PacketSample(time: t, frameLength: size, direction: .download))
            s.add(PacketSample(time: t + 0.0005, frameLength: 66, direction: .upload))
            left -= size
            t += 0.001
        }
    }

    func value(_ v: [Double], _ name: String) -> Double {
        v[StreamSummary.featureNames.firstIndex(of: name)!]
    }

    func testPacedChunksGiveTheBitRateFromChunkSizeAndSpacing() {
        // 128 KiB chunks every 3.3 s: 131,072 × 8 / 3.3 ≈ 318 kbit/s (the very_high tier's 320).
        var s = StreamSummary()
        for k in 0..<30 { burst(&s, at: 100 + Double(k) * 3.3, bytes: 131_072) }
        let v = s.values()
        XCTAssertEqual(StreamSummary.featureNames.count, v.count)
        XCTAssertEqual(value(v, "ss_band_96k_interval_p50"), 3.3, accuracy: 0.01)
        XCTAssertEqual(value(v, "ss_band_96k_kbps"), 131_072 * 8 / 3.3 / 1000, accuracy: 1)
        XCTAssertEqual(value(v, "ss_cycle_kbps_p50"), 131_072 * 8 / 3.3 / 1000, accuracy: 1)
        XCTAssertEqual(value(v, "ss_burst_interval_p50"), 3.3, accuracy: 0.01)
        XCTAssertEqual(value(v, "ss_periodicity"), 1)
        XCTAssertEqual(value(v, "ss_bursts_per_min"), 30 / ((29 * 3.3 + 0.09) / 60), accuracy: 0.1)
        XCTAssertTrue(value(v, "ss_band_1m_interval_p50").isNaN, "no burst in the 1 MB band")
        XCTAssertEqual(value(v, "ss_down_full_share"), 86.0 / 87.0, accuracy: 0.001)
    }

    func testInterleavedClientsShowAsTrainsOfTheirOwnRate() {
        // Three clients fetching 128 KiB every 10.9 s (the normal tier's 96 kbit/s), phase-shifted:
        // the band sees a chunk every ≈3.6 s (3 × 96 kbit/s), and three trains of one client's rate.
        var s = StreamSummary()
        var starts: [Double] = []
        for k in 0..<12 { for c in 0..<3 { starts.append(50 + Double(k) * 10.9 + [0, 2.9, 7.1][c] + Double(k % 2) * 0.05) } }
        for t in starts.sorted() { burst(&s, at: t, bytes: 131_072) }
        let v = s.values()
        XCTAssertEqual(value(v, "ss_band_96k_trains"), 3)
        XCTAssertLessThan(value(v, "ss_band_96k_train_cv"), 0.05)
        XCTAssertEqual(value(v, "ss_band_96k_train_kbps"), 131_072 * 8 / 10.9 / 1000, accuracy: 2)
        XCTAssertEqual(value(v, "ss_band_96k_kbps"), 3 * 131_072 * 8 / 10.9 / 1000, accuracy: 12)
        // The comb finds the one-client period through the interleaving.
        XCTAssertEqual(value(v, "ss_band_96k_period_s"), 10.9, accuracy: 0.3)
        XCTAssertEqual(value(v, "ss_band_96k_period_kbps"), 131_072 * 8 / 10.9 / 1000, accuracy: 3)
        // One client alone is one train.
        var one = StreamSummary()
        for k in 0..<12 { burst(&one, at: Double(k) * 10.9, bytes: 131_072) }
        XCTAssertEqual(value(one.values(), "ss_band_96k_trains"), 1)
    }

    func testThePeriodSurvivesOtherBurstsInTheSameBand() {
        // 128 KiB chunks every 6.55 s (the high tier's 160 kbit/s) and, in between, 150 kB page loads
        // at irregular times: consecutive intervals are a mess, the period is still 6.55 s.
        var s = StreamSummary()
        var events: [(Double, Int)] = (0..<40).map { (10 + Double($0) * 6.55, 131_072) }
        for k in 0..<15 { events.append((13.1 + Double(k * k % 37) * 7.3, 150_000)) }
        for (t, bytes) in events.sorted(by: { $0.0 < $1.0 }) { burst(&s, at: t, bytes: bytes) }
        let v = s.values()
        XCTAssertEqual(value(v, "ss_band_96k_period_s"), 6.55, accuracy: 0.15)
        XCTAssertEqual(value(v, "ss_band_96k_period_kbps"), 131_072 * 8 / 6.55 / 1000, accuracy: 12)
        XCTAssertGreaterThan(value(v, "ss_band_96k_period_strength"), 1.5)
    }

    func testRequestsKeepTheFetchRhythmWhenDownloadsMerge() {
        // A 300-B range request every 6.55 s, whose chunks vanish in a continuous 20 Mbit/s download:
        // one endless burst downstream, the rhythm still upstream. ACK-sized uploads are not requests.
        var s = StreamSummary()
        for i in 0..<60_000 {
            let t = Double(i) * 0.001 * 1.2
            s.add(PacketSample(time: t, frameLength: 1_514, direction: .download))
            if i % 2 == 0 { s.add(PacketSample(time: t + 0.0002, frameLength: 66, direction: .upload)) }
        }
        for k in 0..<10 { s.add(PacketSample(time: 1 + Double(k) * 6.55, frameLength: 300, direction: .upload)) }
        let v = s.values()
        XCTAssertEqual(value(v, "ss_bursts_per_min"), 60 / 72, accuracy: 0.05)
        XCTAssertEqual(value(v, "ss_req_per_min"), 10 / 1.2, accuracy: 0.1)
        XCTAssertEqual(value(v, "ss_req_interval_p50"), 6.55, accuracy: 1e-6)
        XCTAssertEqual(value(v, "ss_req_period_s"), 6.55, accuracy: 0.15)
    }

    func testBulkTracksGiveTheBitRateFromTheTimeBetweenFetches() {
        // Three whole-track fetches of 8 MB, 200 s apart: 8e6 × 8 / 200 = 320 kbit/s.
        var s = StreamSummary()
        for k in 0..<3 { burst(&s, at: Double(k) * 200, bytes: 8_000_000) }
        let v = s.values()
        XCTAssertEqual(value(v, "ss_big_burst_count"), 3)
        XCTAssertEqual(value(v, "ss_big_cycle_kbps"), 8_000_000 * 8 / 200 / 1000, accuracy: 2)
        XCTAssertEqual(value(v, "ss_big_cycle_kbps_lead20"), 8_000_000 * 8 / 220 / 1000, accuracy: 2)
        XCTAssertEqual(value(v, "ss_big_interval_p50"), 200, accuracy: 0.01)
        XCTAssertEqual(value(v, "ss_max_burst_share"), 1.0 / 3, accuracy: 0.01)
        XCTAssertEqual(value(v, "ss_silence_max_s"), 200 - 5.284, accuracy: 0.01)
    }

    func testASingleFetchLeavesTheFetchRateUndefined() {
        var s = StreamSummary()
        burst(&s, at: 0, bytes: 8_000_000)
        s.add(PacketSample(time: 120, frameLength: 66, direction: .upload))
        let v = s.values()
        XCTAssertEqual(value(v, "ss_big_burst_count"), 1)
        XCTAssertTrue(value(v, "ss_big_cycle_kbps").isNaN)
        XCTAssertEqual(value(v, "ss_duration_s"), 120, accuracy: 1e-9)
        XCTAssertEqual(value(v, "ss_down_kbps"), 8_000_000 * 8 / 120 / 1000, accuracy: 1)
    }

    func testContinuousTwoWayTrafficIsOneBurstWithEveryShareActive() {
        // A call: a packet each way every 20 ms for 60 s.
        var s = StreamSummary()
        for i in 0..<3_000 {
            let t = Double(i) * 0.02
            s.add(PacketSample(time: t, frameLength: 200, direction: .download))
            s.add(PacketSample(time: t + 0.001, frameLength: 200, direction: .upload))
        }
        let v = s.values()
        XCTAssertEqual(value(v, "ss_up_down_bytes"), 1, accuracy: 1e-9)
        XCTAssertEqual(value(v, "ss_active_second_share"), 1, accuracy: 0.02)
        XCTAssertEqual(value(v, "ss_bursts_per_min"), 1, accuracy: 0.05)
        XCTAssertEqual(value(v, "ss_down_size_p50"), 200, accuracy: 8)
    }
}
