import Wire

/// A QUIC connection (UDP 443) carrying HTTP/3 requests one at a time: client Initial, server Initial + Handshake,
/// then short-header packets. The server sends in rounds from an initial window of 10 packets, doubling per RTT
/// (back to 10 after an idle period), spaced at its share of the link; the client ACKs every second packet
/// [RFC 9000 §13.2.2, RFC 9002 §7.2].
final class QUICConnection {
    let flow: UDPFlow
    let rtt: Double
    /// Largest UDP payload of the server's packets (A: 1,250 or 1,350 B, as Google's servers send).
    let maxPayload: Int
    var cwnd = 10
    var lastSend = -1e9
    var busyUntil = 0.0

    init(_ e: Engine, host: ClientHost, server: IPAddress, name: String, role: FlowRole, rng: inout SeededRandom) {
        flow = e.openUDP(host, server: server, port: 443, role: role, name: name, kind: .quic)
        rtt = e.link.rtt * rng.uniform(0.9...1.1)
        maxPayload = rng.chance(0.5) ? 1_250 : 1_350
    }

    /// Client Initial (padded to 1,252 B [S8]), the server's Initial + Handshake flight, the client's Handshake.
    func handshake(_ e: Engine, at t: Double, rng: inout SeededRandom) -> Double {
        e.sendUDP(flow, at: t, fromClient: true, length: 1_252, code: 1)
        var tt = t + rtt
        for _ in 0..<rng.int(2...4) { e.sendUDP(flow, at: tt, fromClient: false, length: rng.int(1_200...1_252), code: 1); tt += 0.0002 }
        tt += rng.uniform(0.0002...0.001)
        e.sendUDP(flow, at: tt, fromClient: true, length: rng.int(80...120), code: 1)
        busyUntil = tt
        return tt + 0.0001
    }

    /// One request of `request` bytes and its response of `response` bytes; returns the last arrival.
    @discardableResult
    func request(_ e: Engine, at t: Double, request: Int, response: Int, rng: inout SeededRandom) -> Double {
        let t0 = max(t, busyUntil + 0.00005, e.now)
        e.sendUDP(flow, at: t0, fromClient: true, length: request + rng.int(25...40))
        var tt = t0 + rtt + rng.uniform(0.001...0.008)
        if tt - lastSend > max(0.2, 2 * rtt) { cwnd = 10 }
        let rate = e.link.downlink
        var left = response, sent = 0, roundStart = tt, prev = tt
        while left > 0 {
            let burst = cwnd
            var first = -1.0
            for _ in 0..<burst where left > 0 {
                let n = min(left, maxPayload)
                let a = max(roundStart, prev + Double(n + 28 + 14) * 8 / rate)
                if first < 0 { first = a }
                prev = a
                e.sendUDP(flow, at: a, fromClient: false, length: n)
                left -= n
                sent += 1
                if sent % 2 == 0 || left <= 0 { e.sendUDP(flow, at: a + rng.uniform(0.00003...0.0002), fromClient: true, length: rng.int(30...45)) }
            }
            roundStart = first + rtt
            cwnd = min(cwnd * 2, 4_000)
        }
        tt = prev
        lastSend = tt
        busyUntil = tt + 0.0003
        return tt
    }
}

/// Web video (YouTube/DASH-like): the watch page, then one media host; a video bit rate drawn per session from a
/// ladder, segments (byte ranges) of 2–6 s of media, an initial buffer fill of 20–60 s of media back to back, then
/// ON-OFF: one segment fetch whenever the buffer drops below its target, with separate audio-track ranges
/// (≈128 kbit/s) on the same or a second connection; QUIC instead of TCP in some sessions [S19; the rest A].
final class WebVideoClient: Scenario, ReportsDraws {
    /// Video bit rates of the ladder, 240p…1080p60, bit/s (A), and how often each is drawn (low rungs favoured: they
    /// overlap lossless audio in average rate).
    static let ladder: [Double] = [0.3e6, 0.7e6, 1.2e6, 2.5e6, 4e6, 6e6]
    static let ladderWeights: [Double] = [0.2, 0.2, 0.2, 0.15, 0.15, 0.1]
    static let pageHost = "www.youtube.com"
    static let mediaHost = "rr2---sn-5hne6nzs.googlevideo.com"

    let host: ClientHost
    var rng: SeededRandom
    var page: TCPConnection!
    var videoConn: TCPConnection?
    var audioConn: TCPConnection?
    var quic: QUICConnection?
    /// Drawn per session: video and audio bit rates (bit/s), segment durations (s), the buffer target (s).
    var bitrate = 0.0, audioRate = 0.0
    var segment = 0.0, audioSegment = 0.0
    var target = 0.0
    /// Playback start time and the media time buffered so far on each track (s).
    var playStart = 0.0
    var videoEnd = 0.0, audioEnd = 0.0

    init(host: ClientHost, rng: SeededRandom) {
        self.host = host
        self.rng = rng
    }

    var drawn: [String: Double] {
        ["bitrate": bitrate, "audio_bitrate": audioRate.rounded(), "segment": segment, "audio_segment": audioSegment, "target": target,
         "quic": quic != nil ? 1 : 0, "audio_connection": audioConn != nil ? 1 : 0]
    }

    private func pickRung() -> Double {
        var u = rng.unit()
        for (i, w) in WebVideoClient.ladderWeights.enumerated() {
            if u < w { return WebVideoClient.ladder[i] }
            u -= w
        }
        return WebVideoClient.ladder[WebVideoClient.ladder.count - 1]
    }

    /// One range: request 700–1,600 B (long media URLs), response the media plus 300–600 B of headers (A).
    private func fetch(_ e: Engine, video: Bool, at t: Double) -> Double {
        let media = video ? bitrate / 8 * segment * rng.logNormal(median: 1, sigma: 0.2)
            : audioRate / 8 * audioSegment * rng.logNormal(median: 1, sigma: 0.05)
        let response = Int(media) + rng.int(300...600), request = rng.int(700...1_600)
        if let quic { return quic.request(e, at: t, request: request, response: response, rng: &rng) }
        let c = video ? videoConn! : (audioConn ?? videoConn!)
        return e.exchange(c, at: t, request: request, response: response)
    }

    func wake(_ e: Engine, at t: Double) -> Double? {
        if page != nil { return step(e, at: t) }
        bitrate = pickRung()
        audioRate = 128_000 * rng.uniform(0.95...1.05)
        segment = rng.uniform(2...6)
        audioSegment = rng.chance(0.5) ? segment : rng.uniform(5...10)
        let fill = rng.uniform(20...60)
        target = fill
        let useQUIC = rng.chance(0.4)
        let separateAudio = rng.chance(0.5)
        // The watch page (HTML + player JSON, 150–600 KB) and a thumbnail or two (A).
        let (pd, pa) = e.resolve(host, WebVideoClient.pageHost, at: t)
        page = e.openTCP(host, server: pa, name: WebVideoClient.pageHost, role: .web)
        var p = e.connect(page, at: pd)
        p = e.exchange(page, at: p, request: rng.int(500...900), response: rng.int(150_000...600_000))
        p = e.exchange(page, at: p + rng.uniform(0.01...0.1), request: rng.int(800...1_500), response: rng.int(20_000...80_000))
        // Watch-time / QoE reports every 10–40 s (A).
        let reporter = page!
        e.schedule(Periodic(rng.derived(11)) { e, t, r in
            e.exchange(reporter, at: t, request: r.int(800...2_000), response: r.int(100...400))
            return t + r.uniform(10...40)
        }, at: p + rng.uniform(5...15))
        let (md, ma) = e.resolve(host, WebVideoClient.mediaHost, at: p + rng.uniform(0.001...0.02))
        var ready: Double
        if useQUIC {
            let q = QUICConnection(e, host: host, server: ma, name: WebVideoClient.mediaHost, role: .video, rng: &rng)
            quic = q
            ready = q.handshake(e, at: md, rng: &rng)
        } else {
            videoConn = e.openTCP(host, server: ma, name: WebVideoClient.mediaHost, role: .video)
            ready = e.connect(videoConn!, at: md)
            if separateAudio {
                audioConn = e.openTCP(host, server: ma, name: WebVideoClient.mediaHost, role: .video)
                ready = max(ready, e.connect(audioConn!, at: md + rng.uniform(0.0005...0.005)))
            }
        }
        // Initial fill: video and audio ranges back to back until both tracks hold `fill` seconds.
        var tt = ready
        var first = true
        while videoEnd < fill || audioEnd < fill {
            if videoEnd <= audioEnd {
                tt = fetch(e, video: true, at: tt + rng.uniform(0.001...0.01))
                videoEnd += segment
            } else {
                tt = fetch(e, video: false, at: tt + rng.uniform(0.001...0.01))
                audioEnd += audioSegment
            }
            if first && videoEnd > 0 && audioEnd > 0 { playStart = tt + rng.uniform(0.05...0.2); first = false }
            if tt > e.duration { break }
        }
        return nextDue(after: tt)
    }

    /// When the buffer of the track that empties first drops below the target.
    private func nextDue(after t: Double) -> Double {
        max(t + 0.01, playStart + min(videoEnd, audioEnd) - target)
    }

    private func step(_ e: Engine, at t: Double) -> Double? {
        var tt = t
        if playStart + videoEnd - target <= t + 0.001 {
            tt = fetch(e, video: true, at: tt)
            videoEnd += segment
        }
        if playStart + audioEnd - target <= t + 0.001 {
            // On its own connection the audio range goes out at once; on a shared one after the video range.
            let at = audioConn != nil ? t + rng.uniform(0...0.005) : tt + rng.uniform(0.001...0.01)
            tt = max(tt, fetch(e, video: false, at: at))
            audioEnd += audioSegment
        }
        return nextDue(after: tt)
    }
}
