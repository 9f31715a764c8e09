import Capture
import XCTest

final class FileSourceTests: XCTestCase {
    func testClassicPcapInBothByteOrdersAndResolutions() throws {
        let dir = try TempDirectory()
        for littleEndian in [true, false] {
            for nanosecond in [false, true] {
                let fractions: [UInt32] = nanosecond ? [1, 999_999_999, 500_000_123] : [0, 999_999, 123_456]
                let packets = fractions.enumerated().map { i, f in
                    FixturePacket(seconds: 1_700_000_000 + UInt32(i), fraction: f,
                                  bytes: Fixture.payload(60 + 500 * i, seed: UInt8(i)))
                }
                let bytes = Fixture.pcap(littleEndian: littleEndian, nanosecond: nanosecond, packets: packets)
                let path = try dir.write("c-\(littleEndian)-\(nanosecond).cap", bytes)

                XCTAssertEqual(CaptureFileKind.detect(path: path), .pcap(littleEndian: littleEndian, nanosecond: nanosecond))
                let source = try FileSource(path: path)
                XCTAssertEqual(source.name, path)
                XCTAssertEqual(source.linkType, 1)
                XCTAssertEqual(source.linkTypeName, "EN10MB")
                XCTAssertEqual(source.fileSize, Int64(bytes.count))
                XCTAssertEqual(source.bytesRead, 24)
                let (read, end) = try readAll(source)
                XCTAssertEqual(end, .endOfInput)
                XCTAssertEqual(read.count, 3)
                XCTAssertEqual(source.packetsRead, 3)
                XCTAssertEqual(source.bytesRead, Int64(bytes.count))
                for (i, p) in read.enumerated() {
                    XCTAssertEqual(p.seconds, 1_700_000_000 + Int64(i))
                    XCTAssertEqual(p.nanoseconds, nanosecond ? fractions[i] : fractions[i] * 1000, "le=\(littleEndian) ns=\(nanosecond)")
                    XCTAssertEqual(p.capturedLength, 60 + 500 * i)
                    XCTAssertEqual(p.originalLength, 60 + 500 * i)
                    XCTAssertEqual(p.bytes, packets[i].bytes)
                }
            }
        }
    }

    func testSnapLengthCutKeepsTheWireLength() throws {
        let dir = try TempDirectory()
        let packet = FixturePacket(seconds: 10, fraction: 20, bytes: Fixture.payload(96, seed: 3), originalLength: 1514)
        let path = try dir.write("snap.pcap", Fixture.pcap(littleEndian: true, nanosecond: false, snaplen: 96, packets: [packet]))
        let (read, _) = try readAll(try FileSource(path: path))
        XCTAssertEqual(read, [ReadPacket(seconds: 10, nanoseconds: 20_000, capturedLength: 96, originalLength: 1514, bytes: packet.bytes)])
    }

    func testTimestampOrderAndInterval() {
        let a = PacketTimestamp(seconds: 5, nanoseconds: 999_999_999)
        let b = PacketTimestamp(seconds: 6, nanoseconds: 0)
        XCTAssertLessThan(a, b)
        XCTAssertEqual(b.totalNanoseconds - a.totalNanoseconds, 1)
        XCTAssertEqual(a.timeInterval, 5.999999999, accuracy: 1e-12)
    }

    func testPcapngWithTwoInterfacesOfTheSameLinkType() throws {
        let dir = try TempDirectory()
        let frames = (0..<4).map { Fixture.ethernet(etherType: 0x0800, payloadLength: 40 + $0, seed: UInt8($0)) }
        let bytes = Fixture.pcapng([
            .interface(.init(linkType: 1)),                                  // microseconds
            .interface(.init(linkType: 1, timestampResolution: 9)),          // nanoseconds
            .packet(.init(interface: 0, timestamp: 1_700_000_000_123_456, bytes: frames[0])),
            .packet(.init(interface: 1, timestamp: 1_700_000_000_123_456_789, bytes: frames[1])),
            .packet(.init(interface: 0, timestamp: 1_700_000_001_000_000, bytes: frames[2])),
            .packet(.init(interface: 1, timestamp: 1_700_000_002_000_000_001, bytes: frames[3])),
        ])
        let path = try dir.write("two.pcapng", bytes)
        XCTAssertEqual(CaptureFileKind.detect(path: path), .pcapng)
        let source = try FileSource(path: path)
        XCTAssertEqual(source.linkType, 1)
        let (read, end) = try readAll(source)
        XCTAssertEqual(end, .endOfInput)
        XCTAssertEqual(read.map(\.bytes), frames)
        XCTAssertEqual(read.map(\.seconds), [1_700_000_000, 1_700_000_000, 1_700_000_001, 1_700_000_002])
        XCTAssertEqual(read.map(\.nanoseconds), [123_456_000, 123_456_789, 0, 1])
    }

    func testBodyReturningFalseStops() throws {
        let dir = try TempDirectory()
        let packets = (0..<5).map { FixturePacket(seconds: UInt32($0), fraction: 0, bytes: Fixture.payload(20, seed: UInt8($0))) }
        let path = try dir.write("five.pcap", Fixture.pcap(littleEndian: true, nanosecond: false, packets: packets))
        let source = try FileSource(path: path)
        var seen = 0
        let end = try source.forEachPacket { _ in seen += 1; return seen < 2 }
        XCTAssertEqual(end, .stopped)
        XCTAssertEqual(seen, 2)
        // A source is read once: the next call continues after the packets already delivered.
        let (rest, restEnd) = try readAll(source)
        XCTAssertEqual(rest.map(\.seconds), [2, 3, 4])
        XCTAssertEqual(restEnd, .endOfInput)
        XCTAssertEqual(source.packetsRead, 5)
    }

    func testBodyErrorPropagates() throws {
        struct Boom: Error {}
        let dir = try TempDirectory()
        let path = try dir.write("one.pcap", Fixture.pcap(littleEndian: true, nanosecond: false,
                                                          packets: [FixturePacket(seconds: 1, fraction: 0, bytes: [1, 2, 3])]))
        XCTAssertThrowsError(try FileSource(path: path).forEachPacket { _ in throw Boom() }) { XCTAssertTrue($0 is Boom) }
    }

    func testBPFFilter() throws {
        let dir = try TempDirectory()
        let packets = (0..<6).map { i in
            FixturePacket(seconds: UInt32(i), fraction: 0,
                          bytes: Fixture.ethernet(etherType: i % 3 == 0 ? 0x86dd : 0x0800, payloadLength: 40, seed: UInt8(i)))
        }
        let path = try dir.write("mix.pcap", Fixture.pcap(littleEndian: true, nanosecond: true, packets: packets))
        let (read, end) = try readAll(try FileSource(path: path, filter: "ip6"))
        XCTAssertEqual(end, .endOfInput)
        XCTAssertEqual(read.map(\.seconds), [0, 3])
    }

    func testBadFilter() throws {
        let dir = try TempDirectory()
        let path = try dir.write("ok.pcap", Fixture.pcap(littleEndian: true, nanosecond: false, packets: []))
        XCTAssertThrowsError(try FileSource(path: path, filter: "udp prot 53")) { error in
            let e = error as! CaptureError
            XCTAssertEqual(e.kind, .badFilter)
            XCTAssertEqual(e.exitCode, 64)
            XCTAssertTrue(e.description.hasPrefix(path + ": bad filter \"udp prot 53\": "), e.description)
            XCTAssertFalse(e.description.contains("\n"))
        }
    }

    func testEmptyCaptureHasNoPackets() throws {
        let dir = try TempDirectory()
        let path = try dir.write("header-only.pcap", Fixture.pcap(littleEndian: false, nanosecond: false, linkType: 101, packets: []))
        let source = try FileSource(path: path)
        XCTAssertEqual(source.linkType, 12)        // libpcap maps LINKTYPE_RAW (101) to DLT_RAW (12 on Linux)
        XCTAssertEqual(source.linkTypeName, "RAW")
        let (read, end) = try readAll(source)
        XCTAssertEqual(read.count, 0)
        XCTAssertEqual(end, .endOfInput)
    }
}

final class PipeInputTests: XCTestCase {
    /// `streamprobe analyze <(tcpdump -w - ...)` hands over a pipe: its bytes must not be consumed by probing.
    func testReadsAFIFO() throws {
        let dir = try TempDirectory()
        let fifo = dir.path + "/in.fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let packets = (0..<10).map { FixturePacket(seconds: UInt32($0), fraction: 7, bytes: Fixture.payload(64, seed: UInt8($0))) }
        let bytes = Fixture.pcap(littleEndian: true, nanosecond: true, packets: packets)
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        writer.start()
        let source = try FileSource(path: fifo)
        XCTAssertNil(source.fileKind)
        XCTAssertEqual(source.linkType, 1)
        var seconds: [Int64] = []
        XCTAssertEqual(try source.forEachPacket { seconds.append($0.timestamp.seconds); XCTAssertEqual($0.timestamp.nanoseconds, 7); return true }, .endOfInput)
        XCTAssertEqual(seconds, Array(0..<10))
    }

    func testTextThroughAFIFOIsNotACapture() throws {
        let dir = try TempDirectory()
        let fifo = dir.path + "/text.fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            let text = Array("hello, this is not a capture file at all\n".utf8)
            _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        writer.start()
        XCTAssertThrowsError(try FileSource(path: fifo)) { error in
            let e = error as! CaptureError
            XCTAssertEqual(e.kind, .notACapture)
            XCTAssertTrue(e.description.hasPrefix("\(fifo): not a pcap or pcapng stream ("), e.description)
        }
    }
}
