import Wire

/// What a UDP flow's payload looks like.
enum UDPKind {
    case dns
    /// Zoom media on UDP 8801: a small encapsulation header whose byte 8 is the media type [S12, approximated].
    case zoom
    /// QUIC: long-header packets during the handshake, short-header packets after [RFC 9000].
    case quic
    /// LAN chatter to multicast groups (mDNS, SSDP); `arp` frames are ARP requests instead of UDP.
    case multicast
    case arp
    /// The WireGuard tunnel carrying everything in VPN mode.
    case wireguard
}

final class UDPFlow {
    let index: Int32
    let clientIP: IPAddress
    let serverIP: IPAddress
    let clientPort: UInt16
    let serverPort: UInt16
    let kind: UDPKind
    let clientMAC: MACAddress
    let serverMAC: MACAddress
    let bypassTunnel: Bool
    var sequence: [UInt16] = [0, 0]
    var ipID: [UInt16]
    var summary: FlowSummary

    init(index: Int32, clientIP: IPAddress, clientPort: UInt16, clientMAC: MACAddress, serverIP: IPAddress, serverPort: UInt16,
         serverMAC: MACAddress, kind: UDPKind, role: FlowRole, name: String?, clientIndex: Int, bypassTunnel: Bool, rng: inout SeededRandom) {
        self.index = index
        self.clientIP = clientIP
        self.serverIP = serverIP
        self.clientPort = clientPort
        self.serverPort = serverPort
        self.kind = kind
        self.clientMAC = clientMAC
        self.serverMAC = serverMAC
        self.bypassTunnel = bypassTunnel
        ipID = [UInt16(truncatingIfNeeded: rng.next()), UInt16(truncatingIfNeeded: rng.next())]
        sequence = [UInt16(truncatingIfNeeded: rng.next()), UInt16(truncatingIfNeeded: rng.next())]
        summary = FlowSummary(role: role, transport: 17, client: clientIP, clientPort: clientPort, server: serverIP, serverPort: serverPort,
                              serverName: name, clientIndex: clientIndex)
    }
}

extension Engine {
    func openUDP(_ host: ClientHost, server: IPAddress, port: UInt16, role: FlowRole, name: String?, kind: UDPKind,
                 clientPort: UInt16? = nil) -> UDPFlow {
        let f = UDPFlow(index: Int32(udp.count), clientIP: host.ip, clientPort: clientPort ?? host.ephemeralPort(), clientMAC: host.mac,
                        serverIP: server, serverPort: port, serverMAC: .gateway, kind: kind, role: role, name: name,
                        clientIndex: host.index, bypassTunnel: false, rng: &rng)
        udp.append(f)
        return f
    }

    /// A flow between two LAN devices (or a device and a multicast group), never tunnelled.
    func openLAN(src: IPAddress, srcMAC: MACAddress, srcPort: UInt16, dst: IPAddress, dstMAC: MACAddress, dstPort: UInt16,
                 kind: UDPKind) -> UDPFlow {
        let f = UDPFlow(index: Int32(udp.count), clientIP: src, clientPort: srcPort, clientMAC: srcMAC, serverIP: dst, serverPort: dstPort,
                        serverMAC: dstMAC, kind: kind, role: .lan, name: nil, clientIndex: 0, bypassTunnel: true, rng: &rng)
        udp.append(f)
        return f
    }

    /// A datagram with explicit content.
    func sendUDP(_ f: UDPFlow, at t: Double, fromClient: Bool, content: [UInt8]) {
        push(Event(time: t, order: 0, kind: .udp, flow: f.index, fromClient: fromClient, flags: 0, length: Int32(content.count),
                   seq: 0, ack: 0, content: store(content)))
    }

    /// A datagram of `length` payload bytes with synthetic content; `code` is the Zoom media type or, for QUIC, 1 for a long header.
    func sendUDP(_ f: UDPFlow, at t: Double, fromClient: Bool, length: Int, code: UInt8 = 0) {
        push(Event(time: t, order: 0, kind: .udp, flow: f.index, fromClient: fromClient, flags: code, length: Int32(length),
                   seq: 0, ack: 0, content: -1))
    }

    // MARK: emission

    func linkLayer(client: MACAddress, peer: MACAddress, outgoing: Bool) -> LinkFields {
        switch linkHeader {
        case .ethernet: return outgoing ? .ethernet(src: client, dst: peer) : .ethernet(src: peer, dst: client)
        case .cooked: return .linuxCooked(packetType: outgoing ? 4 : 0, address: outgoing ? client : peer)
        case .cooked2: return .linuxCooked2(packetType: outgoing ? 4 : 0, address: outgoing ? client : peer)
        }
    }

    /// The link header of a frame another LAN device sent to a broadcast or multicast address.
    func broadcastLink(from: MACAddress, to: MACAddress, packetType: UInt8) -> LinkFields {
        switch linkHeader {
        case .ethernet: return .ethernet(src: from, dst: to)
        case .cooked: return .linuxCooked(packetType: UInt16(packetType), address: from)
        case .cooked2: return .linuxCooked2(packetType: packetType, address: from)
        }
    }

    /// Random bytes from the pool, overlaid with the explicit bytes and TLS record headers that fall in the range.
    private func fillTCPPayload(_ c: TCPConnection, dir: Int, offset: UInt64, length: Int) {
        let start = Int((offset &* 2_654_435_761 &+ UInt64(c.index) &* 40_503) % UInt64(pool.count - length - 1))
        pool.withUnsafeBytes { src in
            payload.withUnsafeMutableBytes { dst in
                dst.baseAddress!.copyMemory(from: src.baseAddress! + start, byteCount: length)
            }
        }
        let end = offset + UInt64(length)
        for o in c.overlays[dir] where o.offset < end && o.offset + UInt64(o.bytes.count) > offset {
            let from = max(o.offset, offset), to = min(o.offset + UInt64(o.bytes.count), end)
            for p in from..<to { payload[Int(p - offset)] = o.bytes[Int(p - o.offset)] }
        }
        // Record headers: skip records that end before this segment, then write the headers that overlap it.
        var k = c.recordCursor[dir]
        let marks = c.records[dir]
        // Retransmissions can go back: step back while an earlier record might overlap.
        while k > 0 && marks[k - 1].offset + 5 > offset { k -= 1 }
        while k < marks.count && marks[k].offset + 5 <= offset { k += 1 }
        c.recordCursor[dir] = max(0, k - 1)
        while k < marks.count && marks[k].offset < end {
            let m = marks[k]
            let header: (UInt8, UInt8, UInt8, UInt8, UInt8) = (m.type, 3, 3, UInt8(truncatingIfNeeded: m.bodyLength >> 8), UInt8(truncatingIfNeeded: m.bodyLength))
            withUnsafeBytes(of: header) { h in
                for j in 0..<5 {
                    let p = m.offset + UInt64(j)
                    if p >= offset && p < end { payload[Int(p - offset)] = h[j] }
                }
            }
            k += 1
        }
        // Keep the mark arrays short on long-lived connections.
        if c.recordCursor[dir] > 4_096 {
            c.records[dir].removeFirst(c.recordCursor[dir] - 16)
            c.recordCursor[dir] = 16
        }
        if c.overlays[dir].count > 4, let f = c.overlays[dir].first, f.offset + UInt64(f.bytes.count) + 100_000 < offset {
            c.overlays[dir].removeFirst()
        }
    }

    func emitTCP(_ e: Event, _ writer: PacketWriter) throws {
        let c = tcp[Int(e.flow)]
        // A delayed ACK whose timer was overtaken by client data: that data carried the acknowledgement.
        if e.content == 1 && c.lastClientData > e.time - link.delayedAck && c.lastClientData <= e.time { return }
        let flags = TCPFlags(rawValue: UInt16(e.flags))
        let fromClient = e.fromClient
        let length = Int(e.length)
        let myISN = fromClient ? c.isnClient : c.isnServer
        let peerISN = fromClient ? c.isnServer : c.isnClient
        let seq = flags.contains(.syn) ? myISN : myISN &+ 1 &+ UInt32(truncatingIfNeeded: e.seq)
        let ack = flags.contains(.ack) ? peerISN &+ 1 &+ UInt32(truncatingIfNeeded: e.ack) : 0
        let ms = UInt32(truncatingIfNeeded: Int64(e.time * 1000))
        let ts = fromClient
            ? TCPTimestamps(value: c.tsClient &+ ms, echo: flags == .syn ? 0 : c.tsServer &+ ms &- UInt32(c.rtt * 500))
            : TCPTimestamps(value: c.tsServer &+ ms &- UInt32(c.rtt * 500), echo: c.tsClient &+ ms &- UInt32(c.rtt * 1000))
        var header = TCPHeaderFields(srcPort: fromClient ? c.clientPort : c.serverPort, dstPort: fromClient ? c.serverPort : c.clientPort,
                                     seq: seq, ack: ack, flags: flags, window: fromClient ? c.windowClient : c.windowServer)
        if flags.contains(.syn) {
            let mss = UInt16(fromClient ? link.mss : c.upSegment + 12)
            header.options = [.mss(mss), .sackPermitted, .timestamps(value: ts.value, echo: ts.echo), .noOperation, .windowScale(7)]
            header.window = 64_240
        } else {
            header.timestamps = ts
        }
        if length > 0 { fillTCPPayload(c, dir: fromClient ? 1 : 0, offset: e.seq, length: length) }
        var ip = IPFields(ttl: fromClient ? 64 : c.serverTTL)
        if fromClient { c.ipIDClient &+= 1; ip.identification = c.ipIDClient } else { c.ipIDServer &+= 1; ip.identification = c.ipIDServer }
        let src = fromClient ? c.host.ip : c.serverIP, dst = fromClient ? c.serverIP : c.host.ip
        let linkUsed: LinkFields = link.tunnel ? .raw : linkLayer(client: c.host.mac, peer: .gateway, outgoing: fromClient)
        payload.withUnsafeBytes { p in
            FrameBuilder.writeTCP(into: &frame, link: linkUsed, src: src, dst: dst, ip: ip, tcp: header,
                                  payload: UnsafeRawBufferPointer(rebasing: p[0..<length]))
        }
        count(&c.summary, fromClient: fromClient, time: e.time, frame: link.tunnel ? frame.count + 32 + tunnelOverhead(frame.count) : frame.count,
              payload: length)
        if link.tunnel { try writeTunnelled(host: c.host, time: e.time, fromClient: fromClient, innerLength: frame.count, writer) } else { try write(e.time, writer) }
    }

    func emitUDP(_ e: Event, _ writer: PacketWriter) throws {
        let f = udp[Int(e.flow)]
        let fromClient = e.fromClient
        let dir = fromClient ? 0 : 1
        var length = Int(e.length)
        if e.content >= 0, let bytes = contents.removeValue(forKey: e.content) {
            length = bytes.count
            bytes.withUnsafeBytes { src in payload.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: src.baseAddress!, byteCount: length) } }
        } else {
            let start = Int((UInt64(f.sequence[dir]) &* 7_919 &+ UInt64(f.index) &* 104_729) % UInt64(pool.count - length - 1))
            pool.withUnsafeBytes { src in payload.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: src.baseAddress! + start, byteCount: length) } }
            f.sequence[dir] &+= 1
            let s = f.sequence[dir]
            switch f.kind {
            case .zoom where length >= 12:
                payload[0] = 0x05
                payload[1] = UInt8(s >> 8); payload[2] = UInt8(s & 0xFF)
                payload[7] = fromClient ? 0x00 : 0x04
                payload[8] = e.flags
            case .quic where length >= 20:
                if e.flags == 1 {
                    payload[0] = 0xC3
                    payload[1] = 0; payload[2] = 0; payload[3] = 0; payload[4] = 1
                    payload[5] = 8
                } else {
                    payload[0] = 0x40 | (payload[0] & 0x3F)
                }
            case .wireguard where length >= 32:
                payload[0] = 4; payload[1] = 0; payload[2] = 0; payload[3] = 0
            default:
                break
            }
        }
        if f.kind == .arp {
            frame = FrameBuilder.arp(link: broadcastLink(from: f.clientMAC, to: .broadcast, packetType: 1),
                                     operation: .request, senderMAC: f.clientMAC, senderIP: f.clientIP, targetIP: f.serverIP)
            count(&f.summary, fromClient: true, time: e.time, frame: frame.count, payload: 0)
            try write(e.time, writer)
            return
        }
        f.ipID[dir] &+= 1
        let ip = IPFields(ttl: f.kind == .multicast ? 255 : (fromClient ? 64 : 57), identification: f.ipID[dir], dontFragment: f.kind != .dns && f.kind != .multicast)
        let src = fromClient ? f.clientIP : f.serverIP, dst = fromClient ? f.serverIP : f.clientIP
        let tunnelled = link.tunnel && !f.bypassTunnel
        let linkUsed: LinkFields = tunnelled ? .raw
            : (f.kind == .multicast ? broadcastLink(from: f.clientMAC, to: f.serverMAC, packetType: 2) : linkLayer(client: f.clientMAC, peer: f.serverMAC, outgoing: fromClient))
        payload.withUnsafeBytes { p in
            FrameBuilder.writeUDP(into: &frame, link: linkUsed, src: src, dst: dst, ip: ip, srcPort: fromClient ? f.clientPort : f.serverPort,
                                  dstPort: fromClient ? f.serverPort : f.clientPort, payload: UnsafeRawBufferPointer(rebasing: p[0..<length]))
        }
        count(&f.summary, fromClient: fromClient, time: e.time, frame: tunnelled ? frame.count + 32 + tunnelOverhead(frame.count) : frame.count, payload: length)
        if tunnelled {
            try writeTunnelled(host: nil, time: e.time, fromClient: fromClient, innerLength: frame.count, writer)
        } else {
            try write(e.time, writer)
        }
    }

    private func tunnelOverhead(_ inner: Int) -> Int { (16 - inner % 16) % 16 + 16 + 8 + (ipv6 ? 40 : 20) + linkHeaderLength }

    private var linkHeaderLength: Int { linkHeader == .ethernet ? 14 : (linkHeader == .cooked ? 16 : 20) }

    /// Wraps the inner packet (already in `frame`) as a WireGuard transport-data message: 16-byte header,
    /// the inner packet padded to 16 bytes, a 16-byte tag [WireGuard paper §5.4.6]; contents stand for ciphertext.
    private func writeTunnelled(host: ClientHost?, time: Double, fromClient: Bool, innerLength: Int, _ writer: PacketWriter) throws {
        if tunnelFlow == nil {
            let h = ClientHost(index: 0, ipv6: ipv6, rng: rng.derived(0x7E1))
            let server = address(for: "vpn.example.net")
            let f = openUDP(h, server: server, port: 51_820, role: .tunnel, name: nil, kind: .wireguard, clientPort: 51_820)
            tunnelFlow = f
        }
        let f = tunnelFlow!
        let length = 16 + (innerLength + 15) / 16 * 16 + 16
        tunnelCounter &+= 1
        let start = Int((tunnelCounter &* 7_919) % UInt64(pool.count - length - 1))
        pool.withUnsafeBytes { src in payload.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: src.baseAddress! + start, byteCount: length) } }
        payload[0] = 4; payload[1] = 0; payload[2] = 0; payload[3] = 0
        withUnsafeBytes(of: tunnelCounter.littleEndian) { c in for j in 0..<8 { payload[8 + j] = c[j] } }
        f.ipID[fromClient ? 0 : 1] &+= 1
        let ip = IPFields(ttl: fromClient ? 64 : 55, identification: f.ipID[fromClient ? 0 : 1], dontFragment: false)
        let src = fromClient ? f.clientIP : f.serverIP, dst = fromClient ? f.serverIP : f.clientIP
        payload.withUnsafeBytes { p in
            FrameBuilder.writeUDP(into: &frame, link: linkLayer(client: f.clientMAC, peer: .gateway, outgoing: fromClient), src: src, dst: dst,
                                  ip: ip, srcPort: 51_820, dstPort: 51_820, payload: UnsafeRawBufferPointer(rebasing: p[0..<length]))
        }
        count(&f.summary, fromClient: fromClient, time: time, frame: frame.count, payload: length)
        try write(time, writer)
    }

    private func count(_ s: inout FlowSummary, fromClient: Bool, time: Double, frame: Int, payload: Int) {
        if fromClient { s.packetsUp += 1; s.bytesUp += frame; s.payloadUp += payload } else { s.packetsDown += 1; s.bytesDown += frame; s.payloadDown += payload }
        if time < s.firstTime { s.firstTime = time }
        if time > s.lastTime { s.lastTime = time }
    }

    private func write(_ time: Double, _ writer: PacketWriter) throws {
        let t = epoch + time
        let s = t.rounded(.down)
        let ns = UInt32(min(999_999_999, max(0, ((t - s) * 1e9).rounded())))
        try frame.withUnsafeBytes { try writer.write(seconds: Int64(s), nanoseconds: ns, frame: $0, originalLength: nil, interface: 0) }
        packetsWritten += 1
        bytesWritten += frame.count
    }
}
