import Wire

/// Flow-table settings, validated once.
public struct FlowTableConfiguration: Sendable {
    /// A flow with no packet for this long (seconds of capture time) ends with `idleTimeout`.
    /// 300 s by default for TCP and UDP alike (long enough for a paused stream's keep-alives).
    public var idleTimeout: Double
    /// A TCP flow that saw FIN both ways or a RST ends after this much silence (default 30 s: late
    /// ACKs and retransmitted FINs still count to it; a new SYN starts a new flow at once).
    public var closedTimeout: Double
    /// Keep every finished flow in `finished` (the `flows` report does; a streaming consumer uses
    /// `onFinish` instead and keeps memory bounded by the live flows).
    public var keepFinished: Bool
    /// Learn service names from TLS ClientHellos and DNS answers.
    public var learnNames: Bool
    /// At most this many bytes of a split ClientHello are buffered per flow.
    public var maximumHelloBytes: Int
    /// The DNS address → name map is emptied when it reaches this size (bounded memory).
    public var dnsCacheLimit: Int
    /// At most this many flows are live at once (default 262,144, about 50 MB of flow state; at least
    /// 16, at most 2^24). A new flow beyond it ends an old one early (`evicted`, counted): a scan or a
    /// SYN flood then runs in bounded memory at normal speed, while flows that carried traffic are kept
    /// (see `FlowTable`).
    public var maximumLiveFlows: Int
    public static let defaultMaximumLiveFlows = 262_144
    /// The range `maximumLiveFlows` is kept in.
    public static let liveFlowLimits = 16...(1 << 24)   // 2 GB of records; see `FlowTable.lineEntry`

    public init(idleTimeout: Double = 300, closedTimeout: Double = 30, keepFinished: Bool = false,
                learnNames: Bool = true, maximumHelloBytes: Int = 8192, dnsCacheLimit: Int = 65_536,
                maximumLiveFlows: Int = FlowTableConfiguration.defaultMaximumLiveFlows) {
        precondition(idleTimeout > 0 && closedTimeout > 0, "timeouts must be positive")
        self.idleTimeout = idleTimeout
        self.closedTimeout = closedTimeout
        self.keepFinished = keepFinished
        self.learnNames = learnNames
        self.maximumHelloBytes = max(64, min(maximumHelloBytes, TLSClientHello.maximumLength))
        self.dnsCacheLimit = max(1, dnsCacheLimit)
        self.maximumLiveFlows = min(max(Self.liveFlowLimits.lowerBound, maximumLiveFlows), Self.liveFlowLimits.upperBound)
    }
}

/// What `FlowTable.process` tells the caller about a packet's flow.
public struct FlowTouch: Sendable {
    /// Index into `FlowTable.records`, stable while the flow lives (reused after it ends).
    public var index: Int
    public var direction: FlowDirection
    /// The packet created the flow (per-flow state kept by the caller under `index` must be reset).
    public var isNew: Bool
}

/// The bidirectional TCP/UDP flows of a capture, in one pass.
///
/// An open-addressing hash table (linear probing, backward-shift deletion, load ≤ 1/2) maps a
/// `FlowKey` to an index in `records`; keys hash with `FlowKey.fastHash`, so a lookup allocates
/// nothing. Ended flows leave the table (their index goes to a free list), are handed to `onFinish`,
/// and are kept in `finished` only if the configuration asks for it. Memory therefore grows with the
/// number of live flows, not with the capture length. Only TCP and UDP packets (with ports) make flows;
/// everything else belongs to `ProtocolSummary`.
///
/// Live flows are capped (`maximumLiveFlows`). At the cap, a new flow ends the oldest live flow that
/// carried at most two packets (a scan probe, a SYN with no answer); an older flow with more traffic
/// is passed over (it goes to the back of the line) as long as it carried packets since it was last
/// passed over, so a media flow survives a flood and a flow that went quiet goes in its turn.
/// The line is the creation order (a ring of indices; entries of flows that ended otherwise are
/// dropped as they come up), so each eviction costs O(1) amortised. Evictions are counted.
public struct FlowTable {
    public let configuration: FlowTableConfiguration
    /// Flow records by index. Entries of ended flows stay until their index is reused; check
    /// `touch.isNew` or `FlowRecord.endReason`.
    public internal(set) var records: ContiguousArray<FlowRecord> = []
    /// Ended flows, in the order they ended (only with `keepFinished`).
    public internal(set) var finished: [FlowRecord] = []
    /// Called with each flow as it ends (idle timeout, closed, or `finish()`).
    public var onFinish: ((FlowRecord) -> Void)?
    public internal(set) var liveCount = 0
    public internal(set) var createdCount: UInt64 = 0
    /// Flows ended early because the table was full.
    public internal(set) var evictedCount = 0
    /// Live flow indices with their ids, oldest first from `evictionHead` (stale entries are skipped).
    /// Built when the live flows first reach the cap (until then no flow was passed over, so the line
    /// is the live flows in creation order) and kept from then on.
    /// Entries are `lineEntry(index:id:)`.
    var evictionLine: ContiguousArray<UInt64> = []
    var evictionHead = 0
    var evictionLineBuilt = false
    /// Service names seen recently, so that flows with the same name share one string's storage.
    var internedNames: ContiguousArray<ServiceName?> = []
    var internedHashes: ContiguousArray<UInt64> = []
    var internedCount = 0
    /// By flow index, once the live flows reached the cap: the packets the flow had when eviction last
    /// passed it over (see `evictOne`); it is passed over again only if it carried traffic since.
    var spared: ContiguousArray<UInt64> = []

    /// The open-addressing index: see `FlowTable.slot(index:hash:)`.
    var slots: ContiguousArray<UInt64>
    var mask: Int
    var freeIndices: [Int32] = []
    var names: [IPAddress: ServiceName] = [:]
    var hellos: [Int32: HelloAssembly] = [:]
    /// The flow of the previous packet (-1: none, or it ended).
    var recentIndex = -1
    var now = -Double.infinity
    var nextScan = -Double.infinity
    /// Idle flows are looked for every this many seconds of capture time.
    static let scanInterval = 5.0

    public init(configuration: FlowTableConfiguration = FlowTableConfiguration()) {
        self.configuration = configuration
        slots = ContiguousArray(repeating: FlowTable.emptySlot, count: 1024)
        mask = 1023
    }

    /// Accounts one decoded packet. Returns nil for packets that belong to no flow (no TCP/UDP ports:
    /// other protocols, later fragments, TCP/UDP headers cut short).
    ///
    /// `bytes` is the captured frame `packet` was decoded from (for the TLS ClientHello and DNS
    /// answers); `frameLength` is the frame's original length on the wire.
    @inline(__always)
    public mutating func process(_ p: DecodedPacket, bytes: UnsafeRawBufferPointer, time: Double,
                                 frameLength: Int) -> FlowTouch? {
        guard p.hasPorts else { return nil }
        if time > now {
            now = time
            if now >= nextScan {
                if nextScan != -Double.infinity { expireIdle() }
                nextScan = now + FlowTable.scanInterval
            }
        }
        let (key, fromLow) = FlowKey.make(src: p.src, srcPort: p.srcPort, dst: p.dst, dstPort: p.dstPort,
                                          ipProtocol: p.ipProtocol)
        // Trains of segments of one flow are the common case: the previous packet's flow is tried first.
        var found: Int?, slot = -1
        let hash: UInt64
        if recentIndex >= 0 && records[recentIndex].key == key {
            found = recentIndex
            hash = records[recentIndex].hash
        } else {
            hash = key.fastHash
            (found, slot) = find(key, hash)
        }
        let isTCP = p.transport == .tcp
        let flags = p.tcpFlags
        let isSyn = isTCP && flags.contains(.syn)
        let isAck = flags.contains(.ack)
        if let index = found {
            let r = records[index].lastTime
            let closed = records[index].isClosed
            let timeout = closed ? configuration.closedTimeout : configuration.idleTimeout
            if time - r > timeout || (closed && isSyn && !isAck) {
                end(index, reason: endReasonOnExpiry(index))
                (found, slot) = find(key, hash)
            }
        }
        let index: Int
        var isNew = false
        if let f = found {
            index = f
        } else {
            index = create(key, hash: hash, slot: slot, fromLow: fromLow, packet: p, time: time)
            isNew = true
        }
        recentIndex = index
        // The record's client side and ClientHello state as `update` left them: no second read of the record.
        let (bits, helloState) = update(index, fromLow: fromLow, packet: p, time: time, frameLength: frameLength, isNew: isNew)
        var clientIsLow = bits & FlowRecord.clientIsLowBit != 0
        if isSyn && !isNew {
            reviseClient(index, fromLow: fromLow, isAck: isAck)
            clientIsLow = records[index].clientIsLow
        }
        let direction: FlowDirection = fromLow == clientIsLow ? .clientToServer : .serverToClient
        if isNew && !isTCP && (p.srcPort == 443 || p.dstPort == 443) && p.capturedPayloadLength > 0 {
            // QUIC: UDP 443 whose first datagram has the fixed bit (RFC 9000 §17) set.
            records[index].isQUIC = bytes[p.payloadOffset] & 0x40 != 0
        }
        if configuration.learnNames && p.capturedPayloadLength > 0 {
            if isTCP {
                if helloState != .done && direction == .clientToServer {
                    learnServerName(index, packet: p, bytes: bytes)
                }
            } else if p.srcPort == 53 || p.srcPort == 5353 {
                learnDNS(packet: p, bytes: bytes)
            }
        }
        return FlowTouch(index: index, direction: direction, isNew: isNew)
    }

    /// Ends every live flow (closed ones as `fin` / `rst`, the others as `endOfCapture`), in creation order.
    public mutating func finish() {
        // (id, index) pairs sorted by id: the comparisons read no records.
        var live: [(id: UInt64, index: Int)] = []
        live.reserveCapacity(liveCount)
        for index in records.indices where records[index].isLive { live.append((records[index].id, index)) }
        live.sort { $0.id < $1.id }
        for (_, index) in live {
            end(index, reason: records[index].isClosed ? closedReason(index) : .endOfCapture)
        }
    }

    /// Hands over the finished flows kept so far (with `keepFinished`) and forgets them, so a long
    /// capture can be reported in parts without holding two copies.
    public mutating func takeFinished() -> [FlowRecord] {
        defer { finished = [] }
        return finished
    }

    /// The name learned from DNS for an address, if any.
    public func dnsName(for address: IPAddress) -> String? { names[address]?.text }

    // MARK: - Per packet

    /// Counts the packet in its flow: one uniqueness check for the record array, then plain writes.
    @inline(__always)
    mutating func update(_ index: Int, fromLow: Bool, packet p: DecodedPacket, time: Double, frameLength: Int,
                         isNew: Bool) -> (bits: UInt8, helloState: HelloState) {
        let bytes = UInt64(frameLength), payload = UInt64(p.payloadLength)
        let isTCP = p.transport == .tcp
        let flags = p.tcpFlags
        return records.withUnsafeMutableBufferPointer { buffer in
            assert(index < buffer.count)
            let r = buffer.baseAddress! + index
            if time > r.pointee.lastTime { r.pointee.lastTime = time }
            if fromLow {
                r.pointee.fromLow.packets &+= 1
                r.pointee.fromLow.bytes &+= bytes
                r.pointee.fromLow.payloadBytes &+= payload
            } else {
                r.pointee.fromHigh.packets &+= 1
                r.pointee.fromHigh.bytes &+= bytes
                r.pointee.fromHigh.payloadBytes &+= payload
            }
            if isTCP && !flags.isEmpty {
                r.pointee.tcpFlags.formUnion(flags)
                if flags.contains(.fin) {
                    if fromLow { r.pointee.finFromLow = true } else { r.pointee.finFromHigh = true }
                }
                if flags.contains(.rst) { r.pointee.resetSeen = true }
            }
            return (r.pointee.bits, r.pointee.helloState)
        }
    }

    mutating func reviseClient(_ index: Int, fromLow: Bool, isAck: Bool) {
        let basis = records[index].clientBasis
        if !isAck && basis != .syn {
            records[index].clientIsLow = fromLow
            records[index].clientBasis = .syn
        } else if isAck && (basis == .ports || basis == .firstPacket) {
            records[index].clientIsLow = !fromLow
            records[index].clientBasis = .synAck
        }
    }
}
