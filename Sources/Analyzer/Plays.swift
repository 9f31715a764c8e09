import Features
import Foundation

/// One estimated play (a track) of an audio stream, as the report carries it.
public struct PlayReport: Codable, Sendable, Equatable {
    /// Seconds from the start of the capture, and the same instant in seconds since the epoch.
    public var startSeconds: Double
    public var startEpoch: Double
    /// Estimated seconds played (up to the next play's start, or to the end of the observation for the last one).
    public var playSeconds: Double
    /// Download bytes (frames) of the play's fetches.
    public var bytes: Int
    /// The tier its rate suggests (`low` … `lossless`), nil when no rate could be measured.
    public var tier: String?
    /// The next fetch came sooner than the track could have ended: the listener skipped it.
    public var skipped: Bool
    /// False when the observation ended while it was playing (its play time is a lower bound).
    public var complete: Bool
    /// How the start was found: `first-fetch`, `connection-close`, `chunk-rhythm`, `skip`, `lead` (fetch + 20 s).
    public var basis: String

    enum CodingKeys: String, CodingKey {
        case startSeconds = "start_s", startEpoch = "start_epoch", playSeconds = "play_s", bytes, tier, skipped, complete, basis
    }

    public init(startSeconds: Double, startEpoch: Double, playSeconds: Double, bytes: Int, tier: String?, skipped: Bool,
                complete: Bool, basis: String) {
        self.startSeconds = startSeconds; self.startEpoch = startEpoch; self.playSeconds = playSeconds; self.bytes = bytes
        self.tier = tier; self.skipped = skipped; self.complete = complete; self.basis = basis
    }
}

/// Estimates the plays of one audio stream from its download structure (docs/plays.md).
///
/// A client fetches each track when it is about to play it: the whole file at once (bulk) or its first four
/// 128 KiB chunks at once and then one chunk per chunk of play time (paced). A download burst (packets closer
/// than 0.5 s) of at least `fetchBytes` is therefore one track fetch. When the track starts playing:
/// - the first fetch of a session plays as soon as its first range is in (`first-fetch`);
/// - in the clear, the client closes the previous track's connection when the next starts (`connection-close`),
///   and a close right at a fetch means the previous track was skipped (`skip`);
/// - paced, the new track's chunk rhythm starts one chunk period after it starts playing, after a gap of four or
///   more periods in the old track's rhythm (`chunk-rhythm`); an unbroken rhythm means a skip;
/// - otherwise the fetch is a prefetch 10–30 s before the track change (`lead`: fetch + 20 s), or a skip when the
///   fetch comes long before the previous track, at its rate, could have ended.
///
/// Per packet: a few comparisons and additions, no allocation. Memory: the bursts of the last two fetches
/// (at most `maxEvents`), the last client closes, and the plays (at most `maxPlays`).
struct PlayEstimator {
    static let burstGap = 0.5
    static let chunkBytes = 131_072
    /// A burst at least this large is a track fetch (bulk: a whole file, ≥ 360 kB; paced: four chunks, ≈ 540 kB).
    static let fetchBytes = 330_000
    /// A burst of one chunk (128 KiB plus HTTP, TLS and TCP/IP or tunnel framing).
    static let chunkBurst = 110_000...190_000
    /// Frame bytes per audio byte, between the clear (≈ 1.046) and a WireGuard tunnel (≈ 1.09).
    static let overhead = 1.06
    /// Seconds from the start of a fetch burst to the start of play (connection, first range, 50–200 ms).
    static let startDelay = 0.3
    /// Seconds from a prefetch to the track change (clients prefetch 10–30 s ahead).
    static let lead = 20.0
    static let maxEvents = 4_096
    static let maxPlays = 100_000
    static let maxCloses = 64
    static let maxIntervals = 64
    static let tiers: [(name: String, kbps: Double)] = [("low", 24), ("normal", 96), ("high", 160), ("very_high", 320), ("lossless", 900)]

    struct Event {
        var start: Double
        var end: Double
        var bytes: Int
        var isFetch: Bool
    }

    /// A fetch whose start of play is decided (or still open, for the newest one).
    struct Track {
        var fetch: Event
        var start: Double
        var basis: String
        /// Chunk period seen in this track's own rhythm (paced), 0 if none.
        var period = 0.0
    }

    var captureStart = 0.0
    private var burstOpen = false
    private var burstStart = 0.0
    private var burstEnd = 0.0
    private var burstBytes = 0
    /// A fetch is one transfer: ranges or chunks requested back to back, no silence of `fetchMaxGap` inside.
    /// Chunks of a fast paced rhythm on a slow link merge into one burst with silences of a few hundred
    /// milliseconds between them; a fetch may merge with the old track's chunk. So a burst is a fetch when one
    /// run without such a silence holds `fetchBytes`; the fetch starts where that run starts.
    static let fetchMaxGap = 0.3
    private var runStart = 0.0
    private var runBytes = 0
    private var bestRunStart = 0.0
    private var bestRunBytes = 0
    /// Bursts since the oldest track still waiting to be emitted.
    private var events: [Event] = []
    /// Times of the client's FINs on the stream's TCP connections (clear only).
    private var closes: [Double] = []
    /// Recent intervals between consecutive one-chunk bursts (the paced rhythm).
    private var intervals: [Double] = []
    private var lastChunk: Double?
    /// Tracks fetched and not yet emitted: [previous (start known), newest (start pending)].
    private var pending: [Track] = []
    private(set) var plays: [PlayReport] = []
    var onPlay: ((PlayReport) -> Void)?
    var lastTime = 0.0
    /// For the close signature inside a tunnel: the previous packet, the last small client packets (a ring),
    /// and a close seen but not yet confirmed (time of the FIN, time of the last ACK).
    struct Packet {
        var time = -Double.infinity
        var length = 0
        var upload = false
        /// Seconds since the stream's previous download packet.
        var quiet = 0.0
    }
    private var previous = Packet()
    private var smallUploads = [Packet](repeating: Packet(), count: 8)
    private var smallUploadNext = 0
    private var candidateFIN = -Double.infinity
    private var candidateACK = -Double.infinity
    /// The last download frame of a data segment's size: a close happens when no transfer runs.
    private var lastBigDownload = -Double.infinity
    private var lastDownload = -Double.infinity
    /// The client's FIN comes on its own, not as the (delayed) ACK of something the server just sent.
    static let finQuiet = 0.2
    /// Largest frame of the close signature (an empty TCP segment: 66 B in the clear, 138 B in a WireGuard tunnel).
    static let closeFrameMax = 170

    init() {
        events.reserveCapacity(256)
        closes.reserveCapacity(Self.maxCloses)
        intervals.reserveCapacity(Self.maxIntervals)
    }

    /// One download packet of the stream (frame bytes).
    @inline(__always)
    mutating func addDownload(time: Double, bytes: Int) {
        lastTime = time
        if burstOpen, time - burstEnd <= Self.burstGap {
            if time - burstEnd >= Self.fetchMaxGap { runStart = time; runBytes = 0 }
            runBytes &+= bytes
            if runBytes > bestRunBytes { bestRunBytes = runBytes; bestRunStart = runStart }
            burstEnd = time
            burstBytes &+= bytes
            return
        }
        if burstOpen { closeBurst() }
        burstOpen = true
        burstStart = time
        burstEnd = time
        burstBytes = bytes
        runStart = time
        runBytes = bytes
        bestRunStart = time
        bestRunBytes = bytes
    }

    /// Every packet of the stream: spots a connection close where the TCP flags are hidden (inside a tunnel).
    /// The client's FIN, the server's FIN-ACK one round trip later and the client's ACK at once are three frames
    /// of the same empty-segment size (66 B in the clear, 138 B in a WireGuard tunnel), other packets may come
    /// between the first two. A TCP handshake has the same sizes in a tunnel (padding) but the client's TLS
    /// ClientHello follows its ACK at once; the access point's ping (server first) has no client packet of that
    /// size just before it that was not the ACK of a download (a FIN comes on its own); inside a transfer (a download frame of data less than 0.5 s before) ACKs and
    /// retransmissions can look alike, so nothing there counts. Requests, replies and pings of other sizes never match.
    @inline(__always)
    mutating func addPacket(time: Double, length: Int, upload: Bool) {
        if candidateACK > -Double.infinity { confirmCandidate(time: time, length: length, upload: upload) }
        if length > Self.closeFrameMax {
            // Most packets: data segments. Only the times and the previous packet matter.
            if !upload {
                lastDownload = time
                if length >= 1_000 { lastBigDownload = time }
            }
            previous.length = length
            return
        }
        smallPacket(time: time, length: length, upload: upload)
    }

    private mutating func confirmCandidate(time: Double, length: Int, upload: Bool) {
        // A handshake's ClientHello follows within a few milliseconds; other packets may come between.
        if upload && length >= 300 && time - candidateACK < 0.005 {
            candidateACK = -Double.infinity
        } else if time - candidateACK >= 0.005 {
            addClientClose(time: candidateFIN)
            candidateACK = -Double.infinity
        }
    }

    private mutating func smallPacket(time: Double, length: Int, upload: Bool) {
        if upload, !previous.upload, previous.length == length, time - previous.time < 0.01,
           previous.time - lastBigDownload > Self.burstGap {
            // Server (FIN-ACK?) then client (ACK) at once: was there a client frame of that size one round trip before?
            var fin = -Double.infinity
            for p in smallUploads where p.length == length && p.time < previous.time - 0.001 && p.time > previous.time - 1
                && p.quiet > Self.finQuiet {
                fin = max(fin, p.time)
            }
            if fin > -Double.infinity { candidateFIN = fin; candidateACK = time }
        }
        if upload {
            smallUploads[smallUploadNext] = Packet(time: time, length: length, upload: true, quiet: time - lastDownload)
            smallUploadNext = (smallUploadNext + 1) & 7
        } else {
            lastDownload = time
        }
        previous = Packet(time: time, length: length, upload: upload)
    }

    /// The client sent a FIN on one of the stream's TCP connections.
    mutating func addClientClose(time: Double) {
        if closes.count >= Self.maxCloses { closes.removeFirst(closes.count - Self.maxCloses + 1) }
        closes.append(time)
    }

    /// Ends the observation at `end` (seconds since the epoch): every remaining play is emitted.
    mutating func finish(observedUntil end: Double) {
        if candidateACK > -Double.infinity { addClientClose(time: candidateFIN); candidateACK = -Double.infinity }
        if burstOpen { closeBurst() }
        if pending.count == 2 { resolveNewest(nextFetch: nil) }
        if pending.count == 2 { emit(pending[0], next: pending[1], end: end); pending.removeFirst() }
        if pending.count == 1 { emit(pending[0], next: nil, end: end); pending.removeAll() }
        events.removeAll(keepingCapacity: true)
        lastChunk = nil
    }

    private mutating func closeBurst() {
        burstOpen = false
        let isFetch = bestRunBytes >= Self.fetchBytes
        let e = Event(start: isFetch ? bestRunStart : burstStart, end: burstEnd, bytes: burstBytes, isFetch: isFetch)
        if Self.chunkBurst.contains(e.bytes) {
            if let last = lastChunk, e.start - last < 120 {
                if intervals.count >= Self.maxIntervals { intervals.removeFirst() }
                intervals.append(e.start - last)
            }
            lastChunk = e.start
        } else if e.isFetch {
            lastChunk = nil
        }
        if e.bytes < Self.chunkBurst.lowerBound && !e.isFetch {
            return  // control traffic, the tail chunk of a file, noise
        }
        if events.count >= Self.maxEvents { events.removeFirst(events.count - Self.maxEvents / 2) }
        if e.isFetch { newFetch(e) }
        events.append(e)
    }

    private mutating func newFetch(_ f: Event) {
        if pending.count == 2 {
            resolveNewest(nextFetch: f)
            emit(pending[0], next: pending[1], end: f.start)
            pending.removeFirst()
            // Keep the bursts from the previous fetch on (they attribute chunks to it).
            let from = pending[0].fetch.start
            if let i = events.firstIndex(where: { $0.start >= from }), i > 0 { events.removeFirst(i) }
        }
        if pending.isEmpty {
            pending.append(Track(fetch: f, start: f.start + Self.startDelay, basis: "first-fetch"))
        } else {
            pending.append(Track(fetch: f, start: f.start + Self.lead, basis: "lead"))
        }
    }

    /// The median of the recent chunk intervals (the paced chunk period), 0 when unknown.
    private func period() -> Double {
        guard intervals.count >= 2 else { return 0 }
        let s = intervals.sorted()
        return s[s.count / 2]
    }

    /// Decides when the newest fetched track started playing, from what came after its fetch.
    private mutating func resolveNewest(nextFetch: Event?) {
        guard pending.count == 2 else { return }
        let previous = pending[0]
        var t = pending[1]
        let f = t.fetch
        let limit = nextFetch?.start ?? Double.infinity
        // 1. The client closes the old track's connection when the new one starts (FIN in the clear, the close
        //    signature in a tunnel): right at the fetch, the old track was skipped; 2–45 s later, a prefetch.
        if closes.contains(where: { $0 >= f.start - 1 && $0 <= f.start + 2 }) {
            t.start = f.start + Self.startDelay
            t.basis = "skip"
            pending[1] = t
            return
        }
        if let c = closes.first(where: { $0 > f.start + 2 && $0 <= min(limit, f.start + 45) }) {
            t.start = c
            t.basis = "connection-close"
            pending[1] = t
            return
        }
        // 2. Paced: the new track's rhythm (chunk 4 one period after its start) after a gap in the old one.
        let d = period()
        if d > 0 {
            var previousChunk: Double?
            var after: [Double] = []
            // Every burst of one chunk or more that is not a fetch (chunks merged on a slow link count too).
            for e in events where !e.isFetch && e.bytes >= Self.chunkBurst.lowerBound {
                if e.start < f.start { previousChunk = e.start } else if e.start < limit { after.append(e.start) }
            }
            if !after.isEmpty {
                var last = previousChunk ?? (f.start - 2 * d)
                var found: Double?
                for c in after {
                    if c - last > 3 * d { found = c; break }
                    last = c
                }
                if found == nil, let first = after.first, abs(first - (f.start + Self.startDelay + d)) < 0.3 * d,
                   previousChunk.map({ first - $0 > 1.3 * d }) ?? true {
                    // The old track's rhythm stopped at the fetch (its next beat did not come) and the new one's
                    // started one period after it: the old track was skipped.
                    found = first
                }
                if let found {
                    t.start = max(f.start + Self.startDelay, found - d)
                    t.basis = t.start - f.start < 5 ? "skip" : "chunk-rhythm"
                    t.period = d
                    pending[1] = t
                    return
                }
            }
        }
        // 3. A fetch long before the previous track could have ended at its rate is a skip.
        if let rate = rateKbps(previous, next: nil), rate > 0 {
            let length = Double(previous.fetch.bytes) / Self.overhead * 8 / (rate * 1000)
            let prefetchPlayed = f.start + Self.lead - previous.start
            if d == 0, prefetchPlayed < 0.83 * length - 10 {
                t.start = f.start + Self.startDelay
                t.basis = "skip"
            }
        }
        pending[1] = t
    }

    /// The session's audio rate, kbit/s: the chunk period when paced, else the median of the bulk plays' bytes
    /// over their play time; the tier's nominal rate it snaps to.
    private func rateKbps(_ track: Track, next: Track?) -> Double? {
        let d = track.period > 0 ? track.period : period()
        if d > 0 { return Self.snap(Double(Self.chunkBytes) * 8 / d / 1000).kbps }
        var rates: [Double] = plays.suffix(16).filter { $0.complete && !$0.skipped && $0.playSeconds > 30 }
            .map { Double($0.bytes) / Self.overhead * 8 / $0.playSeconds / 1000 }
        if let next, next.start > track.start + 30, next.basis != "skip" {
            rates.append(Double(track.fetch.bytes) / Self.overhead * 8 / (next.start - track.start) / 1000)
        }
        guard !rates.isEmpty else { return nil }
        rates.sort()
        return Self.snap(rates[rates.count / 2]).kbps
    }

    static func snap(_ kbps: Double) -> (name: String, kbps: Double) {
        var best = tiers[0]
        for t in tiers where abs(log(kbps / t.kbps)) < abs(log(kbps / best.kbps)) { best = t }
        return best
    }

    private mutating func emit(_ track: Track, next: Track?, end: Double) {
        var bytes = track.fetch.bytes
        let until = next?.start ?? Double.infinity
        for e in events where !e.isFetch && e.start > track.fetch.end && e.start >= track.start - 1 && e.start < until {
            bytes += e.bytes
        }
        let rate = rateKbps(track, next: next)
        var played: Double
        var complete = true
        if let next {
            played = next.start - track.start
        } else {
            played = max(0, end - track.start)
            complete = false
            if track.period == 0, period() == 0, let rate {
                // Bulk: the whole file is in; it plays for its length at most.
                let length = Double(bytes) / Self.overhead * 8 / (rate * 1000)
                if played >= length { played = length; complete = true }
            }
        }
        let play = PlayReport(startSeconds: track.start - captureStart, startEpoch: track.start, playSeconds: max(0, played),
                              bytes: bytes, tier: rate.map { Self.snap($0).name }, skipped: next?.basis == "skip",
                              complete: complete, basis: track.basis)
        if plays.count < Self.maxPlays { plays.append(play) }
        onPlay?(play)
    }
}
