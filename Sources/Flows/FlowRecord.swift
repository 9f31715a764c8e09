import Wire

/// Packets and bytes in one direction of a flow.
public struct DirectionCounters: Hashable, Sendable {
    public var packets: UInt64 = 0
    /// Frame bytes as on the wire (the capture's original length).
    public var bytes: UInt64 = 0
    /// Transport payload bytes as the headers declare them.
    public var payloadBytes: UInt64 = 0
    public init() {}
}

/// Which way a packet went, relative to the flow's client.
public enum FlowDirection: UInt8, Sendable {
    case clientToServer, serverToClient
}

/// How the flow's client was chosen (strongest first).
///
/// 1. `syn`: the sender of the first SYN without ACK; `synAck`: the receiver of a SYN+ACK.
/// 2. `ports`: without a handshake, the side with the ephemeral port is the client. With ports p < q,
///    the q side is the client when p < 1024 ≤ q (well-known vs anything above), or when
///    p < 49152 ≤ q (registered vs dynamic range, RFC 6335).
/// 3. `firstPacket`: otherwise the sender of the first packet seen.
/// A weaker choice is revised when a SYN (without ACK) or SYN+ACK appears later in the same flow.
public enum ClientBasis: UInt8, Sendable, CustomStringConvertible {
    case syn, synAck, ports, firstPacket

    public var description: String {
        switch self {
        case .syn: return "syn"
        case .synAck: return "syn-ack"
        case .ports: return "ports"
        case .firstPacket: return "first-packet"
        }
    }
}

/// How a flow ended.
public enum FlowEndReason: UInt8, Sendable, CustomStringConvertible {
    /// TCP FIN seen in both directions.
    case fin
    /// TCP RST seen.
    case reset
    /// No packet for longer than the idle timeout.
    case idleTimeout
    /// Still open when the capture ended.
    case endOfCapture
    /// Ended early to make room: the table held its maximum of live flows (a scan or a flood).
    case evicted

    public var description: String {
        switch self {
        case .fin: return "fin"
        case .reset: return "rst"
        case .idleTimeout: return "idle"
        case .endOfCapture: return "eof"
        case .evicted: return "evicted"
        }
    }
}

/// Reading a flow's TLS ClientHello: waiting for the client's first payload, assembling one split
/// over several segments (kept in `FlowTable.hellos`), or done (a name found, or none to find).
enum HelloState: UInt8, Sendable {
    case waiting, assembling, done
}

/// Where a flow's service name came from.
public enum NameSource: UInt8, Sendable, CustomStringConvertible {
    case none
    /// The server_name extension of the TLS ClientHello.
    case tlsSNI
    /// A DNS answer for the server address seen before the flow started.
    case dns
    /// A DNS answer seen only after the flow started (applied at the end; weaker evidence).
    case dnsLater

    public var description: String {
        switch self {
        case .none: return ""
        case .tlsSNI: return "sni"
        case .dns: return "dns"
        case .dnsLater: return "dns-later"
        }
    }
}

/// A service name shared by the flows (and DNS entries) that carry it: one reference (8 bytes in a
/// `FlowRecord`, where a `String?` took 16), one allocation per name.
@usableFromInline
final class ServiceName: Sendable {
    @usableFromInline let text: String
    init(_ text: String) { self.text = text }
}

/// One bidirectional flow. Counters are kept per canonical side (`fromLow`, `fromHigh`) so the client
/// can be revised without moving numbers; the client/server views are computed.
///
/// 128 bytes (two cache lines; it was 160): the key, then the small fields packed into the key's tail
/// padding and the next 11 bytes (six flags in one byte, the hash's low 32 bits — all the index uses),
/// the counters and times, the id, and the name as a shared reference. The eviction bookkeeping
/// (packets when last passed over) lives in the table (`FlowTable.spared`), not here.
public struct FlowRecord: Sendable {
    // Fields the per-packet path touches come first, so that they share as few cache lines as possible.
    public internal(set) var key: FlowKey
    /// `clientIsLow`, `finFromLow`, `finFromHigh`, `resetSeen`, `isLive`, `isQUIC` (bits 0–5).
    @usableFromInline var bits: UInt8
    /// All TCP flags seen, both directions.
    public internal(set) var tcpFlags = TCPFlags(rawValue: 0)
    /// The low 32 bits of `key.fastHash` (the index uses no more).
    var hash32: UInt32
    /// Where the flow is in reading the client's TLS ClientHello (for the SNI).
    var helloState: HelloState = .waiting
    public internal(set) var clientBasis: ClientBasis
    /// Set when the flow ends (nil while live).
    public internal(set) var endReason: FlowEndReason?
    public internal(set) var nameSource: NameSource = .none
    public internal(set) var lastTime: Double
    public internal(set) var fromLow = DirectionCounters()
    public internal(set) var fromHigh = DirectionCounters()
    public internal(set) var firstTime: Double
    /// Unique per flow table, increasing in creation order (flow indices are reused, ids are not).
    public internal(set) var id: UInt64
    @usableFromInline var name: ServiceName?

    // The bits of `bits` (computed, not `static let`: a lazy global costs a `swift_once` call per use).
    @inlinable static var clientIsLowBit: UInt8 { 1 }
    @inlinable static var finFromLowBit: UInt8 { 2 }
    @inlinable static var finFromHighBit: UInt8 { 4 }
    @inlinable static var resetSeenBit: UInt8 { 8 }
    @inlinable static var isLiveBit: UInt8 { 16 }
    @inlinable static var isQUICBit: UInt8 { 32 }

    init(key: FlowKey, hash: UInt64, id: UInt64, time: Double, clientIsLow: Bool, basis: ClientBasis) {
        self.key = key
        self.hash32 = UInt32(truncatingIfNeeded: hash)
        self.bits = FlowRecord.isLiveBit | (clientIsLow ? FlowRecord.clientIsLowBit : 0)
        self.id = id
        self.firstTime = time
        self.lastTime = time
        self.clientBasis = basis
    }

    @inlinable @inline(__always)
    func bit(_ b: UInt8) -> Bool { bits & b != 0 }

    @inline(__always)
    mutating func setBit(_ b: UInt8, _ on: Bool) { bits = on ? bits | b : bits & ~b }

    /// The flow's hash as the index uses it (`FlowTable.find`).
    var hash: UInt64 { UInt64(hash32) }

    public internal(set) var clientIsLow: Bool {
        @inlinable @inline(__always) get { bit(FlowRecord.clientIsLowBit) }
        @inline(__always) set { setBit(FlowRecord.clientIsLowBit, newValue) }
    }
    public internal(set) var finFromLow: Bool {
        @inlinable @inline(__always) get { bit(FlowRecord.finFromLowBit) }
        @inline(__always) set { setBit(FlowRecord.finFromLowBit, newValue) }
    }
    public internal(set) var finFromHigh: Bool {
        @inlinable @inline(__always) get { bit(FlowRecord.finFromHighBit) }
        @inline(__always) set { setBit(FlowRecord.finFromHighBit, newValue) }
    }
    public internal(set) var resetSeen: Bool {
        @inlinable @inline(__always) get { bit(FlowRecord.resetSeenBit) }
        @inline(__always) set { setBit(FlowRecord.resetSeenBit, newValue) }
    }
    var isLive: Bool {
        @inline(__always) get { bit(FlowRecord.isLiveBit) }
        @inline(__always) set { setBit(FlowRecord.isLiveBit, newValue) }
    }
    /// UDP to or from port 443 whose first payload byte has the QUIC fixed bit (RFC 9000 §17).
    public internal(set) var isQUIC: Bool {
        @inlinable @inline(__always) get { bit(FlowRecord.isQUICBit) }
        @inline(__always) set { setBit(FlowRecord.isQUICBit, newValue) }
    }
    public internal(set) var serviceName: String? {
        @inlinable get { name?.text }
        set { name = newValue.map(ServiceName.init) }
    }

    public var clientAddress: IPAddress { clientIsLow ? key.lowAddress : key.highAddress }
    public var clientPort: UInt16 { clientIsLow ? key.lowPort : key.highPort }
    public var serverAddress: IPAddress { clientIsLow ? key.highAddress : key.lowAddress }
    public var serverPort: UInt16 { clientIsLow ? key.highPort : key.lowPort }
    public var toServer: DirectionCounters { clientIsLow ? fromLow : fromHigh }
    public var toClient: DirectionCounters { clientIsLow ? fromHigh : fromLow }
    public var totalPackets: UInt64 { fromLow.packets + fromHigh.packets }
    public var totalBytes: UInt64 { fromLow.bytes + fromHigh.bytes }
    public var duration: Double { lastTime - firstTime }
    public var isTCP: Bool { key.ipProtocol == .tcp }
    /// FIN both ways or RST: the connection is over.
    public var isClosed: Bool {
        let fins = FlowRecord.finFromLowBit | FlowRecord.finFromHighBit
        return bits & FlowRecord.resetSeenBit != 0 || bits & fins == fins
    }

    /// `TCP`, `UDP` or `QUIC`.
    public var protocolName: String { isTCP ? "TCP" : isQUIC ? "QUIC" : "UDP" }

    /// The direction of a packet that went from the lower canonical endpoint (`fromLow`) or not.
    @inline(__always)
    public func direction(fromLow: Bool) -> FlowDirection {
        fromLow == clientIsLow ? .clientToServer : .serverToClient
    }
}
