import Capture
import Simulator
import XCTest

/// Captures written by the Simulator's writers (code this module does not share) read back
/// packet for packet.
final class SimulatorRoundTripTests: XCTestCase {
    let frames = (0..<20).map { Fixture.ethernet(etherType: 0x0800, payloadLength: 20 + 70 * $0, seed: UInt8($0)) }

    func testPcapWriterMicroAndNano() throws {
        let dir = try TempDirectory()
        for nano in [false, true] {
            let writer = PcapWriter.memory(linkType: 1, nanosecond: nano)
            for (i, frame) in frames.enumerated() {
                try writer.write(seconds: 1_700_000_000 + Int64(i), nanoseconds: UInt32(i) * 1_000, frame: frame)
            }
            let path = try dir.write("sim-\(nano).pcap", writer.bytes)
            XCTAssertEqual(CaptureFileKind.detect(path: path), .pcap(littleEndian: true, nanosecond: nano))
            let source = try FileSource(path: path)
            var i = 0
            let end = try source.forEachPacket { p in
                XCTAssertEqual(Array(p.bytes), frames[i])
                XCTAssertEqual(p.timestamp, PacketTimestamp(seconds: 1_700_000_000 + Int64(i), nanoseconds: UInt32(i) * 1_000))
                i += 1
                return true
            }
            XCTAssertEqual(end, .endOfInput)
            XCTAssertEqual(i, frames.count)
        }
    }

    func testPcapngWriterWithInterfacesOfTwoLinkTypes() throws {
        let dir = try TempDirectory()
        let writer = PcapngWriter.memory(interfaces: [
            .init(linkType: 1, name: "eth0", nanosecond: true),
            .init(linkType: 101, name: "tun0"),
        ])
        for (i, frame) in frames.enumerated() {
            try writer.write(seconds: 100, nanoseconds: UInt32(i), frame: frame, interface: 0)
            try writer.write(seconds: 100, nanoseconds: UInt32(i) * 1000, frame: Array(frame.dropFirst(14)), interface: 1)
        }
        let path = try dir.write("sim.pcapng", writer.bytes)
        let source = try FileSource(path: path)
        XCTAssertEqual(source.linkTypeName, "EN10MB")
        var got: [[UInt8]] = []
        var nanos: [UInt32] = []
        XCTAssertEqual(try source.forEachPacket { got.append(Array($0.bytes)); nanos.append($0.timestamp.nanoseconds); return true }, .endOfInput)
        XCTAssertEqual(got, frames)
        XCTAssertEqual(nanos, (0..<UInt32(frames.count)).map { $0 })
        XCTAssertEqual(source.skippedPackets, frames.count)
    }
}
