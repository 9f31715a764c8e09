import XCTest
import Simulator
@testable import Wire

/// Frames are built with the Simulator's `FrameBuilder` or by hand, then decoded in place.
final class DecoderTests: XCTestCase {
    let client4 = IPAddress(192, 168, 1, 10)
    let server4 = IPAddress(93, 184, 216, 34)
    let client6 = IPAddress("2001:db8::10")!
    let server6 = IPAddress("2001:db8:1::443")!

    func decoded(_ frame: [UInt8], _ link: Int32 = 1) -> DecodedPacket {
        frame.withUnsafeBytes { decode(linkType: LinkType(rawValue: link), bytes: $0) }
    }

    func testEthernetTwoVLANsIPv4OptionsTCP() {
        let payload = Array("GET / HTTP/1.1\r\n".utf8)
        let frame = FrameBuilder.tcp(
            link: .ethernet(vlans: [VLANTagFields(id: 100, tpid: .qinq), 200]),
            src: client4, dst: server4, ip: IPFields(ipv4Options: [1, 1, 1, 0]),
            srcPort: 50123, dstPort: 80, seq: 1000, ack: 2000, flags: [.ack, .psh],
            timestamps: TCPTimestamps(value: 1, echo: 2), payload: payload)
        let p = decoded(frame)
        XCTAssertNil(p.anomaly)
        XCTAssertEqual(p.link, .ethernet)
        XCTAssertEqual(p.vlanCount, 2)
        XCTAssertEqual(p.network, .ipv4)
        XCTAssertEqual(p.etherType, .ipv4)
        XCTAssertEqual(p.src, client4)
        XCTAssertEqual(p.dst, server4)
        XCTAssertEqual(p.transport, .tcp)
        XCTAssertEqual(p.ipProtocol, .tcp)
        XCTAssertEqual(p.srcPort, 50123)
        XCTAssertEqual(p.dstPort, 80)
        XCTAssertEqual(p.tcpSeq, 1000)
        XCTAssertEqual(p.tcpAck, 2000)
        XCTAssertEqual(p.tcpFlags, [TCPFlags.ack, .psh])
        XCTAssertEqual(p.networkOffset, 22)
        XCTAssertEqual(p.transportOffset, 22 + 24)
        XCTAssertEqual(p.payloadOffset, 22 + 24 + 32)
        XCTAssertEqual(p.payloadLength, payload.count)
        XCTAssertEqual(p.capturedPayloadLength, payload.count)
        XCTAssertEqual(p.ipPacketLength, 24 + 32 + payload.count)
        XCTAssertEqual(Array(frame[p.payloadOffset...]), payload)
        XCTAssertFalse(p.isFragment)
    }

    func testEthernetPaddingIsNotPayload() {
        var frame = FrameBuilder.tcp(src: client4, dst: server4, srcPort: 50000, dstPort: 443, seq: 1, ack: 1, flags: .ack)
        XCTAssertEqual(frame.count, 54)
        frame += [UInt8](repeating: 0xAB, count: 6)   // padded to the 60-byte minimum
        let p = decoded(frame)
        XCTAssertNil(p.anomaly)
        XCTAssertEqual(p.payloadLength, 0)
        XCTAssertEqual(p.capturedPayloadLength, 0)
        XCTAssertEqual(p.ipPacketLength, 40)
    }

    func testIPv6ExtensionHeadersToUDP() {
        let ext: [IPv6ExtensionFields] = [
            .hopByHop(options: [5, 2, 0, 0]), .routing(type: 4, segmentsLeft: 0), .destinationOptions(options: [1, 12] + [UInt8](repeating: 0, count: 12)),
        ]
        let frame = FrameBuilder.udp(src: client6, dst: server6, ip: IPFields(ipv6ExtensionHeaders: ext),
                                     srcPort: 5353, dstPort: 443, payload: [0xC0, 1, 2, 3, 4])
        let p = decoded(frame)
        XCTAssertNil(p.anomaly)
        XCTAssertEqual(p.network, .ipv6)
        XCTAssertEqual(p.src, client6)
        XCTAssertEqual(p.dst, server6)
        XCTAssertEqual(p.transport, .udp)
        XCTAssertEqual(p.ipProtocol, .udp)
        XCTAssertEqual(p.srcPort, 5353)
        XCTAssertEqual(p.dstPort, 443)
        XCTAssertEqual(p.payloadLength, 5)
        XCTAssertEqual(p.transportOffset, 14 + 40 + ext.map(\.length).reduce(0, +))
        XCTAssertEqual(frame[p.payloadOffset], 0xC0)
    }

    func testLinuxCookedV1V2RawAndLoopback() {
        for (link, dlt, kind) in [(LinkFields.linuxCooked(), Int32(113), LinkLayer.linuxCooked),
                                  (.linuxCooked2(), 276, .linuxCooked2), (.raw, 12, .rawIP), (.raw, 14, .rawIP),
                                  (.raw, 101, .rawIP), (.null, 0, .loopback)] {
            for (src, dst) in [(client4, server4), (client6, server6)] {
                let frame = FrameBuilder.tcp(link: link, src: src, dst: dst, srcPort: 40000, dstPort: 443, seq: 7,
                                             flags: .syn)
                let p = decoded(frame, dlt)
                XCTAssertNil(p.anomaly, "\(dlt)")
                XCTAssertEqual(p.link, kind)
                XCTAssertEqual(p.network, src.isIPv4 ? .ipv4 : .ipv6)
                XCTAssertEqual(p.src, src)
                XCTAssertEqual(p.dstPort, 443)
                XCTAssertEqual(p.tcpFlags, .syn)
            }
        }
        // DLT_IPV4 / DLT_IPV6 take the IP packet as it is.
        let v4 = FrameBuilder.udp(link: .raw, src: client4, dst: server4, srcPort: 1, dstPort: 2, payload: [1])
        XCTAssertEqual(decoded(v4, 228).transport, .udp)
        XCTAssertEqual(decoded(v4, 229).anomaly?.name, "ipv6_bad_version")
    }

    func testLoopbackAddressFamilies() {
        let ip6 = FrameBuilder.udp(link: .raw, src: client6, dst: server6, srcPort: 1, dstPort: 2, payload: [])
        let ip4 = FrameBuilder.udp(link: .raw, src: client4, dst: server4, srcPort: 1, dstPort: 2, payload: [])
        // DLT_NULL: host order of the writer, either one; every AF_INET6 value of the BSDs, macOS and Linux.
        for family: UInt32 in [10, 24, 28, 30] {
            for header in [family.littleEndian, family.bigEndian] {
                let frame = withUnsafeBytes(of: header) { Array($0) } + ip6
                XCTAssertEqual(decoded(frame, 0).network, .ipv6, "AF \(family)")
            }
        }
        // DLT_LOOP: network order.
        XCTAssertEqual(decoded([0, 0, 0, 2] + ip4, 108).network, .ipv4)
        XCTAssertEqual(decoded([0, 0, 0, 30] + ip6, 108).network, .ipv6)
        let unknown = decoded([0, 0, 0, 7] + ip4, 108)
        XCTAssertEqual(unknown.network, .other)
        XCTAssertEqual(unknown.anomaly?.name, "loopback_unknown_address_family")
    }

    func testFragments() {
        let datagram = FrameBuilder.udpDatagram(src: client4, dst: server4, srcPort: 5000, dstPort: 6000,
                                                payload: [UInt8](repeating: 7, count: 64))
        let first = FrameBuilder.ipv4Fragment(src: client4, dst: server4, protocolNumber: .udp, identification: 9,
                                              offsetBytes: 0, moreFragments: true, body: Array(datagram[0..<40]))
        let second = FrameBuilder.ipv4Fragment(src: client4, dst: server4, protocolNumber: .udp, identification: 9,
                                               offsetBytes: 40, moreFragments: false, body: Array(datagram[40...]))
        let p1 = decoded(first), p2 = decoded(second)
        XCTAssertTrue(p1.isFragment)
        XCTAssertEqual(p1.transport, .udp)
        XCTAssertEqual(p1.srcPort, 5000)
        XCTAssertTrue(p2.isFragment)
        XCTAssertEqual(p2.transport, .fragment)
        XCTAssertEqual(p2.srcPort, 0)
        XCTAssertEqual(p2.payloadLength, datagram.count - 40)

        let later6 = FrameBuilder.ipPacket(src: client6, dst: server6,
                                           ip: IPFields(ipv6ExtensionHeaders: [.fragment(offset: 10, moreFragments: false, identification: 1)]),
                                           protocolNumber: .udp, body: [1, 2, 3, 4])
        let p3 = decoded(later6)
        XCTAssertEqual(p3.transport, .fragment)
        XCTAssertEqual(p3.ipProtocol, .udp)
        XCTAssertTrue(p3.isFragment)
        XCTAssertEqual(p3.payloadLength, 4)
    }

    func testOtherProtocolsAreNamed() {
        let arp = FrameBuilder.arp(operation: .request, senderMAC: .host, senderIP: client4, targetIP: server4)
        XCTAssertEqual(decoded(arp).network, .arp)
        let ping = FrameBuilder.icmpEcho(src: client4, dst: server4, identifier: 1, sequence: 1)
        XCTAssertEqual(decoded(ping).transport, .icmp)
        let ping6 = FrameBuilder.icmpEcho(src: client6, dst: server6, identifier: 1, sequence: 1)
        XCTAssertEqual(decoded(ping6).transport, .icmpv6)
        let gre = FrameBuilder.ipPacket(src: client4, dst: server4, protocolNumber: .gre, body: [0, 0, 8, 0])
        let pg = decoded(gre)
        XCTAssertEqual(pg.transport, .other)
        XCTAssertEqual(pg.ipProtocol.description, "GRE")
        var lldp = [UInt8](repeating: 0, count: 12) + [0x88, 0xCC] + [UInt8](repeating: 0, count: 20)
        XCTAssertEqual(decoded(lldp).network, .other)
        XCTAssertEqual(decoded(lldp).etherType.description, "LLDP")
        lldp[12] = 0x12; lldp[13] = 0x34
        XCTAssertEqual(decoded(lldp).etherType.description, "ethertype-0x1234")
        XCTAssertEqual(LinkType(rawValue: 105).description, "105 (IEEE802_11)")
        XCTAssertFalse(LinkType(rawValue: 105).isSupported)
        XCTAssertEqual(decoded(arp, 105).link, .unsupported)
    }

    func testMalformedHeadersAreNamed() {
        var frame = FrameBuilder.tcp(src: client4, dst: server4, srcPort: 1000, dstPort: 80, seq: 1, flags: .syn)
        frame[14] = 0x44   // IHL 4
        XCTAssertEqual(decoded(frame).anomaly?.name, "ipv4_bad_header_length")
        XCTAssertEqual(decoded(frame).network, .ipv4)
        frame[14] = 0x45
        frame[14 + 20 + 12] = 0x30   // data offset 3
        let p = decoded(frame)
        XCTAssertEqual(p.anomaly?.name, "tcp_bad_header_length")
        XCTAssertEqual(p.anomaly?.layer, .tcp)
        XCTAssertEqual(p.src, client4)   // the IPv4 layer is kept

        var udp = FrameBuilder.udp(src: client4, dst: server4, srcPort: 53, dstPort: 999, payload: [1, 2, 3])
        udp[14 + 20 + 4] = 0; udp[14 + 20 + 5] = 4   // UDP length 4 < 8
        let u = decoded(udp)
        XCTAssertEqual(u.anomaly?.name, "udp_bad_header_length")
        XCTAssertEqual(u.srcPort, 53)
        XCTAssertEqual(u.payloadLength, 3)

        var ip = FrameBuilder.tcp(src: client4, dst: server4, srcPort: 1000, dstPort: 80, seq: 1, flags: .syn)
        ip[16] = 0; ip[17] = 10   // total length 10 < header
        XCTAssertEqual(decoded(ip).anomaly?.name, "ipv4_bad_total_length")
        let error = decoded(Array(ip[0..<20])).anomaly!
        XCTAssertEqual(error, DecodeError.truncated(.ipv4, needed: 20, available: 6))
        XCTAssertEqual(error.description, "truncated_ipv4_header: needed 20 bytes, 6 available")
        XCTAssertEqual(DecodeError.name(ofCode: error.code), "truncated_ipv4_header")
    }

    func testPortsOnlyFromACompleteFixedHeader() {
        let frame = FrameBuilder.tcp(src: client4, dst: server4, srcPort: 50000, dstPort: 443, seq: 1, flags: .syn,
                                     timestamps: TCPTimestamps(value: 1, echo: 0))
        let cutFixed = decoded(Array(frame[0..<(34 + 19)]))
        XCTAssertEqual(cutFixed.transport, .tcp)
        XCTAssertFalse(cutFixed.hasPorts)
        XCTAssertEqual(cutFixed.srcPort, 0)
        let cutOptions = decoded(Array(frame[0..<(34 + 24)]))
        XCTAssertEqual(cutOptions.anomaly?.name, "truncated_tcp_header")
        XCTAssertTrue(cutOptions.hasPorts)
        XCTAssertEqual(cutOptions.dstPort, 443)
        XCTAssertFalse(decoded(FrameBuilder.icmpEcho(src: client4, dst: server4, identifier: 1, sequence: 1)).hasPorts)
    }

    func testZeroIPLengthMeansWhatWasCaptured() {
        // Captures of TCP segmentation offload show IPv4 total length 0 (and IPv6 payload length 0).
        var v4 = FrameBuilder.tcp(src: client4, dst: server4, srcPort: 443, dstPort: 50000, seq: 1, ack: 1, flags: .ack,
                                  payload: [UInt8](repeating: 2, count: 3000))
        v4[16] = 0; v4[17] = 0
        let p4 = decoded(v4)
        XCTAssertNil(p4.anomaly)
        XCTAssertEqual(p4.payloadLength, 3000)
        XCTAssertEqual(p4.ipPacketLength, 3040)
        var v6 = FrameBuilder.udp(src: client6, dst: server6, srcPort: 1, dstPort: 2, payload: [UInt8](repeating: 1, count: 100))
        v6[18] = 0; v6[19] = 0
        let p6 = decoded(v6)
        XCTAssertEqual(p6.payloadLength, 100)
        XCTAssertEqual(p6.ipPacketLength, 148)
    }

    func testSnapLengthCutPayloadIsStillCountedAsDeclared() {
        let frame = FrameBuilder.tcp(src: client4, dst: server4, srcPort: 443, dstPort: 50000, seq: 1, ack: 1,
                                     flags: .ack, payload: [UInt8](repeating: 1, count: 1400))
        let p = decoded(Array(frame[0..<96]))
        XCTAssertNil(p.anomaly)
        XCTAssertEqual(p.payloadLength, 1400)
        XCTAssertEqual(p.capturedPayloadLength, 96 - 54)
    }

    // MARK: - Every prefix

    /// For each prefix of a valid frame: either no anomaly (the headers are complete) or a truncation at
    /// the layer whose header the cut falls into.
    func assertEveryPrefix(_ frame: [UInt8], link: Int32, layers: [(DecodeError.Layer, Int)],
                           file: StaticString = #filePath, line: UInt = #line) {
        let headersEnd = layers.last!.1
        for n in 0...frame.count {
            let p = decoded(Array(frame[0..<n]), link)
            if n >= headersEnd {
                XCTAssertNil(p.anomaly, "prefix \(n)", file: file, line: line)
                continue
            }
            let expected = layers.first { n < $0.1 }!.0
            XCTAssertEqual(p.anomaly?.layer, expected, "prefix \(n)", file: file, line: line)
            XCTAssertEqual(p.anomaly?.reason, .truncated, "prefix \(n)", file: file, line: line)
        }
    }

    func testEveryPrefixEthernetVLANIPv4TCP() {
        let frame = FrameBuilder.tcp(link: .ethernet(vlans: [10]), src: client4, dst: server4,
                                     srcPort: 50000, dstPort: 443, seq: 1, flags: .syn,
                                     timestamps: TCPTimestamps(value: 1, echo: 0), payload: [1, 2, 3])
        assertEveryPrefix(frame, link: 1, layers: [(.ethernet, 14), (.vlan, 18), (.ipv4, 38), (.tcp, 70)])
    }

    func testEveryPrefixIPv6ExtensionsUDP() {
        let frame = FrameBuilder.udp(src: client6, dst: server6,
                                     ip: IPFields(ipv6ExtensionHeaders: [.hopByHop(), .destinationOptions(options: [1, 8] + [UInt8](repeating: 0, count: 8))]),
                                     srcPort: 53, dstPort: 40000, payload: [9, 9])
        assertEveryPrefix(frame, link: 1, layers: [(.ethernet, 14), (.ipv6, 54), (.ipv6Extension, 62), (.ipv6Extension, 78), (.udp, 86)])
    }

    func testEveryPrefixCookedAndLoopback() {
        let sll = FrameBuilder.tcp(link: .linuxCooked(), src: client4, dst: server4, srcPort: 1, dstPort: 2, seq: 0, flags: .syn)
        assertEveryPrefix(sll, link: 113, layers: [(.linuxCooked, 16), (.ipv4, 36), (.tcp, 56)])
        let sll2 = FrameBuilder.udp(link: .linuxCooked2(), src: client6, dst: server6, srcPort: 1, dstPort: 2, payload: [0])
        assertEveryPrefix(sll2, link: 276, layers: [(.linuxCooked2, 20), (.ipv6, 60), (.udp, 68)])
        let null = FrameBuilder.tcp(link: .null, src: client6, dst: server6, srcPort: 1, dstPort: 2, seq: 0, flags: .syn)
        assertEveryPrefix(null, link: 0, layers: [(.loopback, 4), (.ipv6, 44), (.tcp, 64)])
        let raw = FrameBuilder.udp(link: .raw, src: client4, dst: server4, srcPort: 1, dstPort: 2, payload: [])
        assertEveryPrefix(raw, link: 12, layers: [(.raw, 1), (.ipv4, 20), (.udp, 28)])
    }

    // MARK: - Random bytes

    func testSeededRandomBytesNeverCrash() {
        var rng = SeededRandom(seed: 0x5EED)
        let valid = [
            FrameBuilder.tcp(link: .ethernet(vlans: [1, 2]), src: client4, dst: server4, srcPort: 1, dstPort: 2, seq: 0, flags: .syn, payload: [1, 2]),
            FrameBuilder.udp(src: client6, dst: server6, ip: IPFields(ipv6ExtensionHeaders: [.hopByHop(), .fragment(offset: 0, moreFragments: true, identification: 3)]),
                             srcPort: 1, dstPort: 2, payload: [1]),
        ]
        let links: [Int32] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147]
        var decodedCount = 0
        for iteration in 0..<6000 {
            var bytes: [UInt8]
            var link = links[Int(rng.next() % UInt64(links.count))]
            if iteration % 3 == 0 {
                bytes = (0..<Int(rng.next() % 160)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                // A valid frame with a few bytes changed, sometimes cut short.
                bytes = valid[iteration % valid.count]
                link = 1
                for _ in 0..<(1 + rng.next() % 4) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
                if iteration % 3 == 2 { bytes = Array(bytes[0..<Int(rng.next() % UInt64(bytes.count + 1))]) }
            }
            let p = decoded(bytes, link)
            // No payload byte past the end; the offset alone may point past it (a header cut inside its
            // options) only when no payload was captured.
            XCTAssertLessThanOrEqual(p.payloadOffset + p.capturedPayloadLength, max(bytes.count, p.payloadOffset))
            XCTAssertGreaterThanOrEqual(p.capturedPayloadLength, 0)
            XCTAssertLessThanOrEqual(p.capturedPayloadLength, p.payloadLength)
            if p.anomaly == nil && p.hasPorts { decodedCount += 1 }
        }
        XCTAssertGreaterThan(decodedCount, 1000)
    }
}

