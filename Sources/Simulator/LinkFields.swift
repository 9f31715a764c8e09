import Wire

/// A 48-bit Ethernet address, held in the low 48 bits of an integer (first byte highest).
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8, _ f: UInt8) {
        value = UInt64(a) << 40 | UInt64(b) << 32 | UInt64(c) << 24 | UInt64(d) << 16 | UInt64(e) << 8 | UInt64(f)
    }

    public init(value: UInt64) { self.value = value & 0xFFFF_FFFF_FFFF }

    /// Locally administered addresses used by default: the capturing host and its gateway.
    public static let host = MACAddress(0x02, 0x53, 0x50, 0x00, 0x00, 0x01)
    public static let gateway = MACAddress(0x02, 0x53, 0x50, 0x00, 0x00, 0xFE)
    public static let broadcast = MACAddress(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
    public static let zero = MACAddress(value: 0)

    public var bytes: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: value >> UInt64(40 - 8 * $0)) } }

    public var description: String {
        bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined(separator: ":")
    }

    func store(_ w: ByteWriter, _ offset: Int) {
        w.u32(offset, UInt32(truncatingIfNeeded: value >> 16))
        w.u16(offset + 4, UInt16(truncatingIfNeeded: value))
    }
}

/// One VLAN tag to write: the tag protocol identifier (802.1Q `.vlan` 0x8100 or 802.1ad `.qinq` 0x88a8),
/// priority and VLAN id. An integer literal is an 802.1Q tag with that id. (Wire's `VLANTag` is the
/// view that reads one.)
public struct VLANTagFields: Hashable, Sendable, ExpressibleByIntegerLiteral {
    public var tpid: EtherType
    public var priority: UInt8
    public var id: UInt16

    public init(id: UInt16, priority: UInt8 = 0, tpid: EtherType = .vlan) {
        self.id = id & 0x0FFF
        self.priority = priority & 7
        self.tpid = tpid
    }

    public init(integerLiteral value: UInt16) { self.init(id: value) }
}

/// The link header a frame starts with, and the pcap link type that names it. (Wire's `LinkLayer` is
/// the kind of link header the decoder found.)
public enum LinkFields: Hashable, Sendable {
    /// Ethernet II with 0, 1 or 2 VLAN tags (outermost first). LINKTYPE_ETHERNET (1).
    case ethernet(src: MACAddress = .host, dst: MACAddress = .gateway, vlans: [VLANTagFields] = [])
    /// Linux cooked capture v1, 16 bytes. `packetType`: 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us.
    /// LINKTYPE_LINUX_SLL (113).
    case linuxCooked(packetType: UInt16 = 0, address: MACAddress = .gateway)
    /// Linux cooked capture v2, 20 bytes. LINKTYPE_LINUX_SLL2 (276).
    case linuxCooked2(packetType: UInt8 = 0, interfaceIndex: UInt32 = 2, address: MACAddress = .gateway)
    /// No link header: the frame is the IP packet. LINKTYPE_RAW (101).
    case raw
    /// BSD loopback: a 4-byte address family in little-endian order (2 IPv4, 24 IPv6). LINKTYPE_NULL (0).
    case null

    public var linkType: UInt32 {
        switch self {
        case .ethernet: return PcapLinkType.ethernet
        case .linuxCooked: return PcapLinkType.linuxSLL
        case .linuxCooked2: return PcapLinkType.linuxSLL2
        case .raw: return PcapLinkType.raw
        case .null: return PcapLinkType.null
        }
    }

    /// Bytes before the network header.
    @inlinable
    public var headerLength: Int {
        switch self {
        case .ethernet(_, _, let vlans): return 14 + 4 * vlans.count
        case .linuxCooked: return 16
        case .linuxCooked2: return 20
        case .raw: return 0
        case .null: return 4
        }
    }

    /// Writes the link header for a payload of `etherType` at the start of `w`.
    func write(_ w: ByteWriter, etherType: EtherType) {
        switch self {
        case .ethernet(let src, let dst, let vlans):
            dst.store(w, 0)
            src.store(w, 6)
            var o = 12
            for tag in vlans {
                w.u16(o, tag.tpid.rawValue)
                w.u16(o + 2, UInt16(tag.priority) << 13 | tag.id)
                o += 4
            }
            w.u16(o, etherType.rawValue)
        case .linuxCooked(let packetType, let address):
            w.u16(0, packetType)
            w.u16(2, 1)  // ARPHRD_ETHER
            w.u16(4, 6)
            address.store(w, 6)
            w.u16(12, 0)
            w.u16(14, etherType.rawValue)
        case .linuxCooked2(let packetType, let interfaceIndex, let address):
            w.u16(0, etherType.rawValue)
            w.u16(2, 0)
            w.u32(4, interfaceIndex)
            w.u16(8, 1)  // ARPHRD_ETHER
            w.u8(10, packetType)
            w.u8(11, 6)
            address.store(w, 12)
            w.u16(18, 0)
        case .raw:
            break
        case .null:
            w.u32le(0, etherType == .ipv6 ? 24 : 2)
        }
    }
}

/// pcap link-type numbers (tcpdump.org/linktypes.html).
public enum PcapLinkType {
    public static let null: UInt32 = 0
    public static let ethernet: UInt32 = 1
    public static let raw: UInt32 = 101
    public static let linuxSLL: UInt32 = 113
    public static let linuxSLL2: UInt32 = 276
}
