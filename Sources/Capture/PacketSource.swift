/// When a packet was captured: whole seconds since the Unix epoch plus nanoseconds.
///
/// Files are opened with nanosecond precision, so microsecond captures arrive here
/// already scaled (a microsecond file's `nanoseconds` is always a multiple of 1000).
public struct PacketTimestamp: Sendable, Hashable, Comparable {
    public var seconds: Int64
    public var nanoseconds: UInt32

    @inlinable
    public init(seconds: Int64, nanoseconds: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Seconds since the epoch as a `Double` (sub-microsecond resolution is lost for current dates).
    @inlinable
    public var timeInterval: Double {
        Double(seconds) + Double(nanoseconds) * 1e-9
    }

    /// Nanoseconds since the epoch (fits in Int64 until the year 2262).
    @inlinable
    public var totalNanoseconds: Int64 {
        seconds &* 1_000_000_000 &+ Int64(nanoseconds)
    }

    @inlinable
    public static func < (lhs: PacketTimestamp, rhs: PacketTimestamp) -> Bool {
        lhs.seconds != rhs.seconds ? lhs.seconds < rhs.seconds : lhs.nanoseconds < rhs.nanoseconds
    }
}

/// One packet as the source hands it over.
///
/// `bytes` points into libpcap's buffer and is valid ONLY during the call of the
/// closure that received it: copy whatever must outlive the call.
public struct CapturedPacket {
    public var timestamp: PacketTimestamp
    /// Bytes present in `bytes` (may be less than `originalLength` when the snap length cut the frame).
    public var capturedLength: Int
    /// Length of the frame on the wire.
    public var originalLength: Int
    public var bytes: UnsafeRawBufferPointer

    @inlinable
    public init(timestamp: PacketTimestamp, capturedLength: Int, originalLength: Int, bytes: UnsafeRawBufferPointer) {
        self.timestamp = timestamp
        self.capturedLength = capturedLength
        self.originalLength = originalLength
        self.bytes = bytes
    }
}

/// Why `forEachPacket` returned.
public enum SourceEnd: Sendable, Equatable {
    /// The file ended normally.
    case endOfInput
    /// The body returned `false`.
    case stopped
    /// The input broke off after some packets (a record cut by the end of the file, or an
    /// unreadable block): all packets before the cut were delivered. The text is a warning
    /// for the user and names the source.
    case truncated(String)
    /// A live capture ran for its full duration.
    case timeLimit
    /// A live capture was ended early by `LiveSource.stop()` or SIGINT (see `LiveSource.installInterruptHandler()`).
    case interrupted
}

/// A source of captured packets: a capture file or a live interface.
///
/// A source is read once: `forEachPacket` continues where a previous call left off.
public protocol PacketSource: AnyObject {
    /// The path or the interface name, as the user gave it.
    var name: String { get }
    /// The link-layer header type, as `pcap_datalink()` returns it (a `DLT_*` value, e.g. 1 for Ethernet).
    var linkType: Int32 { get }
    /// The libpcap name of the link type, e.g. "EN10MB" (`pcap_datalink_val_to_name`).
    var linkTypeName: String { get }
    /// Calls `body` for each packet until the input ends or `body` returns false.
    /// A body that throws ends the loop and the error propagates.
    func forEachPacket(_ body: (borrowing CapturedPacket) throws -> Bool) throws -> SourceEnd
    /// The same, and while no packet comes, `idle` now and then (at least every `idleInterval` seconds)
    /// with the time it is, on the packets' clock (seconds since the epoch): a live capture's windows end
    /// on the clock even when their stream is silent. A file has no such time: the default never calls it.
    func forEachPacket(_ body: (borrowing CapturedPacket) throws -> Bool, idle: (Double) throws -> Void) throws -> SourceEnd
    /// Things the user should know that did not stop the reading, one line each.
    var warnings: [String] { get }
    /// How far into the input the reading is, in bytes (for progress; 0 when unknown).
    var bytesRead: Int64 { get }
    /// True for a live capture: it ends at a time, not at its last packet, so the windows up to
    /// that time are complete even when no packet came at their end.
    var endsOnTheClock: Bool { get }
}

extension PacketSource {
    /// Live capture calls `idle` at least this often while no packet comes, seconds.
    public static var idleInterval: Double { 0.25 }

    public func forEachPacket(_ body: (borrowing CapturedPacket) throws -> Bool, idle: (Double) throws -> Void) throws -> SourceEnd {
        try forEachPacket(body)
    }
}
