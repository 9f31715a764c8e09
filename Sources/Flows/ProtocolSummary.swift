import Wire

/// Packets by link, network and transport protocol, fragments, and decoding anomalies by name.
/// Counting is array increments; only EtherTypes other than IPv4/IPv6/ARP touch a dictionary.
public struct ProtocolSummary: Sendable {
    // One flat counter array (one uniqueness check per packet): packets, bytes, vlanTagged, fragments,
    // then by link, network, transport, other IP protocol (256) and anomaly code.
    // The bases are constant expressions (each layer enum's last case + 1, checked against `allCases` by
    // ProtocolSummaryTests): `static let`s from `allCases.count` were lazy globals, a `swift_once` call
    // for each of them on every packet.
    static var linkBase: Int { 4 }
    static var networkBase: Int { linkBase + Int(LinkLayer.unsupported.rawValue) + 1 }
    static var transportBase: Int { networkBase + Int(NetworkLayer.other.rawValue) + 1 }
    static var protocolBase: Int { transportBase + Int(TransportLayer.other.rawValue) + 1 }
    static var anomalyBase: Int { protocolBase + 256 }
    static var counterCount: Int { anomalyBase + DecodeError.codeCount }

    var counters = ContiguousArray<UInt64>(repeating: 0, count: ProtocolSummary.counterCount)
    /// Packets with `network == .other`, by EtherType.
    public private(set) var otherEtherTypes: [EtherType: UInt64] = [:]

    public var packets: UInt64 { counters[0] }
    public var bytes: UInt64 { counters[1] }
    public var vlanTagged: UInt64 { counters[2] }
    public var fragments: UInt64 { counters[3] }
    /// Packets of other IP protocols, by number (`transport == .other`).
    public var otherIPProtocols: [UInt64] {
        Array(counters[ProtocolSummary.protocolBase..<(ProtocolSummary.protocolBase + 256)])
    }
    /// Packets by anomaly code (`DecodeError.code`).
    public var anomalies: [UInt64] { Array(counters[ProtocolSummary.anomalyBase..<ProtocolSummary.counterCount]) }

    public init() {}

    @inline(__always)
    public mutating func count(_ p: DecodedPacket, frameLength: Int) {
        counters.withUnsafeMutableBufferPointer { c in
            c[0] &+= 1
            c[1] &+= UInt64(frameLength)
            c[ProtocolSummary.linkBase + Int(p.link.rawValue)] &+= 1
            c[ProtocolSummary.networkBase + Int(p.network.rawValue)] &+= 1
            if p.network == .ipv4 || p.network == .ipv6 {
                c[ProtocolSummary.transportBase + Int(p.transport.rawValue)] &+= 1
                if p.transport == .other { c[ProtocolSummary.protocolBase + Int(p.ipProtocol.rawValue)] &+= 1 }
            }
            if p.vlanCount > 0 { c[2] &+= 1 }
            if p.isFragment { c[3] &+= 1 }
            if let anomaly = p.anomaly { c[ProtocolSummary.anomalyBase + anomaly.code] &+= 1 }
        }
        if p.network == .other && p.link != .loopback { otherEtherTypes[p.etherType, default: 0] += 1 }
    }

    public func count(_ link: LinkLayer) -> UInt64 { counters[ProtocolSummary.linkBase + Int(link.rawValue)] }
    public func count(_ network: NetworkLayer) -> UInt64 { counters[ProtocolSummary.networkBase + Int(network.rawValue)] }
    public func count(_ transport: TransportLayer) -> UInt64 { counters[ProtocolSummary.transportBase + Int(transport.rawValue)] }

    /// Anomalies seen, by name, most frequent first (then by name).
    public var namedAnomalies: [(name: String, packets: UInt64)] {
        (0..<DecodeError.codeCount).filter { counters[ProtocolSummary.anomalyBase + $0] > 0 }
            .map { (name: DecodeError.name(ofCode: $0), packets: counters[ProtocolSummary.anomalyBase + $0]) }
            .sorted { $0.packets != $1.packets ? $0.packets > $1.packets : $0.name < $1.name }
    }

    /// Non-zero rows, in a fixed order: (group, name, packets). Groups: link, network, transport.
    public var rows: [(group: String, name: String, packets: UInt64)] {
        var out: [(group: String, name: String, packets: UInt64)] = []
        for l in LinkLayer.allCases where count(l) > 0 { out.append(("link", l.description, count(l))) }
        for n in NetworkLayer.allCases where count(n) > 0 && n != .other {
            out.append(("network", n.description, count(n)))
        }
        for (type, n) in otherEtherTypes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            out.append(("network", type.description, n))
        }
        let loopbackOther = count(NetworkLayer.other) - otherEtherTypes.values.reduce(0, +)
        if loopbackOther > 0 { out.append(("network", "other", loopbackOther)) }
        for t in TransportLayer.allCases where count(t) > 0 && t != .other {
            out.append(("transport", t.description, count(t)))
        }
        for proto in 0..<256 where counters[ProtocolSummary.protocolBase + proto] > 0 {
            out.append(("transport", IPProtocolNumber(rawValue: UInt8(proto)).description, counters[ProtocolSummary.protocolBase + proto]))
        }
        return out
    }
}
