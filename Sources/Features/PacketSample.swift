/// Which way a packet travelled, seen from the client of the analysed unit.
public enum PacketDirection: UInt8, Sendable, Hashable {
    /// Server → client (inbound to the client): the media direction of a stream.
    case download
    /// Client → server.
    case upload
    /// The unit has no client side (e.g. the reference scope, all flows mixed).
    case unknown
}

/// One packet of an analysis unit, as the Analyzer hands it to a `FeatureExtractor`.
///
/// A plain value of a few words: no references, nothing allocated per packet.
public struct PacketSample: Sendable, Hashable {
    /// Capture time, seconds since the Unix epoch.
    public var time: Double
    /// Frame length in bytes (the captured length, as the reference's `len(pkt)` counts it).
    public var frameLength: Int
    public var direction: PacketDirection
    public var isIPv4: Bool
    /// IP protocol number (6 TCP, 17 UDP, …); 0 when unknown.
    public var ipProtocol: UInt8
    /// Transport payload bytes (0 when unknown).
    public var payloadLength: Int

    @inlinable
    public init(
        time: Double, frameLength: Int, direction: PacketDirection = .unknown,
        isIPv4: Bool = true, ipProtocol: UInt8 = 0, payloadLength: Int = 0
    ) {
        self.time = time
        self.frameLength = frameLength
        self.direction = direction
        self.isIPv4 = isIPv4
        self.ipProtocol = ipProtocol
        self.payloadLength = payloadLength
    }

    /// The reference analyzer's scope test: an IPv4 packet whose frame is longer than 60 bytes.
    @inlinable
    public var isInReferenceScope: Bool { isIPv4 && frameLength > 60 }

    /// Counts as download for the download-only families (context, live-vs-VOD):
    /// `.download`, and `.unknown` when a unit has no direction at all.
    @inlinable
    var countsAsDownload: Bool { direction != .upload }
}
