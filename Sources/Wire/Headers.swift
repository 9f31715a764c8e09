/// Typed header views over captured bytes. Each view checks its length once, in `init`; after that every
/// accessor is a plain big-endian read in place. The views borrow the bytes: they are valid only as long
/// as the buffer they were made from (for libpcap, until the next packet).

@usableFromInline
@inline(__always)
func be16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
    UInt16(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt16.self))
}

@usableFromInline
@inline(__always)
func be32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
    UInt32(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt32.self))
}

/// What the header views share: the bytes they borrow, where the header starts, big-endian reads of a
/// field at its offset in the header, and the one length check each `init` makes.
public protocol HeaderView {
    var bytes: UnsafeRawBufferPointer { get }
    var offset: Int { get }
}

extension HeaderView {
    /// The byte `field` bytes into the header.
    @usableFromInline @inline(__always) func u8(_ field: Int) -> UInt8 { bytes[offset + field] }
    /// The big-endian 16-bit field `field` bytes into the header.
    @usableFromInline @inline(__always) func u16(_ field: Int) -> UInt16 { be16(bytes, offset + field) }
    /// The big-endian 32-bit field `field` bytes into the header.
    @usableFromInline @inline(__always) func u32(_ field: Int) -> UInt32 { be32(bytes, offset + field) }
}

/// The bytes captured from `offset` on, or `truncated(layer)` when they are fewer than `needed`.
@usableFromInline @inline(__always)
func captured(_ bytes: UnsafeRawBufferPointer, from offset: Int, needing needed: Int,
              _ layer: DecodeError.Layer) throws(DecodeError) -> Int {
    let available = bytes.count - offset
    guard available >= needed else { throw .truncated(layer, needed: needed, available: max(0, available)) }
    return available
}

/// Throws `malformed(layer, .badVersion)` when the first byte is there and its high nibble is not `version`.
@usableFromInline @inline(__always)
func checkVersion(_ bytes: UnsafeRawBufferPointer, at offset: Int, _ version: UInt8,
                  _ layer: DecodeError.Layer) throws(DecodeError) {
    if bytes.count - offset >= 1 && bytes[offset] >> 4 != version {
        throw .malformed(layer, .badVersion, expected: Int(version), found: Int(bytes[offset] >> 4))
    }
}

/// Ethernet II (IEEE 802.3).
///
///     DESTINATION = 0..<6    SOURCE = 6..<12    ETHERTYPE = 12..<14
public struct EthernetHeader: HeaderView {
    public static let length = 14
    public let bytes: UnsafeRawBufferPointer
    public let offset: Int

    @inlinable @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) throws(DecodeError) {
        _ = try captured(bytes, from: offset, needing: Self.length, .ethernet)
        self.bytes = bytes
        self.offset = offset
    }

    @inlinable @inline(__always) public var etherType: EtherType { EtherType(rawValue: u16(12)) }
}

/// An 802.1Q / 802.1ad tag, after the EtherType that announced it.
///
///     TCI = 0..<2 (PCP 3 bits, DEI 1 bit, VID 12 bits)    ETHERTYPE = 2..<4
public struct VLANTag: HeaderView {
    public static let length = 4
    public let bytes: UnsafeRawBufferPointer
    public let offset: Int

    @inlinable @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(DecodeError) {
        _ = try captured(bytes, from: offset, needing: Self.length, .vlan)
        self.bytes = bytes
        self.offset = offset
    }

    @inlinable @inline(__always) public var vlanID: UInt16 { u16(0) & 0x0FFF }
    @inlinable @inline(__always) public var priority: UInt8 { UInt8(truncatingIfNeeded: u16(0) >> 13) }
    @inlinable @inline(__always) public var etherType: EtherType { EtherType(rawValue: u16(2)) }
}

/// Linux cooked capture v1 (DLT_LINUX_SLL).
///
///     PACKET_TYPE = 0..<2    ARPHRD_TYPE = 2..<4    ADDR_LEN = 4..<6    ADDR = 6..<14    PROTOCOL = 14..<16
public struct LinuxCookedHeader: HeaderView {
    public static let length = 16
    public let bytes: UnsafeRawBufferPointer
    public let offset: Int

    @inlinable @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) throws(DecodeError) {
        _ = try captured(bytes, from: offset, needing: Self.length, .linuxCooked)
        self.bytes = bytes
        self.offset = offset
    }

    @inlinable @inline(__always) public var packetType: UInt16 { u16(0) }
    @inlinable @inline(__always) public var arphrdType: UInt16 { u16(2) }
    @inlinable @inline(__always) public var protocolType: EtherType { EtherType(rawValue: u16(14)) }
}

/// Linux cooked capture v2 (DLT_LINUX_SLL2).
///
///     PROTOCOL = 0..<2    RESERVED = 2..<4    IF_INDEX = 4..<8    ARPHRD_TYPE = 8..<10
///     PACKET_TYPE = 10    ADDR_LEN = 11       ADDR = 12..<20
public struct LinuxCooked2Header: HeaderView {
    public static let length = 20
    public let bytes: UnsafeRawBufferPointer
    public let offset: Int

    @inlinable @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) throws(DecodeError) {
        _ = try captured(bytes, from: offset, needing: Self.length, .linuxCooked2)
        self.bytes = bytes
        self.offset = offset
    }

    @inlinable @inline(__always) public var protocolType: EtherType { EtherType(rawValue: u16(0)) }
    @inlinable @inline(__always) public var interfaceIndex: UInt32 { u32(4) }
    @inlinable @inline(__always) public var arphrdType: UInt16 { u16(8) }
    @inlinable @inline(__always) public var packetType: UInt8 { u8(10) }
}

/// BSD loopback (DLT_NULL: address family in the capturing host's byte order; DLT_LOOP: network order).
///
///     ADDRESS_FAMILY = 0..<4
public struct LoopbackHeader: HeaderView {
    public static let length = 4
    public let bytes: UnsafeRawBufferPointer
    public let offset: Int

    @inlinable @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) throws(DecodeError) {
        _ = try captured(bytes, from: offset, needing: Self.length, .loopback)
        self.bytes = bytes
        self.offset = offset
    }

    /// The address family. For DLT_NULL the writer's byte order is unknown; families are small numbers,
    /// so a value with a non-zero upper half is taken as byte-swapped (as Wireshark does).
    @inlinable
    public func addressFamily(networkOrder: Bool) -> UInt32 {
        let big = be32(bytes, offset)
        if networkOrder { return big }
        let little = big.byteSwapped
        return little & 0xFFFF_0000 == 0 ? little : big
    }

    /// AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS).
    @inlinable public static func isIPv4(family: UInt32) -> Bool { family == 2 }
    @inlinable public static func isIPv6(family: UInt32) -> Bool {
        family == 10 || family == 24 || family == 28 || family == 30
    }
}

/// IPv4 (RFC 791).
///
///     VERSION_IHL = 0    TOS = 1    TOTAL_LENGTH = 2..<4    IDENTIFICATION = 4..<6    FLAGS_FRAGMENT = 6..<8
///     TTL = 8            PROTOCOL = 9    CHECKSUM = 10..<12  SOURCE = 12..<16          DESTINATION = 16..<20
///     OPTIONS = 20..<IHL*4
public struct IPv4Header: HeaderView {
    public static let minimumLength = 20
    public let bytes: UnsafeRawBufferPointer
    public let offset: Int

    /// Checks the version (as soon as one byte is there), that IHL ≥ 5, that the captured bytes hold the whole header (options included),
    /// and that the total length, unless 0 (TCP segmentation offload), covers the header.
    @inlinable @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(DecodeError) {
        try checkVersion(bytes, at: offset, 4, .ipv4)
        let available = try captured(bytes, from: offset, needing: Self.minimumLength, .ipv4)
        let first = bytes[offset]
        let headerLength = Int(first & 0x0F) * 4
        guard headerLength >= IPv4Header.minimumLength else {
            throw .malformed(.ipv4, .badHeaderLength, expected: IPv4Header.minimumLength, found: headerLength)
        }
        guard available >= headerLength else { throw .truncated(.ipv4, needed: headerLength, available: available) }
        let total = Int(be16(bytes, offset + 2))
        guard total == 0 || total >= headerLength else {
            throw .malformed(.ipv4, .badTotalLength, expected: headerLength, found: total)
        }
        self.bytes = bytes
        self.offset = offset
    }

    @inlinable @inline(__always) public var headerLength: Int { Int(u8(0) & 0x0F) * 4 }
    @inlinable @inline(__always) public var totalLength: Int { Int(u16(2)) }
    @inlinable @inline(__always) public var identification: UInt16 { u16(4) }
    @inlinable @inline(__always) public var dontFragment: Bool { u16(6) & 0x4000 != 0 }
    @inlinable @inline(__always) public var moreFragments: Bool { u16(6) & 0x2000 != 0 }
    /// Fragment offset in bytes.
    @inlinable @inline(__always) public var fragmentOffset: Int { Int(u16(6) & 0x1FFF) * 8 }
    @inlinable @inline(__always) public var ttl: UInt8 { u8(8) }
    @inlinable @inline(__always) public var protocolNumber: IPProtocolNumber { IPProtocolNumber(rawValue: u8(9)) }
    @inlinable @inline(__always) public var source: IPAddress { IPAddress(ipv4At: offset + 12, in: bytes) }
    @inlinable @inline(__always) public var destination: IPAddress { IPAddress(ipv4At: offset + 16, in: bytes) }
}

/// IPv6 fixed header (RFC 8200).
///
///     VERSION_CLASS_FLOW = 0..<4    PAYLOAD_LENGTH = 4..<6    NEXT_HEADER = 6    HOP_LIMIT = 7
///     SOURCE = 8..<24               DESTINATION = 24..<40
public struct IPv6Header: HeaderView {
    public static let length = 40
    public let bytes: UnsafeRawBufferPointer
    public let offset: Int

    @inlinable @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(DecodeError) {
        try checkVersion(bytes, at: offset, 6, .ipv6)
        _ = try captured(bytes, from: offset, needing: Self.length, .ipv6)
        self.bytes = bytes
        self.offset = offset
    }

    @inlinable @inline(__always) public var payloadLength: Int { Int(u16(4)) }
    @inlinable @inline(__always) public var nextHeader: IPProtocolNumber { IPProtocolNumber(rawValue: u8(6)) }
    @inlinable @inline(__always) public var hopLimit: UInt8 { u8(7) }
    @inlinable @inline(__always) public var source: IPAddress { IPAddress(ipv6At: offset + 8, in: bytes) }
    @inlinable @inline(__always) public var destination: IPAddress { IPAddress(ipv6At: offset + 24, in: bytes) }
}

/// An IPv6 extension header: hop-by-hop (0), routing (43), destination options (60) share
/// `NEXT_HEADER = 0, HDR_EXT_LEN = 1` with length (HDR_EXT_LEN + 1) × 8; fragment (44) is 8 bytes
/// (`NEXT_HEADER = 0, RESERVED = 1, OFFSET_FLAGS = 2..<4, IDENTIFICATION = 4..<8`); AH (51) counts
/// its length in 4-byte units: (PAYLOAD_LEN + 2) × 4.
public struct IPv6ExtensionHeader: HeaderView {
    public let bytes: UnsafeRawBufferPointer
    public let offset: Int
    public let kind: IPProtocolNumber
    public let length: Int

    @inlinable
    public static func isExtension(_ p: IPProtocolNumber) -> Bool {
        switch p {
        case .hopByHop, .ipv6Routing, .ipv6Fragment, .ah, .ipv6DestinationOptions: return true
        default: return false
        }
    }

    @inlinable @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int, kind: IPProtocolNumber) throws(DecodeError) {
        let available = try captured(bytes, from: offset, needing: 8, .ipv6Extension)
        let length: Int
        switch kind {
        case .ipv6Fragment: length = 8
        case .ah: length = (Int(bytes[offset + 1]) + 2) * 4
        default: length = (Int(bytes[offset + 1]) + 1) * 8
        }
        guard available >= length else { throw .truncated(.ipv6Extension, needed: length, available: available) }
        self.bytes = bytes
        self.offset = offset
        self.kind = kind
        self.length = length
    }

    @inlinable @inline(__always) public var nextHeader: IPProtocolNumber { IPProtocolNumber(rawValue: u8(0)) }
    /// For a fragment header: the offset in bytes.
    @inlinable @inline(__always) public var fragmentOffset: Int { Int(u16(2) & 0xFFF8) }
    /// For a fragment header: the M flag.
    @inlinable @inline(__always) public var moreFragments: Bool { u16(2) & 1 != 0 }
}

/// TCP (RFC 9293).
///
///     SOURCE_PORT = 0..<2    DESTINATION_PORT = 2..<4    SEQUENCE = 4..<8    ACKNOWLEDGMENT = 8..<12
///     DATA_OFFSET = 12 (high nibble; low bit = NS)    FLAGS = 13    WINDOW = 14..<16
///     CHECKSUM = 16..<18    URGENT = 18..<20    OPTIONS = 20..<DATA_OFFSET*4
public struct TCPHeader: HeaderView {
    public static let minimumLength = 20
    public let bytes: UnsafeRawBufferPointer
    public let offset: Int

    /// Checks that the fixed 20 bytes are there and the data offset is at least 5. Whether the options
    /// were captured is `optionsCaptured` (a snap length can cut them; the fixed fields are still good).
    @inlinable @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(DecodeError) {
        _ = try captured(bytes, from: offset, needing: Self.minimumLength, .tcp)
        let dataOffset = Int(bytes[offset + 12] >> 4) * 4
        guard dataOffset >= TCPHeader.minimumLength else {
            throw .malformed(.tcp, .badHeaderLength, expected: TCPHeader.minimumLength, found: dataOffset)
        }
        self.bytes = bytes
        self.offset = offset
    }

    @inlinable @inline(__always) public var sourcePort: UInt16 { u16(0) }
    @inlinable @inline(__always) public var destinationPort: UInt16 { u16(2) }
    @inlinable @inline(__always) public var sequenceNumber: UInt32 { u32(4) }
    @inlinable @inline(__always) public var acknowledgmentNumber: UInt32 { u32(8) }
    /// The header length in bytes (data offset × 4).
    @inlinable @inline(__always) public var headerLength: Int { Int(u8(12) >> 4) * 4 }
    /// The nine flag bits: NS (0x100), CWR, ECE, URG, ACK, PSH, RST, SYN, FIN (0x01).
    @inlinable @inline(__always) public var flags: TCPFlags { TCPFlags(rawValue: u16(12) & 0x01FF) }
    @inlinable @inline(__always) public var window: UInt16 { u16(14) }
    @inlinable @inline(__always) public var optionsCaptured: Bool { bytes.count - offset >= headerLength }
}

/// TCP flag bits, as in the header's low nine bits of bytes 12–13.
public struct TCPFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable public static var fin: TCPFlags { TCPFlags(rawValue: 0x001) }
    @inlinable public static var syn: TCPFlags { TCPFlags(rawValue: 0x002) }
    @inlinable public static var rst: TCPFlags { TCPFlags(rawValue: 0x004) }
    @inlinable public static var psh: TCPFlags { TCPFlags(rawValue: 0x008) }
    @inlinable public static var ack: TCPFlags { TCPFlags(rawValue: 0x010) }
    @inlinable public static var urg: TCPFlags { TCPFlags(rawValue: 0x020) }
    @inlinable public static var ece: TCPFlags { TCPFlags(rawValue: 0x040) }
    @inlinable public static var cwr: TCPFlags { TCPFlags(rawValue: 0x080) }
    @inlinable public static var ns: TCPFlags { TCPFlags(rawValue: 0x100) }

    /// Letters in tcpdump's order: `S F R P . U E W N` for SYN FIN RST PSH ACK URG ECE CWR NS.
    public var description: String {
        var s = ""
        if contains(.syn) { s += "S" }
        if contains(.fin) { s += "F" }
        if contains(.rst) { s += "R" }
        if contains(.psh) { s += "P" }
        if contains(.ack) { s += "." }
        if contains(.urg) { s += "U" }
        if contains(.ece) { s += "E" }
        if contains(.cwr) { s += "W" }
        if contains(.ns) { s += "N" }
        return s
    }
}

/// UDP (RFC 768).
///
///     SOURCE_PORT = 0..<2    DESTINATION_PORT = 2..<4    LENGTH = 4..<6    CHECKSUM = 6..<8
public struct UDPHeader: HeaderView {
    public static let length = 8
    public let bytes: UnsafeRawBufferPointer
    public let offset: Int

    @inlinable @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(DecodeError) {
        _ = try captured(bytes, from: offset, needing: Self.length, .udp)
        self.bytes = bytes
        self.offset = offset
    }

    @inlinable @inline(__always) public var sourcePort: UInt16 { u16(0) }
    @inlinable @inline(__always) public var destinationPort: UInt16 { u16(2) }
    /// Header plus payload, as the sender wrote it.
    @inlinable @inline(__always) public var length: Int { Int(u16(4)) }
    @inlinable @inline(__always) public var checksum: UInt16 { u16(6) }
}
