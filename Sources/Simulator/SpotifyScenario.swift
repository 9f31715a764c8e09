import Wire

/// One track of a simulated listening session, as the summary reports it.
public struct TrackInfo: Sendable {
    public var index: Int
    public var clientIndex: Int
    public var cdnHost: String
    /// Track length in seconds and the file's average bit rate in bit/s (VBR around the tier's nominal rate).
    public var length: Double
    public var bitrate: Double
    /// File size: bit rate × length / 8 + the 167-byte Spotify Ogg header [S1].
    public var fileSize: Int
    public var playStart: Double
    public var downloadStart: Double
    /// Index of the audio flow in `SimulationSummary.flows`.
    public var flow: Int
    /// The tier's name (`low` … `lossless`).
    public var tier: String = ""
    /// Seconds played: the length, or less when the listener skipped the track.
    public var played: Double = 0
    public var skipped = false
    /// Seconds the listener held playback paused during this track (0: none); the track ends that much later.
    public var paused: Double = 0
    /// When the pause began (relative to the capture's time 0; meaningful when `paused` > 0).
    public var pauseStart: Double = 0
    /// Bytes of the file the client fetched (the whole file, or the chunks fetched before a skip).
    public var fetchedBytes = 0
}

/// A Spotify desktop-like client: control plane (access point on TCP 4070, dealer websocket, spclient) and
/// one CDN connection per track, fetched in bulk (librespot [S1]) or paced (librespot-java [S2]).
final class SpotifyClient: Scenario {
    let host: ClientHost
    let tier: Profile.SpotifyTier
    let download: DownloadBehaviour
    var rng: SeededRandom
    var ap: TCPConnection!
    var dealer: TCPConnection!
    var spclient: TCPConnection!
    var tracks: [TrackInfo] = []
    var preferredCDN: Int
    var started = false
    /// Skips are drawn from their own generator, so that a session without skips keeps its bytes.
    let skipShare: Double
    var skipRNG: SeededRandom
    /// Pauses likewise: drawn from a generator of their own, only when `pauseShare` > 0.
    let pauseShare: Double
    var pauseRNG: SeededRandom

    /// Audio CDN host families from librespot's examples [S1].
    static let cdnHosts = ["audio4-fa.scdn.co", "audio-ak-spotify-com.akamaized.net", "audio-cf.spotifycdn.com", "audio-gm-off.spotifycdn.com"]

    init(host: ClientHost, tier: Profile.SpotifyTier, download: DownloadBehaviour, rng: SeededRandom, skipShare: Double = 0,
         pauseShare: Double = 0) {
        self.skipShare = skipShare
        self.skipRNG = rng.derived(7_777)
        self.pauseShare = pauseShare
        self.pauseRNG = rng.derived(8_888)
        self.host = host
        self.tier = tier
        self.download = download
        self.rng = rng
        preferredCDN = self.rng.int(0...3)
    }

    func wake(_ e: Engine, at t: Double) -> Double? {
        guard !started else { return nil }
        started = true
        // Access point: own encrypted protocol on TCP 4070, not TLS; login 333/671/486 B then six 1,228 B segments [S8, M].
        let (apDNS, apAddr) = e.resolve(host, "ap-gew1.spotify.com", at: t)
        ap = e.openTCP(host, server: apAddr, port: 4070, name: "ap-gew1.spotify.com", role: .accessPoint, tls: false, rttScale: rng.uniform(2.5...4.0))
        var a = e.connect(ap, at: apDNS)
        a = e.exchange(ap, at: a, request: 333, response: 671)
        e.exchange(ap, at: a, request: 486, response: 6 * 1_228)
        // Server ping 11 B every ≈60 s with an 11 B pong; a 553 B client message with a 55 B reply every ≈33.6 s [S1, S8].
        let ap = self.ap!
        e.schedule(Periodic(rng.derived(1)) { e, t, r in
            e.serverPush(ap, at: t, bytes: 11, reply: 11)
            return t + r.uniform(59.0...61.0)
        }, at: t + rng.uniform(55...62))
        e.schedule(Periodic(rng.derived(2)) { e, t, r in
            e.exchange(ap, at: t, request: 553, response: 55)
            return t + r.uniform(33.0...34.2)
        }, at: t + rng.uniform(30...35))

        // Dealer websocket (TLS, ALPN http/1.1), pinged every 30 s [S1 dealer/mod.rs, S8].
        let (dDNS, dAddr) = e.resolve(host, "gew1-dealer.spotify.com", at: t + 0.001)
        dealer = e.openTCP(host, server: dAddr, name: "gew1-dealer.spotify.com", role: .dealer, rttScale: rng.uniform(2.5...4.0))
        let d = e.connect(dealer, at: dDNS)
        e.exchange(dealer, at: d, request: rng.int(420...560), response: rng.int(180...260) + rng.int(600...1_400))
        let dealer = self.dealer!
        e.schedule(Periodic(rng.derived(4)) { e, t, _ in
            e.exchange(dealer, at: t, request: 24, response: 16)
            return t + 30
        }, at: d + 30)

        // spclient (HTTPS): start-up calls, then event logging every 30–120 s (A).
        let (sDNS, sAddr) = e.resolve(host, "spclient.wg.spotify.com", at: t + 0.002)
        spclient = e.openTCP(host, server: sAddr, name: "spclient.wg.spotify.com", role: .spclient, rttScale: rng.uniform(1.5...2.5))
        var s = e.connect(spclient, at: sDNS)
        for _ in 0..<3 { s = e.exchange(spclient, at: s + rng.uniform(0.005...0.05), request: rng.int(300...600), response: rng.int(800...6_000)) }
        let sp = self.spclient!
        e.schedule(Periodic(rng.derived(3)) { e, t, r in
            e.exchange(sp, at: t, request: r.int(900...3_000), response: r.int(60...160))
            return t + r.uniform(30...120)
        }, at: s + rng.uniform(20...60))

        e.schedule(SpotifyTrack(client: self, index: 0, playStart: nil, rng: rng.derived(100)), at: max(a, s) + rng.uniform(0.2...1.5))
        return nil
    }

    /// VBR around the tier's nominal rate: AAC ≈ constant, Vorbis ±12 %, FLAC ±25 % (A).
    func drawBitrate() -> Double {
        let spread: ClosedRange<Double>
        switch tier {
        case .low: spread = 0.97...1.03
        case .lossless: spread = 0.75...1.25
        default: spread = 0.88...1.12
        }
        return tier.nominalKbps * 1000 * rng.uniform(spread)
    }
}

/// Fetches one track, then schedules the next one's prefetch 10–30 s before this one ends [S1, S2, S5].
final class SpotifyTrack: Scenario {
    unowned let client: SpotifyClient
    let index: Int
    var playStart: Double?
    var rng: SeededRandom
    var cdn: TCPConnection!
    var fileSize = 0
    var length = 0.0
    var request = 0
    var header = 0
    var nextChunk = 0
    var chunkCount = 0
    var chunkDuration = 0.0
    let chunk = 131_072
    /// When the listener abandons this track (nil: it plays to its end); its row in `client.tracks`.
    var skipAt: Double?
    var row = 0
    /// A pause: playback stops at this position of the track (seconds played) for `pauseLength` seconds.
    var pauseAt: Double?
    var pauseLength = 0.0

    init(client: SpotifyClient, index: Int, playStart: Double?, rng: SeededRandom) {
        self.client = client
        self.index = index
        self.playStart = playStart
        self.rng = rng
    }

    func wake(_ e: Engine, at t: Double) -> Double? {
        if cdn == nil { return begin(e, at: t) }
        if let skipAt, t >= skipAt {
            // Skipped: no more chunks; the connection closes as the next track starts.
            e.close(cdn, at: t, byClient: true)
            return nil
        }
        // Paced: chunk k is requested when playback reaches chunk k − 3 [S2 PRELOAD_AHEAD = 3].
        let size = min(chunk, fileSize - nextChunk * chunk)
        e.exchange(cdn, at: t, request: request + rng.int(-8...8), response: size + header)
        client.tracks[row].fetchedBytes += size
        nextChunk += 1
        if nextChunk >= chunkCount {
            e.close(cdn, at: skipAt ?? wallTime(ofPosition: length), byClient: true)
            return nil
        }
        let next = wallTime(ofPosition: Double(nextChunk - 3) * chunkDuration)
        if let skipAt, next >= skipAt { return skipAt }
        return next
    }

    /// The track starts: draw its length and file, fetch its metadata and key, connect to a CDN, then fetch
    /// the first ranges (bulk) or chunks (paced), note the track, and schedule the next one.
    private func begin(_ e: Engine, at t: Double) -> Double? {
        length = min(360, max(120, rng.logNormal(median: 210, sigma: 0.25)))
        let bitrate = client.drawBitrate()
        fileSize = Int(bitrate / 8 * length) + 167
        var info = connectToCDN(e, at: t, bitrate: bitrate)
        // A skip: after 10 s, up to 35 s before the end (before the next track's prefetch would start).
        let skipped = client.skipShare > 0 && client.skipRNG.chance(client.skipShare)
        let playedBeforeSkip = skipped ? client.skipRNG.uniform(10...max(10.5, length - 35)) : length
        if !skipped { drawPause() }
        let next: Double?
        switch client.download {
        case .bulk: next = fetchInBulk(e, info: &info, skipped: skipped, playedBeforeSkip: playedBeforeSkip)
        case .paced: next = fetchPaced(e, info: &info, bitrate: bitrate, skipped: skipped, playedBeforeSkip: playedBeforeSkip)
        }
        info.playStart = playStart!
        info.paused = pauseLength
        if let pauseAt { info.pauseStart = playStart! + pauseAt }
        if let skipAt {
            info.played = skipAt - playStart!
            info.skipped = true
        }
        row = client.tracks.count
        client.tracks.append(info)
        scheduleNextTrack(e, after: t)
        return next
    }

    /// A pause of playback (assumption A: no public measurement of how often or how long listeners pause):
    /// with probability `pauseShare` per track, at a position 10 s in up to 35 s before the end (so the next
    /// track's prefetch, 10–30 s before the end, comes after it), lasting log-normal(median 90 s, σ 0.9),
    /// 15–900 s. A paced client stops requesting chunks while paused (it stays 3 chunks ahead of playback);
    /// a bulk client, which has the whole file, fetches the next track that much later.
    private func drawPause() {
        guard client.pauseShare > 0, client.pauseRNG.chance(client.pauseShare) else { return }
        pauseAt = client.pauseRNG.uniform(10...max(10.5, length - 35))
        pauseLength = min(900, max(15, client.pauseRNG.logNormal(median: 90, sigma: 0.9)))
    }

    /// The time at which playback reaches `position` seconds of the track (later by the pause once past it).
    private func wallTime(ofPosition position: Double) -> Double {
        playStart! + position + (pauseAt.map { position >= $0 ? pauseLength : 0 } ?? 0)
    }

    /// Metadata and storage-resolve on spclient, the audio key on the access point (sizes: A), the CDN's
    /// name resolved and a connection opened. Returns the track's record, its download starting when the
    /// connection is ready.
    private func connectToCDN(_ e: Engine, at t: Double, bitrate: Double) -> TrackInfo {
        let host = client.host
        var m = e.exchange(client.spclient, at: t, request: rng.int(350...450), response: rng.int(2_000...6_000))
        m = e.exchange(client.spclient, at: m + 0.001, request: rng.int(300...400), response: rng.int(500...800))
        e.exchange(client.ap, at: t + rng.uniform(0.001...0.05), request: 41, response: 40)
        let family = rng.chance(0.7) ? client.preferredCDN : rng.int(0...3)
        let name = SpotifyClient.cdnHosts[family]
        let (dnsDone, addr) = e.resolve(host, name, at: m + rng.uniform(0.0005...0.003))
        cdn = e.openTCP(host, server: addr, name: name, role: .audio)
        let ready = e.connect(cdn, at: dnsDone)
        request = rng.int(180...420)
        header = rng.int(300...520)
        var info = TrackInfo(index: index, clientIndex: host.index, cdnHost: name, length: length, bitrate: bitrate, fileSize: fileSize,
                             playStart: 0, downloadStart: ready, flow: Int(cdn.index))
        info.tier = client.tier.rawValue
        info.played = length
        return info
    }

    /// librespot: 64 KiB first, then ranges of max(64 KiB, ≈1 s of measured throughput), back to back [S1].
    /// The whole file comes at once; nothing is left to fetch later (returns nil).
    private func fetchInBulk(_ e: Engine, info: inout TrackInfo, skipped: Bool, playedBeforeSkip: Double) -> Double? {
        let ready = info.downloadStart
        let first = min(65_536, fileSize)
        var done = e.exchange(cdn, at: ready, request: request, response: first + header)
        let start = playStart ?? done + rng.uniform(0.05...0.2)
        playStart = start
        var pos = first
        var throughput = Double(first) / max(0.001, done - ready)
        while pos < fileSize {
            let range = min(fileSize - pos, max(65_536, Int(throughput)))
            let sent = done + rng.uniform(0.0002...0.002)
            let end = e.exchange(cdn, at: sent, request: request + rng.int(-8...8), response: range + header)
            throughput = Double(range) / max(0.001, end - sent)
            pos += range
            done = end
        }
        info.fetchedBytes = fileSize
        if skipped { skipAt = start + playedBeforeSkip }
        e.close(cdn, at: max(done + 1, skipAt ?? wallTime(ofPosition: length)), byClient: true)
        return nil
    }

    /// librespot-java: 128 KiB chunks; the first is bytes 0–131071, then 3 ahead of playback [S2]. Fetches the
    /// first four and returns when the next is due (nil when the file is complete).
    private func fetchPaced(_ e: Engine, info: inout TrackInfo, bitrate: Double, skipped: Bool,
                            playedBeforeSkip: Double) -> Double? {
        chunkCount = (fileSize + chunk - 1) / chunk
        chunkDuration = Double(chunk) / (bitrate / 8)
        var done = e.exchange(cdn, at: info.downloadStart, request: request, response: min(chunk, fileSize) + header)
        let start = playStart ?? done + rng.uniform(0.05...0.2)
        playStart = start
        nextChunk = 1
        info.fetchedBytes = min(chunk, fileSize)
        if skipped { skipAt = start + playedBeforeSkip }
        while nextChunk < min(4, chunkCount) {
            info.fetchedBytes += min(chunk, fileSize - nextChunk * chunk)
            done = e.exchange(cdn, at: done + rng.uniform(0.0002...0.002), request: request + rng.int(-8...8),
                              response: min(chunk, fileSize - nextChunk * chunk) + header)
            nextChunk += 1
        }
        if nextChunk >= chunkCount {
            e.close(cdn, at: max(done + 1, skipAt ?? wallTime(ofPosition: length)), byClient: true)
            return nil
        }
        let planned = max(done + 0.001, wallTime(ofPosition: Double(nextChunk - 3) * chunkDuration))
        return skipAt.map { min($0, planned) } ?? planned
    }

    /// The next track: fetched when the listener skips (it plays as soon as its first range is in), else
    /// 10–30 s before this one ends.
    private func scheduleNextTrack(_ e: Engine, after t: Double) {
        let end = wallTime(ofPosition: length)
        let lead = rng.uniform(10...30)
        if let skipAt {
            e.schedule(SpotifyTrack(client: client, index: index + 1, playStart: nil, rng: rng.derived(UInt64(index + 1))), at: skipAt)
        } else {
            e.schedule(SpotifyTrack(client: client, index: index + 1, playStart: end, rng: rng.derived(UInt64(index + 1))),
                       at: max(t + 1, end - lead))
        }
    }
}
