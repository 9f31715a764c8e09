@testable import Capture
import XCTest

/// pcapng files whose interfaces differ: libpcap 1.10 stops at such an interface, FileSource
/// continues with its own reader.
final class PcapngInterfaceTests: XCTestCase {
    let ethernet = (0..<6).map { Fixture.ethernet(etherType: 0x0800, payloadLength: 30 + $0, seed: UInt8($0)) }
    let rawIP = Fixture.payload(28, seed: 9)

    func testInterfacesWithAnotherLinkTypeUpFrontAreSkipped() throws {
        let dir = try TempDirectory()
        let path = try dir.write("mixed.pcapng", Fixture.pcapng([
            .interface(.init(linkType: 1)),
            .interface(.init(linkType: 101)),   // raw IP
            .interface(.init(linkType: 1, snaplen: 1500, timestampResolution: 9)),
            .packet(.init(interface: 0, timestamp: 1_700_000_000_000_001, bytes: ethernet[0])),
            .packet(.init(interface: 1, timestamp: 1_700_000_000_000_002, bytes: rawIP)),
            .packet(.init(interface: 2, timestamp: 1_700_000_000_000_000_003, bytes: ethernet[1])),
            .packet(.init(interface: 1, timestamp: 1_700_000_000_000_004, bytes: rawIP)),
        ]))
        let source = try FileSource(path: path)
        XCTAssertEqual(source.linkType, 1)
        let (packets, end) = try readAll(source)
        XCTAssertEqual(end, .endOfInput)
        XCTAssertEqual(packets.map(\.bytes), [ethernet[0], ethernet[1]])
        XCTAssertEqual(packets.map(\.nanoseconds), [1000, 3])
        XCTAssertEqual(packets.map(\.seconds), [1_700_000_000, 1_700_000_000])
        XCTAssertEqual(source.packetsRead, 2)
        XCTAssertEqual(source.skippedPackets, 2)
        XCTAssertEqual(source.warnings, ["\(path): skipped 2 packets of pcapng interfaces whose link type is not the file's (EN10MB)"])
        XCTAssertEqual(source.bytesRead, source.fileSize)
    }

    func testALateInterfaceWithAnotherLinkTypeKeepsThePacketsAroundIt() throws {
        let dir = try TempDirectory()
        let path = try dir.write("late.pcapng", Fixture.pcapng([
            .interface(.init(linkType: 1)),
            .packet(.init(interface: 0, timestamp: 1, bytes: ethernet[0])),
            .packet(.init(interface: 0, timestamp: 2, bytes: ethernet[1])),
            .interface(.init(linkType: 101)),
            .packet(.init(interface: 1, timestamp: 3, bytes: rawIP)),
            .packet(.init(interface: 0, timestamp: 4, bytes: ethernet[2])),
        ]))
        let source = try FileSource(path: path)
        let (packets, end) = try readAll(source)
        XCTAssertEqual(end, .endOfInput)
        // The two packets libpcap delivered are not delivered again.
        XCTAssertEqual(packets.map(\.bytes), [ethernet[0], ethernet[1], ethernet[2]])
        XCTAssertEqual(packets.map(\.nanoseconds), [1000, 2000, 4000])
        XCTAssertEqual(source.skippedPackets, 1)
        XCTAssertEqual(source.warnings.count, 1)
    }

    func testInterfacesWithDifferentSnapLengthsAreAllRead() throws {
        let dir = try TempDirectory()
        let path = try dir.write("snaps.pcapng", Fixture.pcapng([
            .interface(.init(linkType: 1, snaplen: 262_144)),
            .interface(.init(linkType: 1, snaplen: 65_535)),
            .packet(.init(interface: 0, timestamp: 10_000_000, bytes: ethernet[0])),
            .packet(.init(interface: 1, timestamp: 10_500_000, bytes: ethernet[1])),
        ]))
        let source = try FileSource(path: path)
        var stopAfterOne = true
        var first: [Int] = []
        XCTAssertEqual(try source.forEachPacket { p in first.append(p.capturedLength); defer { stopAfterOne = false }; return !stopAfterOne }, .stopped)
        let (rest, end) = try readAll(source)
        XCTAssertEqual(end, .endOfInput)
        XCTAssertEqual(first, [ethernet[0].count])
        XCTAssertEqual(rest.map(\.bytes), [ethernet[1]])
        XCTAssertEqual(rest.map(\.seconds), [10])
        XCTAssertEqual(rest.map(\.nanoseconds), [500_000_000])
        XCTAssertEqual(source.warnings, [])
        XCTAssertEqual(source.packetsRead, 2)
    }

    func testACutAfterTheFallbackIsATruncation() throws {
        let dir = try TempDirectory()
        let whole = Fixture.pcapng([
            .interface(.init(linkType: 1)),
            .interface(.init(linkType: 1, snaplen: 100)),
            .packet(.init(interface: 0, timestamp: 1, bytes: ethernet[0])),
            .packet(.init(interface: 1, timestamp: 2, bytes: ethernet[1])),
        ])
        let path = try dir.write("cut.pcapng", Array(whole.dropLast(10)))
        let source = try FileSource(path: path)
        let (packets, end) = try readAll(source)
        XCTAssertEqual(packets.map(\.bytes), [ethernet[0]])
        guard case .truncated(let warning) = end else { return XCTFail("\(end)") }
        XCTAssertTrue(warning.hasPrefix("\(path): stopped reading after 1 packet: the file ends inside a block"), warning)
    }

    func testTimestampResolutions() {
        typealias R = PcapngFallbackReader
        var i = R.Interface(linkType: 1, snaplen: 0)
        XCTAssertEqual(R.timestamp(1_700_000_000_123_456, i), PacketTimestamp(seconds: 1_700_000_000, nanoseconds: 123_456_000))
        i.resolution = 9
        XCTAssertEqual(R.timestamp(1_700_000_000_123_456_789, i), PacketTimestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789))
        i.resolution = 3
        i.offsetSeconds = 100
        XCTAssertEqual(R.timestamp(5_250, i), PacketTimestamp(seconds: 105, nanoseconds: 250_000_000))
        i = R.Interface(linkType: 1, snaplen: 0, resolution: 10, binary: true)   // 1/1024 s
        XCTAssertEqual(R.timestamp(3 * 1024 + 512, i), PacketTimestamp(seconds: 3, nanoseconds: 500_000_000))
    }
}

final class PcapngFallbackFilterTests: XCTestCase {
    func testTheFilterStillAppliesAfterTheFallback() throws {
        let dir = try TempDirectory()
        let v4 = (0..<4).map { Fixture.ethernet(etherType: 0x0800, payloadLength: 30, seed: UInt8($0)) }
        let v6 = (0..<4).map { Fixture.ethernet(etherType: 0x86dd, payloadLength: 50, seed: UInt8(10 + $0)) }
        let path = try dir.write("f.pcapng", Fixture.pcapng([
            .interface(.init(linkType: 1)),
            .packet(.init(interface: 0, timestamp: 1, bytes: v4[0])),
            .packet(.init(interface: 0, timestamp: 2, bytes: v6[0])),
            .packet(.init(interface: 0, timestamp: 3, bytes: v4[1])),
            .interface(.init(linkType: 1, snaplen: 9000)),   // libpcap stops here
            .packet(.init(interface: 1, timestamp: 4, bytes: v6[1])),
            .packet(.init(interface: 0, timestamp: 5, bytes: v4[2])),
            .packet(.init(interface: 1, timestamp: 6, bytes: v4[3])),
            .packet(.init(interface: 0, timestamp: 7, bytes: v6[2])),
        ]))
        let source = try FileSource(path: path, filter: "ip")
        var got: [[UInt8]] = []
        XCTAssertEqual(try source.forEachPacket { got.append(Array($0.bytes)); return true }, .endOfInput)
        XCTAssertEqual(got, v4)
        let v6Source = try FileSource(path: path, filter: "ip6")
        got = []
        XCTAssertEqual(try v6Source.forEachPacket { got.append(Array($0.bytes)); return true }, .endOfInput)
        XCTAssertEqual(got, [v6[0], v6[1], v6[2]])
    }
}

final class PcapngBigEndianTests: XCTestCase {
    func testABigEndianSectionWithMixedInterfaces() throws {
        let dir = try TempDirectory()
        let frames = (0..<3).map { Fixture.ethernet(etherType: 0x0800, payloadLength: 25 + $0, seed: UInt8($0)) }
        let path = try dir.write("be.pcapng", Fixture.pcapng([
            .interface(.init(linkType: 1, timestampResolution: 9)),
            .packet(.init(interface: 0, timestamp: 2_000_000_007, bytes: frames[0])),
            .interface(.init(linkType: 101)),
            .packet(.init(interface: 1, timestamp: 5, bytes: Fixture.payload(20, seed: 1))),
            .packet(.init(interface: 0, timestamp: 3_000_000_008, bytes: frames[1])),
            .interface(.init(linkType: 1, snaplen: 128)),
            .packet(.init(interface: 2, timestamp: 4_000_009, bytes: frames[2])),
        ], littleEndian: false))
        XCTAssertEqual(CaptureFileKind.detect(path: path), .pcapng)
        let source = try FileSource(path: path)
        var got: [ReadPacket] = []
        XCTAssertEqual(try source.forEachPacket { p in
            got.append(ReadPacket(seconds: p.timestamp.seconds, nanoseconds: p.timestamp.nanoseconds,
                                  capturedLength: p.capturedLength, originalLength: p.originalLength, bytes: Array(p.bytes)))
            return true
        }, .endOfInput)
        XCTAssertEqual(got.map(\.bytes), frames)
        XCTAssertEqual(got.map(\.seconds), [2, 3, 4])
        XCTAssertEqual(got.map(\.nanoseconds), [7, 8, 9000])
        XCTAssertEqual(source.skippedPackets, 1)
    }
}
