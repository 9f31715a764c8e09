import XCTest

@testable import Features

/// The rhythm family (livevod-v2) on per-100 ms byte series with known answers, and end to end through the extractor.
final class RhythmFeatureTests: XCTestCase {
    private let set = FeatureSet.livevodV2

    private func describe(_ bytes: [Int]) -> [String: Double] {
        var out = Array(repeating: Double.nan, count: FeatureFamily.rhythmNames.count)
        var scratch = RhythmFeatures.Scratch()
        RhythmFeatures.describe(bytes, idleBinBytes: 1000, into: &out, scratch: &scratch)
        return Dictionary(uniqueKeysWithValues: zip(FeatureFamily.rhythmNames, out))
    }

    func testNamesAreThePublishedOnes() {
        XCTAssertEqual(FeatureFamily.rhythmNames, [
            "lr_seconds", "lr_idle_share", "lr_active_second_share", "lr_max_idle_s", "lr_long_gap_idle_share",
            "lr_heavy_share", "lr_heavy_max_idle_s", "lr_heavy_long_gap_share", "lr_gap_p50_s", "lr_gap_p90_s",
            "lr_bursts_per_min", "lr_burst_p50_s", "lr_burst_max_s", "lr_interval_p50_s", "lr_interval_cv",
            "lr_interval_regularity", "lr_period_s", "lr_period_strength",
        ])
    }

    func testContextAndShapeNamesAreThePublishedOnes() {
        XCTAssertEqual(FeatureFamily.contextNames, [
            "ctx_seconds", "ctx_down_bytes", "ctx_down_bytes_per_second", "ctx_up_bytes_per_second",
            "unit_seconds", "unit_down_bytes_per_second", "ctx_burst_count", "ctx_burst_mean_bytes",
            "ctx_burst_max_bytes", "ctx_burst_mean_duration", "ctx_burst_throughput", "ctx_silence_mean",
            "ctx_silence_max", "ctx_silence_current", "ctx_duty_cycle", "ctx_last_burst_bytes",
            "ctx_cycle_bytes_per_second",
        ])
        XCTAssertEqual(FeatureFamily.shapeNames, [
            "lv_seconds", "lv_down_bytes_per_second", "lv_idle_bin_share", "lv_peak_count", "lv_peak_gap_mean",
            "lv_duty_cycle", "lv_cv_second_bytes", "lv_idle_bin_share_pkts", "lv_peak_count_pkts",
            "lv_peak_gap_mean_pkts", "lv_duty_cycle_pkts", "lv_cv_second_pkts",
        ])
    }

    /// 60 s of bins: a `burstBins`-bin burst of 100 kB per bin every `periodBins`, and a 2 kB chat message in the
    /// middle of every gap (active, but not heavy).
    private func bursts(periodBins: Int, burstBins: Int) -> [Int] {
        (0..<600).map { i in
            let k = i % periodBins
            if k < burstBins { return 100_000 }
            return k == (periodBins + burstBins) / 2 ? 2_000 : 0
        }
    }

    func testTwitchLikeLiveHasATwoSecondRhythmAndNoLongGaps() {
        let f = describe(bursts(periodBins: 20, burstBins: 4))
        XCTAssertEqual(f["lr_seconds"], 60)
        XCTAssertEqual(f["lr_period_s"]!, 2.0, accuracy: 1e-9)
        XCTAssertGreaterThan(f["lr_period_strength"]!, 0.9)
        XCTAssertEqual(f["lr_interval_p50_s"]!, 2.0, accuracy: 1e-9)
        XCTAssertEqual(f["lr_interval_cv"]!, 0, accuracy: 1e-9)
        XCTAssertEqual(f["lr_interval_regularity"], 1)
        XCTAssertEqual(f["lr_bursts_per_min"], 30)
        XCTAssertEqual(f["lr_burst_p50_s"]!, 0.4, accuracy: 1e-9)
        XCTAssertEqual(f["lr_gap_p50_s"]!, 1.6, accuracy: 1e-9)
        XCTAssertEqual(f["lr_heavy_share"]!, 0.2, accuracy: 1e-9)
        // The chat message splits each 1.6 s gap for "any activity", not for heavy bins.
        XCTAssertEqual(f["lr_idle_share"]!, 0.75, accuracy: 1e-9)
        XCTAssertEqual(f["lr_heavy_max_idle_s"]!, 1.6, accuracy: 1e-9)
        XCTAssertEqual(f["lr_heavy_long_gap_share"], 0)
        XCTAssertEqual(f["lr_long_gap_idle_share"], 0)
        XCTAssertEqual(f["lr_active_second_share"], 1)
    }

    func testVODLikeOnOffHasALongPeriodAndItsIdleTimeInLongGaps() {
        let f = describe(bursts(periodBins: 100, burstBins: 8))
        XCTAssertEqual(f["lr_period_s"]!, 10.0, accuracy: 1e-9)
        XCTAssertEqual(f["lr_interval_p50_s"]!, 10.0, accuracy: 1e-9)
        XCTAssertEqual(f["lr_bursts_per_min"], 6)
        XCTAssertEqual(f["lr_gap_p50_s"]!, 9.2, accuracy: 1e-9)
        XCTAssertEqual(f["lr_heavy_max_idle_s"]!, 9.2, accuracy: 1e-9)
        XCTAssertEqual(f["lr_heavy_long_gap_share"], 1)
        // Any activity: the chat message cuts each 9.2 s gap into 4.6 s halves, still long gaps.
        XCTAssertEqual(f["lr_max_idle_s"]!, 4.6, accuracy: 1e-9)
        XCTAssertEqual(f["lr_long_gap_idle_share"], 1)
        XCTAssertEqual(f["lr_active_second_share"]!, 0.2, accuracy: 1e-9)
    }

    func testAContinuousStreamHasOneBurstAndNoPeriod() {
        let f = describe(Array(repeating: 5_000, count: 600))
        XCTAssertEqual(f["lr_idle_share"], 0)
        XCTAssertEqual(f["lr_heavy_share"], 1)
        XCTAssertEqual(f["lr_bursts_per_min"], 1)
        XCTAssertEqual(f["lr_burst_max_s"], 60)
        XCTAssertEqual(f["lr_period_s"], 0)
        XCTAssertEqual(f["lr_period_strength"], 0)
        XCTAssertEqual(f["lr_max_idle_s"], 0)
    }

    func testNothingAtAllGivesNumbersNotNaN() {
        let empty = describe([])
        for name in FeatureFamily.rhythmNames { XCTAssertEqual(empty[name], 0, name) }
        // A minute of silence: all idle, one long gap, no burst, no period.
        let silent = describe(Array(repeating: 0, count: 600))
        let expected: [String: Double] = ["lr_seconds": 60, "lr_idle_share": 1, "lr_max_idle_s": 60, "lr_long_gap_idle_share": 1,
                                          "lr_heavy_max_idle_s": 60, "lr_heavy_long_gap_share": 1]
        for name in FeatureFamily.rhythmNames { XCTAssertEqual(silent[name], expected[name] ?? 0, name) }
    }

    func testSizesDoNotMatterOnlyTiming() {
        let small = describe(bursts(periodBins: 20, burstBins: 4).map { $0 / 20 })  // 5 kB bursts, 100 B "chat"
        let big = describe(bursts(periodBins: 20, burstBins: 4))
        for name in ["lr_period_s", "lr_interval_p50_s", "lr_bursts_per_min", "lr_heavy_share", "lr_gap_p50_s"] {
            XCTAssertEqual(small[name]!, big[name]!, accuracy: 1e-9, name)
        }
    }

    /// Through the extractor: 2 s segments of 1 MB at 50 Mbit/s for 125 s.
    func testExtractorWindowsOfALiveStream() throws {
        XCTAssertEqual(set.defaultConfig.window, 30)
        XCTAssertEqual(set.defaultConfig.shapeSeconds, 60)
        XCTAssertTrue(set.defaultConfig.quietWindows)
        let t0 = 1_700_000_000.0
        var packets: [PacketSample] = []
        var start = 0.0
        while start < 125 {
            for k in 0..<690 {
                packets.append(PacketSample(time: t0 + start + Double(k) * 1514 * 8 / 50e6, frameLength: 1514, direction: .download))
            }
            start += 2
        }
        var extractor = try FeatureExtractor(featureSet: set)
        var windows: [WindowResult] = []
        for p in packets { extractor.add(p) { windows.append($0) } }
        windows += extractor.finish()
        let judged = windows.filter { !$0.skipped }
        XCTAssertEqual(judged.count, 4)
        let last = judged[3]
        let value = { (name: String) in last.values[self.set.featureNames.firstIndex(of: name)!] }
        XCTAssertEqual(value("lr_seconds"), 60, accuracy: 0.11)
        XCTAssertEqual(value("lr_period_s"), 2.0, accuracy: 0.11)
        XCTAssertEqual(value("lr_interval_p50_s"), 2.0, accuracy: 0.11)
        XCTAssertEqual(value("lr_heavy_long_gap_share"), 0)
        XCTAssertLessThan(value("lr_heavy_max_idle_s"), 2)
    }
}
