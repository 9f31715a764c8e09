import Capture
import XCTest
@testable import Analyzer

/// Timestamps are data: reordering, lone outliers and a clock going back are handled in O(1) per packet.
final class CaptureClockTests: XCTestCase {
    /// Feeds raw times (seconds) and returns what was handed on: (index of the input, time).
    func run(_ times: [Double], clock: inout CaptureClock) -> [(Int, Double)] {
        var out: [(Int, Double)] = []
        for (i, t) in times.enumerated() {
            var marker = UInt8(i & 0xFF)
            withUnsafeBytes(of: &marker) { raw in
                let whole = t.rounded(.down)
                let packet = CapturedPacket(timestamp: PacketTimestamp(seconds: Int64(whole), nanoseconds: UInt32((t - whole) * 1e9)),
                                            capturedLength: 1, originalLength: 1, bytes: raw)
                clock.feed(packet) { p, time in out.append((Int(p.bytes[0]), time)) }
            }
        }
        clock.finish()
        return out
    }

    func testSmallReorderingIsTakenAtTheLatestTime() {
        var clock = CaptureClock()
        let out = run([100, 100.5, 100.2, 101, 101], clock: &clock)
        XCTAssertEqual(out.map(\.0), [0, 1, 2, 3, 4])
        XCTAssertEqual(out.map(\.1), [100, 100.5, 100.5, 101, 101])
        XCTAssertEqual(clock.reordered, 1)
        XCTAssertEqual(clock.outliers, 0)
    }

    /// A live capture's idle calls move the clock without a packet; a packet stamped just before an idle
    /// call is taken at the clock's time without counting as reordered (one behind a packet still counts).
    func testIdleMovesTheClockWithoutCountingReordering() {
        var clock = CaptureClock()
        XCTAssertNil(clock.idle(at: 100), "no packet yet: no clock to move")
        XCTAssertEqual(run([100], clock: &clock).map(\.1), [100])
        XCTAssertEqual(clock.idle(at: 100.6), 100.6)
        XCTAssertNil(clock.idle(at: 100.5), "never back")
        XCTAssertNil(clock.idle(at: 100 + 4 * 3600), "not a silence longer than a session gap")
        XCTAssertEqual(run([100.4], clock: &clock).map(\.1), [100.6])
        XCTAssertEqual(clock.reordered, 0)
        XCTAssertEqual(run([100.3], clock: &clock).map(\.1), [100.6])
        XCTAssertEqual(clock.reordered, 1)
    }

    func testALonePacketFarAheadOrBehindIsLeftOut() {
        let tenYears = 10 * 365 * 86_400.0
        for stray: Double in [100 + tenYears, 100 + 86_400, 100 - tenYears, 100 - 5] {
            var clock = CaptureClock()
            let out = run([99, 100, stray, 100.2, 100.4], clock: &clock)
            XCTAssertEqual(out.map(\.0), [0, 1, 3, 4], "stray at \(stray)")
            XCTAssertEqual(clock.outliers, 1)
            XCTAssertEqual(clock.backwardJumps, 0)
        }
        // The last packet far ahead has no neighbour after it: left out too.
        var clock = CaptureClock()
        XCTAssertEqual(run([1, 2, 5_000], clock: &clock).map(\.0), [0, 1])
        XCTAssertEqual(clock.outliers, 1)
    }

    /// A pcapng interface's time offset (or a corrupt header) can put packets 10^18 s away, where a
    /// Double no longer moves by a 3 s window step: `analyze` never ended (found by the corrupt-capture
    /// corpus). Such packets are left out and counted; the others go on.
    func testTimestampsCenturiesAwayAreLeftOut() {
        var clock = CaptureClock()
        let out = run([100, 9.2e18, 101, -9.2e18, 102, 1e17, 1e17 + 1, 103], clock: &clock)
        XCTAssertEqual(out.map(\.0), [0, 2, 4, 7])
        XCTAssertEqual(out.map(\.1), [100, 101, 102, 103])
        XCTAssertEqual(clock.outOfRange, 4)
        XCTAssertEqual(clock.outliers, 0)
        XCTAssertTrue(clock.warnings.contains { $0.hasPrefix("4 packet(s) left out: a timestamp more than 500 years away from 1970") }, "\(clock.warnings)")
        // Within 500 years (a clock set to 2400): kept.
        var late = CaptureClock()
        XCTAssertEqual(run([13_569_465_600, 13_569_465_601], clock: &late).count, 2)
        XCTAssertEqual(late.outOfRange, 0)
    }

    func testARealPauseIsKept() {
        var clock = CaptureClock()
        let out = run([0, 1, 2, 3_602, 3_603], clock: &clock)
        XCTAssertEqual(out.map(\.1), [0, 1, 2, 3_602, 3_603])
        XCTAssertEqual(clock.outliers, 0)
        XCTAssertEqual(clock.forwardJumps, 1)
    }

    func testAClockThatGoesBackStartsANewSessionAfterTheClock() {
        var clock = CaptureClock()
        let out = run([100, 101, 102, 40, 41, 42], clock: &clock)
        XCTAssertEqual(out.map(\.0), [0, 1, 2, 3, 4, 5])
        let times = out.map(\.1)
        // Time never goes back, the jump becomes a silence longer than a session gap, spacing is kept.
        XCTAssertTrue(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "\(times)")
        XCTAssertGreaterThan(times[3] - times[2], StreamUnit.sessionGap)
        XCTAssertEqual(times[5] - times[3], 2, accuracy: 1e-9)
        XCTAssertEqual(clock.backwardJumps, 1)
        XCTAssertEqual(clock.largestBackwardJump, 62, accuracy: 1e-9)
        XCTAssertEqual(clock.warnings.count, 1)
    }
}
