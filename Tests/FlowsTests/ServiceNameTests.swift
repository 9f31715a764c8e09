import XCTest
import Capture
import Simulator
@testable import Flows
@testable import Wire

final class ServiceNameTests: XCTestCase {
    func testTLSClientHelloParser() {
        let hello = TLSBuilder.clientHello(serverName: "api.spotify.com", seed: 1)
        XCTAssertEqual(hello.withUnsafeBytes { TLSClientHello.parse($0) }, .serverName("api.spotify.com"))
        XCTAssertEqual(Array(hello[0..<3]).withUnsafeBytes { TLSClientHello.parse($0) }, .needMore(atLeast: 5))
        XCTAssertEqual(Array(hello[0..<100]).withUnsafeBytes { TLSClientHello.parse($0) }, .needMore(atLeast: hello.count))
        XCTAssertEqual([UInt8](repeating: 0x17, count: 40).withUnsafeBytes { TLSClientHello.parse($0) }, .notClientHello)
        XCTAssertEqual(Array("GET / HTTP/1.1\r\n".utf8).withUnsafeBytes { TLSClientHello.parse($0) }, .notClientHello)
        // The same handshake message cut into two TLS records.
        let handshake = Array(hello[5...])
        let cut = 60
        let twoRecords = [22, 3, 1, UInt8(cut >> 8), UInt8(cut & 0xFF)] + handshake[0..<cut]
            + [22, 3, 1, UInt8((handshake.count - cut) >> 8), UInt8((handshake.count - cut) & 0xFF)] + handshake[cut...]
        XCTAssertEqual(twoRecords.withUnsafeBytes { TLSClientHello.parse($0) }, .serverName("api.spotify.com"))
        XCTAssertEqual(Array(twoRecords[0..<70]).withUnsafeBytes { TLSClientHello.parse($0) }, .needMore(atLeast: twoRecords.count))
        // Every prefix and random corruption: never a crash, never a wrong "complete" answer on a prefix.
        for n in 0..<hello.count {
            if case .needMore = Array(hello[0..<n]).withUnsafeBytes({ TLSClientHello.parse($0) }) {} else {
                XCTFail("prefix \(n) should need more")
            }
        }
        var rng = SeededRandom(seed: 7)
        for _ in 0..<3000 {
            var bytes = hello
            for _ in 0..<3 { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            _ = bytes.withUnsafeBytes { TLSClientHello.parse($0) }
        }
    }

    /// A server_name extension shorter than its list-length field, last in the hello: the parser
    /// read one or two bytes past the hello (a trap in debug builds; found by the fuzz target).
    func testEmptyServerNameExtensionAtTheEndIsNotReadPast() {
        // ClientHello body: version, random, empty session id, one cipher suite, one compression
        // method, then extensions: only server_name (type 0) with length 0 (or 1) — nothing after.
        for extensionData in [[UInt8](), [0x00]] {
            var body: [UInt8] = [3, 3] + [UInt8](repeating: 0xAB, count: 32) + [0] + [0, 2, 0x13, 0x01] + [1, 0]
            let ext: [UInt8] = [0, 0, 0, UInt8(extensionData.count)] + extensionData
            body += [0, UInt8(ext.count)] + ext
            let handshake: [UInt8] = [1, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
            let record: [UInt8] = [22, 3, 1, UInt8(handshake.count >> 8), UInt8(handshake.count & 0xFF)] + handshake
            // Exactly as long as the record: any read past it is out of the buffer.
            XCTAssertEqual(record.withUnsafeBytes { TLSClientHello.parse($0) }, .notClientHello)
            // The same hello over two records (parsed from a gathered copy).
            let cut = 10
            let twoRecords: [UInt8] = [22, 3, 1, 0, UInt8(cut)] + handshake[0..<cut]
                + [22, 3, 1, UInt8((handshake.count - cut) >> 8), UInt8((handshake.count - cut) & 0xFF)] + handshake[cut...]
            XCTAssertEqual(twoRecords.withUnsafeBytes { TLSClientHello.parse($0) }, .notClientHello)
        }
    }

    func testDNSAnswersFollowCNAMEChains() {
        let response = DNSBuilder.response(id: 7, question: "audio-fa.scdn.co", answers: [
            .cname("audio-fa.scdn.co", target: "audio-fa.scdn.co.edgesuite.net"),
            .cname("audio-fa.scdn.co.edgesuite.net", target: "a1713.dscb.akamai.net"),
            .a("a1713.dscb.akamai.net", cdn),
            .a("a1713.dscb.akamai.net", api),
        ])
        let answers = response.withUnsafeBytes { DNSMessage.addressAnswers($0) }
        XCTAssertEqual(answers, [DNSMessage.Answer(address: cdn, queriedName: "audio-fa.scdn.co"),
                                 DNSMessage.Answer(address: api, queriedName: "audio-fa.scdn.co")])
        let v6 = DNSBuilder.response(id: 8, question: "Example.COM", type: .aaaa, answers: [.aaaa("example.com", cdn6)])
        XCTAssertEqual(v6.withUnsafeBytes { DNSMessage.addressAnswers($0) }.first?.queriedName, "example.com")
        // Queries carry no answers; a compression pointer loop is rejected, not followed forever.
        XCTAssertTrue(DNSBuilder.query(id: 1, name: "x.org").withUnsafeBytes { DNSMessage.addressAnswers($0) }.isEmpty)
        let loop: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]
        XCTAssertTrue(loop.withUnsafeBytes { DNSMessage.addressAnswers($0) }.isEmpty)
        var rng = SeededRandom(seed: 9)
        for _ in 0..<3000 {
            var bytes = response
            for _ in 0..<3 { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            bytes = Array(bytes[0..<Int(rng.next() % UInt64(bytes.count + 1))])
            _ = bytes.withUnsafeBytes { DNSMessage.addressAnswers($0) }
        }
    }

    /// The inline reader (names compared on the stack) answers exactly as the general one (a dictionary
    /// of CNAME targets), on well-formed responses, duplicate CNAME targets, case differences, more
    /// records than the inline path keeps, and thousands of corrupted variants.
    func testInlineDNSReadingMatchesTheGeneralPath() {
        func both(_ bytes: [UInt8]) -> ([DNSMessage.Answer], [DNSMessage.Answer]) {
            bytes.withUnsafeBytes { b in
                var general: [DNSMessage.Answer] = []
                if b.count >= 12 && b[2] & 0x80 != 0 && b[3] & 0x0F == 0 && (b[6] != 0 || b[7] != 0) {   // a response with answers
                    DNSMessage.generalAnswers(b) { general.append(DNSMessage.Answer(address: $0, queriedName: $1)) }
                }
                return (DNSMessage.addressAnswers(b), general)
            }
        }
        let many = (0..<40).map { DNSAnswer.a("host\($0).example.net", IPAddress(ipv4: 0x0A00_0000 + UInt32($0))) }
        let responses: [[UInt8]] = [
            DNSBuilder.response(id: 7, question: "audio-fa.scdn.co", answers: [
                .cname("audio-fa.scdn.co", target: "audio-fa.scdn.co.edgesuite.net"),
                .cname("audio-fa.scdn.co.edgesuite.net", target: "a1713.dscb.akamai.net"),
                .a("a1713.dscb.akamai.net", cdn), .a("a1713.dscb.akamai.net", api)]),
            DNSBuilder.response(id: 8, question: "Mixed.Case.ORG", answers: [
                .cname("first.example", target: "EDGE.example.net"), .cname("second.example", target: "edge.EXAMPLE.net"),
                .a("edge.example.net", cdn), .a("other.example", api)]),
            DNSBuilder.response(id: 9, question: "loop.example", answers: [
                .cname("a.example", target: "b.example"), .cname("b.example", target: "a.example"), .a("a.example", cdn)]),
            DNSBuilder.response(id: 10, question: "many.example", answers: many),
        ]
        var rng = SeededRandom(seed: 21)
        for response in responses {
            let (inline, general) = both(response)
            XCTAssertFalse(inline.isEmpty)
            XCTAssertEqual(inline, general)
            for _ in 0..<2000 {
                var bytes = response
                for _ in 0..<(1 + rng.next() % 4) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
                if rng.next() % 4 == 0 { bytes = Array(bytes[0..<Int(rng.next() % UInt64(bytes.count + 1))]) }
                let (a, b) = both(bytes)
                XCTAssertEqual(a, b)
            }
        }
    }

    /// A generated capture mixing IPv4, IPv6, VLAN tags, TCP and UDP, written as a pcap file, read back
    /// through `Capture.FileSource`: flows, client sides, SNI (whole and split), DNS names (CNAME chain).
    func testMixedCaptureFromAPcapFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flows-mixed-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapWriter(path: path, linkType: PcapLinkType.ethernet)
        var t = 1_700_000_000.0
        func put(_ frame: [UInt8]) throws { t += 0.01; try writer.write(timestamp: t, frame: frame) }

        // 1. DNS over a VLAN: CNAME chain for the CDN name, then the TLS flow to its address (name from DNS).
        try put(udp(phone, resolver, 40001, 53, DNSBuilder.query(id: 1, name: "audio-ak.spotifycdn.com"), vlan: true))
        try put(udp(resolver, phone, 53, 40001, DNSBuilder.response(id: 1, question: "audio-ak.spotifycdn.com", answers: [
            .cname("audio-ak.spotifycdn.com", target: "audio-ak.spotifycdn.com.akamaized.net"),
            .a("audio-ak.spotifycdn.com.akamaized.net", cdn)]), vlan: true))
        try put(tcp(phone, cdn, 50100, 80, seq: 0, .syn, vlan: true))
        try put(tcp(cdn, phone, 80, 50100, seq: 0, ack: 1, [.syn, .ack], vlan: true))
        try put(tcp(cdn, phone, 80, 50100, seq: 1, ack: 1, .ack, payload: [UInt8](repeating: 1, count: 1400), vlan: true))

        // 2. IPv6 TLS with a post-quantum ClientHello split over two segments (and a retransmission of the first).
        let hello = TLSBuilder.clientHello(serverName: "guc3-spclient.spotify.com", seed: 3, postQuantum: true)
        XCTAssertGreaterThan(hello.count, 1400)
        try put(tcp(laptop6, cdn6, 50200, 443, seq: 1000, .syn))
        try put(tcp(cdn6, laptop6, 443, 50200, seq: 5000, ack: 1001, [.syn, .ack]))
        try put(tcp(laptop6, cdn6, 50200, 443, seq: 1001, ack: 5001, .ack, payload: Array(hello[0..<1200])))
        try put(tcp(laptop6, cdn6, 50200, 443, seq: 1001, ack: 5001, .ack, payload: Array(hello[0..<1200])))
        try put(tcp(laptop6, cdn6, 50200, 443, seq: 2201, ack: 5001, [.ack, .psh], payload: Array(hello[1200...])))
        try put(tcp(cdn6, laptop6, 443, 50200, seq: 5001, ack: 1001 + UInt32(hello.count), .ack, payload: TLSBuilder.serverHello(seed: 1)))

        // 3. IPv4 TLS in one segment: the SNI wins over the DNS name of the same address.
        try put(tcp(phone, cdn, 50300, 443, seq: 0, .syn))
        try put(tcp(phone, cdn, 50300, 443, seq: 1, .ack, payload: TLSBuilder.clientHello(serverName: "i.scdn.co", seed: 4)))

        // 4. QUIC over IPv6, and a flow to an address only named by a DNS answer that comes later.
        try put(udp(laptop6, cdn6, 50400, 443, [0xC3, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 1200)))
        try put(udp(cdn6, laptop6, 443, 50400, [0x41] + [UInt8](repeating: 0, count: 40)))
        try put(tcp(phone, api, 50500, 443, seq: 0, .syn))
        try put(udp(resolver, phone, 53, 40002, DNSBuilder.response(id: 2, question: "apresolve.spotify.com", answers: [.a("apresolve.spotify.com", api)])))
        try writer.close()

        let source = try FileSource(path: path)
        var table = FlowTable(configuration: FlowTableConfiguration(keepFinished: true))
        var summary = ProtocolSummary()
        let link = LinkType(rawValue: source.linkType)
        _ = try source.forEachPacket { pkt in
            let p = decode(linkType: link, bytes: pkt.bytes)
            summary.count(p, frameLength: pkt.originalLength)
            _ = table.process(p, bytes: pkt.bytes, time: pkt.timestamp.timeInterval, frameLength: pkt.originalLength)
            return true
        }
        table.finish()
        let flows = table.finished.sorted { $0.id < $1.id }
        XCTAssertEqual(flows.count, 7)
        XCTAssertEqual(summary.packets, 17)
        XCTAssertEqual(summary.count(.ipv4), 9)
        XCTAssertEqual(summary.count(.ipv6), 8)
        XCTAssertEqual(summary.vlanTagged, 5)
        XCTAssertEqual(summary.count(.tcp), 12)
        XCTAssertEqual(summary.count(.udp), 5)

        let http = flows[1]
        XCTAssertEqual(http.serverAddress, cdn)
        XCTAssertEqual(http.serviceName, "audio-ak.spotifycdn.com")
        XCTAssertEqual(http.nameSource, .dns)
        XCTAssertEqual(http.toClient.payloadBytes, 1400)

        let split = flows[2]
        XCTAssertEqual(split.clientAddress, laptop6)
        XCTAssertEqual(split.serviceName, "guc3-spclient.spotify.com")
        XCTAssertEqual(split.nameSource, .tlsSNI)
        XCTAssertEqual(split.toServer.packets, 4)
        XCTAssertTrue(table.hellos.isEmpty, "hello buffers are freed once the hello is complete")

        XCTAssertEqual(flows[3].serviceName, "i.scdn.co")
        XCTAssertEqual(flows[3].nameSource, .tlsSNI)
        XCTAssertTrue(flows[4].isQUIC)
        XCTAssertEqual(flows[4].protocolName, "QUIC")
        XCTAssertEqual(flows[4].toServer.bytes, UInt64(14 + 40 + 8 + 1205))
        XCTAssertEqual(flows[5].serviceName, "apresolve.spotify.com")
        XCTAssertEqual(flows[5].nameSource, .dnsLater)
        XCTAssertEqual(flows.filter { $0.serverPort == 53 }.count, 2)
    }
}
