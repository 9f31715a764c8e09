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

    /// One shared string per name (flows and DNS entries of one service hold the same storage); the
    /// set is emptied when it reaches 4,096 names (bounded memory).
    mutating func intern(_ name: String) -> ServiceName {
        if internedNames.count >= 4096 && internedNames[name] == nil { internedNames.removeAll(keepingCapacity: true) }
        // One lookup: the entry is made (with a new shared name) only when missing.
        return FlowTable.shared(&internedNames[name, default: ServiceName(name)])
    }

    @inline(__always)
    static func shared(_ entry: inout ServiceName) -> ServiceName { entry }
}
