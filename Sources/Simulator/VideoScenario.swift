import Wire

/// Live video (2 s segments with a playlist poll each, plus chat) or video on demand (an initial buffer fill, then
/// one segment burst every 6–10 s) [S10, S19, S20]. In VPN mode the engine wraps everything in one tunnel.
final class VideoClient: Scenario {
    let host: ClientHost
    let kind: Profile.VideoKind
    var rng: SeededRandom
    var playlist: TCPConnection!
    var edge: TCPConnection!
    var bitrate = 0.0
    var segmentDuration = 0.0
    var nextSegmentTime = 0.0

    init(host: ClientHost, kind: Profile.VideoKind, rng: SeededRandom) {
        self.host = host
        self.kind = kind
        self.rng = rng
    }

    func segmentBytes() -> Int { Int(bitrate / 8 * segmentDuration * rng.logNormal(median: 1, sigma: 0.12)) }

    func wake(_ e: Engine, at t: Double) -> Double? {
        if edge != nil { return step(e, at: t) }
        let live = kind == .live
        let playlistName = live ? "video-weaver.fra05.hls.ttvnw.net" : "usher.ttvnw.net"
        let edgeName = live ? "video-edge-c2a1b4.fra05.abs.hls.ttvnw.net" : "vod-secure.twitch.tv"
        let (pd, pa) = e.resolve(host, playlistName, at: t)
        playlist = e.openTCP(host, server: pa, name: playlistName, role: .playlist)
        var p = e.connect(playlist, at: pd)
        p = e.exchange(playlist, at: p, request: rng.int(350...600), response: rng.int(2_000...4_000))
        let (ed, ea) = e.resolve(host, edgeName, at: p)
        edge = e.openTCP(host, server: ea, name: edgeName, role: .video)
        var ready = e.connect(edge, at: ed)
        if live {
            // Live: 2 s segments [S20], 2–6 Mbit/s (A, 1080p60 ≈ 6.2 [S20]); the player starts ≈ 2 segments behind the edge.
            bitrate = rng.uniform(2e6...6e6)
            segmentDuration = 2
            for _ in 0..<2 { ready = e.exchange(edge, at: ready, request: rng.int(300...450), response: segmentBytes()) }
            nextSegmentTime = ready + rng.uniform(0.5...1.9)
            // Chat: a websocket with a message every ≈1.5 s on average (A).
            let (cd, ca) = e.resolve(host, "irc-ws.chat.twitch.tv", at: t + 0.01)
            let chat = e.openTCP(host, server: ca, name: "irc-ws.chat.twitch.tv", role: .signalling)
            let c = e.connect(chat, at: cd)
            e.schedule(Periodic(rng.derived(7)) { e, t, r in
                e.serverPush(chat, at: t, bytes: r.int(150...700), reply: 0)
                return t + r.exponential(mean: 1.5)
            }, at: c + 1)
        } else {
            // VOD: 2.6–2.9 Mbit/s on the wire [M, S10], i.e. ≈ 2.45–2.75 Mbit/s of media under ≈ 6 % of headers (D);
            // a burst every 6–10 s [M]; buffer fill ≈ 30 s of video first (A).
            bitrate = rng.uniform(2.45e6...2.75e6)
            segmentDuration = rng.uniform(6...10)
            let fill = Int((30 / segmentDuration).rounded(.up))
            for _ in 0..<fill { ready = e.exchange(edge, at: ready + 0.001, request: rng.int(300...450), response: segmentBytes()) }
            nextSegmentTime = ready + segmentDuration * rng.uniform(0.8...1.0)
        }
        return nextSegmentTime
    }

    private func step(_ e: Engine, at t: Double) -> Double? {
        if kind == .live {
            let p = e.exchange(playlist, at: t, request: rng.int(300...420), response: rng.int(1_000...2_500))
            e.exchange(edge, at: p + 0.001, request: rng.int(300...450), response: segmentBytes())
            nextSegmentTime += segmentDuration + rng.normal(sd: 0.05)
        } else {
            e.exchange(edge, at: t, request: rng.int(300...450), response: segmentBytes())
            nextSegmentTime += segmentDuration * rng.uniform(0.95...1.05)
        }
        return max(nextSegmentTime, t + 0.1)
    }
}

/// A phase of a call: whether a person is in front of the remote camera.
public struct CallPhase: Sendable, Hashable {
    public var label: String
    public var start: Double
    public var end: Double
}

/// A Zoom-like video call on UDP 8801 [S13]: audio every 20 ms both ways, video frames at ≈30 fps both ways.
/// The remote camera's stream (downlink) carries 1.6–2.1 Mbit/s with a person in front of it and 40–80 % less
/// with only the background [M, S11]; the local stream (uplink) stays ≈ 1 Mbit/s [M].
final class CallClient: Scenario {
    let host: ClientHost
    let kind: Profile.CallKind
    let duration: Double
    var rng: SeededRandom
    var flow: UDPFlow!
    var phases: [CallPhase] = []
    var personRate = 0.0, backgroundRate = 0.0, uplinkRate = 0.0
    var fps = 30.0
    var nextFrame = [0.0, 0.0]
    var nextKeyframe = [0.0, 0.0]
    var nextRTCP = [0.0, 0.0]
    /// Whether each side's microphone is muted (no audio packets that way): [uplink, downlink].
    var muted = [false, false]

    init(host: ClientHost, kind: Profile.CallKind, duration: Double, rng: SeededRandom) {
        self.host = host
        self.kind = kind
        self.duration = duration
        self.rng = rng
    }

    func phase(at t: Double) -> String {
        for p in phases where t >= p.start && t < p.end { return p.label }
        return phases.last?.label ?? "person"
    }

    func wake(_ e: Engine, at t: Double) -> Double? {
        if flow == nil {
            let (media, dd) = e.openZoomCall(host, at: t, rng: &rng)
            flow = media
            personRate = rng.uniform(1.6e6...2.1e6)
            backgroundRate = personRate / rng.uniform(1.4...1.8)
            uplinkRate = rng.uniform(0.9e6...1.1e6)
            fps = rng.uniform(27...30)
            // A muted microphone sends no audio (A: ½ per side; the webcam-presence captures [S11] carry full-size
            // video packets at rates that leave no room for 50 audio packets per second).
            muted = [rng.chance(0.5), rng.chance(0.5)]
            var start = 0.0
            switch kind {
            case .person: phases = [CallPhase(label: "person", start: 0, end: duration)]
            case .background: phases = [CallPhase(label: "background", start: 0, end: duration)]
            case .voice: phases = [CallPhase(label: "voice", start: 0, end: duration)]  // `VoiceCallClient` runs voice calls
            case .alternate:
                var person = rng.chance(0.5)
                while start < duration {
                    let end = min(duration, start + rng.uniform(20...60))
                    phases.append(CallPhase(label: person ? "person" : "background", start: start, end: end))
                    start = end
                    person.toggle()
                }
            }
            let begin = dd + 0.001
            nextFrame = [begin + rng.uniform(0...0.03), begin + rng.uniform(0...0.03)]
            nextKeyframe = [begin, begin]
            nextRTCP = [begin + rng.uniform(0...1), begin + rng.uniform(0...1)]
            return begin
        }
        // Audio, both ways, every 20 ms [M: median 19 ms]: frames of ≈ 160–360 B [M].
        for up in [true, false] where !muted[up ? 0 : 1] {
            let size = Int(min(330, max(90, rng.logNormal(median: 175, sigma: 0.25))))
            e.sendUDP(flow, at: t + (up ? 0 : rng.uniform(0...0.004)), fromClient: up, length: size, code: 0x0F)
        }
        // Video frames due in this 20 ms tick.
        for dir in 0..<2 {
            let up = dir == 0
            while nextFrame[dir] < t + 0.02 {
                let ft = max(nextFrame[dir], t)
                let remote = phase(at: ft)
                let rate = up ? uplinkRate : (remote == "person" ? personRate : backgroundRate)
                let sigma = up ? 0.2 : (remote == "person" ? 0.35 : 0.2)
                var bytes = rate / 8 / fps * rng.logNormal(median: 1, sigma: sigma) / 1.03
                if ft >= nextKeyframe[dir] {
                    bytes *= rng.uniform(2.5...4)
                    nextKeyframe[dir] = ft + rng.uniform(4...10)
                }
                // Packets of at most 1,250 B payload, evenly split, paced 0.3–1 ms apart (A; sizes 100–1,250 B [M]).
                let n = max(1, Int((bytes / 1_250).rounded(.up)))
                let each = max(100, Int(bytes) / n)
                var pt = ft
                for _ in 0..<n {
                    e.sendUDP(flow, at: pt, fromClient: up, length: each, code: 0x10)
                    pt += rng.uniform(0.0003...0.001)
                }
                nextFrame[dir] += 1 / fps * rng.uniform(0.9...1.1)
            }
            if nextRTCP[dir] < t + 0.02 {
                e.sendUDP(flow, at: max(t, nextRTCP[dir]), fromClient: up, length: rng.int(60...120), code: 0x21)
                nextRTCP[dir] += rng.uniform(0.8...1.2)
            }
        }
        return t + 0.02
    }
}

extension Engine {
    /// A Zoom-like call's setup [S13]: the media flow on UDP 8801 (its DNS lookup first), and the
    /// TLS signalling connection with one exchange and a keep-alive every 10–20 s (A). Returns the
    /// media flow and the time its name was resolved.
    func openZoomCall(_ host: ClientHost, at t: Double, rng: inout SeededRandom) -> (flow: UDPFlow, resolved: Double) {
        let mediaHost = "zoomfrn93mmr.fra.zoom.us", signallingHost = "us05web.zoom.us"
        let (dd, addr) = resolve(host, mediaHost, at: t)
        let flow = openUDP(host, server: addr, port: 8801, role: .call, name: mediaHost, kind: .zoom)
        let (sd, sa) = resolve(host, signallingHost, at: t + 0.001)
        let sig = openTCP(host, server: sa, name: signallingHost, role: .signalling)
        let s = connect(sig, at: sd)
        exchange(sig, at: s, request: rng.int(400...900), response: rng.int(1_000...4_000))
        schedule(Periodic(rng.derived(9)) { e, t, r in
            e.exchange(sig, at: t, request: r.int(60...200), response: r.int(60...300))
            return t + r.uniform(10...20)
        }, at: s + 10)
        return (flow, dd)
    }
}
