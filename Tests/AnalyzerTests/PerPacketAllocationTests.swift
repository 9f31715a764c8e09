import CAllocationCounter
import Features
import Flows
import Simulator
import Wire
import XCTest

/// The per-packet path (decode → flow table → feature extractor) must not allocate per packet: it
/// decodes into a value, finds the flow by a hash that allocates nothing, and appends the sample to
/// buffers that stop growing once they hold a window. Counted with the test binary's malloc counter
/// (glibc only; skipped elsewhere and under sanitizers).
///
/// The per-packet check needs an optimized build: at -Onone every `for … in` over an array allocates
/// (the unspecialized iterator's accessor coroutine gets a heap frame), so a debug build allocates per
/// packet in any loop. `scripts/test-allocations.sh` runs it in release; a debug run skips it.
final class PerPacketAllocationTests: XCTestCase {
    let client = IPAddress(192, 168, 1, 10)
    let server = IPAddress(151, 101, 2, 248)
    let resolver = IPAddress(192, 168, 1, 1)

    /// A download of 3 s windows: server segments every 3 ms with a client ACK every second segment,
    /// and a DNS exchange now and then (a second flow, a different protocol).
    func frames(count: Int) -> [(time: Double, bytes: [UInt8])] {
        var out: [(Double, [UInt8])] = []
        let segment = [UInt8](repeating: 0x17, count: 1_400)
        var seq: UInt32 = 1, time = 1_800_000_000.0
        for i in 0..<count {
            time += 0.003
            if i % 500 == 499 {
                out.append((time, FrameBuilder.udp(src: client, dst: resolver, srcPort: 40_000, dstPort: 53, payload: [1, 2, 3, 4])))
            } else if i % 3 == 2 {
                out.append((time, FrameBuilder.tcp(src: client, dst: server, srcPort: 50_000, dstPort: 443,
                                                   seq: 1, ack: seq, flags: .ack)))
            } else {
                out.append((time, FrameBuilder.tcp(src: server, dst: client, srcPort: 443, dstPort: 50_000,
                                                   seq: seq, ack: 1, flags: [.ack, .psh], payload: segment)))
                seq &+= UInt32(segment.count)
            }
        }
        return out
    }

    /// Runs `frames` through the path and returns the allocations counted while it ran, and the windows.
    func allocations(running frames: [(time: Double, bytes: [UInt8])], table: inout FlowTable,
                     extractor: inout FeatureExtractor) -> (allocations: Int, windows: Int) {
        var windows = 0
        streamprobe_allocations_start()
        for frame in frames {
            frame.bytes.withUnsafeBytes { bytes in
                let packet = decode(linkType: .ethernet, bytes: bytes)
                guard let touch = table.process(packet, bytes: bytes, time: frame.time, frameLength: bytes.count) else { return }
                let direction: PacketDirection = touch.direction == .serverToClient ? .download : .upload
                let sample = PacketSample(time: frame.time, frameLength: bytes.count, direction: direction,
                                          isIPv4: packet.network == .ipv4,
                                          ipProtocol: UInt8(truncatingIfNeeded: packet.ipProtocol.rawValue),
                                          payloadLength: packet.payloadLength)
                extractor.add(sample) { _ in windows += 1 }
            }
        }
        let counted = streamprobe_allocations_stop()
        return (Int(counted), windows)
    }

    func testThePerPacketPathDoesNotAllocatePerPacket() throws {
        if streamprobe_allocation_counting_available() == 0 { throw XCTSkip("malloc counting needs glibc without sanitizers") }
        #if DEBUG
        throw XCTSkip("-Onone allocates in every array loop: run scripts/test-allocations.sh (release)")
        #else
        let warmUp = frames(count: 2_000), measured = Array(frames(count: 8_000)[2_000...])
        var table = FlowTable()
        var extractor = try FeatureExtractor(featureSet: .streamV1)
        // The first windows size the buffers and the flows' records; then only windows allocate
        // (one row of values each).
        _ = allocations(running: warmUp, table: &table, extractor: &extractor)
        let (counted, windows) = allocations(running: measured, table: &table, extractor: &extractor)
        XCTAssertEqual(measured.count, 6_000)
        XCTAssertGreaterThanOrEqual(windows, 5, "the packets span several windows")
        // Measured in release: 12 allocations for these 6,000 packets and 6 windows (two per window).
        XCTAssertLessThanOrEqual(counted, 4 * windows + 10,
                                 "\(counted) allocations for \(measured.count) packets and \(windows) windows")
        #endif
    }

    /// The counter counts: a loop that allocates per packet is caught.
    func testTheCounterSeesAnAllocationPerPacket() throws {
        if streamprobe_allocation_counting_available() == 0 { throw XCTSkip("malloc counting needs glibc without sanitizers") }
        var kept: [[UInt8]] = []
        kept.reserveCapacity(1_000)
        streamprobe_allocations_start()
        for i in 0..<1_000 { kept.append([UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 64)) }
        let counted = streamprobe_allocations_stop()
        XCTAssertGreaterThanOrEqual(counted, 1_000)
        XCTAssertEqual(kept.count, 1_000)
    }
}
