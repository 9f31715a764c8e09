import Wire

/// Service names: the TLS ClientHello's server_name (reassembled when split over segments) and the
/// address → name map learned from DNS answers.
extension FlowTable {
    /// A ClientHello split over several TCP segments, gathered until it parses (at most
    /// `FlowTableConfiguration.maximumHelloBytes`).
    struct HelloAssembly {
        var bytes: [UInt8]
        var nextSeq: UInt32
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
            records[index].name = intern(name)
            records[index].nameSource = .tlsSNI
        }
    }

    mutating func learnDNS(packet p: DecodedPacket, bytes: UnsafeRawBufferPointer) {
        let payload = UnsafeRawBufferPointer(rebasing: bytes[p.payloadOffset..<(p.payloadOffset + p.capturedPayloadLength)])
        var lastName: String?
        var interned = ServiceName("")
        DNSMessage.forEachAddressAnswer(payload) { address, name in
            if names.count >= configuration.dnsCacheLimit && names[address] == nil {
                names.removeAll(keepingCapacity: true)
            }
            if name != lastName {
                interned = intern(name)
                lastName = name
            }
            names[address] = interned
        }
    }

    /// One shared string per name (flows and DNS entries of one service hold the same storage): a set of
    /// at most 4,096 names, emptied when full (bounded memory), in open addressing over 8,192 slots
    /// with a word-at-a-time hash of the UTF-8 bytes. The `Set<String>` it replaced hashed every name
    /// with SipHash.
    mutating func intern(_ name: String) -> ServiceName {
        var name = name
        let h = name.withUTF8 { FlowTable.nameHash(UnsafeRawBufferPointer($0)) }
        let mask = FlowTable.internedSlots - 1
        if internedNames.isEmpty {
            internedNames = ContiguousArray(repeating: nil, count: FlowTable.internedSlots)
            internedHashes = ContiguousArray(repeating: 0, count: FlowTable.internedSlots)
        }
        var i = Int(truncatingIfNeeded: h) & mask
        while let shared = internedNames[i] {
            if internedHashes[i] == h && shared.text == name { return shared }
            i = (i + 1) & mask
        }
        if internedCount >= FlowTable.internedSlots / 2 {
            for k in internedNames.indices { internedNames[k] = nil }
            internedCount = 0
            i = Int(truncatingIfNeeded: h) & mask
        }
        let shared = ServiceName(name)
        internedNames[i] = shared
        internedHashes[i] = h
        internedCount += 1
        return shared
    }

    static var internedSlots: Int { 8192 }

    @inline(__always)
    static func nameHash(_ b: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(b.count)
        var i = 0
        while i + 8 <= b.count {
            h = (h ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        var tail: UInt64 = 0
        while i < b.count {
            tail = tail << 8 | UInt64(b[i])
            i += 1
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        return h ^ h >> 29
    }
}
