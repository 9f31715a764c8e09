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
    /// At most this many flows are live at once (default 262,144, about 70 MB of flow state). A new
    /// flow beyond it ends an old one early (`evicted`, counted): a scan or a SYN flood then runs in
    /// bounded memory at normal speed, while flows that carried traffic are kept (see `FlowTable`).
    public var maximumLiveFlows: Int

    public init(idleTimeout: Double = 300, closedTimeout: Double = 30, keepFinished: Bool = false,
                learnNames: Bool = true, maximumHelloBytes: Int = 8192, dnsCacheLimit: Int = 65_536,
                maximumLiveFlows: Int = 262_144) {
        precondition(idleTimeout > 0 && closedTimeout > 0, "timeouts must be positive")
        self.idleTimeout = idleTimeout
        self.closedTimeout = closedTimeout
        self.keepFinished = keepFinished
        self.learnNames = learnNames
        self.maximumHelloBytes = max(64, min(maximumHelloBytes, TLSClientHello.maximumLength))
        self.dnsCacheLimit = max(1, dnsCacheLimit)
        self.maximumLiveFlows = max(16, maximumLiveFlows)
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
    public private(set) var records: ContiguousArray<FlowRecord> = []
    /// Ended flows, in the order they ended (only with `keepFinished`).
    public private(set) var finished: [FlowRecord] = []
    /// Called with each flow as it ends (idle timeout, closed, or `finish()`).
    public var onFinish: ((FlowRecord) -> Void)?
    public private(set) var liveCount = 0
    public private(set) var createdCount: UInt64 = 0
    /// Flows ended early because the table was full.
    public private(set) var evictedCount = 0
    /// Live flow indices with their ids, oldest first from `evictionHead` (stale entries are skipped).
    var evictionLine: ContiguousArray<(index: Int32, id: UInt64)> = []
    var evictionHead = 0

    var slots: ContiguousArray<Int32>
    var mask: Int
    var freeIndices: [Int32] = []
    var names: [IPAddress: String] = [:]
    var hellos: [Int32: HelloAssembly] = [:]
    /// The flow of the previous packet (-1: none, or it ended).
    var recentIndex = -1
    var now = -Double.infinity
    var nextScan = -Double.infinity
    /// Idle flows are looked for every this many seconds of capture time.
    static let scanInterval = 5.0

    struct HelloAssembly {
        var bytes: [UInt8]
        var nextSeq: UInt32
    }

    public init(configuration: FlowTableConfiguration = FlowTableConfiguration()) {
        self.configuration = configuration
        slots = ContiguousArray(repeating: -1, count: 1024)
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
        update(index, fromLow: fromLow, packet: p, time: time, frameLength: frameLength, isNew: isNew)
        if isSyn && !isNew { reviseClient(index, fromLow: fromLow, isAck: isAck) }
        if isNew && !isTCP && (p.srcPort == 443 || p.dstPort == 443) && p.capturedPayloadLength > 0 {
            // QUIC: UDP 443 whose first datagram has the fixed bit (RFC 9000 §17) set.
            records[index].isQUIC = bytes[p.payloadOffset] & 0x40 != 0
        }
        if configuration.learnNames && p.capturedPayloadLength > 0 {
            if isTCP {
                if records[index].helloState != .done && records[index].direction(fromLow: fromLow) == .clientToServer {
                    learnServerName(index, packet: p, bytes: bytes)
                }
            } else if p.srcPort == 53 || p.srcPort == 5353 {
                learnDNS(packet: p, bytes: bytes)
            }
        }
        return FlowTouch(index: index, direction: records[index].direction(fromLow: fromLow), isNew: isNew)
    }

    /// Ends every live flow (closed ones as `fin` / `rst`, the others as `endOfCapture`), in creation order.
    public mutating func finish() {
        let live = records.indices.filter { records[$0].isLive }.sorted { records[$0].id < records[$1].id }
        for index in live {
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
    public func dnsName(for address: IPAddress) -> String? { names[address] }

    // MARK: - Table

    @inline(__always)
    func find(_ key: FlowKey, _ hash: UInt64) -> (Int?, Int) {
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let s = slots[i]
            if s < 0 { return (nil, i) }
            let r = Int(s)
            if records[r].hash == hash && records[r].key == key { return (r, i) }
            i = (i + 1) & mask
        }
    }

    mutating func create(_ key: FlowKey, hash: UInt64, slot: Int, fromLow: Bool, packet p: DecodedPacket,
                         time: Double) -> Int {
        var slot = slot
        if liveCount >= configuration.maximumLiveFlows {
            evictOne()
            slot = find(key, hash).1
        }
        if (liveCount + 1) * 2 > slots.count {
            grow()
            slot = find(key, hash).1
        }
        // Who is the client? See `ClientBasis`.
        let clientIsLow: Bool
        let basis: ClientBasis
        let flags = p.tcpFlags
        if p.transport == .tcp && flags.contains(.syn) {
            let ack = flags.contains(.ack)
            clientIsLow = ack ? !fromLow : fromLow
            basis = ack ? .synAck : .syn
        } else {
            let lower = min(p.srcPort, p.dstPort), higher = max(p.srcPort, p.dstPort)
            if lower != higher && ((lower < 1024 && higher >= 1024) || (lower < 49152 && higher >= 49152)) {
                let sourceIsClient = p.srcPort == higher
                clientIsLow = sourceIsClient == fromLow
                basis = .ports
            } else {
                clientIsLow = fromLow
                basis = .firstPacket
            }
        }
        createdCount += 1
        var record = FlowRecord(key: key, hash: hash, id: createdCount, time: time, clientIsLow: clientIsLow, basis: basis)
        if configuration.learnNames, let name = names[record.serverAddress] {
            record.serviceName = name
            record.nameSource = .dns
        }
        let index: Int
        if let free = freeIndices.popLast() {
            index = Int(free)
            records[index] = record
        } else {
            index = records.count
            records.append(record)
        }
        slots[slot] = Int32(index)
        liveCount += 1
        evictionLine.append((Int32(index), record.id))
        if evictionLine.count > 4 * max(liveCount, 4096) { compactEvictionLine() }
        return index
    }

    /// Ends one live flow to make room (see the type's documentation).
    mutating func evictOne() {
        while evictionHead < evictionLine.count {
            let (i, id) = evictionLine[evictionHead]
            evictionHead += 1
            let index = Int(i)
            guard records[index].isLive, records[index].id == id else { continue }  // ended already
            let packets = records[index].totalPackets
            if packets > 2 && packets > records[index].packetsWhenSpared {
                records[index].packetsWhenSpared = packets
                evictionLine.append((i, id))
                continue
            }
            evictedCount += 1
            end(index, reason: .evicted)
            if evictionHead > 4096 && evictionHead * 2 > evictionLine.count { compactEvictionLine() }
            return
        }
    }

    /// Drops the consumed front of the line (and stale entries when the line is much longer than
    /// the live flows), so it stays within a small multiple of the live flows.
    mutating func compactEvictionLine() {
        var kept = ContiguousArray<(index: Int32, id: UInt64)>()
        kept.reserveCapacity(liveCount + 1)
        for e in evictionLine[evictionHead...] where records[Int(e.index)].isLive && records[Int(e.index)].id == e.id {
            kept.append(e)
        }
        evictionLine = kept
        evictionHead = 0
    }

    mutating func grow() {
        let capacity = slots.count * 2
        slots = ContiguousArray(repeating: -1, count: capacity)
        mask = capacity - 1
        for index in records.indices where records[index].isLive {
            var i = Int(truncatingIfNeeded: records[index].hash) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(index)
        }
    }

    /// Removes the flow at `index` from the hash table (backward-shift deletion keeps probe chains intact).
    mutating func unlink(_ index: Int) {
        var i = Int(truncatingIfNeeded: records[index].hash) & mask
        while slots[i] != Int32(index) {
            precondition(slots[i] >= 0, "flow table: live flow missing from its probe chain")
            i = (i + 1) & mask
        }
        var j = i
        while true {
            j = (j + 1) & mask
            let s = slots[j]
            if s < 0 { break }
            let ideal = Int(truncatingIfNeeded: records[Int(s)].hash) & mask
            let stays = i <= j ? (ideal > i && ideal <= j) : (ideal > i || ideal <= j)
            if !stays {
                slots[i] = s
                i = j
            }
        }
        slots[i] = -1
    }

    // MARK: - Per packet

    /// Counts the packet in its flow: one uniqueness check for the record array, then plain writes.
    @inline(__always)
    mutating func update(_ index: Int, fromLow: Bool, packet p: DecodedPacket, time: Double, frameLength: Int,
                         isNew: Bool) {
        let bytes = UInt64(frameLength), payload = UInt64(p.payloadLength)
        let isTCP = p.transport == .tcp
        let flags = p.tcpFlags
        records.withUnsafeMutableBufferPointer { buffer in
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

    // MARK: - Ending flows

    func closedReason(_ index: Int) -> FlowEndReason { records[index].resetSeen ? .reset : .fin }

    func endReasonOnExpiry(_ index: Int) -> FlowEndReason {
        records[index].isClosed ? closedReason(index) : .idleTimeout
    }

    mutating func expireIdle() {
        for index in records.indices where records[index].isLive {
            let closed = records[index].isClosed
            let timeout = closed ? configuration.closedTimeout : configuration.idleTimeout
            if now - records[index].lastTime > timeout {
                end(index, reason: closed ? closedReason(index) : .idleTimeout)
            }
        }
    }

    mutating func end(_ index: Int, reason: FlowEndReason) {
        unlink(index)
        if recentIndex == index { recentIndex = -1 }
        records[index].isLive = false
        records[index].endReason = reason
        if records[index].helloState == .assembling { hellos.removeValue(forKey: Int32(index)) }
        records[index].helloState = .done
        if configuration.learnNames && records[index].serviceName == nil,
           let name = names[records[index].serverAddress] {
            records[index].serviceName = name
            records[index].nameSource = .dnsLater
        }
        liveCount -= 1
        freeIndices.append(Int32(index))
        let record = records[index]
        if configuration.keepFinished { finished.append(record) }
        onFinish?(record)
    }

    // MARK: - Names

    mutating func learnServerName(_ index: Int, packet p: DecodedPacket, bytes: UnsafeRawBufferPointer) {
        let payload = UnsafeRawBufferPointer(rebasing: bytes[p.payloadOffset..<(p.payloadOffset + p.capturedPayloadLength)])
        let key = Int32(index)
        let result: TLSClientHello.Result
        if records[index].helloState == .waiting {
            result = TLSClientHello.parse(payload)
            if case .needMore = result {
                // Split ClientHello: keep this segment until the rest arrives (only if nothing was cut).
                if p.capturedPayloadLength == p.payloadLength && payload.count < configuration.maximumHelloBytes {
                    hellos[key] = HelloAssembly(bytes: Array(payload), nextSeq: p.tcpSeq &+ UInt32(truncatingIfNeeded: p.payloadLength))
                    records[index].helloState = .assembling
                    return
                }
            }
        } else {
            guard var assembly = hellos[key] else { records[index].helloState = .done; return }
            let delta = Int32(bitPattern: p.tcpSeq &- assembly.nextSeq)
            if delta < 0 { return }   // a retransmission of what we have
            guard delta == 0, p.capturedPayloadLength == p.payloadLength,
                  assembly.bytes.count + payload.count <= configuration.maximumHelloBytes else {
                hellos.removeValue(forKey: key)
                records[index].helloState = .done
                return
            }
            hellos.removeValue(forKey: key)   // unique again: append without copying
            assembly.bytes.append(contentsOf: payload)
            assembly.nextSeq = assembly.nextSeq &+ UInt32(truncatingIfNeeded: p.payloadLength)
            result = assembly.bytes.withUnsafeBytes { TLSClientHello.parse($0) }
            if case .needMore = result {
                hellos[key] = assembly
                return
            }
        }
        records[index].helloState = .done
        if case .serverName(let name) = result {
            records[index].serviceName = name
            records[index].nameSource = .tlsSNI
        }
    }

    mutating func learnDNS(packet p: DecodedPacket, bytes: UnsafeRawBufferPointer) {
        let payload = UnsafeRawBufferPointer(rebasing: bytes[p.payloadOffset..<(p.payloadOffset + p.capturedPayloadLength)])
        for answer in DNSMessage.addressAnswers(payload) {
            if names.count >= configuration.dnsCacheLimit && names[answer.address] == nil {
                names.removeAll(keepingCapacity: true)
            }
            names[answer.address] = answer.queriedName
        }
    }
}
