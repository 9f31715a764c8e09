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

/// One bidirectional flow. Counters are kept per canonical side (`fromLow`, `fromHigh`) so the client
/// can be revised without moving numbers; the client/server views are computed.
public struct FlowRecord: Sendable {
    // Fields the per-packet path touches come first, so that they share as few cache lines as possible.
    var hash: UInt64
    public internal(set) var key: FlowKey
    public internal(set) var lastTime: Double
    public internal(set) var fromLow = DirectionCounters()
    public internal(set) var fromHigh = DirectionCounters()
    /// All TCP flags seen, both directions.
    public internal(set) var tcpFlags = TCPFlags(rawValue: 0)
    public internal(set) var clientIsLow: Bool
    public internal(set) var finFromLow = false
    public internal(set) var finFromHigh = false
    public internal(set) var resetSeen = false
    var isLive = true
    /// Packets the flow had when eviction last passed it over (see `FlowTable`); it is passed over
    /// again only if it carried traffic since.
    var packetsWhenSpared: UInt64 = 0
    /// Where the flow is in reading the client's TLS ClientHello (for the SNI).
    var helloState: HelloState = .waiting
    public internal(set) var clientBasis: ClientBasis
    /// UDP to or from port 443 whose first payload byte has the QUIC fixed bit (RFC 9000 §17).
    public internal(set) var isQUIC = false
    /// Set when the flow ends (nil while live).
    public internal(set) var endReason: FlowEndReason?
    public internal(set) var nameSource: NameSource = .none
    public internal(set) var firstTime: Double
    /// Unique per flow table, increasing in creation order (flow indices are reused, ids are not).
    public internal(set) var id: UInt64
    public internal(set) var serviceName: String?

    init(key: FlowKey, hash: UInt64, id: UInt64, time: Double, clientIsLow: Bool, basis: ClientBasis) {
        self.key = key
        self.hash = hash
        self.id = id
        self.firstTime = time
        self.lastTime = time
        self.clientIsLow = clientIsLow
        self.clientBasis = basis
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
    public var isClosed: Bool { resetSeen || (finFromLow && finFromHigh) }

    /// `TCP`, `UDP` or `QUIC`.
    public var protocolName: String { isTCP ? "TCP" : isQUIC ? "QUIC" : "UDP" }

    /// The direction of a packet that went from the lower canonical endpoint (`fromLow`) or not.
    @inlinable
    public func direction(fromLow: Bool) -> FlowDirection {
        fromLow == clientIsLow ? .clientToServer : .serverToClient
    }
}
