import Simulator
import Wire
import XCTest

final class TLSAndDNSBuilderTests: XCTestCase {
    /// Walks the ClientHello's structure with its own length fields and returns the SNI.
    func parseClientHello(_ r: [UInt8]) -> (sni: String?, alpn: [String], extensions: [Int])? {
        guard r.count > 9, r[0] == 22, be16(r, 3) == r.count - 5, r[5] == 1 else { return nil }
        let hsLen = Int(r[6]) << 16 | Int(r[7]) << 8 | Int(r[8])
        guard hsLen == r.count - 9 else { return nil }
        var o = 9 + 2 + 32
        o += 1 + Int(r[o])
        o += 2 + be16(r, o)
        o += 1 + Int(r[o])
        let extEnd = o + 2 + be16(r, o)
        guard extEnd == r.count else { return nil }
        o += 2
        var sni: String?, alpn: [String] = [], types: [Int] = []
        while o < extEnd {
            let type = be16(r, o), len = be16(r, o + 2)
            types.append(type)
            let d = o + 4
            if type == 0 {
                XCTAssertEqual(be16(r, d), len - 2)
                XCTAssertEqual(r[d + 2], 0)
                let n = be16(r, d + 3)
                sni = String(decoding: r[(d + 5)..<(d + 5 + n)], as: UTF8.self)
            } else if type == 16 {
                var p = d + 2
                while p < d + len { let n = Int(r[p]); alpn.append(String(decoding: r[(p + 1)..<(p + 1 + n)], as: UTF8.self)); p += 1 + n }
            }
            o = d + len
        }
        return o == extEnd ? (sni, alpn, types) : nil
    }

    func testClientHelloIsWellFormed() throws {
        let r = TLSBuilder.clientHello(serverName: "audio4-fa.scdn.co", seed: 1)
        let p = try XCTUnwrap(parseClientHello(r))
        XCTAssertEqual(p.sni, "audio4-fa.scdn.co")
        XCTAssertEqual(p.alpn, ["h2", "http/1.1"])
        XCTAssertEqual(p.extensions, [0, 10, 13, 16, 43, 45, 51])
        XCTAssertTrue((200...400).contains(r.count), "classic ClientHello ≈300 B, got \(r.count)")
        XCTAssertEqual(r, TLSBuilder.clientHello(serverName: "audio4-fa.scdn.co", seed: 1))
        XCTAssertNotEqual(r, TLSBuilder.clientHello(serverName: "audio4-fa.scdn.co", seed: 2))
    }

    func testPaddedAndPostQuantumClientHellosSpanTwoSegments() throws {
        let padded = TLSBuilder.clientHello(serverName: "x.example", seed: 1, alpn: [], extraPadding: 1500)
        XCTAssertGreaterThan(padded.count, 1448)
        XCTAssertEqual(try XCTUnwrap(parseClientHello(padded)).extensions.last, 21)
        let pq = TLSBuilder.clientHello(serverName: "x.example", seed: 1, postQuantum: true)
        XCTAssertTrue((1400...1800).contains(pq.count), "\(pq.count)")
        XCTAssertNotNil(parseClientHello(pq))
    }

    func testServerRecords() {
        let sh = TLSBuilder.serverHello(seed: 4)
        XCTAssertEqual(sh[0], 22)
        XCTAssertEqual(be16(sh, 3), sh.count - 5)
        XCTAssertEqual(sh[5], 2)
        XCTAssertEqual(TLSBuilder.changeCipherSpec(), [20, 3, 3, 0, 1, 1])
        let ad = TLSBuilder.applicationData(length: 1000)
        XCTAssertEqual(ad.count, 1005)
        XCTAssertEqual(Array(ad[0..<5]), [23, 3, 3, 0x03, 0xE8])
        let flight = TLSBuilder.serverFlight(seed: 1, certificateBytes: 3000)
        // Walk the records: they tile the flight exactly.
        var o = 0, types: [UInt8] = []
        while o < flight.count { types.append(flight[o]); o += 5 + be16(flight, o + 3) }
        XCTAssertEqual(o, flight.count)
        XCTAssertEqual(types, [22, 20, 23])
    }

    func testDNSQueryAndCompressedResponse() {
        let q = DNSBuilder.query(id: 0xBEEF, name: "audio4-fa.scdn.co", type: .a)
        XCTAssertEqual(be16(q, 0), 0xBEEF)
        XCTAssertEqual(be16(q, 2), 0x0100)
        XCTAssertEqual(be16(q, 4), 1)
        XCTAssertEqual(Array(q[12..<22]), [9] + Array("audio4-fa".utf8))
        XCTAssertEqual(q.count, 12 + 19 + 4)
        let addr = IPAddress(151, 101, 2, 248)
        let r = DNSBuilder.response(id: 0xBEEF, question: "audio4-fa.scdn.co", type: .a,
                                    answers: [.cname("audio4-fa.scdn.co", target: "scdn.map.fastly.net"), .a("scdn.map.fastly.net", addr)])
        XCTAssertEqual(be16(r, 2), 0x8180)
        XCTAssertEqual(be16(r, 6), 2)
        var o = 12 + 19 + 4
        XCTAssertEqual(be16(r, o), 0xC00C, "CNAME owner points at the question")
        XCTAssertEqual(be16(r, o + 2), 5)
        let rdlen = be16(r, o + 10)
        let targetOffset = o + 12
        o += 12 + rdlen
        XCTAssertEqual(be16(r, o), 0xC000 | targetOffset, "A owner points at the CNAME target")
        XCTAssertEqual(be16(r, o + 2), 1)
        XCTAssertEqual(be16(r, o + 10), 4)
        XCTAssertEqual(Array(r[(o + 12)..<(o + 16)]), [151, 101, 2, 248])
        XCTAssertEqual(o + 16, r.count)
        let r6 = DNSBuilder.response(id: 1, question: "a.example", type: .aaaa, answers: [.aaaa("a.example", IPAddress("2001:db8::1")!)])
        XCTAssertEqual(r6.count, 12 + 11 + 4 + 2 + 10 + 16)
    }
}

final class PcapWriterTests: XCTestCase {
    func testMemoryPcapParsesBack() throws {
        let w = PcapWriter.memory(linkType: PcapLinkType.ethernet)
        let f1 = FrameBuilder.udp(src: IPAddress(10, 0, 0, 1), dst: IPAddress(10, 0, 0, 2), srcPort: 1, dstPort: 2, payload: [1, 2, 3])
        try w.write(timestamp: 1_700_000_000.25, frame: f1)
        try w.write(seconds: 1_700_000_001, nanoseconds: 999_999_999, frame: f1, originalLength: 1000)
        let p = try XCTUnwrap(parsePcap(w.bytes))
        XCTAssertEqual(p.magic, 0xA1B2_C3D4)
        XCTAssertEqual(p.linkType, 1)
        XCTAssertEqual(p.snaplen, 262_144)
        XCTAssertEqual(p.records.count, 2)
        XCTAssertEqual(p.records[0].seconds, 1_700_000_000)
        XCTAssertEqual(p.records[0].fraction, 250_000)
        XCTAssertEqual(p.records[0].data, f1)
        XCTAssertEqual(p.records[1].fraction, 999_999)
        XCTAssertEqual(p.records[1].originalLength, 1000)
    }

    func testNanosecondSnaplenAndFileOutputMatchMemory() throws {
        let path = NSTemporaryDirectory() + "sim-\(UInt64.random(in: 0...UInt64.max)).pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try PcapWriter(path: path, linkType: PcapLinkType.linuxSLL2, nanosecond: true, snaplen: 64)
        let mem = PcapWriter.memory(linkType: PcapLinkType.linuxSLL2, nanosecond: true, snaplen: 64)
        let f = FrameBuilder.tcp(link: .linuxCooked2(), src: IPAddress(10, 0, 0, 1), dst: IPAddress(10, 0, 0, 2), srcPort: 1, dstPort: 2,
                                 seq: 1, flags: .ack, payload: [UInt8](repeating: 7, count: 500))
        for i in 0..<3000 {
            try file.write(seconds: Int64(i), nanoseconds: 123_456_789, frame: f)
            try mem.write(seconds: Int64(i), nanoseconds: 123_456_789, frame: f)
        }
        try file.close()
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(data, mem.bytes)
        let p = try XCTUnwrap(parsePcap(data))
        XCTAssertEqual(p.magic, 0xA1B2_3C4D)
        XCTAssertEqual(p.linkType, 276)
        XCTAssertEqual(p.records.count, 3000)
        XCTAssertEqual(p.records[5].data.count, 64)
        XCTAssertEqual(p.records[5].originalLength, f.count)
        XCTAssertEqual(p.records[5].fraction, 123_456_789)
    }

    func testUnwritablePathThrowsWithThePath() {
        XCTAssertThrowsError(try PcapWriter(path: "/nonexistent-dir/x.pcap", linkType: 1)) { e in
            XCTAssertTrue("\(e)".hasPrefix("/nonexistent-dir/x.pcap: cannot create file"), "\(e)")
        }
    }

    func testPcapngWithTwoInterfaces() throws {
        let w = PcapngWriter.memory(interfaces: [.init(linkType: 1, name: "eth0"), .init(linkType: 101, nanosecond: true)])
        let e = FrameBuilder.udp(src: IPAddress(10, 0, 0, 1), dst: IPAddress(10, 0, 0, 2), srcPort: 1, dstPort: 2, payload: [1])
        let r = FrameBuilder.udp(link: .raw, src: IPAddress(10, 0, 0, 1), dst: IPAddress(10, 0, 0, 2), srcPort: 1, dstPort: 2, payload: [1])
        try w.write(timestamp: 2.5, frame: e, interface: 0)
        try w.write(timestamp: 3.000000001, frame: r, interface: 1)
        let b = w.bytes
        var o = 0
        var blocks: [(type: UInt32, start: Int)] = []
        while o < b.count {
            let len = Int(le32(b, o + 4))
            XCTAssertEqual(le32(b, o + len - 4), UInt32(len), "trailing length")
            XCTAssertEqual(len % 4, 0)
            blocks.append((le32(b, o), o))
            o += len
        }
        XCTAssertEqual(o, b.count)
        XCTAssertEqual(blocks.map(\.type), [0x0A0D_0D0A, 1, 1, 6, 6])
        XCTAssertEqual(le32(b, 8), 0x1A2B_3C4D)
        let epb2 = blocks[4].start
        XCTAssertEqual(le32(b, epb2 + 8), 1)
        let ticks = UInt64(le32(b, epb2 + 12)) << 32 | UInt64(le32(b, epb2 + 16))
        XCTAssertEqual(ticks, 3_000_000_001)
        XCTAssertEqual(Int(le32(b, epb2 + 20)), r.count)
        XCTAssertEqual(Array(b[(epb2 + 28)..<(epb2 + 28 + r.count)]), r)
    }
}
