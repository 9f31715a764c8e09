import Wire

/// Packets by link, network and transport protocol, fragments, and decoding anomalies by name.
/// Counting is array increments; only EtherTypes other than IPv4/IPv6/ARP touch a dictionary.
public struct ProtocolSummary: Sendable {
    public private(set) var packets: UInt64 = 0
    public private(set) var bytes: UInt64 = 0
    public private(set) var byLink = [UInt64](repeating: 0, count: LinkLayer.allCases.count)
    public private(set) var byNetwork = [UInt64](repeating: 0, count: NetworkLayer.allCases.count)
    public private(set) var byTransport = [UInt64](repeating: 0, count: TransportLayer.allCases.count)
    /// Packets of other IP protocols, by number (`transport == .other`).
    public private(set) var otherIPProtocols = [UInt64](repeating: 0, count: 256)
    /// Packets with `network == .other`, by EtherType.
    public private(set) var otherEtherTypes: [EtherType: UInt64] = [:]
    public private(set) var vlanTagged: UInt64 = 0
    public private(set) var fragments: UInt64 = 0
    public private(set) var anomalies = [UInt64](repeating: 0, count: DecodeError.codeCount)

    public init() {}

    @inline(__always)
    public mutating func count(_ p: DecodedPacket, frameLength: Int) {
        packets += 1
        bytes += UInt64(frameLength)
        byLink[Int(p.link.rawValue)] += 1
        byNetwork[Int(p.network.rawValue)] += 1
        if p.network == .ipv4 || p.network == .ipv6 { byTransport[Int(p.transport.rawValue)] += 1 }
        if p.transport == .other { otherIPProtocols[Int(p.ipProtocol.rawValue)] += 1 }
        if p.network == .other && p.link != .loopback { otherEtherTypes[p.etherType, default: 0] += 1 }
        if p.vlanCount > 0 { vlanTagged += 1 }
        if p.isFragment { fragments += 1 }
        if let anomaly = p.anomaly { anomalies[anomaly.code] += 1 }
    }

    public func count(_ link: LinkLayer) -> UInt64 { byLink[Int(link.rawValue)] }
    public func count(_ network: NetworkLayer) -> UInt64 { byNetwork[Int(network.rawValue)] }
    public func count(_ transport: TransportLayer) -> UInt64 { byTransport[Int(transport.rawValue)] }

    /// Anomalies seen, by name, most frequent first (then by name).
    public var namedAnomalies: [(name: String, packets: UInt64)] {
        anomalies.indices.filter { anomalies[$0] > 0 }
            .map { (name: DecodeError.name(ofCode: $0), packets: anomalies[$0]) }
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
        for proto in 0..<256 where otherIPProtocols[proto] > 0 {
            out.append(("transport", IPProtocolNumber(rawValue: UInt8(proto)).description, otherIPProtocols[proto]))
        }
        return out
    }
}
