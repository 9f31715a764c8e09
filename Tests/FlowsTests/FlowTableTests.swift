import XCTest
import Capture
import Simulator
@testable import Flows
@testable import Wire

/// Builds frames with the Simulator and runs them through `decode` + `FlowTable`.
struct FlowHarness {
    var table: FlowTable
    var summary = ProtocolSummary()
    var touches: [FlowTouch?] = []
    var link: Int32

    init(link: Int32 = 1, configuration: FlowTableConfiguration = FlowTableConfiguration(keepFinished: true)) {
        self.link = link
        table = FlowTable(configuration: configuration)
    }

    mutating func feed(_ time: Double, _ frame: [UInt8]) {
        let touch = frame.withUnsafeBytes { bytes -> FlowTouch? in
            let p = decode(linkType: LinkType(rawValue: link), bytes: bytes)
            summary.count(p, frameLength: bytes.count)
            return table.process(p, bytes: bytes, time: time, frameLength: bytes.count)
        }
        touches.append(touch)
    }

    mutating func finish() -> [FlowRecord] {
        table.finish()
        return table.finished.sorted { $0.id < $1.id }
    }
}

let phone = IPAddress(192, 168, 1, 20)
let laptop6 = IPAddress("2001:db8:aa::20")!
let resolver = IPAddress(192, 168, 1, 1)
let cdn = IPAddress(151, 101, 2, 133)
let cdn6 = IPAddress("2a04:4e42::645")!
let api = IPAddress(35, 186, 224, 25)

func tcp(_ src: IPAddress, _ dst: IPAddress, _ sp: UInt16, _ dp: UInt16, seq: UInt32 = 0, ack: UInt32 = 0,
         _ flags: TCPFlags, payload: [UInt8] = [], vlan: Bool = false) -> [UInt8] {
    FrameBuilder.tcp(link: .ethernet(vlans: vlan ? [42] : []), src: src, dst: dst, srcPort: sp, dstPort: dp,
                     seq: seq, ack: ack, flags: flags, payload: payload)
}

func udp(_ src: IPAddress, _ dst: IPAddress, _ sp: UInt16, _ dp: UInt16, _ payload: [UInt8], vlan: Bool = false) -> [UInt8] {
    FrameBuilder.udp(link: .ethernet(vlans: vlan ? [7] : []), src: src, dst: dst, srcPort: sp, dstPort: dp, payload: payload)
}

final class FlowKeyTests: XCTestCase {
    func testBothDirectionsMakeOneKey() {
        let a = FlowKey.make(src: phone, srcPort: 50000, dst: cdn, dstPort: 443, ipProtocol: .tcp)
        let b = FlowKey.make(src: cdn, srcPort: 443, dst: phone, dstPort: 50000, ipProtocol: .tcp)
        XCTAssertEqual(a.key, b.key)
        XCTAssertEqual(a.key.fastHash, b.key.fastHash)
        XCTAssertNotEqual(a.fromLow, b.fromLow)
        XCTAssertEqual(a.key.lowAddress, cdn)   // 151.x < 192.x
        XCTAssertFalse(a.fromLow)
        // Same address: the lower port is the low side; a packet to itself counts as from the low side.
        let c = FlowKey.make(src: phone, srcPort: 9, dst: phone, dstPort: 8, ipProtocol: .udp)
        XCTAssertEqual(c.key.lowPort, 8)
        XCTAssertFalse(c.fromLow)
        XCTAssertTrue(FlowKey.make(src: phone, srcPort: 8, dst: phone, dstPort: 8, ipProtocol: .udp).fromLow)
        let udpKey = FlowKey.make(src: phone, srcPort: 50000, dst: cdn, dstPort: 443, ipProtocol: .udp).key
        XCTAssertNotEqual(udpKey, a.key)
    }
}

final class FlowTableTests: XCTestCase {
    func testClientIsTheSenderOfTheFirstSyn() {
        var h = FlowHarness()
        // The server's SYN+ACK is seen first (capture started mid-handshake), then data.
        h.feed(0, tcp(cdn, phone, 443, 50000, seq: 900, ack: 101, [.syn, .ack]))
        h.feed(0.01, tcp(phone, cdn, 50000, 443, seq: 101, ack: 901, .ack))
        // A flow whose SYN is seen: the SYN sender is the client even with a low port.
        h.feed(1, tcp(api, phone, 80, 8080, seq: 1, .syn))
        h.feed(1.1, tcp(phone, api, 8080, 80, seq: 5, ack: 2, [.syn, .ack]))
        let flows = h.finish()
        XCTAssertEqual(flows.count, 2)
        XCTAssertEqual(flows[0].clientAddress, phone)
        XCTAssertEqual(flows[0].clientBasis, .synAck)
        XCTAssertEqual(flows[0].serverPort, 443)
        XCTAssertEqual(flows[1].clientAddress, api)
        XCTAssertEqual(flows[1].clientPort, 80)
        XCTAssertEqual(flows[1].clientBasis, .syn)
        XCTAssertEqual(h.touches[0]?.direction, .serverToClient)
        XCTAssertEqual(h.touches[1]?.direction, .clientToServer)
        XCTAssertEqual(h.touches[2]?.direction, .clientToServer)
        XCTAssertEqual(h.touches[3]?.direction, .serverToClient)
        XCTAssertEqual(h.touches[0]?.isNew, true)
        XCTAssertEqual(h.touches[1]?.isNew, false)
    }

    func testClientByPortsWithoutHandshake() {
        var h = FlowHarness()
        h.feed(0, tcp(cdn, phone, 443, 50000, seq: 1, ack: 1, .ack, payload: [1, 2, 3]))   // well-known vs ephemeral
        h.feed(1, udp(resolver, phone, 8080, 51000, [1]))                                 // registered vs dynamic
        h.feed(2, udp(resolver, phone, 5353, 5353, [1]))                                  // equal: first sender
        h.feed(3, udp(phone, resolver, 50001, 50002, [1]))                                // both dynamic: first sender
        h.feed(4, tcp(phone, api, 3000, 8080, seq: 1, .ack))                              // both registered: first sender
        let flows = h.finish()
        XCTAssertEqual(flows.map(\.clientAddress), [phone, phone, resolver, phone, phone])
        XCTAssertEqual(flows.map(\.clientBasis), [.ports, .ports, .firstPacket, .firstPacket, .firstPacket])
        XCTAssertEqual(flows[0].clientPort, 50000)
        XCTAssertEqual(flows[1].clientPort, 51000)
        // A later SYN from the other side revises a guess.
        var g = FlowHarness()
        g.feed(0, tcp(phone, api, 3000, 8080, seq: 1, .ack))
        g.feed(1, tcp(api, phone, 8080, 3000, seq: 1, .syn))
        let revised = g.finish()
        XCTAssertEqual(revised.count, 1)
        XCTAssertEqual(revised[0].clientAddress, api)
        XCTAssertEqual(revised[0].clientBasis, .syn)
    }

    func testCountersEndReasonsAndFlags() {
        var h = FlowHarness()
        let ack = tcp(cdn, phone, 443, 50000, seq: 1, ack: 1, .ack, payload: [UInt8](repeating: 0, count: 1000))
        h.feed(0, tcp(phone, cdn, 50000, 443, seq: 0, .syn))
        h.feed(0.1, tcp(cdn, phone, 443, 50000, seq: 0, ack: 1, [.syn, .ack]))
        h.feed(0.2, tcp(phone, cdn, 50000, 443, seq: 1, ack: 1, .ack))
        h.feed(0.3, ack)
        h.feed(0.4, tcp(phone, cdn, 50000, 443, seq: 1, ack: 1001, [.fin, .ack]))
        h.feed(0.5, tcp(cdn, phone, 443, 50000, seq: 1001, ack: 2, [.fin, .ack]))
        h.feed(0.6, tcp(phone, cdn, 50000, 443, seq: 2, ack: 1002, .ack))   // the last ACK stays in the flow
        h.feed(1, tcp(phone, api, 50001, 443, seq: 0, .syn))
        h.feed(1.1, tcp(api, phone, 443, 50001, seq: 0, ack: 1, .rst))
        h.feed(2, udp(phone, resolver, 40000, 53, DNSBuilder.query(id: 1, name: "example.com")))
        let flows = h.finish()
        XCTAssertEqual(flows.count, 3)
        let f = flows[0]
        XCTAssertEqual(f.toServer.packets, 4)
        XCTAssertEqual(f.toClient.packets, 3)
        XCTAssertEqual(f.toClient.bytes, UInt64(54 * 2 + ack.count))
        XCTAssertEqual(f.toClient.payloadBytes, 1000)
        XCTAssertEqual(f.toServer.bytes, 54 * 4)
        XCTAssertEqual(f.endReason, .fin)
        XCTAssertEqual(f.tcpFlags, [.syn, .ack, .fin])
        XCTAssertEqual(f.duration, 0.6, accuracy: 1e-9)
        XCTAssertEqual(f.protocolName, "TCP")
        XCTAssertEqual(flows[1].endReason, .reset)
        XCTAssertEqual(flows[2].endReason, .endOfCapture)
        XCTAssertEqual(flows[2].protocolName, "UDP")
        XCTAssertEqual(h.summary.count(.tcp), 9)
        XCTAssertEqual(h.summary.count(.udp), 1)
    }

    func testNewSynAfterCloseStartsANewFlow() {
        var h = FlowHarness()
        h.feed(0, tcp(phone, api, 50000, 80, seq: 0, .syn))
        h.feed(0.1, tcp(api, phone, 80, 50000, seq: 0, ack: 1, .rst))
        h.feed(5, tcp(phone, api, 50000, 80, seq: 99, .syn))
        let flows = h.finish()
        XCTAssertEqual(flows.count, 2)
        XCTAssertEqual(flows[0].endReason, .reset)
        XCTAssertEqual(flows[1].totalPackets, 1)
        XCTAssertEqual(h.touches[2]?.isNew, true)
    }

    func testIdleTimeoutExpiresFlowsToTheSink() {
        final class Sink: @unchecked Sendable { var ended: [FlowRecord] = [] }
        let sink = Sink()
        var h = FlowHarness(configuration: FlowTableConfiguration(idleTimeout: 60, closedTimeout: 10))
        h.table.onFinish = { sink.ended.append($0) }
        h.feed(0, udp(phone, cdn, 50000, 443, [0x40, 1]))
        h.feed(1, udp(phone, api, 50001, 443, [0x40, 1]))
        h.feed(30, udp(phone, api, 50001, 443, [0x40, 2]))
        XCTAssertEqual(h.table.liveCount, 2)
        // 100 s later: the periodic scan ends the first flow (idle 100 s > 60 s), the second one (idle 70 s) too.
        h.feed(100, udp(phone, resolver, 50002, 53, [1]))
        XCTAssertEqual(sink.ended.count, 2)
        XCTAssertEqual(sink.ended.map(\.endReason), [.idleTimeout, .idleTimeout])
        XCTAssertEqual(h.table.liveCount, 1)
        XCTAssertTrue(h.table.finished.isEmpty, "keepFinished is off")
        // The same 5-tuple after the timeout is a new flow, reusing a freed index.
        h.feed(101, udp(phone, cdn, 50000, 443, [0x40, 3]))
        XCTAssertEqual(h.touches.last??.isNew, true)
        XCTAssertLessThan(h.touches.last!!.index, 2)
        XCTAssertEqual(h.table.records.count, 2, "records grow with live flows, not with flows seen")
        h.table.finish()
        XCTAssertEqual(sink.ended.count, 4)
        XCTAssertEqual(sink.ended.last?.endReason, .endOfCapture)
        XCTAssertTrue(sink.ended[0].isQUIC)
    }

    /// Memory per flow: live (the table's records) and finished (a `flows` listing keeps up to 150,000).
    func testFlowRecordIsTwoCacheLines() {
        XCTAssertEqual(MemoryLayout<FlowRecord>.stride, 128)
    }

    func testTableStaysConsistentUnderChurn() {
        var h = FlowHarness(configuration: FlowTableConfiguration(idleTimeout: 20, closedTimeout: 5, keepFinished: true))
        var rng = SeededRandom(seed: 42)
        var time = 0.0
        for _ in 0..<30_000 {
            time += 0.01
            let a = IPAddress(ipv4: 0x0A00_0000 | UInt32(rng.next() % 3000))
            let port = UInt16(1024 + rng.next() % 20)
            h.feed(time, udp(a, cdn, port, 443, [1]))
        }
        // Every live record is reachable through the hash table, and only live ones.
        var live = 0
        for (index, r) in h.table.records.enumerated() where r.isLive {
            live += 1
            let (found, _) = h.table.find(r.key, r.hash)
            XCTAssertEqual(found, index)
        }
        XCTAssertEqual(live, h.table.liveCount)
        let flows = h.finish()
        XCTAssertEqual(flows.reduce(0) { $0 + $1.totalPackets }, 30_000)
        XCTAssertGreaterThan(flows.filter { $0.endReason == .idleTimeout }.count, 1000)
    }

    /// A scan fills the table: one-packet flows are evicted oldest first, a busy flow created before
    /// them survives, the table never holds more than its cap, and every eviction is counted.
    func testAFloodEvictsProbesAndKeepsTheBusyFlow() {
        var h = FlowHarness(configuration: FlowTableConfiguration(keepFinished: true, maximumLiveFlows: 64))
        for i in 0..<10 { h.feed(Double(i) * 0.001, udp(phone, cdn, 50000, 443, [0x40, UInt8(i)])) }
        var mediaPackets = 10
        for i in 0..<5_000 {
            let probe = IPAddress(ipv4: 0x0A00_0000 | UInt32(i))
            h.feed(0.01 + Double(i) * 0.0001, tcp(probe, phone, UInt16(1024 + i % 30000), 80, .syn))
            XCTAssertLessThanOrEqual(h.table.liveCount, 64)
            // The media flow goes on through the flood: still the same flow, never evicted.
            if i % 40 == 0 {
                h.feed(0.01 + Double(i) * 0.0001, udp(phone, cdn, 50000, 443, [0x40, 99]))
                XCTAssertEqual(h.touches.last??.isNew, false, "probe \(i)")
                mediaPackets += 1
            }
        }
        let flows = h.finish()
        XCTAssertEqual(flows.count, 5_001)
        XCTAssertEqual(h.table.evictedCount, 5_001 - 64)
        XCTAssertEqual(flows.filter { $0.endReason == .evicted }.count, 5_001 - 64)
        XCTAssertEqual(flows.first { $0.serverPort == 443 }?.totalPackets, UInt64(mediaPackets))
        XCTAssertEqual(flows.first { $0.serverPort == 443 }?.endReason, .endOfCapture)
        XCTAssertLessThan(h.table.evictionLine.count, 4 * 4096 + 1, "the eviction line stays bounded")
    }
}

final class ProtocolSummaryTests: XCTestCase {
    /// The counter bases are written as constants (last case + 1): they must match the enums' case counts.
    func testCounterBasesMatchTheLayerEnums() {
        XCTAssertEqual(ProtocolSummary.networkBase - ProtocolSummary.linkBase, LinkLayer.allCases.count)
        XCTAssertEqual(ProtocolSummary.transportBase - ProtocolSummary.networkBase, NetworkLayer.allCases.count)
        XCTAssertEqual(ProtocolSummary.protocolBase - ProtocolSummary.transportBase, TransportLayer.allCases.count)
        XCTAssertEqual(ProtocolSummary.counterCount - ProtocolSummary.anomalyBase, DecodeError.codeCount)
    }

    func testPacketsByProtocolAndNamedAnomalies() {
        var h = FlowHarness()
        let good = tcp(phone, cdn, 50000, 443, seq: 1, .syn, vlan: true)
        h.feed(0, good)
        h.feed(0.1, Array(good[0..<30]))                 // cut inside the IPv4 header
        h.feed(0.2, Array(good[0..<(18 + 20 + 10)]))     // cut inside the TCP header
        var badIHL = good
        badIHL[18] = 0x43
        h.feed(0.3, badIHL)
        h.feed(0.4, FrameBuilder.icmpEcho(src: laptop6, dst: cdn6, identifier: 1, sequence: 1))
        h.feed(0.5, FrameBuilder.ipPacket(src: phone, dst: cdn, protocolNumber: .gre, body: [0, 0, 8, 0]))
        h.feed(0.6, FrameBuilder.arp(operation: .reply, senderMAC: .host, senderIP: phone, targetIP: resolver))
        let s = h.summary
        XCTAssertEqual(s.packets, 7)
        XCTAssertEqual(s.count(LinkLayer.ethernet), 7)
        XCTAssertEqual(s.count(NetworkLayer.ipv4), 5)
        XCTAssertEqual(s.count(NetworkLayer.ipv6), 1)
        XCTAssertEqual(s.count(NetworkLayer.arp), 1)
        XCTAssertEqual(s.count(TransportLayer.tcp), 2)
        XCTAssertEqual(s.count(TransportLayer.icmpv6), 1)
        XCTAssertEqual(s.otherIPProtocols[47], 1)
        XCTAssertEqual(s.vlanTagged, 4)
        XCTAssertEqual(s.namedAnomalies.map(\.name).sorted(),
                       ["ipv4_bad_header_length", "truncated_ipv4_header", "truncated_tcp_header"])
        XCTAssertTrue(s.rows.contains { $0.group == "transport" && $0.name == "GRE" && $0.packets == 1 })
        // The truncated TCP header yields no flow; the good SYN does.
        XCTAssertEqual(h.table.liveCount, 1)
        XCTAssertEqual(h.table.takeFinished().count, 0)
    }
}
