import Foundation
import Simulator
import Wire
import XCTest

/// The HLS player of `video:live` / `video:vod` (docs/simulator.md, "Video"): its rhythm read back from the bytes.
final class HLSVideoTests: XCTestCase {
    /// Starts of the video flow's download bursts (payload packets less than `gap` apart belong to one burst).
    private func burstStarts(_ s: SimulationSummary, _ packets: [ReadPacket], gap: Double = 0.5) -> (starts: [Double], down: [ReadPacket]) {
        let server = s.flows.first { $0.role == .video }!.server
        let down = packets.filter { $0.src == server && $0.srcPort == 443 && $0.payload > 0 }
        var starts: [Double] = []
        var last = -1e9
        for p in down {
            if p.time - last > gap { starts.append(p.time) }
            last = p.time
        }
        return (starts, down)
    }

    private func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }

    /// Seeds (from 1 up) whose session drew `key` = `value`.
    private func seeds(_ profile: String, _ key: String, _ value: Double, count: Int) throws -> [UInt64] {
        var out: [UInt64] = []
        var seed: UInt64 = 1
        while out.count < count && seed < 60 {
            let s = try session(profile, link: .cable, duration: 1, seed: seed).run(writer: PcapWriter.memory(linkType: 1))
            if s.drawn[key] == value { out.append(seed) }
            seed += 1
        }
        XCTAssertEqual(out.count, count, "no seed drew \(key) = \(value)")
        return out
    }

    func testLiveSegmentsArriveAsShortBurstsEveryTwoSeconds() throws {
        for seed in try seeds("video:live", "low_latency", 0, count: 2) {
            let (s, packets) = try writeAndRead(session("video:live", link: .cable, duration: 40, seed: seed))
            XCTAssertEqual(s.drawn["segment"], 2)
            let (starts, down) = burstStarts(s, packets)
            let steady = starts.filter { $0 > 8 }
            XCTAssertGreaterThan(steady.count, 12, "seed \(seed)")
            let intervals = zip(steady, steady.dropFirst()).map { $1 - $0 }
            XCTAssertEqual(median(intervals), 2, accuracy: 0.1, "seed \(seed): \(intervals)")
            // Each burst is short next to the 2 s period: the video flow is idle most of the time.
            let busyBins = Set(down.filter { $0.time > 8 }.map { Int($0.time * 10) }).count
            XCTAssertLessThan(Double(busyBins) / ((s.duration - 8) * 10), 0.5, "seed \(seed)")
        }
    }

    func testLowLatencyLiveArrivesInPartsWithoutLongSilences() throws {
        for seed in try seeds("video:live", "low_latency", 1, count: 2) {
            let (s, packets) = try writeAndRead(session("video:live", link: .cable, duration: 30, seed: seed))
            let part = try XCTUnwrap(s.drawn["part"])
            XCTAssertTrue((0.25...0.5).contains(part))
            let (_, down) = burstStarts(s, packets)
            let steady = down.filter { $0.time > 6 }
            let longest = zip(steady, steady.dropFirst()).map { $1.time - $0.time }.max()!
            XCTAssertLessThan(longest, part + 0.3, "seed \(seed)")
        }
    }

    func testVODFetchesInCyclesWithLongIdlePeriods() throws {
        for seed: UInt64 in 1...4 {
            let (s, packets) = try writeAndRead(session("video:vod+vpn", link: nil, duration: 1, seed: seed))
            _ = packets
            XCTAssertTrue((2...10.5).contains(s.drawn["segment"]!) && (20...60).contains(s.drawn["target"]!))
        }
        for seed in try seeds("video:vod", "batch", 1, count: 2) {
            let (s, packets) = try writeAndRead(session("video:vod", link: .cable, duration: 150, seed: seed))
            let (starts, down) = burstStarts(s, packets)
            let refill = s.drawn["refill"]!
            // After the fill, the gaps between fetch cycles are about the refill amount of playback.
            let gaps = zip(down, down.dropFirst()).map { $1.time - $0.time }.filter { $0 > 1 }
            XCTAssertFalse(gaps.isEmpty, "seed \(seed)")
            XCTAssertGreaterThan(gaps.max()!, 0.6 * refill, "seed \(seed): refill \(refill), gaps \(gaps)")
            XCTAssertGreaterThan(starts.count, 2)
        }
    }

    func testTheFixedPlayerIsTheFirstScenario() throws {
        let options = SimulationOptions(videoPlayer: .fixed)
        let s = try session("video:live", link: .cable, duration: 20, seed: 3, options: options).run(writer: PcapWriter.memory(linkType: 1))
        XCTAssertTrue(s.drawn.isEmpty)
        let h = try session("video:live", link: .cable, duration: 20, seed: 3).run(writer: PcapWriter.memory(linkType: 1))
        XCTAssertEqual(h.drawn["segment"], 2)
    }
}
