import Wire

/// What a flow is for, in the summary and the manifest.
public enum FlowRole: String, Sendable, Hashable {
    case audio, accessPoint = "access-point", dealer, spclient, dns, video, playlist, call, signalling
    case web, quic, download, lan, tunnel
}

/// Per-flow counters of what was written to the capture.
public struct FlowSummary: Sendable {
    public var role: FlowRole
    public var transport: UInt8
    public var client: IPAddress
    public var clientPort: UInt16
    public var server: IPAddress
    public var serverPort: UInt16
    public var serverName: String?
    public var packetsUp = 0, packetsDown = 0
    /// Frame bytes each way.
    public var bytesUp = 0, bytesDown = 0
    /// Transport payload bytes each way (TCP segment data, UDP payload).
    public var payloadUp = 0, payloadDown = 0
    public var firstTime = Double.infinity, lastTime = -Double.infinity
    /// Which simulated client the flow belongs to (0 when there is one).
    public var clientIndex = 0
}

/// A simulated client machine: its addresses and ephemeral ports.
final class ClientHost {
    let index: Int
    let ip: IPAddress
    let mac: MACAddress
    let resolver: IPAddress
    var nextPort: UInt16
    var rng: SeededRandom

    init(index: Int, ipv6: Bool, rng: SeededRandom) {
        self.index = index
        self.rng = rng
        ip = ipv6 ? IPAddress(high: 0x2001_0DB8_0001_0000, low: 0x0000_0000_0000_0020 + UInt64(index))
            : IPAddress(192, 168, 1, UInt8(20 + index % 200))
        mac = MACAddress(0x02, 0x53, 0x50, 0x01, UInt8(index >> 8 & 0xFF), UInt8(index & 0xFF))
        resolver = ipv6 ? IPAddress(high: 0x2001_0DB8_0001_0000, low: 1) : IPAddress(192, 168, 1, 1)
        nextPort = UInt16(49_152 + self.rng.int(0...12_000))
    }

    func ephemeralPort() -> UInt16 {
        nextPort = nextPort >= 65_000 ? 49_152 : nextPort + UInt16(rng.int(1...7))
        return nextPort
    }
}

/// Something that acts over time: woken at a time, it plans packets at that time or later and says when to wake it next.
protocol Scenario: AnyObject {
    func wake(_ engine: Engine, at t: Double) -> Double?
}

/// A scenario whose per-session draws are reported in `SimulationSummary.drawn` (ground truth for tests and evaluation).
protocol ReportsDraws: AnyObject {
    var drawn: [String: Double] { get }
}

/// A scenario made of a closure, for periodic chores (pings, keep-alives).
final class Periodic: Scenario {
    var rng: SeededRandom
    let action: (Engine, Double, inout SeededRandom) -> Double?
    init(_ rng: SeededRandom, _ action: @escaping (Engine, Double, inout SeededRandom) -> Double?) {
        self.rng = rng
        self.action = action
    }
    func wake(_ engine: Engine, at t: Double) -> Double? { action(engine, t, &rng) }
}

/// The discrete-event core: a priority queue of packet and wake-up events, streamed in time order to a writer.
/// Memory holds only planned-but-unwritten packets (at most a few transfers' worth), never the capture.
final class Engine {
    let duration: Double
    let epoch: Double
    let ipv6: Bool
    let linkHeader: LinkHeaderKind
    let link: ResolvedLink
    var rng: SeededRandom

    var heap = EventHeap()
    var order: UInt64 = 0
    var now: Double = 0
    var scenarios: [Scenario] = []
    var tcp: [TCPConnection] = []
    var udp: [UDPFlow] = []
    var contents: [Int32: [UInt8]] = [:]
    var nextContent: Int32 = 0
    var names: [String: IPAddress] = [:]

    // Emission scratch, reused for every packet.
    var frame: [UInt8] = []
    var payload: [UInt8] = [UInt8](repeating: 0, count: 70_000)
    let pool: [UInt8]
    let addressSalt: UInt64
    var tunnelFlow: UDPFlow?
    var tunnelCounter: UInt64 = 0
    var packetsWritten = 0
    var bytesWritten = 0

    enum LinkHeaderKind { case ethernet, cooked, cooked2 }

    init(duration: Double, seed: UInt64, ipv6: Bool, linkHeader: LinkHeaderKind, link: ResolvedLink) {
        self.duration = duration
        self.ipv6 = ipv6
        self.linkHeader = linkHeader
        self.link = link
        rng = SeededRandom(seed: seed)
        var poolRNG = rng.derived(0xB00C)
        pool = poolRNG.bytes(1 << 18)
        addressSalt = rng.next() & 0xFFFF
        // A start time in 2025, fixed by the seed.
        epoch = 1_735_689_600 + Double(rng.int(0...(364 * 86_400)))
    }

    // MARK: scheduling

    func schedule(_ s: Scenario, at t: Double) {
        scenarios.append(s)
        guard t <= duration else { return }
        push(Event(time: t, order: 0, kind: .wake, flow: Int32(scenarios.count - 1), fromClient: false, flags: 0, length: 0, seq: 0, ack: 0, content: -1))
    }

    func push(_ e: Event) {
        assert(e.time >= now - 1e-9, "an event was planned in the past")
        var e = e
        if e.time < now { e.time = now }  // never reorder the output, even if a scenario misplans
        order &+= 1
        e.order = order
        heap.push(e)
    }

    func store(_ bytes: [UInt8]) -> Int32 {
        nextContent &+= 1
        contents[nextContent] = bytes
        return nextContent
    }

    // MARK: running

    func run(into writer: PacketWriter) throws {
        while let e = heap.pop() {
            if e.time > duration { break }
            now = e.time
            switch e.kind {
            case .wake:
                if let next = scenarios[Int(e.flow)].wake(self, at: e.time), next <= duration {
                    push(Event(time: max(next, e.time), order: 0, kind: .wake, flow: e.flow, fromClient: false, flags: 0, length: 0, seq: 0, ack: 0, content: -1))
                }
            case .tcp:
                try emitTCP(e, writer)
            case .udp:
                try emitUDP(e, writer)
            }
        }
    }

    // MARK: names and addresses

    /// A stable public-looking address for a host name, in a range of the provider the name suggests.
    func address(for name: String) -> IPAddress {
        if let a = names[name] { return a }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x1_0000_0001_B3 }
        h ^= addressSalt
        let lo = UInt8(truncatingIfNeeded: h), mid = UInt8(truncatingIfNeeded: h >> 8)
        let a: IPAddress
        let n = name.lowercased()
        let (v4, v6prefix): ((UInt8, UInt8), UInt64) = {
            if n.contains("fastly") || n.hasSuffix("scdn.co") { return ((151, 101), 0x2A04_4E42_0000_0000) }
            if n.contains("akamai") || n.contains("edgesuite") { return ((23, 55), 0x2600_1406_0000_0000) }
            if n.contains("cloudflare") || n.hasPrefix("audio-cf") { return ((104, 18), 0x2606_4700_0000_0000) }
            if n.contains("spotify") || n.contains("gm-off") || n.contains("google") { return ((35, 186), 0x2600_1901_0000_0000) }
            if n.contains("ttvnw") || n.contains("twitch") { return ((52, 223), 0x2600_9000_0000_0000) }
            if n.contains("zoom") { return ((170, 114), 0x2407_3000_0000_0000) }
            return ((93, 184 &+ mid % 8), 0x2A02_26F0_0000_0000)
        }()
        if ipv6 {
            a = IPAddress(high: v6prefix | (h >> 32 & 0xFFFF), low: h & 0xFFFF_FFFF)
        } else {
            a = IPAddress(v4.0, v4.1, mid, lo == 0 ? 1 : lo)
        }
        names[name] = a
        return a
    }

    /// The CNAME chain a resolver returns for a name (CDN names resolve through the provider's name).
    func cnameTarget(for name: String) -> String? {
        let n = name.lowercased()
        if n.hasSuffix("scdn.co") { return "scdn.map.fastly.net" }
        if n.contains("akamaized") { return "a1713.dscb.akamai.net" }
        if n.hasPrefix("audio-cf") { return n + ".cdn.cloudflare.net" }
        if n.hasSuffix("ttvnw.net") { return "video-edge.fastly.ttvnw.net" }
        return nil
    }

    /// A DNS lookup from the client: a query, and after the resolver's delay a response with the CNAME chain and
    /// the address. Returns when the answer arrives and the address.
    @discardableResult
    func resolve(_ host: ClientHost, _ name: String, at t: Double) -> (Double, IPAddress) {
        let target = cnameTarget(for: name)
        let addr = address(for: target ?? name)
        let flow = openUDP(host, server: host.resolver, port: 53, role: .dns, name: name, kind: .dns)
        let id = UInt16(truncatingIfNeeded: rng.next())
        let type: DNSRecordType = ipv6 ? .aaaa : .a
        var answers: [DNSAnswer] = []
        if let target { answers.append(.cname(name, target: target)) }
        answers.append(ipv6 ? .aaaa(target ?? name, addr) : .a(target ?? name, addr))
        let q = DNSBuilder.query(id: id, name: name, type: type)
        let r = DNSBuilder.response(id: id, question: name, type: type, answers: answers, ttl: UInt32(rng.int(30...300)))
        // Cached at the home router about half of the time (A): 1–3 ms, else 10–40 ms upstream.
        let delay = rng.chance(0.5) ? rng.uniform(0.001...0.003) : rng.uniform(0.010...0.040)
        sendUDP(flow, at: t, fromClient: true, content: q)
        sendUDP(flow, at: t + delay, fromClient: false, content: r)
        return (t + delay + 0.0002, addr)
    }
}

/// Link parameters drawn once per session from a `LinkProfile`.
struct ResolvedLink {
    var name: String
    var rtt: Double
    var downlink: Double
    var uplink: Double
    var jitter: Double
    var loss: Double
    var mss: Int
    var ackPolicy: LinkProfile.AckPolicy
    var tunnel: Bool
    /// The delayed-ACK timer: 200 ms on Windows [S22], 40 ms on Linux [S16].
    var delayedAck: Double { ackPolicy == .windows ? 0.2 : 0.04 }

    init(_ p: LinkProfile, rng: inout SeededRandom, ipv6: Bool, tunnel: Bool) {
        name = p.name
        rtt = rng.uniform(p.rtt)
        downlink = rng.uniform(p.downlink)
        uplink = rng.uniform(p.uplink)
        jitter = p.jitter
        loss = p.loss
        self.tunnel = tunnel || p.tunnel
        var m = p.mss
        if self.tunnel { m = min(m, 1380) }
        mss = ipv6 ? m - 20 : m
        ackPolicy = p.ackPolicies[rng.int(0...(p.ackPolicies.count - 1))]
        if self.tunnel {
            // The tunnel adds the path to the VPN server (A: ≈ 10–20 ms).
            rtt += p.tunnel ? 0 : rng.uniform(0.010...0.020)
        }
    }
}
