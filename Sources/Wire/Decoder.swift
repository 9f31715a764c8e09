/// The link layer a packet was decoded from.
public enum LinkLayer: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    case ethernet, linuxCooked, linuxCooked2, rawIP, loopback, unsupported

    public var description: String {
        switch self {
        case .ethernet: return "Ethernet"
        case .linuxCooked: return "Linux-cooked"
        case .linuxCooked2: return "Linux-cooked-v2"
        case .rawIP: return "raw-IP"
        case .loopback: return "BSD-loopback"
        case .unsupported: return "unsupported"
        }
    }
}

/// The network layer found after the link layer.
public enum NetworkLayer: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    /// Nothing decoded (link header truncated or unsupported).
    case none
    case ipv4, ipv6, arp
    /// Another EtherType (see `DecodedPacket.etherType`) or an unknown loopback address family.
    case other

    public var description: String {
        switch self {
        case .none: return "none"
        case .ipv4: return "IPv4"
        case .ipv6: return "IPv6"
        case .arp: return "ARP"
        case .other: return "other"
        }
    }
}

/// The transport layer found after IP.
public enum TransportLayer: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    /// No IP, no transport header decoded, or IPv6 "no next header".
    case none
    case tcp, udp, icmp, icmpv6
    /// A later IP fragment (offset > 0): its transport header travelled in the first fragment.
    case fragment
    /// Another IP protocol (see `DecodedPacket.ipProtocol`).
    case other

    public var description: String {
        switch self {
        case .none: return "none"
        case .tcp: return "TCP"
        case .udp: return "UDP"
        case .icmp: return "ICMP"
        case .icmpv6: return "ICMPv6"
        case .fragment: return "fragment"
        case .other: return "other"
        }
    }
}

/// Everything the pipeline needs from one packet, in a fixed shape (no references, no allocation).
///
/// Offsets index the captured bytes the packet was decoded from. `payloadLength` is the transport
/// payload as the headers declare it (what was on the wire, even if the snap length cut the capture);
/// `capturedPayloadLength` is the part of it present in the buffer. Ethernet padding after the IP
/// packet is never payload.
public struct DecodedPacket: Sendable {
    public var link: LinkLayer = .unsupported
    /// 802.1Q / 802.1ad tags walked (0, 1 or 2).
    public var vlanCount: UInt8 = 0
    /// The EtherType of the network layer (after VLAN tags); for raw IP and loopback, IPv4's or IPv6's.
    public var etherType = EtherType(rawValue: 0)
    public var network: NetworkLayer = .none
    public var src = IPAddress(high: 0, low: 0)
    public var dst = IPAddress(high: 0, low: 0)
    /// The upper-layer protocol after IPv6 extension headers (IPv4: the protocol field).
    public var ipProtocol = IPProtocolNumber(rawValue: 255)
    public var transport: TransportLayer = .none
    public var srcPort: UInt16 = 0
    public var dstPort: UInt16 = 0
    public var tcpFlags = TCPFlags(rawValue: 0)
    public var tcpSeq: UInt32 = 0
    public var tcpAck: UInt32 = 0
    public var networkOffset = 0
    public var transportOffset = 0
    public var payloadOffset = 0
    public var payloadLength = 0
    public var capturedPayloadLength = 0
    /// IP header(s) plus payload as declared (IPv4 total length; IPv6 40 + payload length).
    public var ipPacketLength = 0
    /// True for any IP fragment, the first one (offset 0, MF set) included.
    public var isFragment = false
    /// The first problem met; the layers before it are kept.
    public var anomaly: DecodeError? = nil

    @inlinable public init() {}

    /// True when a TCP or UDP header was read (its fixed part at least): the packet has ports and can
    /// belong to a flow. A TCP or UDP header cut short leaves it false (transport still says which).
    public var hasPorts = false
}

/// Decodes one captured frame of the given link type, in place.
///
/// Never traps on any input: truncated or malformed headers end decoding with `anomaly` set, keeping
/// the layers that decoded. An unsupported link type yields `link == .unsupported` and nothing else;
/// callers check `linkType.isSupported` once per file and report it there.
///
/// Inlined into the caller, which then holds the packet while `decode(linkType:bytes:into:)` fills it
/// in place: returned from the decoder, the ~160-byte packet was copied once more (a `memcpy` per packet).
@inlinable @inline(__always)
public func decode(linkType: LinkType, bytes: UnsafeRawBufferPointer) -> DecodedPacket {
    var p = DecodedPacket()
    // One return: an early `return p` copied the packet (a `memcpy` per packet).
    if linkType.rawValue != LinkType.ethernet.rawValue || !decodeEthernetCommon(bytes, &p) {
        decode(linkType: linkType, bytes: bytes, into: &p)
    }
    return p
}

/// `decode(linkType:bytes:)` into a fresh `DecodedPacket()`.
@usableFromInline
func decode(linkType: LinkType, bytes: UnsafeRawBufferPointer, into p: inout DecodedPacket) {
    do throws(DecodeError) {
        switch linkType.framing {
        case .ethernet:
            p.link = .ethernet
            let eth = try EthernetHeader(bytes, at: 0)
            try decodeEtherType(eth.etherType, at: EthernetHeader.length, bytes, &p)
        case .linuxCooked:
            p.link = .linuxCooked
            let sll = try LinuxCookedHeader(bytes, at: 0)
            try decodeEtherType(sll.protocolType, at: LinuxCookedHeader.length, bytes, &p)
        case .linuxCooked2:
            p.link = .linuxCooked2
            let sll2 = try LinuxCooked2Header(bytes, at: 0)
            try decodeEtherType(sll2.protocolType, at: LinuxCooked2Header.length, bytes, &p)
        case .rawIP:
            p.link = .rawIP
            guard bytes.count >= 1 else { throw .truncated(.raw, needed: 1, available: 0) }
            switch bytes[0] >> 4 {
            case 4: try decodeIPv4(at: 0, bytes, &p)
            case 6: try decodeIPv6(at: 0, bytes, &p)
            case let v: throw .malformed(.raw, .badVersion, expected: 4, found: Int(v))
            }
        case .rawIPv4:
            p.link = .rawIP
            try decodeIPv4(at: 0, bytes, &p)
        case .rawIPv6:
            p.link = .rawIP
            try decodeIPv6(at: 0, bytes, &p)
        case .loopback(let networkOrder):
            p.link = .loopback
            let lo = try LoopbackHeader(bytes, at: 0)
            let family = lo.addressFamily(networkOrder: networkOrder)
            if LoopbackHeader.isIPv4(family: family) {
                try decodeIPv4(at: LoopbackHeader.length, bytes, &p)
            } else if LoopbackHeader.isIPv6(family: family) {
                try decodeIPv6(at: LoopbackHeader.length, bytes, &p)
            } else {
                p.network = .other
                throw .malformed(.loopback, .unknownAddressFamily, expected: 2, found: Int(truncatingIfNeeded: family))
            }
        case .unsupported:
            p.link = .unsupported
        }
    } catch {
        p.anomaly = error
    }
}

/// The common frame in one go: Ethernet without tags; IPv4 without options or fragmentation whose
/// total length covers the header, or IPv6 with a non-zero payload length and TCP or UDP right after
/// the fixed header; then a TCP header captured whole (options included) or a UDP header whose length
/// fits the IP packet. One length check covers every read; the fields are written once, to the same
/// values the general path gives such a frame (which has no anomaly). Anything else returns false
/// having written nothing, and the general path decodes the frame. Inlined into the callers of
/// `decode(linkType:bytes:)` (out of line it cost a call and the link-type switch per packet).
@inlinable @inline(__always)
func decodeEthernetCommon(_ bytes: UnsafeRawBufferPointer, _ p: inout DecodedPacket) -> Bool {
    let n = bytes.count
    // Ethernet (14) + IPv4 (20) + a UDP header (8): every read below but the TCP ones is within.
    guard n >= 42, let base = bytes.baseAddress else { return false }
    @inline(__always) func u8(_ o: Int) -> UInt8 { base.load(fromByteOffset: o, as: UInt8.self) }
    @inline(__always) func r16(_ o: Int) -> UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: o, as: UInt16.self)) }
    @inline(__always) func r32(_ o: Int) -> UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
    @inline(__always) func r64(_ o: Int) -> UInt64 { UInt64(bigEndian: base.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
    let isIPv4: Bool
    let total: Int, proto: UInt8, t: Int
    switch r16(12) {
    case 0x0800:
        // Version 4 with IHL 5; a total length that covers the header (0, segmentation offload, goes
        // the general way); no MF, offset 0.
        guard u8(14) == 0x45 else { return false }
        total = Int(r16(16))
        guard total >= 20, r16(20) & 0x3FFF == 0 else { return false }
        isIPv4 = true
        proto = u8(23)
        t = 34
    case 0x86DD:
        // The fixed header and a UDP header captured; version 6; payload length 0 (jumbogram,
        // offload) goes the general way. TCP or UDP as the next header means no extension headers.
        guard n >= 62, u8(14) >> 4 == 6 else { return false }
        let declared = Int(r16(18))
        guard declared != 0 else { return false }
        isIPv4 = false
        total = 40 &+ declared
        proto = u8(20)
        t = 54
    default:
        return false
    }
    let end = 14 &+ total
    let capturedEnd = min(n, end)
    if proto == 6 {
        guard capturedEnd >= t &+ 20 else { return false }
        let headerLength = Int(u8(t &+ 12) >> 4) &* 4
        guard headerLength >= 20, capturedEnd >= t &+ headerLength else { return false }
        let start = t &+ headerLength
        p.transport = .tcp
        p.hasPorts = true
        p.srcPort = r16(t)
        p.dstPort = r16(t &+ 2)
        p.tcpFlags = TCPFlags(rawValue: r16(t &+ 12) & 0x01FF)
        p.tcpSeq = r32(t &+ 4)
        p.tcpAck = r32(t &+ 8)
        p.payloadOffset = start
        p.payloadLength = max(0, end &- start)
        p.capturedPayloadLength = capturedEnd &- start
    } else if proto == 17 {
        let declared = Int(r16(t &+ 4))
        guard capturedEnd >= t &+ 8, declared >= 8, declared <= end &- t else { return false }
        p.transport = .udp
        p.hasPorts = true
        p.srcPort = r16(t)
        p.dstPort = r16(t &+ 2)
        p.payloadOffset = t &+ 8
        p.payloadLength = declared &- 8
        p.capturedPayloadLength = max(0, min(t &+ declared, n) &- (t &+ 8))
    } else {
        return false
    }
    if isIPv4 {
        p.etherType = .ipv4
        p.network = .ipv4
        p.src = IPAddress(ipv4: r32(26))
        p.dst = IPAddress(ipv4: r32(30))
    } else {
        p.etherType = .ipv6
        p.network = .ipv6
        p.src = IPAddress(high: r64(22), low: r64(30))
        p.dst = IPAddress(high: r64(38), low: r64(46))
    }
    p.link = .ethernet
    p.networkOffset = 14
    p.ipProtocol = IPProtocolNumber(rawValue: proto)
    p.ipPacketLength = total
    p.transportOffset = t
    return true
}

@inline(__always)
private func decodeEtherType(_ first: EtherType, at start: Int, _ bytes: UnsafeRawBufferPointer,
                             _ p: inout DecodedPacket) throws(DecodeError) {
    var type = first
    var offset = start
    // Up to two tags (802.1ad outer + 802.1Q inner); a third is left as an "other" EtherType.
    while type.isVLANTag && p.vlanCount < 2 {
        let tag = try VLANTag(bytes, at: offset)
        p.vlanCount += 1
        type = tag.etherType
        offset += VLANTag.length
    }
    p.etherType = type
    switch type {
    case .ipv4: try decodeIPv4(at: offset, bytes, &p)
    case .ipv6: try decodeIPv6(at: offset, bytes, &p)
    case .arp:
        p.network = .arp
        p.networkOffset = offset
    default:
        p.network = .other
        p.networkOffset = offset
    }
}

@inline(__always)
private func decodeIPv4(at offset: Int, _ bytes: UnsafeRawBufferPointer, _ p: inout DecodedPacket) throws(DecodeError) {
    p.network = .ipv4
    p.etherType = .ipv4
    p.networkOffset = offset
    let ip = try IPv4Header(bytes, at: offset)
    p.src = ip.source
    p.dst = ip.destination
    let proto = ip.protocolNumber
    p.ipProtocol = proto
    let headerLength = ip.headerLength
    // Total length 0 is what captures of TCP segmentation offload show: take what was captured.
    let total = ip.totalLength == 0 ? bytes.count - offset : ip.totalLength
    p.ipPacketLength = total
    let end = offset + total
    let fragmentOffset = ip.fragmentOffset
    p.isFragment = fragmentOffset != 0 || ip.moreFragments
    let transportStart = offset + headerLength
    if fragmentOffset != 0 {
        p.transport = .fragment
        setPayload(start: transportStart, end: end, bytes, &p)
        return
    }
    try decodeTransport(proto, at: transportStart, end: end, bytes, &p)
}

@inline(__always)
private func decodeIPv6(at offset: Int, _ bytes: UnsafeRawBufferPointer, _ p: inout DecodedPacket) throws(DecodeError) {
    p.network = .ipv6
    p.etherType = .ipv6
    p.networkOffset = offset
    let ip = try IPv6Header(bytes, at: offset)
    p.src = ip.source
    p.dst = ip.destination
    // Payload length 0 means a jumbogram or segmentation offload: take what was captured.
    let declared = ip.payloadLength
    let total = declared == 0 ? bytes.count - offset : IPv6Header.length + declared
    p.ipPacketLength = total
    let end = offset + total
    var next = ip.nextHeader
    var cursor = offset + IPv6Header.length
    var walked = 0
    while IPv6ExtensionHeader.isExtension(next) && walked < 16 {
        p.ipProtocol = next
        let ext = try IPv6ExtensionHeader(limited(bytes, end), at: cursor, kind: next)
        walked += 1
        cursor += ext.length
        if next == .ipv6Fragment {
            p.isFragment = true
            if ext.fragmentOffset != 0 {
                p.ipProtocol = ext.nextHeader
                p.transport = .fragment
                setPayload(start: cursor, end: end, bytes, &p)
                return
            }
        }
        next = ext.nextHeader
    }
    p.ipProtocol = next
    try decodeTransport(next, at: cursor, end: end, bytes, &p)
}

/// The captured bytes up to the end of the IP packet: Ethernet padding is not payload.
@inline(__always)
private func limited(_ bytes: UnsafeRawBufferPointer, _ end: Int) -> UnsafeRawBufferPointer {
    let count = min(bytes.count, max(0, end))
    return UnsafeRawBufferPointer(start: count == 0 ? nil : bytes.baseAddress, count: count)
}

@inline(__always)
private func setPayload(start: Int, end: Int, _ bytes: UnsafeRawBufferPointer, _ p: inout DecodedPacket) {
    p.payloadOffset = start
    p.payloadLength = max(0, end - start)
    p.capturedPayloadLength = max(0, min(end, bytes.count) - start)
}

@inline(__always)
private func decodeTransport(_ proto: IPProtocolNumber, at start: Int, end: Int, _ bytes: UnsafeRawBufferPointer,
                             _ p: inout DecodedPacket) throws(DecodeError) {
    p.transportOffset = start
    let view = limited(bytes, end)
    switch proto {
    case .tcp:
        p.transport = .tcp
        let tcp = try TCPHeader(view, at: start)
        p.hasPorts = true
        p.srcPort = tcp.sourcePort
        p.dstPort = tcp.destinationPort
        p.tcpFlags = tcp.flags
        p.tcpSeq = tcp.sequenceNumber
        p.tcpAck = tcp.acknowledgmentNumber
        let headerLength = tcp.headerLength
        setPayload(start: start + headerLength, end: end, bytes, &p)
        if !tcp.optionsCaptured {
            throw .truncated(.tcp, needed: headerLength, available: view.count - start)
        }
    case .udp:
        p.transport = .udp
        let udp = try UDPHeader(view, at: start)
        p.hasPorts = true
        p.srcPort = udp.sourcePort
        p.dstPort = udp.destinationPort
        let declared = udp.length
        let room = end - start
        if declared >= UDPHeader.length && declared <= room {
            setPayload(start: start + UDPHeader.length, end: start + declared, bytes, &p)
        } else {
            setPayload(start: start + UDPHeader.length, end: end, bytes, &p)
            // Length 0 over IPv6 is a jumbogram (RFC 2675); anything else out of range is malformed.
            if !(declared == 0 && p.network == .ipv6) {
                if declared < UDPHeader.length {
                    throw .malformed(.udp, .badHeaderLength, expected: UDPHeader.length, found: declared)
                }
                throw .malformed(.udp, .badTotalLength, expected: declared, found: room)
            }
        }
    case .icmp:
        p.transport = .icmp
        setPayload(start: start, end: end, bytes, &p)
    case .icmpv6:
        p.transport = .icmpv6
        setPayload(start: start, end: end, bytes, &p)
    case .ipv6NoNext:
        p.transport = .none
    default:
        p.transport = .other
        setPayload(start: start, end: end, bytes, &p)
    }
}
