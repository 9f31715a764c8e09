/// Wire numbers as open structs: every value is representable, the known ones have names.

/// An EtherType (IEEE 802.3 type field; values below 0x0600 are 802.3 lengths, shown as `802.3-LLC`).
public struct EtherType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable public static var ipv4: EtherType { EtherType(rawValue: 0x0800) }
    @inlinable public static var arp: EtherType { EtherType(rawValue: 0x0806) }
    @inlinable public static var vlan: EtherType { EtherType(rawValue: 0x8100) }       // 802.1Q customer tag
    @inlinable public static var ipv6: EtherType { EtherType(rawValue: 0x86DD) }
    @inlinable public static var qinq: EtherType { EtherType(rawValue: 0x88A8) }       // 802.1ad service tag
    @inlinable public static var qinqLegacy: EtherType { EtherType(rawValue: 0x9100) } // pre-standard Q-in-Q
    @inlinable public static var rarp: EtherType { EtherType(rawValue: 0x8035) }
    @inlinable public static var lldp: EtherType { EtherType(rawValue: 0x88CC) }
    @inlinable public static var eapol: EtherType { EtherType(rawValue: 0x888E) }
    @inlinable public static var pppoeDiscovery: EtherType { EtherType(rawValue: 0x8863) }
    @inlinable public static var pppoeSession: EtherType { EtherType(rawValue: 0x8864) }
    @inlinable public static var mpls: EtherType { EtherType(rawValue: 0x8847) }

    /// True for the three tag types the decoder walks through.
    @inlinable public var isVLANTag: Bool { self == .vlan || self == .qinq || self == .qinqLegacy }

    public var description: String {
        switch rawValue {
        case 0x0800: return "IPv4"
        case 0x0806: return "ARP"
        case 0x8100: return "802.1Q"
        case 0x86DD: return "IPv6"
        case 0x88A8: return "802.1ad"
        case 0x9100: return "Q-in-Q"
        case 0x8035: return "RARP"
        case 0x88CC: return "LLDP"
        case 0x888E: return "EAPOL"
        case 0x8863: return "PPPoE-discovery"
        case 0x8864: return "PPPoE-session"
        case 0x8847: return "MPLS"
        case ..<0x0600: return "802.3-LLC"
        default:
            let hex = String(rawValue, radix: 16)
            return "ethertype-0x" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }
}

/// An IP protocol number (IPv4 protocol field, IPv6 next header).
public struct IPProtocolNumber: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    @inlinable public static var hopByHop: IPProtocolNumber { IPProtocolNumber(rawValue: 0) }
    @inlinable public static var icmp: IPProtocolNumber { IPProtocolNumber(rawValue: 1) }
    @inlinable public static var igmp: IPProtocolNumber { IPProtocolNumber(rawValue: 2) }
    @inlinable public static var tcp: IPProtocolNumber { IPProtocolNumber(rawValue: 6) }
    @inlinable public static var udp: IPProtocolNumber { IPProtocolNumber(rawValue: 17) }
    @inlinable public static var ipv6Routing: IPProtocolNumber { IPProtocolNumber(rawValue: 43) }
    @inlinable public static var ipv6Fragment: IPProtocolNumber { IPProtocolNumber(rawValue: 44) }
    @inlinable public static var gre: IPProtocolNumber { IPProtocolNumber(rawValue: 47) }
    @inlinable public static var esp: IPProtocolNumber { IPProtocolNumber(rawValue: 50) }
    @inlinable public static var ah: IPProtocolNumber { IPProtocolNumber(rawValue: 51) }
    @inlinable public static var icmpv6: IPProtocolNumber { IPProtocolNumber(rawValue: 58) }
    @inlinable public static var ipv6NoNext: IPProtocolNumber { IPProtocolNumber(rawValue: 59) }
    @inlinable public static var ipv6DestinationOptions: IPProtocolNumber { IPProtocolNumber(rawValue: 60) }
    @inlinable public static var sctp: IPProtocolNumber { IPProtocolNumber(rawValue: 132) }

    public var description: String {
        switch rawValue {
        case 0: return "HOPOPT"
        case 1: return "ICMP"
        case 2: return "IGMP"
        case 4: return "IPIP"
        case 6: return "TCP"
        case 17: return "UDP"
        case 41: return "IPv6-in-IP"
        case 43: return "IPv6-Route"
        case 44: return "IPv6-Frag"
        case 47: return "GRE"
        case 50: return "ESP"
        case 51: return "AH"
        case 58: return "ICMPv6"
        case 59: return "IPv6-NoNxt"
        case 60: return "IPv6-Opts"
        case 103: return "PIM"
        case 112: return "VRRP"
        case 132: return "SCTP"
        default: return "ip-proto-\(rawValue)"
        }
    }
}

/// A link-layer type as `pcap_datalink` returns it (a DLT value).
///
/// libpcap maps the LINKTYPE_ values stored in files to DLT_ values, so LINKTYPE_RAW (101) arrives as
/// DLT_RAW (12, or 14 on OpenBSD); 101 is accepted too, for callers that read file headers themselves.
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }

    @inlinable public static var null: LinkType { LinkType(rawValue: 0) }          // BSD loopback, AF in host byte order
    @inlinable public static var ethernet: LinkType { LinkType(rawValue: 1) }      // EN10MB
    @inlinable public static var raw: LinkType { LinkType(rawValue: 12) }          // DLT_RAW (most systems)
    @inlinable public static var rawOpenBSD: LinkType { LinkType(rawValue: 14) }   // DLT_RAW on OpenBSD
    @inlinable public static var linktypeRaw: LinkType { LinkType(rawValue: 101) } // LINKTYPE_RAW as stored in files
    @inlinable public static var loop: LinkType { LinkType(rawValue: 108) }        // OpenBSD loopback, AF in network byte order
    @inlinable public static var linuxSLL: LinkType { LinkType(rawValue: 113) }    // Linux cooked v1
    @inlinable public static var ipv4: LinkType { LinkType(rawValue: 228) }
    @inlinable public static var ipv6: LinkType { LinkType(rawValue: 229) }
    @inlinable public static var linuxSLL2: LinkType { LinkType(rawValue: 276) }   // Linux cooked v2

    /// The libpcap name (`DLT_` without the prefix), or `unknown`.
    public var name: String {
        switch rawValue {
        case 0: return "NULL"
        case 1: return "EN10MB"
        case 12, 14: return "RAW"
        case 101: return "LINKTYPE_RAW"
        case 105: return "IEEE802_11"
        case 108: return "LOOP"
        case 113: return "LINUX_SLL"
        case 127: return "IEEE802_11_RADIO"
        case 147...162: return "USER\(rawValue - 147)"
        case 228: return "IPV4"
        case 229: return "IPV6"
        case 276: return "LINUX_SLL2"
        default: return "unknown"
        }
    }

    /// How `decode(linkType:bytes:)` reads a frame of this link type: the one list of the link types
    /// it understands.
    @usableFromInline
    enum Framing {
        case ethernet, linuxCooked, linuxCooked2
        /// IPv4 or IPv6, told by the version nibble.
        case rawIP
        case rawIPv4, rawIPv6
        /// A 4-byte address family, in the writer's byte order (DLT_NULL) or in network order (DLT_LOOP).
        case loopback(networkOrder: Bool)
        case unsupported
    }

    @inlinable @inline(__always)
    var framing: Framing {
        switch self {
        case .ethernet: return .ethernet
        case .linuxSLL: return .linuxCooked
        case .linuxSLL2: return .linuxCooked2
        case .raw, .rawOpenBSD, .linktypeRaw: return .rawIP
        case .ipv4: return .rawIPv4
        case .ipv6: return .rawIPv6
        case .null: return .loopback(networkOrder: false)
        case .loop: return .loopback(networkOrder: true)
        default: return .unsupported
        }
    }

    /// The link layers `decode(linkType:bytes:)` understands.
    public var isSupported: Bool {
        if case .unsupported = framing { return false }
        return true
    }

    public var description: String { "\(rawValue) (\(name))" }
}
