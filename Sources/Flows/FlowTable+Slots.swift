import Wire

/// The flow table's storage: the open-addressing index over `records` (lookup, insertion, growth,
/// backward-shift deletion), eviction at the live-flow cap, and ending flows.
extension FlowTable {
    // MARK: - Table

    /// A free slot of the index.
    static let emptySlot = UInt64.max

    /// A slot holds the low 32 bits of the flow's hash above its record index: probing compares the
    /// hash bits in the slot and reads only the record that matches (every other record read would be
    /// a cache miss), and moving slots (growth, deletion) finds their home position without records.
    @inline(__always)
    static func slot(index: Int, hash: UInt64) -> UInt64 { hash << 32 | UInt64(UInt32(truncatingIfNeeded: index)) }

    @inline(__always)
    static func home(ofSlot slot: UInt64, mask: Int) -> Int { Int(truncatingIfNeeded: slot >> 32) & mask }

    @inline(__always)
    func find(_ key: FlowKey, _ hash: UInt64) -> (Int?, Int) {
        let tag = hash << 32
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let s = slots[i]
            if s == FlowTable.emptySlot { return (nil, i) }
            if s & 0xFFFF_FFFF_0000_0000 == tag {
                let r = Int(UInt32(truncatingIfNeeded: s))
                if records[r].key == key { return (r, i) }
            }
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
            record.name = name
            record.nameSource = .dns
        }
        let index: Int
        if let free = freeIndices.popLast() {
            index = Int(free)
            records[index] = record
        } else {
            index = records.count
            if index == records.capacity { reserveRecords() }
            records.append(record)
        }
        if index < spared.count { spared[index] = 0 }
        slots[slot] = FlowTable.slot(index: index, hash: hash)
        liveCount += 1
        if evictionLineBuilt {
            evictionLine.append(FlowTable.lineEntry(index: index, id: record.id))
            if evictionLine.count > 4 * max(liveCount, 4096) { compactEvictionLine() }
        }
        return index
    }

    /// Room for `records` to grow without copying: at the first flow, room for the live-flow cap at
    /// once (`records.count` never exceeds it: indices of ended flows are reused). The buffer is
    /// allocated, not touched, so only the records in use take resident memory, and the array never
    /// holds two buffers (old and doubled) at once, as growth by doubling did at every step.
    mutating func reserveRecords() {
        let cap = configuration.maximumLiveFlows
        records.reserveCapacity(records.capacity == 0 && cap <= 1 << 20 ? cap : max(64, records.capacity * 2))
    }

    /// An entry of the eviction line in 8 bytes: the flow index (24 bits: the live-flow cap is at most
    /// 2^24) above the low 40 bits of the flow id. A stale entry (its flow ended, the index reused) can
    /// pass for the index's current flow only if 2^40 flows were created in between; the line is
    /// compacted (stale entries dropped) at least every 4 × cap + 16,384 appends, far fewer.
    @inline(__always)
    static func lineEntry(index: Int, id: UInt64) -> UInt64 { UInt64(index) << 40 | id & (1 << 40 - 1) }

    @inline(__always)
    static func lineIndex(_ entry: UInt64) -> Int { Int(truncatingIfNeeded: entry >> 40) }

    /// The entry names the flow that lives at its index now.
    @inline(__always)
    func isCurrent(_ entry: UInt64) -> Bool {
        let index = FlowTable.lineIndex(entry)
        return records[index].isLive && records[index].id & (1 << 40 - 1) == entry & (1 << 40 - 1)
    }

    /// Ends one live flow to make room (see the type's documentation).
    mutating func evictOne() {
        if !evictionLineBuilt { buildEvictionLine() }
        while evictionHead < evictionLine.count {
            let entry = evictionLine[evictionHead]
            evictionHead += 1
            let index = FlowTable.lineIndex(entry)
            guard isCurrent(entry) else { continue }  // ended already
            let packets = records[index].totalPackets
            if index >= spared.count { spared.append(contentsOf: repeatElement(0, count: records.count - spared.count)) }
            if packets > 2 && packets > spared[index] {
                spared[index] = packets
                evictionLine.append(entry)
                continue
            }
            evictedCount += 1
            end(index, reason: .evicted)
            if evictionHead > 4096 && evictionHead * 2 > evictionLine.count { compactEvictionLine() }
            return
        }
    }

    /// The line as `create` would have kept it so far: the live flows in creation (id) order.
    mutating func buildEvictionLine() {
        var line = ContiguousArray<(index: Int32, id: UInt64)>()
        line.reserveCapacity(liveCount + 1)
        for index in records.indices where records[index].isLive { line.append((Int32(index), records[index].id)) }
        line.sort { $0.id < $1.id }
        evictionLine = ContiguousArray(line.map { FlowTable.lineEntry(index: Int($0.index), id: $0.id) })
        evictionHead = 0
        evictionLineBuilt = true
    }

    /// Drops the consumed front of the line (and stale entries when the line is much longer than
    /// the live flows), so it stays within a small multiple of the live flows.
    mutating func compactEvictionLine() {
        var kept = ContiguousArray<UInt64>()
        kept.reserveCapacity(liveCount + 1)
        for e in evictionLine[evictionHead...] where isCurrent(e) { kept.append(e) }
        evictionLine = kept
        evictionHead = 0
    }

    mutating func grow() {
        let old = slots
        let capacity = slots.count * 2
        slots = ContiguousArray(repeating: FlowTable.emptySlot, count: capacity)
        mask = capacity - 1
        for s in old where s != FlowTable.emptySlot {
            var i = FlowTable.home(ofSlot: s, mask: mask)
            while slots[i] != FlowTable.emptySlot { i = (i + 1) & mask }
            slots[i] = s
        }
    }

    /// Removes the flow at `index` from the hash table (backward-shift deletion keeps probe chains intact).
    mutating func unlink(_ index: Int) {
        let entry = FlowTable.slot(index: index, hash: records[index].hash)
        var i = FlowTable.home(ofSlot: entry, mask: mask)
        while slots[i] != entry {
            precondition(slots[i] != FlowTable.emptySlot, "flow table: live flow missing from its probe chain")
            i = (i + 1) & mask
        }
        var j = i
        while true {
            j = (j + 1) & mask
            let s = slots[j]
            if s == FlowTable.emptySlot { break }
            let ideal = FlowTable.home(ofSlot: s, mask: mask)
            let stays = i <= j ? (ideal > i && ideal <= j) : (ideal > i || ideal <= j)
            if !stays {
                slots[i] = s
                i = j
            }
        }
        slots[i] = FlowTable.emptySlot
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
        if configuration.learnNames && records[index].name == nil,
           let name = names[records[index].serverAddress] {
            records[index].name = name
            records[index].nameSource = .dnsLater
        }
        liveCount -= 1
        freeIndices.append(Int32(index))
        let record = records[index]
        if configuration.keepFinished { finished.append(record) }
        onFinish?(record)
    }
}
