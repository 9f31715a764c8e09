import Wire

/// Capture-level options of a simulation.
public struct SimulationOptions: Sendable, Hashable {
    public enum LinkHeader: String, Sendable, Hashable { case ethernet, cooked, cooked2 }
    public var ipv6: Bool
    /// Ethernet (link type 1), Linux cooked v1 (113) or v2 (276).
    public var linkHeader: LinkHeader
    public var nanosecond: Bool
    /// Several clients behind the same link, each running the profile (own addresses, own seed stream).
    public var clients: Int
    /// Carry everything in one WireGuard tunnel (also implied by `video:…+vpn` and the `vpn` link).
    public var vpn: Bool
    public var snaplen: UInt32
    /// The player of `video:live` and `video:vod` (`video:web` has its own).
    public var videoPlayer: VideoPlayer
    /// Spotify: the probability that the listener skips a track (abandons it after 10 s up to 35 s before its
    /// end, and the next track is fetched at once). 0 (the default) never skips and leaves the bytes unchanged.
    public var skipShare: Double
    /// Spotify: the probability that the listener pauses a track (once, 15–900 s; see `SpotifyTrack.drawPause`).
    /// 0 (the default) never pauses and leaves the bytes unchanged.
    public var pauseShare: Double

    public init(ipv6: Bool = false, linkHeader: LinkHeader = .ethernet, nanosecond: Bool = false, clients: Int = 1, vpn: Bool = false,
                snaplen: UInt32 = 262_144, videoPlayer: VideoPlayer = .hls, skipShare: Double = 0, pauseShare: Double = 0) {
        self.skipShare = min(1, max(0, skipShare))
        self.pauseShare = min(1, max(0, pauseShare))
        self.ipv6 = ipv6
        self.linkHeader = linkHeader
        self.nanosecond = nanosecond
        self.clients = max(1, clients)
        self.vpn = vpn
        self.snaplen = snaplen
        self.videoPlayer = videoPlayer
    }

    public var linkType: UInt32 {
        switch linkHeader {
        case .ethernet: return PcapLinkType.ethernet
        case .cooked: return PcapLinkType.linuxSLL
        case .cooked2: return PcapLinkType.linuxSLL2
        }
    }
}

/// What a simulation wrote.
public struct SimulationSummary: Sendable {
    public var profile: Profile
    /// The class label (`high`, `vod`, `person`, …; `alternate` for an alternating call, whose `phases` carry the labels).
    public var label: String
    /// The download behaviour used (drawn from the seed when not given; only Spotify profiles use it).
    public var download: DownloadBehaviour
    public var link: String
    public var rtt: Double
    public var downlink: Double
    public var tunnel: Bool
    public var seed: UInt64
    public var duration: Double
    /// Epoch seconds of time 0 of the simulation (packet timestamps are `startTime + t`).
    public var startTime: Double
    public var packets: Int
    public var bytes: Int
    public var flows: [FlowSummary]
    public var tracks: [TrackInfo]
    public var phases: [CallPhase]
    /// What the first client's profile drew for the session (non-audio profiles), e.g. `bitrate`, `segment`,
    /// `target`, `quic` for `video:web`; `rate_cap` (bit/s, 0 = link speed) and `files` for `download:file`.
    public var drawn: [String: Double] = [:]

    /// `name=value` pairs of `drawn`, sorted by name.
    public var drawnText: String {
        drawn.keys.sorted().map { "\($0)=\(fixed(drawn[$0]!, drawn[$0]! == drawn[$0]!.rounded() ? 0 : 3))" }.joined(separator: " ")
    }

    /// Ground truth per Spotify track, one CSV row each: `client,index,cdn,tier,bitrate,length_s,file_bytes,`
    /// `download_start,play_start,play_end,played_s,skipped,bytes,start_epoch,paused_s` (times relative to the capture's
    /// time 0; `played_s` stops at the capture's end and leaves out a pause, `skipped` is 1 only for a skip within the
    /// capture; `bytes` is what the client fetched of the file; `paused_s` the seconds playback was held paused).
    public var tracksCSV: String {
        var lines = ["client,index,cdn,tier,bitrate,length_s,file_bytes,download_start,play_start,play_end,played_s,skipped,bytes,start_epoch,paused_s"]
        for t in tracks {
            let end = t.playStart + t.played + t.paused
            let pausedInCapture = t.paused > 0 ? max(0, min(t.pauseStart + t.paused, duration) - t.pauseStart) : 0
            let played = max(0, min(end, duration) - t.playStart - pausedInCapture)
            lines.append(["\(t.clientIndex)", "\(t.index)", t.cdnHost, t.tier, fixed(t.bitrate, 0), fixed(t.length, 3), "\(t.fileSize)",
                          fixed(t.downloadStart, 6), fixed(t.playStart, 6), fixed(min(end, duration), 6), fixed(played, 3),
                          t.skipped && end <= duration ? "1" : "0", "\(t.fetchedBytes)", fixed(startTime + t.playStart, 6),
                          fixed(t.paused, 3)].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Ground truth per flow, one CSV row each: `client,client_port,server,server_port,transport,role,service,spotify,`
    /// `packets_up,packets_down,bytes_up,bytes_down,first,last` (times relative to the capture's time 0).
    /// `spotify` is 1 for the Spotify roles (audio, access point, dealer, spclient), Spotify DNS lookups and the
    /// Spotify app's LAN discovery broadcasts (UDP 57621, `--background spotify-lan`).
    public var flowTableCSV: String {
        var lines = ["client,client_port,server,server_port,transport,role,service,spotify,packets_up,packets_down,bytes_up,bytes_down,first,last"]
        for f in flows where f.packetsUp + f.packetsDown > 0 {
            let name = f.serverName ?? ""
            let spotify = [.audio, .accessPoint, .dealer, .spclient].contains(f.role)
                || (f.role == .dns && (name.contains("spotify") || name.hasSuffix("scdn.co")))
                || (f.role == .lan && f.transport == 17 && f.clientPort == 57_621)
            lines.append([f.client.description, "\(f.clientPort)", f.server.description, "\(f.serverPort)", f.transport == 6 ? "tcp" : "udp",
                          f.role.rawValue, name, spotify ? "1" : "0", "\(f.packetsUp)", "\(f.packetsDown)", "\(f.bytesUp)", "\(f.bytesDown)",
                          fixed(f.firstTime, 6), fixed(f.lastTime, 6)].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `person:0.0-34.2;background:34.2-80.0` for the manifest.
    public var phaseText: String {
        phases.map { "\($0.label):\(fixed($0.start))-\(fixed($0.end))" }.joined(separator: ";")
    }
}

func fixed(_ v: Double, _ digits: Int = 1) -> String {
    guard v.isFinite else { return "nan" }
    var p: Int64 = 1
    for _ in 0..<digits { p *= 10 }
    let scaled = Int64((abs(v) * Double(p)).rounded())
    let whole = scaled / p, frac = scaled % p
    var f = String(frac)
    if f.count < digits { f = String(repeating: "0", count: digits - f.count) + f }
    return (v < 0 && scaled != 0 ? "-" : "") + "\(whole)" + (digits > 0 ? "." + f : "")
}

/// One simulated capture: a profile over a link for a duration, deterministic for its seed.
///
///     let s = Session(profile: Profile(parsing: "spotify:high")!, link: .cable, duration: 120, seed: 7)
///     let summary = try s.write(to: "x.pcap")
public struct Session: Sendable {
    public var profile: Profile
    /// nil: drawn per session from the seed among fibre, cable, dsl, wifi, 4g.
    public var link: LinkProfile?
    /// nil: drawn per session from the seed.
    public var download: DownloadBehaviour?
    public var background: [BackgroundMix]
    public var duration: Double
    public var seed: UInt64
    public var options: SimulationOptions

    public init(profile: Profile, link: LinkProfile? = .cable, download: DownloadBehaviour? = nil, background: [BackgroundMix] = [],
                duration: Double, seed: UInt64, options: SimulationOptions = SimulationOptions()) {
        self.profile = profile
        self.link = link
        self.download = download
        self.background = background
        self.duration = duration
        self.seed = seed
        self.options = options
    }

    /// Writes a classic pcap file.
    @discardableResult
    public func write(to path: String) throws -> SimulationSummary {
        let writer = try PcapWriter(path: path, linkType: options.linkType, nanosecond: options.nanosecond, snaplen: options.snaplen)
        let summary = try run(writer: writer)
        try writer.close()
        return summary
    }

    /// Streams the packets, in time order, to any writer.
    public func run(writer: PacketWriter) throws -> SimulationSummary {
        var rng = SeededRandom(seed: seed)
        let choices: [LinkProfile] = [.fibre, .cable, .dsl, .wifi, .lte]
        let randomPick = choices[rng.int(0...(choices.count - 1))]
        let linkProfile = link ?? randomPick
        let drawn: DownloadBehaviour = rng.chance(0.5) ? .bulk : .paced
        let behaviour = download ?? drawn
        var tunnel = options.vpn
        if case .video(_, let vpn) = profile, vpn { tunnel = true }
        let resolved = ResolvedLink(linkProfile, rng: &rng, ipv6: options.ipv6, tunnel: tunnel)
        let header: Engine.LinkHeaderKind = options.linkHeader == .ethernet ? .ethernet : (options.linkHeader == .cooked ? .cooked : .cooked2)
        let engine = Engine(duration: duration, seed: rng.next(), ipv6: options.ipv6, linkHeader: header, link: resolved)

        var spotify: [SpotifyClient] = []
        var calls: [CallClient] = []
        var reporters: [ReportsDraws] = []
        for i in 0..<options.clients {
            let host = ClientHost(index: i, ipv6: options.ipv6, rng: rng.derived(UInt64(1_000 + i)))
            let start = rng.uniform(0.05...0.5)
            switch profile {
            case .spotify(let tier):
                let c = SpotifyClient(host: host, tier: tier, download: behaviour, rng: rng.derived(UInt64(2_000 + i)), skipShare: options.skipShare,
                                      pauseShare: options.pauseShare)
                spotify.append(c)
                engine.schedule(c, at: start)
            case .video(.web, _):
                let c = WebVideoClient(host: host, rng: rng.derived(UInt64(3_000 + i)))
                reporters.append(c)
                engine.schedule(c, at: start)
            case .video(let kind, _) where options.videoPlayer == .hls:
                let c = HLSVideoClient(host: host, live: kind == .live, rng: rng.derived(UInt64(3_000 + i)))
                reporters.append(c)
                engine.schedule(c, at: start)
            case .video(let kind, _):
                engine.schedule(VideoClient(host: host, kind: kind, rng: rng.derived(UInt64(3_000 + i))), at: start)
            case .call(.voice):
                let c = VoiceCallClient(host: host, rng: rng.derived(UInt64(4_000 + i)))
                reporters.append(c)
                engine.schedule(c, at: start)
            case .call(let kind):
                let c = CallClient(host: host, kind: kind, duration: duration, rng: rng.derived(UInt64(4_000 + i)))
                calls.append(c)
                engine.schedule(c, at: start)
            case .download(.file):
                let c = FileDownloadClient(host: host, rng: rng.derived(UInt64(6_000 + i)))
                reporters.append(c)
                engine.schedule(c, at: start)
            case .download(.update):
                let c = UpdateClient(host: host, rng: rng.derived(UInt64(6_000 + i)))
                reporters.append(c)
                engine.schedule(c, at: start)
            case .web(.browse):
                let c = BrowseClient(host: host, rng: rng.derived(UInt64(7_000 + i)))
                reporters.append(c)
                engine.schedule(c, at: start)
            }
            for (k, mix) in background.enumerated() {
                engine.schedule(BackgroundClient(host: host, mix: mix, rng: rng.derived(UInt64(5_000 + 100 * i + k))), at: rng.uniform(0...1))
            }
        }
        try engine.run(into: writer)

        var flows: [FlowSummary] = engine.tcp.map(\.summary)
        let tcpCount = flows.count
        flows += engine.udp.map(\.summary)
        _ = tcpCount
        let tracks = spotify.flatMap(\.tracks).filter { $0.downloadStart <= duration }
        return SimulationSummary(profile: profile, label: profile.label, download: behaviour, link: resolved.name, rtt: resolved.rtt,
                                 downlink: resolved.downlink, tunnel: resolved.tunnel, seed: seed, duration: duration, startTime: engine.epoch,
                                 packets: engine.packetsWritten, bytes: engine.bytesWritten, flows: flows, tracks: tracks,
                                 phases: calls.first?.phases ?? [], drawn: reporters.first?.drawn ?? [:])
    }
}
