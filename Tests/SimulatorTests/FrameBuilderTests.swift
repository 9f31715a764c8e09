import Simulator
import Wire
import XCTest

final class FrameBuilderTests: XCTestCase {
    let v4a = IPAddress(192, 168, 1, 20), v4b = IPAddress(151, 101, 2, 248)
    let v6a = IPAddress("2001:db8::20")!, v6b = IPAddress("2a04:4e42::248")!

    func testIPv4TCPOverVLANHasRightLengthsAndChecksums() throws {
        let payload = (0..<333).map { UInt8($0 & 0xFF) }
        let f = FrameBuilder.tcp(link: .ethernet(vlans: [100]), src: v4a, dst: v4b, ip: IPFields(ttl: 63, identification: 0x1234),
                                 srcPort: 50_000, dstPort: 443, seq: 1000, ack: 2000, flags: [.ack, .psh], window: 501,
                                 timestamps: TCPTimestamps(value: 7, echo: 9), payload: payload)
        XCTAssertEqual(f.count, 14 + 4 + 20 + 32 + 333)
        XCTAssertEqual(be16(f, 12), 0x8100)
        XCTAssertEqual(be16(f, 14) & 0x0FFF, 100)
        XCTAssertEqual(be16(f, 16), 0x0800)
        let n = 18
        XCTAssertEqual(f[n], 0x45)
        XCTAssertEqual(be16(f, n + 2), 20 + 32 + 333)
        XCTAssertEqual(be16(f, n + 4), 0x1234)
        XCTAssertEqual(be16(f, n + 6), 0x4000)
        XCTAssertEqual(f[n + 8], 63)
        XCTAssertEqual(f[n + 9], 6)
        XCTAssertEqual(referenceSum(f[n..<(n + 20)]), 0xFFFF, "IPv4 header checksum")
        let t = n + 20
        XCTAssertEqual(be16(f, t), 50_000)
        XCTAssertEqual(be16(f, t + 2), 443)
        XCTAssertEqual(be32(f, t + 4), 1000)
        XCTAssertEqual(be32(f, t + 8), 2000)
        XCTAssertEqual(f[t + 12] >> 4, 8, "data offset 32 bytes")
        XCTAssertEqual(f[t + 13], 0x18)
        XCTAssertEqual(Array(f[(t + 20)..<(t + 24)]), [1, 1, 8, 10])
        XCTAssertEqual(transportChecksumFolds(src: [192, 168, 1, 20], dst: [151, 101, 2, 248], proto: 6, segment: f[t...]), 0xFFFF)
        XCTAssertEqual(Array(f[(t + 32)...]), payload)
    }

    func testSYNWithOptionsIsPaddedToAWordBoundary() {
        let f = FrameBuilder.tcp(link: .raw, src: v4a, dst: v4b, srcPort: 1, dstPort: 2, seq: 0, flags: .syn,
                                 options: [.mss(1460), .sackPermitted, .timestamps(value: 1, echo: 0), .noOperation, .windowScale(7)])
        // 4 + 2 + 10 + 1 + 3 = 20 bytes of options.
        XCTAssertEqual(f.count, 20 + 40)
        XCTAssertEqual(f[20 + 12] >> 4, 10)
        XCTAssertEqual(Array(f[40..<44]), [2, 4, 0x05, 0xB4])
        XCTAssertEqual(transportChecksumFolds(src: v4a.ipv4Bytes!, dst: v4b.ipv4Bytes!, proto: 6, segment: f[20...]), 0xFFFF)
    }

    func testIPv6UDPWithExtensionHeadersOverSLL2() throws {
        let payload = Array("hello, v6".utf8) + [1, 2, 3]
        let ip = IPFields(ttl: 5, flowLabel: 0xABCDE, ipv6ExtensionHeaders: [.hopByHop(), .routing(type: 4, segmentsLeft: 0), .destinationOptions(options: [0x1E, 1, 0])])
        let f = FrameBuilder.udp(link: .linuxCooked2(packetType: 4), src: v6a, dst: v6b, ip: ip, srcPort: 5353, dstPort: 53, payload: payload)
        XCTAssertEqual(be16(f, 0), 0x86DD)
        XCTAssertEqual(f[10], 4)
        let l = try XCTUnwrap(layout(f, linkType: 276))
        XCTAssertEqual(l.network, 20)
        XCTAssertEqual(f[20] >> 4, 6)
        XCTAssertEqual(be32(f, 20) & 0xFFFFF, 0xABCDE)
        XCTAssertEqual(f[26], 0, "first next header is hop-by-hop")
        XCTAssertEqual(f[27], 5)
        XCTAssertEqual(l.protocolNumber, 17)
        XCTAssertEqual(l.transport, 20 + 40 + 8 + 8 + 8)
        XCTAssertEqual(be16(f, 24), f.count - 60, "payload length counts extension headers")
        XCTAssertEqual(be16(f, l.transport + 4), 8 + payload.count)
        XCTAssertEqual(transportChecksumFolds(src: v6a.bytes, dst: v6b.bytes, proto: 17, segment: f[l.transport...]), 0xFFFF)
    }

    func testUDPv4ChecksumAndQinQAndSLL() throws {
        let payload = [UInt8](repeating: 0xAB, count: 101)
        let f = FrameBuilder.udp(link: .ethernet(vlans: [VLANTagFields(id: 10, tpid: .qinq), VLANTagFields(id: 20, priority: 5)]),
                                 src: v4a, dst: v4b, srcPort: 4000, dstPort: 8801, payload: payload)
        XCTAssertEqual(be16(f, 12), 0x88A8)
        XCTAssertEqual(be16(f, 16), 0x8100)
        XCTAssertEqual(be16(f, 18) >> 13, 5)
        XCTAssertEqual(be16(f, 20), 0x0800)
        let l = try XCTUnwrap(layout(f, linkType: 1))
        XCTAssertEqual(l.transport, 22 + 20)
        XCTAssertEqual(transportChecksumFolds(src: l.src, dst: l.dst, proto: 17, segment: f[l.transport...]), 0xFFFF)
        let g = FrameBuilder.udp(link: .linuxCooked(packetType: 4), src: v4a, dst: v4b, srcPort: 1, dstPort: 2, payload: [9], checksum: false)
        XCTAssertEqual(g.count, 16 + 20 + 8 + 1)
        XCTAssertEqual(be16(g, 0), 4)
        XCTAssertEqual(be16(g, 14), 0x0800)
        XCTAssertEqual(be16(g, 16 + 20 + 6), 0, "checksum omitted on request (IPv4 only)")
    }

    func testIPv4OptionsAndNullLink() {
        let f = FrameBuilder.udp(link: .null, src: v4a, dst: v4b, ip: IPFields(ipv4Options: [0x94, 0x04, 0, 0, 1]),
                                 srcPort: 1, dstPort: 2, payload: [])
        XCTAssertEqual(le32(f, 0), 2)
        XCTAssertEqual(f[4], 0x47, "IHL 7 for 5 option bytes padded to 8")
        XCTAssertEqual(referenceSum(f[4..<32]), 0xFFFF)
        let g = FrameBuilder.udp(link: .null, src: v6a, dst: v6b, srcPort: 1, dstPort: 2, payload: [])
        XCTAssertEqual(le32(g, 0), 24)
    }

    func testFragmentsReassembleToTheDatagram() throws {
        let payload = (0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        for (src, dst) in [(v4a, v4b), (v6a, v6b)] {
            let datagram = FrameBuilder.udpDatagram(src: src, dst: dst, srcPort: 9, dstPort: 10, payload: payload)
            let frags = FrameBuilder.fragments(src: src, dst: dst, protocolNumber: .udp, identification: 77, datagram: datagram, fragmentSize: 1400)
            XCTAssertEqual(frags.count, 3)
            var rebuilt = [UInt8](repeating: 0, count: datagram.count)
            for (i, f) in frags.enumerated() {
                let n = 14
                if src.isIPv4 {
                    let flags = be16(f, n + 6)
                    XCTAssertEqual(flags & 0x2000 != 0, i < 2)
                    let off = (flags & 0x1FFF) * 8
                    XCTAssertEqual(referenceSum(f[n..<(n + 20)]), 0xFFFF)
                    XCTAssertEqual(be16(f, n + 4), 77)
                    rebuilt.replaceSubrange(off..<(off + f.count - 34), with: f[34...])
                } else {
                    XCTAssertEqual(f[n + 6], 44)
                    let fh = n + 40
                    XCTAssertEqual(f[fh], 17)
                    let word = be16(f, fh + 2)
                    XCTAssertEqual(word & 1 == 1, i < 2)
                    XCTAssertEqual(be32(f, fh + 4), 77)
                    let off = (word >> 3) * 8
                    rebuilt.replaceSubrange(off..<(off + f.count - 62), with: f[62...])
                }
            }
            XCTAssertEqual(rebuilt, datagram)
            XCTAssertEqual(transportChecksumFolds(src: src.isIPv4 ? src.ipv4Bytes! : src.bytes, dst: dst.isIPv4 ? dst.ipv4Bytes! : dst.bytes,
                                                  proto: 17, segment: rebuilt[...]), 0xFFFF)
        }
    }

    func testICMPEchoAndARP() {
        let e = FrameBuilder.icmpEcho(src: v4a, dst: v4b, identifier: 1, sequence: 2, payload: [1, 2, 3])
        XCTAssertEqual(e[34], 8)
        XCTAssertEqual(referenceSum(e[34...]), 0xFFFF)
        let e6 = FrameBuilder.icmpEcho(src: v6a, dst: v6b, reply: true, identifier: 1, sequence: 2, payload: [1, 2, 3])
        XCTAssertEqual(e6[54], 129)
        XCTAssertEqual(transportChecksumFolds(src: v6a.bytes, dst: v6b.bytes, proto: 58, segment: e6[54...]), 0xFFFF)
        let a = FrameBuilder.arp(operation: .request, senderMAC: .host, senderIP: v4a, targetIP: IPAddress(192, 168, 1, 1))
        XCTAssertEqual(a.count, 42)
        XCTAssertEqual(be16(a, 12), 0x0806)
        XCTAssertEqual(Array(a[0..<6]), [255, 255, 255, 255, 255, 255])
        XCTAssertEqual(be16(a, 20), 1)
        XCTAssertEqual(Array(a[38..<42]), [192, 168, 1, 1])
    }

    func testReusableBufferShrinksAndGrows() {
        var buffer: [UInt8] = []
        let big = [UInt8](repeating: 1, count: 1448), small = [UInt8]()
        let tcp = TCPHeaderFields(srcPort: 1, dstPort: 2, seq: 3, flags: .ack)
        big.withUnsafeBytes { FrameBuilder.writeTCP(into: &buffer, link: .ethernet(), src: v4a, dst: v4b, tcp: tcp, payload: $0) }
        XCTAssertEqual(buffer.count, 1502)
        small.withUnsafeBytes { FrameBuilder.writeTCP(into: &buffer, link: .ethernet(), src: v4a, dst: v4b, tcp: tcp, payload: $0) }
        XCTAssertEqual(buffer.count, 54)
        XCTAssertEqual(buffer, FrameBuilder.tcp(src: v4a, dst: v4b, srcPort: 1, dstPort: 2, seq: 3, flags: .ack))
    }

    func testInternetChecksumMatchesReferenceOnOddLengths() {
        var rng = SeededRandom(seed: 3)
        for n in [0, 1, 2, 7, 8, 9, 15, 16, 17, 1501] {
            let b = rng.bytes(n)
            let mine = InternetChecksum.checksum(b)
            XCTAssertEqual(UInt32(~mine), referenceSum(b[...]) == 0xFFFF && n > 0 ? 0xFFFF : referenceSum(b[...]) & 0xFFFF, "n=\(n)")
        }
    }
}
