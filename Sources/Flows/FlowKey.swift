import Wire

/// A bidirectional transport 5-tuple in canonical order: the lower (address, port) pair first.
///
/// Both directions of a conversation make the same key; `FlowKey.make` also says whether the packet
/// went from the lower endpoint to the higher one (zeek's "flipped" bit, inverted). All fields are
/// fixed-size, so the key hashes and compares without allocating.
public struct FlowKey: Hashable, Sendable {
    public var lowAddress: IPAddress
    public var highAddress: IPAddress
    public var lowPort: UInt16
    public var highPort: UInt16
    public var ipProtocol: IPProtocolNumber

    @inlinable
    public init(lowAddress: IPAddress, lowPort: UInt16, highAddress: IPAddress, highPort: UInt16,
                ipProtocol: IPProtocolNumber) {
        self.lowAddress = lowAddress
        self.highAddress = highAddress
        self.lowPort = lowPort
        self.highPort = highPort
        self.ipProtocol = ipProtocol
    }

    /// The canonical key of a packet from (src, srcPort) to (dst, dstPort), and whether the source is
    /// the lower endpoint. A packet to itself (same address and port) counts as from the lower side.
    @inlinable @inline(__always)
    public static func make(src: IPAddress, srcPort: UInt16, dst: IPAddress, dstPort: UInt16,
                            ipProtocol: IPProtocolNumber) -> (key: FlowKey, fromLow: Bool) {
        let srcIsLow = src.high != dst.high ? src.high < dst.high
            : src.low != dst.low ? src.low < dst.low
            : srcPort <= dstPort
        if srcIsLow {
            return (FlowKey(lowAddress: src, lowPort: srcPort, highAddress: dst, highPort: dstPort, ipProtocol: ipProtocol), true)
        }
        return (FlowKey(lowAddress: dst, lowPort: dstPort, highAddress: src, highPort: srcPort, ipProtocol: ipProtocol), false)
    }

    /// A cheap 64-bit mix of all fields, for the flow table's open addressing (which uses the low 32
    /// bits): each 64-bit field times its own odd constant (independent multiplies), folded, then one
    /// multiply-xorshift round that brings the products' high bits down. Not DoS-resistant; Swift's
    /// `Hashable` (seeded SipHash) is there for dictionaries.
    @inlinable
    public var fastHash: UInt64 {
        @inline(__always) get {
        let ports = UInt64(lowPort) << 24 | UInt64(highPort) << 8 | UInt64(ipProtocol.rawValue)
        var h = lowAddress.low &* 0x9E37_79B9_7F4A_7C15
        h ^= highAddress.low &* 0xC2B2_AE3D_27D4_EB4F
        h ^= (lowAddress.high ^ (highAddress.high << 32 | highAddress.high >> 32)) &* 0x1656_67B1_9E37_79F9
        h ^= ports &* 0x27D4_EB2F_1656_67C5
        h ^= h >> 32
        h = h &* 0xBF58_476D_1CE4_E5B9
        return h ^ h >> 29
        }
    }
}
