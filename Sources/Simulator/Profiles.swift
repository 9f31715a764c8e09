/// What a simulated client does, and the class label its captures carry.
public enum Profile: Hashable, Sendable, CustomStringConvertible {
    public enum SpotifyTier: String, CaseIterable, Sendable {
        case low, normal, high, very_high, lossless
        /// Nominal bit rate in kbit/s [S3; lossless: S1's "900 kbit/s on average"].
        public var nominalKbps: Double {
            switch self { case .low: 24; case .normal: 96; case .high: 160; case .very_high: 320; case .lossless: 900 }
        }
    }
    /// `live` / `vod`: Twitch; `web`: YouTube/DASH-like adaptive streaming (a bit-rate ladder, ON-OFF segment fetches).
    public enum VideoKind: String, CaseIterable, Sendable { case live, vod, web }
    /// `person` / `background` / `alternate`: a video call; `voice`: an audio-only call.
    public enum CallKind: String, CaseIterable, Sendable { case person, background, alternate, voice }
    /// `file`: HTTPS file downloads; `update`: a software update over parallel connections to one CDN host.
    public enum DownloadKind: String, CaseIterable, Sendable { case file, update }
    /// `browse`: web browsing only (page loads and reading pauses).
    public enum WebKind: String, CaseIterable, Sendable { case browse }

    case spotify(SpotifyTier)
    /// Live, on-demand or web video; `vpn` carries everything inside one WireGuard tunnel.
    case video(VideoKind, vpn: Bool = false)
    case call(CallKind)
    case download(DownloadKind)
    case web(WebKind)

    /// Parses `spotify:high`, `video:vod`, `video:live+vpn`, `call:alternate`, `download:file`, `web:browse`.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case "spotify":
            guard let t = SpotifyTier(rawValue: String(parts[1].map { $0 == "-" ? "_" : $0 })) else { return nil }
            self = .spotify(t)
        case "video":
            var kind = parts[1], vpn = false
            if kind.hasSuffix("+vpn") { kind.removeLast(4); vpn = true }
            guard let k = VideoKind(rawValue: kind) else { return nil }
            self = .video(k, vpn: vpn)
        case "call":
            guard let k = CallKind(rawValue: parts[1]) else { return nil }
            self = .call(k)
        case "download":
            guard let k = DownloadKind(rawValue: parts[1]) else { return nil }
            self = .download(k)
        case "web":
            guard let k = WebKind(rawValue: parts[1]) else { return nil }
            self = .web(k)
        default:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .spotify(let t): return "spotify:\(t.rawValue)"
        case .video(let k, let vpn): return "video:\(k.rawValue)" + (vpn ? "+vpn" : "")
        case .call(let k): return "call:\(k.rawValue)"
        case .download(let k): return "download:\(k.rawValue)"
        case .web(let k): return "web:\(k.rawValue)"
        }
    }

    /// The class label: the tier, `live` / `vod` / `web`, `person` / `background` / `voice` (`alternate` labels per
    /// phase; its file label is `alternate`), `file` / `update`, `browse`.
    public var label: String {
        switch self {
        case .spotify(let t): return t.rawValue
        case .video(let k, _): return k.rawValue
        case .call(let k): return k.rawValue
        case .download(let k): return k.rawValue
        case .web(let k): return k.rawValue
        }
    }

    /// The coarse class: `audio` (Spotify) against the non-audio classes.
    public var category: ProfileCategory {
        switch self {
        case .spotify: return .audio
        case .video: return .video
        case .call: return .call
        case .download: return .download
        case .web: return .browsing
        }
    }

    /// Every profile name `simulate --profile` accepts.
    public static let allNames: [String] =
        SpotifyTier.allCases.map { "spotify:\($0.rawValue)" }
        + ["video:live", "video:vod", "video:web", "video:live+vpn", "video:vod+vpn", "video:web+vpn"]
        + CallKind.allCases.map { "call:\($0.rawValue)" }
        + DownloadKind.allCases.map { "download:\($0.rawValue)" }
        + WebKind.allCases.map { "web:\($0.rawValue)" }
}

/// What kind of traffic a profile is, for an audio / not-audio classifier.
public enum ProfileCategory: String, CaseIterable, Sendable {
    /// Spotify, every tier.
    case audio
    /// `video:live`, `video:vod`, `video:web`.
    case video
    /// Every call kind, `call:voice` included.
    case call
    /// `download:file`, `download:update`.
    case download
    /// `web:browse`.
    case browsing
}

/// How the Spotify client fetches a track (the official client's behaviour is not published; librespot [S1] and librespot-java [S2] are).
public enum DownloadBehaviour: String, CaseIterable, Sendable {
    /// librespot: a 64 KiB first range, then ranges of ≈1 s of measured throughput back to back, then silence [S1].
    case bulk
    /// librespot-java: fixed 128 KiB chunks kept 3 ahead of playback [S2].
    case paced
}

/// Unrelated traffic added to any profile.
public enum BackgroundMix: String, CaseIterable, Sendable {
    /// Page loads: DNS, TLS connections, a few requests with responses of tens of kB.
    case web
    /// Lookups of assorted names every few seconds.
    case dns
    /// QUIC (UDP 443) sessions: Initial packets, bursts of server packets, client ACKs.
    case quic
    /// A large HTTPS bulk download at link speed.
    case download
    /// LAN chatter: ARP, mDNS, SSDP.
    case lan
    /// A home LAN around the capturing host: its Apple push connection (TCP 5223), mDNS queries and
    /// answers, SSDP searches, DHCP and NetBIOS broadcasts, Dropbox LAN sync broadcasts (UDP 17500).
    case home
    /// Spotify desktop apps on the LAN: the capturing host's and other devices' discovery broadcasts on
    /// UDP 57621, and mDNS queries for `_spotify-connect._tcp.local`.
    case spotifyLAN = "spotify-lan"
}

/// The access link and the host's TCP stack, as seen from the capturing client.
public struct LinkProfile: Hashable, Sendable {
    public enum AckPolicy: String, Hashable, Sendable {
        /// Linux: ACK every second full segment, delayed-ACK timer 40 ms [S16].
        case linux
        /// Windows: ACK every second segment, 200 ms timer [S22].
        case windows
        /// Receive offload (GRO/LRO): one ACK per 2–4 segments, 40 ms timer [M: 3.4 down per up packet, S10].
        case stretch
    }

    public var name: String
    /// Base round-trip time to nearby servers (CDN, resolver), seconds.
    public var rtt: ClosedRange<Double>
    /// Downlink / uplink bottleneck bandwidth, bit/s.
    public var downlink: ClosedRange<Double>
    public var uplink: ClosedRange<Double>
    /// Standard deviation of per-packet delay jitter, seconds.
    public var jitter: Double
    /// Probability that a downlink data segment is lost (it is retransmitted about one RTT later).
    public var loss: Double
    /// The client's TCP MSS (IPv4; IPv6 is 20 bytes less).
    public var mss: Int
    public var ackPolicies: [AckPolicy]
    /// Everything inside a WireGuard tunnel (UDP 51820).
    public var tunnel: Bool

    public init(name: String, rtt: ClosedRange<Double>, downlink: ClosedRange<Double>, uplink: ClosedRange<Double>,
                jitter: Double, loss: Double, mss: Int = 1460, ackPolicies: [AckPolicy] = [.linux, .windows, .stretch],
                tunnel: Bool = false) {
        self.name = name
        self.rtt = rtt
        self.downlink = downlink
        self.uplink = uplink
        self.jitter = jitter
        self.loss = loss
        self.mss = mss
        self.ackPolicies = ackPolicies
        self.tunnel = tunnel
    }

    // RTT ranges: measured, [S21], or assumed; bandwidths and loss: assumptions (docs/simulator.md, Sources).
    public static let fibre = LinkProfile(name: "fibre", rtt: 0.005...0.012, downlink: 300e6...1000e6, uplink: 100e6...500e6, jitter: 0.0002, loss: 0.0001)
    public static let cable = LinkProfile(name: "cable", rtt: 0.010...0.020, downlink: 100e6...500e6, uplink: 10e6...30e6, jitter: 0.001, loss: 0.0005)
    public static let dsl = LinkProfile(name: "dsl", rtt: 0.015...0.035, downlink: 8e6...50e6, uplink: 1e6...10e6, jitter: 0.001, loss: 0.001)
    public static let wifi = LinkProfile(name: "wifi", rtt: 0.020...0.060, downlink: 30e6...300e6, uplink: 20e6...100e6, jitter: 0.003, loss: 0.002)
    public static let lte = LinkProfile(name: "4g", rtt: 0.030...0.070, downlink: 10e6...80e6, uplink: 3e6...20e6, jitter: 0.008, loss: 0.003)
    /// A WireGuard tunnel over a cable-like link: MTU 1420, so the inner MSS is 1380 [D], plus ≈15 ms to the VPN server (A).
    public static let vpn = LinkProfile(name: "vpn", rtt: 0.025...0.040, downlink: 50e6...200e6, uplink: 10e6...30e6, jitter: 0.0015, loss: 0.0005, mss: 1380, tunnel: true)

    public static let named: [LinkProfile] = [.fibre, .cable, .dsl, .wifi, .lte, .vpn]

    /// `fibre`, `cable`, `dsl`, `wifi`, `4g` (or `lte`), `vpn`; `random` is resolved per session (see `resolve`).
    public static func named(_ name: String) -> LinkProfile? {
        let n = name.lowercased()
        if n == "lte" { return .lte }
        return named.first { $0.name == n }
    }

    public static let randomName = "random"
    public static let allNames = named.map(\.name) + [randomName]
}
