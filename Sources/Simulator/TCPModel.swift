import Wire

/// TLS record placement inside one direction's byte stream: where each record header sits.
struct RecordMark {
    var offset: UInt64
    var bodyLength: UInt32
    var type: UInt8
}

/// Explicit bytes at a stream offset (a ClientHello, a server flight).
struct Overlay {
    var offset: UInt64
    var bytes: [UInt8]
}

/// The state of one simulated TCP connection, seen from the client.
final class TCPConnection {
    let index: Int32
    let host: ClientHost
    let serverIP: IPAddress
    let clientPort: UInt16
    let serverPort: UInt16
    let serverName: String?
    let role: FlowRole
    let tls: Bool
    let isnClient: UInt32
    let isnServer: UInt32
    let tsClient: UInt32
    let tsServer: UInt32
    let windowClient: UInt16
    let windowServer: UInt16
    let serverTTL: UInt8
    let rtt: Double
    let serverDelay: Double
    /// Full data payload per segment each way (MSS minus 12 bytes of timestamps).
    let downSegment: Int
    let upSegment: Int
    var ipIDClient: UInt16
    var ipIDServer: UInt16

    /// Next data offsets of each direction's stream.
    var clientOffset: UInt64 = 0
    var serverOffset: UInt64 = 0
    var cwnd = 10
    var ssthresh = 1 << 30
    var downFree: Double = 0
    var busyUntil: Double = 0
    var lastServerSend: Double = -1e9
    /// Time of the latest client data segment planned so far (a delayed ACK due after it is not sent: the data carried it).
    var lastClientData: Double = -1e9
    var recordsSinceIdle = 0
    /// The server keeps its congestion window across idle periods (Linux `tcp_slow_start_after_idle = 0`, a common
    /// tuning of video CDNs (A)); false: back to 10 segments after an idle period [RFC 5681 §4.1].
    var keepsWindowWhenIdle = false
    /// Multiplicative decrease of the window on a loss: 0.5 (Reno, RFC 5681) or 0.7 (CUBIC, RFC 8312).
    var lossBackoff = 0.5
    var closed = false
    var overlays: [[Overlay]] = [[], []]  // [server→client, client→server]
    var records: [[RecordMark]] = [[], []]
    var recordCursor = [0, 0]
    var summary: FlowSummary

    init(index: Int32, host: ClientHost, server: IPAddress, port: UInt16, name: String?, role: FlowRole, tls: Bool,
         link: ResolvedLink, rttScale: Double, rng: inout SeededRandom) {
        self.index = index
        self.host = host
        serverIP = server
        clientPort = host.ephemeralPort()
        serverPort = port
        serverName = name
        self.role = role
        self.tls = tls
        isnClient = UInt32(truncatingIfNeeded: rng.next())
        isnServer = UInt32(truncatingIfNeeded: rng.next())
        tsClient = UInt32(truncatingIfNeeded: rng.next())
        tsServer = UInt32(truncatingIfNeeded: rng.next())
        windowClient = UInt16(rng.int(501...2048))
        windowServer = UInt16(rng.int(250...1024))
        serverTTL = UInt8(rng.int(50...58))
        rtt = link.rtt * rttScale * rng.uniform(0.9...1.1)
        serverDelay = rng.uniform(0.001...0.008)
        // Server MSS varies by CDN [M: 1460, 1440, 1412, 1360 seen]; the client's MSS caps the downlink segments.
        let serverMSS = [1460, 1460, 1460, 1460, 1440, 1412, 1360][rng.int(0...6)] - (link.mss < 1440 ? 0 : (host.ip.isIPv4 ? 0 : 20))
        downSegment = link.mss - 12
        upSegment = min(serverMSS, link.mss) - 12
        ipIDClient = UInt16(truncatingIfNeeded: rng.next())
        ipIDServer = UInt16(truncatingIfNeeded: rng.next())
        summary = FlowSummary(role: role, transport: 6, client: host.ip, clientPort: clientPort, server: server, serverPort: port,
                              serverName: name, clientIndex: host.index)
    }
}

extension Engine {
    /// Opens (but does not yet connect) a TCP connection. `rttScale` makes far servers (the access point, the dealer) slower.
    func openTCP(_ host: ClientHost, server: IPAddress, port: UInt16 = 443, name: String?, role: FlowRole, tls: Bool = true,
                 rttScale: Double = 1) -> TCPConnection {
        let c = TCPConnection(index: Int32(tcp.count), host: host, server: server, port: port, name: name, role: role, tls: tls,
                              link: link, rttScale: rttScale, rng: &rng)
        tcp.append(c)
        return c
    }

    /// `delayed`: a delayed ACK, dropped at emission if client data left while its timer ran.
    func tcpEvent(_ c: TCPConnection, _ t: Double, fromClient: Bool, flags: TCPFlags, seq: UInt64, ack: UInt64, length: Int,
                          delayed: Bool = false) {
        let content: Int32 = delayed ? 1 : -1
        push(Event(time: t, order: 0, kind: .tcp, flow: c.index, fromClient: fromClient, flags: UInt8(truncatingIfNeeded: flags.rawValue), length: Int32(length),
                   seq: seq, ack: ack, content: content))
    }

    func jitter() -> Double { link.jitter > 0 ? abs(rng.normal(sd: link.jitter)) : 0 }

    /// Three-way handshake, then (for TLS) ClientHello, the server's flight and the client's Finished.
    /// Returns when the client may send its first request.
    @discardableResult
    func connect(_ c: TCPConnection, at t: Double) -> Double {
        let t0 = max(t, now)
        tcpEvent(c, t0, fromClient: true, flags: .syn, seq: 0, ack: 0, length: 0)
        let synAck = t0 + c.rtt + jitter()
        tcpEvent(c, synAck, fromClient: false, flags: [.syn, .ack], seq: 0, ack: 0, length: 0)
        var ready = synAck + rng.uniform(0.00005...0.0002)
        tcpEvent(c, ready, fromClient: true, flags: .ack, seq: 0, ack: 0, length: 0)
        c.busyUntil = ready
        guard c.tls else { return ready }
        // Browsers' and apps' ClientHellos carry more extensions than ours and are padded: 603–695 B frames were
        // measured [S8], ≈1.5–1.8 KB with a post-quantum share [S18]. Pad ours to a 517–640 B record.
        let seed = rng.next(), pq = rng.chance(0.3), target = rng.int(517...640)
        let alpn = c.role == .dealer ? ["http/1.1"] : ["h2", "http/1.1"]
        let bare = TLSBuilder.clientHello(serverName: c.serverName ?? "", seed: seed, alpn: alpn, postQuantum: pq)
        let hello = bare.count + 4 < target
            ? TLSBuilder.clientHello(serverName: c.serverName ?? "", seed: seed, alpn: alpn, extraPadding: target - bare.count - 4, postQuantum: pq)
            : bare
        let sent = sendUp(c, at: ready + 0.0001, bytes: hello.count, overlay: hello)
        let flight = TLSBuilder.serverFlight(seed: rng.next(), certificateBytes: rng.int(2_400...4_400))
        let flightDone = sendDown(c, firstArrival: sent + c.rtt + rng.uniform(0.001...0.006), bytes: flight.count, overlay: flight, records: false)
        let fin = TLSBuilder.clientFinished(seed: rng.next())
        ready = sendUp(c, at: flightDone + rng.uniform(0.0002...0.001), bytes: fin.count, overlay: fin)
        c.busyUntil = ready
        return ready + 0.0001
    }

    /// A request of `request` application bytes from the client and a response of `response` bytes.
    /// `rateCap` (bit/s) limits the server's sending rate below its share of the link (a rate-limited server).
    /// Returns when the last response byte reaches the client.
    @discardableResult
    func exchange(_ c: TCPConnection, at t: Double, request: Int, response: Int, think: Double? = nil, rateCap: Double? = nil) -> Double {
        let t0 = max(t, c.busyUntil + 0.00005, now)
        let sent = sendUp(c, at: t0, bytes: request, overlay: nil)
        let delay = think ?? c.serverDelay * rng.uniform(0.5...2.0)
        guard response > 0 else {
            let a = sent + c.rtt + 0.04
            tcpEvent(c, a, fromClient: false, flags: .ack, seq: c.serverOffset, ack: c.clientOffset, length: 0)
            c.busyUntil = max(c.busyUntil, a)
            return a
        }
        if delay > 0.03 {
            tcpEvent(c, sent + c.rtt, fromClient: false, flags: .ack, seq: c.serverOffset, ack: c.clientOffset, length: 0)
        }
        return sendDown(c, firstArrival: sent + c.rtt + delay + jitter(), bytes: response, overlay: nil, records: c.tls, rateCap: rateCap)
    }

    /// A server-initiated message of `bytes` arriving at `t`, and the client's reply of `reply` bytes (0: a pure ACK).
    @discardableResult
    func serverPush(_ c: TCPConnection, at t: Double, bytes: Int, reply: Int) -> Double {
        let t0 = max(t, c.busyUntil + 0.00005, now)
        let done = sendDown(c, firstArrival: t0, bytes: bytes, overlay: nil, records: c.tls, ackAtEnd: reply == 0)
        guard reply > 0 else { return done }
        let sent = sendUp(c, at: done + rng.uniform(0.0001...0.002), bytes: reply, overlay: nil)
        let a = sent + c.rtt + rng.uniform(0...0.04)
        tcpEvent(c, a, fromClient: false, flags: .ack, seq: c.serverOffset, ack: c.clientOffset, length: 0)
        c.busyUntil = max(c.busyUntil, a)
        return a
    }

    /// FIN exchange started by the client or by the server (at `t`, in client time).
    func close(_ c: TCPConnection, at t: Double, byClient: Bool) {
        guard !c.closed else { return }
        c.closed = true
        let t0 = max(t, c.busyUntil + 0.0001, now)
        let co = c.clientOffset, so = c.serverOffset
        if byClient {
            tcpEvent(c, t0, fromClient: true, flags: [.fin, .ack], seq: co, ack: so, length: 0)
            let back = t0 + c.rtt + jitter()
            tcpEvent(c, back, fromClient: false, flags: [.fin, .ack], seq: so, ack: co + 1, length: 0)
            tcpEvent(c, back + 0.0001, fromClient: true, flags: .ack, seq: co + 1, ack: so + 1, length: 0)
        } else {
            tcpEvent(c, t0, fromClient: false, flags: [.fin, .ack], seq: so, ack: co, length: 0)
            let reply = t0 + rng.uniform(0.0001...0.002)
            tcpEvent(c, reply, fromClient: true, flags: [.fin, .ack], seq: co, ack: so + 1, length: 0)
            tcpEvent(c, reply + c.rtt + jitter(), fromClient: false, flags: .ack, seq: so + 1, ack: co + 1, length: 0)
        }
        c.busyUntil = t0 + c.rtt + 0.001
    }

    /// Client data: one TLS record (when the connection is TLS and no explicit bytes are given), cut into segments
    /// sent back to back at the uplink rate. Returns the time of the last segment.
    private func sendUp(_ c: TCPConnection, at t: Double, bytes: Int, overlay: [UInt8]?) -> Double {
        var wire = bytes
        if let overlay {
            c.overlays[1].append(Overlay(offset: c.clientOffset, bytes: overlay))
        } else if c.tls {
            c.records[1].append(RecordMark(offset: c.clientOffset, bodyLength: UInt32(bytes + 17), type: TLSBuilder.ContentType.applicationData))
            wire = bytes + TLSBuilder.recordOverhead
        }
        var left = wire, time = t
        while left > 0 {
            let n = min(left, c.upSegment)
            left -= n
            tcpEvent(c, time, fromClient: true, flags: left == 0 ? [.ack, .psh] : .ack, seq: c.clientOffset, ack: c.serverOffset, length: n)
            c.lastClientData = max(c.lastClientData, time)
            c.clientOffset += UInt64(n)
            if left > 0 { time += Double(n + 66) * 8 / link.uplink }
        }
        c.busyUntil = max(c.busyUntil, time)
        return time
    }
}
