import Wire

/// IP header fields beyond the addresses. The same value serves IPv4 and IPv6; each family reads its own fields.
public struct IPFields: Hashable, Sendable {
    /// IPv4 TTL or IPv6 hop limit.
    public var ttl: UInt8
    /// IPv4 type of service or IPv6 traffic class.
    public var tos: UInt8
    /// IPv4 identification.
    public var identification: UInt16
    public var dontFragment: Bool
    public var moreFragments: Bool
    /// IPv4 fragment offset in 8-byte units.
    public var fragmentOffset: UInt16
    /// IPv4 options, padded with end-of-list bytes to a multiple of 4 (at most 40 bytes).
    public var ipv4Options: [UInt8]
    /// IPv6 flow label (20 bits).
    public var flowLabel: UInt32
    /// IPv6 extension headers, in order, between the fixed header and the upper-layer header.
    public var ipv6ExtensionHeaders: [IPv6ExtensionFields]

    public init(ttl: UInt8 = 64, tos: UInt8 = 0, identification: UInt16 = 0, dontFragment: Bool = true,
                moreFragments: Bool = false, fragmentOffset: UInt16 = 0, ipv4Options: [UInt8] = [],
                flowLabel: UInt32 = 0, ipv6ExtensionHeaders: [IPv6ExtensionFields] = []) {
        self.ttl = ttl
        self.tos = tos
        self.identification = identification
        self.dontFragment = dontFragment
        self.moreFragments = moreFragments
        self.fragmentOffset = fragmentOffset
        self.ipv4Options = ipv4Options
        self.flowLabel = flowLabel
        self.ipv6ExtensionHeaders = ipv6ExtensionHeaders
    }

    var ipv4HeaderLength: Int { 20 + (ipv4Options.count + 3) / 4 * 4 }
}

/// An IPv6 extension header to write (RFC 8200 §4); Wire's `IPv6ExtensionHeader` is the view that reads one.
public enum IPv6ExtensionFields: Hashable, Sendable {
    /// Hop-by-hop options (next-header value 0). `options` are TLV options; PadN fills to a multiple of 8.
    case hopByHop(options: [UInt8] = [])
    /// Destination options (60).
    case destinationOptions(options: [UInt8] = [])
    /// Routing header (43): routing type, segments left, and the type-specific data (padded to a multiple of 8 with zeros).
    case routing(type: UInt8, segmentsLeft: UInt8, data: [UInt8] = [0, 0, 0, 0])
    /// Fragment header (44): offset in 8-byte units, more-fragments flag, identification.
    case fragment(offset: UInt16, moreFragments: Bool, identification: UInt32)

    public var headerNumber: IPProtocolNumber {
        switch self {
        case .hopByHop: return .hopByHop
        case .destinationOptions: return .ipv6DestinationOptions
        case .routing: return .ipv6Routing
        case .fragment: return .ipv6Fragment
        }
    }

    /// Length on the wire, a multiple of 8.
    public var length: Int {
        switch self {
        case .hopByHop(let o), .destinationOptions(let o): return (2 + o.count + 7) / 8 * 8
        case .routing(_, _, let d): return (4 + d.count + 7) / 8 * 8
        case .fragment: return 8
        }
    }

    func write(_ w: ByteWriter, at offset: Int, next: IPProtocolNumber) {
        let len = length
        w.zero(offset..<(offset + len))
        w.u8(offset, next.rawValue)
        switch self {
        case .hopByHop(let o), .destinationOptions(let o):
            w.u8(offset + 1, UInt8(len / 8 - 1))
            w.bytes(offset + 2, o)
            let pad = len - 2 - o.count
            if pad == 1 {
                w.u8(offset + 2 + o.count, 0)  // Pad1
            } else if pad >= 2 {
                w.u8(offset + 2 + o.count, 1)  // PadN
                w.u8(offset + 3 + o.count, UInt8(pad - 2))
            }
        case .routing(let type, let left, let d):
            w.u8(offset + 1, UInt8(len / 8 - 1))
            w.u8(offset + 2, type)
            w.u8(offset + 3, left)
            w.bytes(offset + 4, d)
        case .fragment(let off, let more, let id):
            w.u8(offset + 1, 0)
            w.u16(offset + 2, off << 3 | (more ? 1 : 0))
            w.u32(offset + 4, id)
        }
    }
}

/// A TCP option (RFC 9293 §3.2, RFC 7323, RFC 2018).
public enum TCPOption: Hashable, Sendable {
    case endOfList
    case noOperation
    case mss(UInt16)
    case windowScale(UInt8)
    case sackPermitted
    case sack([SACKBlock])
    case timestamps(value: UInt32, echo: UInt32)
    case raw(kind: UInt8, data: [UInt8])

    public var length: Int {
        switch self {
        case .endOfList, .noOperation: return 1
        case .mss: return 4
        case .windowScale: return 3
        case .sackPermitted: return 2
        case .sack(let blocks): return 2 + 8 * blocks.count
        case .timestamps: return 10
        case .raw(_, let d): return 2 + d.count
        }
    }

    func write(_ w: ByteWriter, at o: Int) {
        switch self {
        case .endOfList: w.u8(o, 0)
        case .noOperation: w.u8(o, 1)
        case .mss(let v): w.u8(o, 2); w.u8(o + 1, 4); w.u16(o + 2, v)
        case .windowScale(let s): w.u8(o, 3); w.u8(o + 1, 3); w.u8(o + 2, s)
        case .sackPermitted: w.u8(o, 4); w.u8(o + 1, 2)
        case .sack(let blocks):
            w.u8(o, 5); w.u8(o + 1, UInt8(2 + 8 * blocks.count))
            for (i, b) in blocks.enumerated() { w.u32(o + 2 + 8 * i, b.left); w.u32(o + 6 + 8 * i, b.right) }
        case .timestamps(let v, let e): w.u8(o, 8); w.u8(o + 1, 10); w.u32(o + 2, v); w.u32(o + 6, e)
        case .raw(let k, let d): w.u8(o, k); w.u8(o + 1, UInt8(2 + d.count)); w.bytes(o + 2, d)
        }
    }
}

public struct SACKBlock: Hashable, Sendable {
    public var left: UInt32
    public var right: UInt32
    public init(left: UInt32, right: UInt32) { self.left = left; self.right = right }
}

/// The TCP header of one segment. `timestamps`, when set, is written after `options` as NOP, NOP, TS
/// (the Linux layout), so the hot path needs no option array.
public struct TCPHeaderFields: Hashable, Sendable {
    public var srcPort: UInt16
    public var dstPort: UInt16
    public var seq: UInt32
    public var ack: UInt32
    public var flags: TCPFlags
    public var window: UInt16
    public var urgentPointer: UInt16
    public var options: [TCPOption]
    public var timestamps: TCPTimestamps?

    public init(srcPort: UInt16, dstPort: UInt16, seq: UInt32, ack: UInt32 = 0, flags: TCPFlags, window: UInt16 = 65535,
                urgentPointer: UInt16 = 0, options: [TCPOption] = [], timestamps: TCPTimestamps? = nil) {
        self.srcPort = srcPort
        self.dstPort = dstPort
        self.seq = seq
        self.ack = ack
        self.flags = flags
        self.window = window
        self.urgentPointer = urgentPointer
        self.options = options
        self.timestamps = timestamps
    }

    /// Header length including options padded to a multiple of 4.
    @inlinable public var headerLength: Int {
        var n = 0
        for o in options { n += o.length }
        if timestamps != nil { n += 12 }
        return 20 + (n + 3) / 4 * 4
    }
}

public struct TCPTimestamps: Hashable, Sendable {
    public var value: UInt32
    public var echo: UInt32
    public init(value: UInt32, echo: UInt32) { self.value = value; self.echo = echo }
}
