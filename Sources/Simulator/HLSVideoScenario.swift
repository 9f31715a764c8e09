import Wire

/// Which video player `video:live` and `video:vod` simulate.
public enum VideoPlayer: String, CaseIterable, Sendable {
    /// An HLS player (`HLSVideoClient`): a bit-rate ladder with throughput-based switching; live as a Twitch-like
    /// stream of 2 s segments fetched when they appear (or low-latency parts pushed as they are encoded); VOD with
    /// segments of 2–10 s, a buffer target and a refill policy. The default.
    case hls
    /// The first scenario (`VideoClient`): live 2 s segments at a fixed rate, VOD a fixed 6–10 s rhythm. Kept so that
    /// models trained on it (the default model's stream stage) can be reproduced byte for byte.
    case fixed
}

/// An HLS video player watching a live channel or a video on demand (docs/simulator.md, "Video").
///
/// Live (Twitch-like [S20]): the encoder publishes a 2 s segment every 2 s; the player reloads the media playlist and
/// fetches each new segment as soon as it appears, staying 2–3 segments behind the live edge, so the download is a
/// short burst every 2 s at a steady rhythm. In low-latency mode (Twitch's prefetch segments) the next segment is
/// requested before it exists and its parts arrive as they are encoded: an almost continuous trickle.
/// VOD: segments of 2–10 s (Twitch VOD ≈ 10 s [M: bursts every 6.3–9.8 s of 2.7–3.0 MB]); the player fills its
/// buffer to a target, then either fetches one segment whenever the buffer drops below the target, or waits until it
/// drops by a refill amount and then fetches back to back (ON/OFF with long idle periods).
final class HLSVideoClient: Scenario, ReportsDraws {
    /// Rungs of the ladder, bit/s: Twitch's 160p, 360p, 480p, 720p30, 720p60 and 1080p60 (A, except 1080p60 ≈ 6.2
    /// Mbit/s [S20]); the measured VOD's 2.6–2.9 Mbit/s on the wire [M] sits between 720p30 and 720p60.
    static let ladder: [Double] = [0.23e6, 0.63e6, 1.43e6, 2.5e6, 3.5e6, 6.2e6]
    /// A rung is chosen when its bit rate is at most this share of the measured throughput (A).
    static let safety = 0.7

    enum LiveDelivery: String { case segments, lowLatency = "low_latency" }
    enum Refill: String { case perSegment = "per_segment", batch }

    let host: ClientHost
    let live: Bool
    var rng: SeededRandom
    var playlist: TCPConnection!
    var edge: TCPConnection!
    /// The highest rung the viewer allows (a quality picked in the menu, or the screen size).
    var maxRung = 5
    var rung = 3
    var throughput = 0.0
    var segmentDuration = 2.0
    var delivery = LiveDelivery.segments
    var partDuration = 0.5
    var refill = Refill.batch
    var target = 30.0
    var refillAmount = 10.0
    /// Live: the time the next segment (or part) is published; VOD: when playback started.
    var nextPublish = 0.0
    var playStart = 0.0
    /// VOD: media seconds fetched so far.
    var fetchedMedia = 0.0
    var waitingForLow = false
    private(set) var drawn: [String: Double] = [:]

    init(host: ClientHost, live: Bool, rng: SeededRandom) {
        self.host = host
        self.live = live
        self.rng = rng
    }

    private var bitrate: Double { Self.ladder[rung] }

    /// Bytes of one segment (or part) of `seconds` of media at the current rung: scene complexity varies the size
    /// (log-normal, σ 0.12 live, 0.15 VOD (A)), plus 300–600 B of HTTP headers.
    private func mediaBytes(_ seconds: Double) -> Int {
        Int(bitrate / 8 * seconds * rng.logNormal(median: 1, sigma: live ? 0.12 : 0.15)) + rng.int(300...600)
    }

    /// Fetches one segment at `t`; returns when its last byte arrives and updates the throughput estimate and rung.
    private func fetchSegment(_ e: Engine, at t: Double) -> Double {
        let bytes = mediaBytes(segmentDuration)
        let begin = max(t, e.now)
        let done = e.exchange(edge, at: begin, request: rng.int(300...450), response: bytes)
        let measured = Double(bytes) * 8 / max(done - begin, 0.001)
        throughput = throughput == 0 ? measured : 0.7 * throughput + 0.3 * measured  // smoothed (A)
        var best = 0
        for (i, rate) in Self.ladder.enumerated() where i <= maxRung && rate <= Self.safety * throughput { best = i }
        rung = best
        return done
    }

    func wake(_ e: Engine, at t: Double) -> Double? {
        if edge != nil { return live ? stepLive(e, at: t) : stepVOD(e, at: t) }
        maxRung = rng.int(2...5)
        rung = min(maxRung, rng.int(2...4))
        let playlistName = live ? "video-weaver.fra05.hls.ttvnw.net" : "usher.ttvnw.net"
        let edgeName = live ? "video-edge-c2a1b4.fra05.abs.hls.ttvnw.net" : "vod-secure.twitch.tv"
        let (pd, pa) = e.resolve(host, playlistName, at: t)
        playlist = e.openTCP(host, server: pa, name: playlistName, role: .playlist)
        var p = e.connect(playlist, at: pd)
        // Master playlist (the ladder) then the media playlist (A: sizes).
        p = e.exchange(playlist, at: p, request: rng.int(350...600), response: rng.int(2_000...4_000))
        let (ed, ea) = e.resolve(host, edgeName, at: p)
        edge = e.openTCP(host, server: ea, name: edgeName, role: .video)
        // Most video CDN servers keep their window across the idle periods between segments (A: ¾ of sessions),
        // and run CUBIC (Linux default, RFC 8312) or Reno.
        edge.keepsWindowWhenIdle = rng.chance(0.75)
        edge.lossBackoff = rng.chance(0.8) ? 0.7 : 0.5
        var ready = e.connect(edge, at: ed)
        if live {
            segmentDuration = 2  // #EXTINF:2.000 [S20]
            delivery = rng.chance(0.5) ? .lowLatency : .segments
            partDuration = rng.uniform(0.25...0.5)
            // Start 2 segments behind the live edge [S20]: both fetched back to back.
            for _ in 0..<2 { ready = fetchSegment(e, at: ready + 0.001) }
            // The encoder's clock: segments appear every 2 s from a phase unrelated to the start.
            nextPublish = ready + rng.uniform(0.2...1.9)
            // Chat: a websocket with a message every ≈1.5 s on average (A).
            let (cd, ca) = e.resolve(host, "irc-ws.chat.twitch.tv", at: t + 0.01)
            let chat = e.openTCP(host, server: ca, name: "irc-ws.chat.twitch.tv", role: .signalling)
            let c = e.connect(chat, at: cd)
            e.schedule(Periodic(rng.derived(7)) { e, t, r in
                e.serverPush(chat, at: t, bytes: r.int(150...700), reply: 0)
                return t + r.exponential(mean: 1.5)
            }, at: c + 1)
            drawn = ["segment": segmentDuration, "low_latency": delivery == .lowLatency ? 1 : 0, "part": partDuration,
                     "max_rung": Double(maxRung), "keeps_window": edge.keepsWindowWhenIdle ? 1 : 0]
            return nextPublish
        }
        // VOD: Twitch-like 10 s segments in half the sessions [M], else 2–10 s (other HLS / DASH packagers, A).
        segmentDuration = rng.chance(0.5) ? rng.uniform(9...10.5) : rng.uniform(2...10)
        target = rng.uniform(20...60)  // buffer target (A; ≈ 30 s is the usual player default)
        // Short segments are fetched in batches (a low watermark); longer ones one at a time or in batches (A).
        refill = segmentDuration >= 4 && rng.chance(0.5) ? .perSegment : .batch
        refillAmount = max(segmentDuration, rng.uniform(8...20))
        // Initial fill: segments back to back until the buffer holds the target; playback starts after the first two.
        var segments = 0
        while fetchedMedia < target && ready < e.duration {
            ready = fetchSegment(e, at: ready + rng.uniform(0.001...0.02))
            fetchedMedia += segmentDuration
            segments += 1
            if segments == 2 { playStart = ready + rng.uniform(0.05...0.3) }
        }
        if segments < 2 { playStart = ready }
        waitingForLow = refill == .batch
        drawn = ["segment": segmentDuration, "target": target, "batch": refill == .batch ? 1 : 0, "refill": refillAmount,
                 "max_rung": Double(maxRung), "keeps_window": edge.keepsWindowWhenIdle ? 1 : 0]
        return nextVODWake(after: ready)
    }

    /// Media seconds in the buffer at `t`.
    private func buffered(at t: Double) -> Double { fetchedMedia - max(0, t - playStart) }

    /// When the buffer drops to the level that starts the next fetch.
    private func nextVODWake(after t: Double) -> Double {
        let level = waitingForLow ? target - refillAmount : target - segmentDuration
        return max(t + 0.01, playStart + fetchedMedia - level)
    }

    private func stepVOD(_ e: Engine, at t: Double) -> Double? {
        var tt = t
        if refill == .perSegment {
            tt = fetchSegment(e, at: tt + rng.uniform(0...0.05))
            fetchedMedia += segmentDuration
        } else {
            // Batch: back to back until the buffer is at the target again.
            while buffered(at: tt) < target && tt < e.duration {
                tt = fetchSegment(e, at: tt + rng.uniform(0.001...0.02))
                fetchedMedia += segmentDuration
            }
        }
        return nextVODWake(after: tt)
    }

    private func stepLive(_ e: Engine, at t: Double) -> Double? {
        switch delivery {
        case .segments:
            // Playlist reload, then the new segment [S20: one GET per segment].
            let p = e.exchange(playlist, at: t + rng.uniform(0.02...0.3), request: rng.int(300...420), response: rng.int(1_000...2_500))
            let done = fetchSegment(e, at: p + 0.001)
            nextPublish += segmentDuration + rng.normal(sd: 0.03)
            return max(nextPublish, done + 0.01)
        case .lowLatency:
            // A part of the prefetched segment, pushed as it is encoded; a playlist reload once per segment.
            e.serverPush(edge, at: t + rng.uniform(0...0.02), bytes: mediaBytes(partDuration), reply: 0)
            if rng.chance(partDuration / segmentDuration) {
                e.exchange(playlist, at: t + rng.uniform(0.01...0.1), request: rng.int(300...420), response: rng.int(1_000...2_500))
            }
            nextPublish += partDuration + rng.normal(sd: 0.01)
            return max(nextPublish, t + 0.01)
        }
    }
}
