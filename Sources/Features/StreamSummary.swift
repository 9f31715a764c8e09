import Foundation

/// Whole-session features of one stream (`summary-v1`): what a listener's download looks like over
/// minutes rather than 3 s — its average and per-second rates, its bursts (fetches), how big they are
/// and how far apart, and the rate that "bytes of a fetch ÷ time to the next fetch" implies.
///
/// Why: an audio stream is defined by a few facts a 3 s window cannot see. A client fetches audio
/// in chunks (paced: fixed 128 KiB chunks, one per chunk of play time) or whole tracks (bulk: one
/// burst per track, the next one roughly a track length later); either way the bytes of one fetch
/// divided by the time to the next similar fetch is the audio bit rate (24–900 kbit/s for the five
/// tiers). Video, calls, downloads and browsing have other structures: segments of 2–10 s at
/// 0.3–6 Mbit/s, continuous packets both ways every few milliseconds, one long transfer at link
/// speed, sporadic page loads. The size bands below keep a fetch structure visible when other
/// traffic shares the unit (inside a VPN tunnel everything is one flow): a web page load or a file
/// download falls in another band than the audio chunks or tracks.
///
/// One accumulator per session; packets in time order. Memory: one counter per second of the
/// session and one record per burst (at most one per `burstGap` of session time, capped).
public struct StreamSummary: Sendable {
    /// The feature set name written into models and CSV files.
    public static let setName = "summary-v1"
    /// Download packets closer than this belong to one burst (one fetch).
    public static let burstGap = 0.5
    /// A second counts as active when it carries at least this many download bytes (one full frame).
    public static let activeSecondBytes = 1_500
    /// Lower edges of the burst-size bands, bytes (the last band is open-ended). Smaller bursts
    /// (DNS, ACK-sized noise, small requests) are in no band.
    public static let bandEdges: [Int] = [32_768, 98_304, 327_680, 1_048_576, 3_355_443, 10_485_760]
    static let bandNames = ["32k", "96k", "320k", "1m", "3m", "10m"]
    /// Seconds before the end of a track at which clients fetch the next one (middle of 10–30 s).
    static let nextTrackLead = 20.0
    /// Bursts kept per session; later bursts still count in the totals and per-second series.
    static let maxBursts = 100_000
    /// An upload frame at least this long is a request (an HTTP range request, a segment GET),
    /// not an ACK: ACKs are 54–66 B in the clear and under 160 B inside a WireGuard tunnel, the
    /// clients' range requests 180–600 B of payload. Inside a tunnel, a request stays a separate
    /// packet even while its answer merges with other downloads, so the requests keep the fetch
    /// rhythm that the download bursts lose.
    public static let requestBytes = 200
    /// The request comb is computed when a session has at most this many requests (a call sends
    /// 50 request-sized packets a second; its count alone says enough).
    static let maxRequestsForPeriod = 5_000

    /// The features, in the order of `values()`.
    public enum Slot: Int, CaseIterable, Sendable, FeatureSlot {
        case durationSeconds, downKbps, upKbps, upDownBytes, upDownPackets, downPacketsPerSecond, upPacketsPerSecond
        case activeSecondShare, activeKbpsP50, activeKbpsP90, secondCV
        case burstsPerMinute, burstKBP50, burstKBP90, maxBurstShare, burstIntervalP50, burstIntervalCV
        case cycleKbpsP50, bigCycleKbps, bigCycleKbpsLead, bigBurstCount, bigIntervalP50, periodicity
        case silenceMaxSeconds, downSizeP50, downFullShare, upSizeP50
        case requestsPerMinute, requestIntervalP50, requestPeriod, requestPeriodStrength, downloadKBPerRequest

        var name: String {
            switch self {
            case .durationSeconds: "ss_duration_s"
            case .downKbps: "ss_down_kbps"
            case .upKbps: "ss_up_kbps"
            case .upDownBytes: "ss_up_down_bytes"
            case .upDownPackets: "ss_up_down_packets"
            case .downPacketsPerSecond: "ss_down_pps"
            case .upPacketsPerSecond: "ss_up_pps"
            case .activeSecondShare: "ss_active_second_share"
            case .activeKbpsP50: "ss_active_kbps_p50"
            case .activeKbpsP90: "ss_active_kbps_p90"
            case .secondCV: "ss_second_cv"
            case .burstsPerMinute: "ss_bursts_per_min"
            case .burstKBP50: "ss_burst_kb_p50"
            case .burstKBP90: "ss_burst_kb_p90"
            case .maxBurstShare: "ss_max_burst_share"
            case .burstIntervalP50: "ss_burst_interval_p50"
            case .burstIntervalCV: "ss_burst_interval_cv"
            case .cycleKbpsP50: "ss_cycle_kbps_p50"
            case .bigCycleKbps: "ss_big_cycle_kbps"
            case .bigCycleKbpsLead: "ss_big_cycle_kbps_lead20"
            case .bigBurstCount: "ss_big_burst_count"
            case .bigIntervalP50: "ss_big_interval_p50"
            case .periodicity: "ss_periodicity"
            case .silenceMaxSeconds: "ss_silence_max_s"
            case .downSizeP50: "ss_down_size_p50"
            case .downFullShare: "ss_down_full_share"
            case .upSizeP50: "ss_up_size_p50"
            case .requestsPerMinute: "ss_req_per_min"
            case .requestIntervalP50: "ss_req_interval_p50"
            case .requestPeriod: "ss_req_period_s"
            case .requestPeriodStrength: "ss_req_period_strength"
            case .downloadKBPerRequest: "ss_req_down_kb"
            }
        }
    }

    /// Per size band: bursts per minute, median start-to-start interval, implied rate, size
    /// variation; and the periodic trains hidden in it. Several clients in one tunnel (or audio
    /// beside other periodic traffic) interleave their fetches: the bursts of one band then repeat
    /// with a steady period only every k-th burst. `trains` is the k in 1…4 whose k-step intervals
    /// vary least, `train_cv` that variation, `train_kbps` the rate of one train (bytes of a burst
    /// over the k-step interval) — one client's bit rate when k clients fetch alike.
    ///
    /// Other bursts in the same band (a page load, a QUIC burst beside the audio in a tunnel) break
    /// consecutive intervals but not the period itself: `period_s` is the period T whose multiples
    /// (T, 2T, 3T) hold the most start-to-start differences between any two bursts of the band (up
    /// to 120 s apart; 2 % bins on a log scale), `period_strength` those differences per burst,
    /// `period_kbps` the median burst's bytes × 8 / T.
    public enum BandSlot: Int, CaseIterable, Sendable {
        case perMinute, intervalP50, kbps, sizeCV, trains, trainCV, trainKbps, period, periodStrength, periodKbps
        var suffix: String {
            switch self {
            case .perMinute: "per_min"; case .intervalP50: "interval_p50"; case .kbps: "kbps"; case .sizeCV: "size_cv"
            case .trains: "trains"; case .trainCV: "train_cv"; case .trainKbps: "train_kbps"
            case .period: "period_s"; case .periodStrength: "period_strength"; case .periodKbps: "period_kbps"
            }
        }
    }

    /// Every feature name, in value order.
    public static let featureNames: [String] = Slot.allCases.map(\.name)
        + bandNames.flatMap { band in BandSlot.allCases.map { "ss_band_\(band)_\($0.suffix)" } }

    struct Burst: Sendable {
        var start: Double
        var end: Double
        var bytes: Int
    }

    public private(set) var firstTime: Double?
    public private(set) var lastTime = 0.0
    public private(set) var downBytes = 0
    public private(set) var upBytes = 0
    public private(set) var downPackets = 0
    public private(set) var upPackets = 0
    private var lastDownTime: Double?
    private var silenceMax = 0.0
    /// The per-second download series, sparse: (second since the session's first packet, bytes)
    /// for the seconds that carried download, in time order. Seconds without download are zero
    /// and not stored, so a session of rare packets far apart costs one entry per packet, not one
    /// per second of its length. `secondCount` is the series' length, quiet seconds included.
    private var activeSeconds: [(second: Int, bytes: UInt32)] = []
    /// The newest entry of `activeSeconds`, still being added to (`pendingSecond` < 0: none); it goes
    /// into the array when a packet of another second comes, or when the values are computed.
    private var pendingSecond = -1
    private var pendingBytes: UInt32 = 0
    /// The times of `pendingSecond`: [pendingLow, pendingHigh) (empty when none is pending).
    private var pendingLow = Double.infinity
    private var pendingHigh = -Double.infinity
    private var secondCount = 0
    private var bursts: [Burst] = []
    private var requests: [Burst] = []
    private var requestCount = 0
    private var open: Burst?
    private var downSizes = [Int](repeating: 0, count: 101)
    private var upSizes = [Int](repeating: 0, count: 101)
    private var fullDown = 0

    public init() {}

    public var packets: Int { downPackets + upPackets }

    /// Adds a packet of the session (`.unknown` direction counts as download).
    public mutating func add(_ sample: PacketSample) {
        let t = sample.time
        if firstTime == nil { firstTime = t }
        let origin = firstTime!
        if t > lastTime || packets == 0 { lastTime = t }
        let size = sample.frameLength
        let sizeBin = min(size / 16, 100)
        if sample.direction == .upload {
            upBytes += size
            upPackets += 1
            upSizes[sizeBin] += 1
            if size >= Self.requestBytes {
                requestCount += 1
                if requests.count <= Self.maxRequestsForPeriod { requests.append(Burst(start: t, end: t, bytes: size)) }
            }
            return
        }
        downBytes += size
        downPackets += 1
        downSizes[sizeBin] += 1
        if size >= 1_200 { fullDown += 1 }
        if t < pendingHigh, t >= pendingLow {
            // Most packets: the pending second again (its times are [pendingLow, pendingHigh)).
            pendingBytes = pendingBytes &+ UInt32(clamping: size)
        } else {
            let second = Self.second(t, origin)
            secondCount = max(secondCount, second + 1)
            if second == pendingSecond {
                pendingBytes = pendingBytes &+ UInt32(clamping: size)
            } else {
                flushSecond()
                pendingSecond = second
                pendingBytes = UInt32(clamping: size)
                if second < 1 << 40, let low = second == 0 ? -.infinity : Self.secondEdge(second, origin),
                   let high = Self.secondEdge(second + 1, origin) {
                    pendingLow = low
                    pendingHigh = high
                }
            }
        }
        if let last = lastDownTime { silenceMax = max(silenceMax, t - last) }
        if var b = open, t - b.end < Self.burstGap {
            b.end = max(b.end, t)
            b.bytes += size
            open = b
        } else {
            closeBurst()
            open = Burst(start: t, end: t, bytes: size)
        }
        lastDownTime = max(lastDownTime ?? t, t)
    }

    /// A download packet's second since the session's first packet.
    @inline(__always)
    private static func second(_ t: Double, _ origin: Double) -> Int { Int(max(0, t - origin)) }

    /// The smallest time whose `second` is at least `k` (k ≥ 1), found next to the estimate (nil when
    /// not near it; see `indexEdge`): `second` never decreases as time grows, so the times of one second
    /// are an interval.
    private static func secondEdge(_ k: Int, _ origin: Double) -> Double? {
        indexEdge(k, estimate: origin + Double(k)) { second($0, origin) }
    }

    /// Moves the pending second into `activeSeconds`.
    private mutating func flushSecond() {
        if pendingSecond >= 0 { activeSeconds.append((pendingSecond, pendingBytes)) }
        pendingSecond = -1
        pendingLow = .infinity
        pendingHigh = -.infinity
    }

    private mutating func closeBurst() {
        if let b = open, bursts.count < Self.maxBursts { bursts.append(b) }
        open = nil
    }

    /// The feature values, in `featureNames` order. NaN where a feature is undefined (e.g. the
    /// interval between bursts of a band holding fewer than two). `observedUntil`: when the
    /// capture went on after the session's last packet (a bulk client that fetched a track and is
    /// playing it), the session's time runs to there: durations and rates count that silence.
    public func values(observedUntil: Double? = nil) -> [Double] {
        var me = self
        me.closeBurst()
        me.flushSecond()
        if let end = observedUntil, let first = firstTime, end > lastTime {
            me.secondCount = max(me.secondCount, Int(max(0, end - first)) + 1)
        }
        return me.compute(end: max(lastTime, observedUntil ?? lastTime))
    }

    private func compute(end: Double) -> [Double] {
        var out = [Double](repeating: .nan, count: Self.featureNames.count)
        let duration = max(end - (firstTime ?? end), 1e-3)
        out[Slot.durationSeconds] = end - (firstTime ?? end)
        rateFeatures(duration: duration, into: &out)
        secondFeatures(into: &out)
        burstFeatures(minutes: duration / 60, into: &out)
        bigBurstFeatures(into: &out)
        sizeAndRequestFeatures(minutes: duration / 60, into: &out)
        bandFeatures(minutes: duration / 60, into: &out)
        return out
    }

    /// Download and upload rates over the session, and their ratios.
    private func rateFeatures(duration: Double, into out: inout [Double]) {
        out[Slot.downKbps] = Double(downBytes) * 8 / duration / 1000
        out[Slot.upKbps] = Double(upBytes) * 8 / duration / 1000
        out[Slot.upDownBytes] = downBytes > 0 ? Double(upBytes) / Double(downBytes) : .nan
        out[Slot.upDownPackets] = downPackets > 0 ? Double(upPackets) / Double(downPackets) : .nan
        out[Slot.downPacketsPerSecond] = Double(downPackets) / duration
        out[Slot.upPacketsPerSecond] = Double(upPackets) / duration
    }

    /// The per-second download series over the session: active seconds, their rates, the variation.
    private func secondFeatures(into out: inout [Double]) {
        guard secondCount > 0 else { return }
        let active = activeSeconds.map { Double($0.bytes) }.filter { $0 >= Double(Self.activeSecondBytes) }.sorted()
        out[Slot.activeSecondShare] = Double(active.count) / Double(secondCount)
        if !active.isEmpty {
            out[Slot.activeKbpsP50] = Stats.percentile(sorted: active, 50) * 8 / 1000
            out[Slot.activeKbpsP90] = Stats.percentile(sorted: active, 90) * 8 / 1000
        }
        let (mean, std) = secondMeanAndStd()
        out[Slot.secondCV] = mean > 0 ? std / mean : .nan
    }

    /// Bursts: how often, how large, how regularly they start, and the rate of each cycle.
    private func burstFeatures(minutes: Double, into out: inout [Double]) {
        out[Slot.burstsPerMinute] = Double(bursts.count) / minutes
        if !bursts.isEmpty {
            let sizes = bursts.map { Double($0.bytes) }.sorted()
            out[Slot.burstKBP50] = Stats.percentile(sorted: sizes, 50) / 1000
            out[Slot.burstKBP90] = Stats.percentile(sorted: sizes, 90) / 1000
            out[Slot.maxBurstShare] = downBytes > 0 ? sizes.last! / Double(downBytes) : .nan
        }
        guard bursts.count >= 2 else { return }
        var intervals: [Double] = [], cycles: [Double] = []
        for i in 0..<(bursts.count - 1) {
            let dt = bursts[i + 1].start - bursts[i].start
            intervals.append(dt)
            if dt > 0 { cycles.append(Double(bursts[i].bytes) * 8 / dt / 1000) }
        }
        let sortedIntervals = intervals.sorted()
        let median = Stats.percentile(sorted: sortedIntervals, 50)
        out[Slot.burstIntervalP50] = median
        let (m, s) = Stats.meanAndStd(intervals)
        out[Slot.burstIntervalCV] = m > 0 ? s / m : .nan
        if !cycles.isEmpty { out[Slot.cycleKbpsP50] = Stats.percentile(sorted: cycles.sorted(), 50) }
        if median > 0 {
            let near = intervals.filter { abs($0 - median) <= 0.25 * median }.count
            out[Slot.periodicity] = Double(near) / Double(intervals.count)
        }
    }

    /// "Big" bursts: at least a quarter of the largest (whole-track fetches in bulk mode).
    private func bigBurstFeatures(into out: inout [Double]) {
        guard let largest = bursts.map(\.bytes).max() else { return }
        let big = bursts.filter { $0.bytes * 4 >= largest }
        out[Slot.bigBurstCount] = Double(big.count)
        guard big.count >= 2 else { return }
        let span = big.last!.start - big.first!.start
        let bytes = big.dropLast().reduce(0) { $0 + $1.bytes }
        if span > 0 {
            out[Slot.bigCycleKbps] = Double(bytes) * 8 / span / 1000
            // A client fetches the next track 10–30 s before the current one ends (librespot 30 s,
            // librespot-java 20 s, the 2010 client 10 s): each cycle is a track length minus that lead.
            out[Slot.bigCycleKbpsLead] = Double(bytes) * 8 / (span + Self.nextTrackLead * Double(big.count - 1)) / 1000
        }
        let gaps = zip(big.dropFirst(), big).map { $0.start - $1.start }.sorted()
        out[Slot.bigIntervalP50] = Stats.percentile(sorted: gaps, 50)
    }

    /// Silence, packet sizes each way, and the client's requests: how often, how much each brings, their period.
    private func sizeAndRequestFeatures(minutes: Double, into out: inout [Double]) {
        out[Slot.silenceMaxSeconds] = silenceMax
        out[Slot.downSizeP50] = Self.histogramMedian(downSizes)
        out[Slot.downFullShare] = downPackets > 0 ? Double(fullDown) / Double(downPackets) : .nan
        out[Slot.upSizeP50] = Self.histogramMedian(upSizes)
        out[Slot.requestsPerMinute] = Double(requestCount) / minutes
        if requestCount > 0 { out[Slot.downloadKBPerRequest] = Double(downBytes) / Double(requestCount) / 1000 }
        guard requestCount >= 2, requestCount <= Self.maxRequestsForPeriod else { return }
        let gaps = zip(requests.dropFirst(), requests).map { $0.start - $1.start }.sorted()
        out[Slot.requestIntervalP50] = Stats.percentile(sorted: gaps, 50)
        if let comb = Self.period(requests) {
            out[Slot.requestPeriod] = comb.period
            out[Slot.requestPeriodStrength] = comb.strength
        }
    }

    /// Per size band of bursts: rate of bursts, their intervals, throughput, size variation, the steadiest
    /// train and the period.
    private func bandFeatures(minutes: Double, into out: inout [Double]) {
        let base = Slot.allCases.count
        let perBand = BandSlot.allCases.count
        for band in 0..<Self.bandEdges.count {
            let low = Self.bandEdges[band]
            let high = band + 1 < Self.bandEdges.count ? Self.bandEdges[band + 1] : Int.max
            let members = bursts.filter { $0.bytes >= low && $0.bytes < high }
            let at = base + band * perBand
            out[at + BandSlot.perMinute.rawValue] = Double(members.count) / minutes
            guard members.count >= 2 else { continue }
            let gaps = zip(members.dropFirst(), members).map { $0.start - $1.start }.sorted()
            out[at + BandSlot.intervalP50.rawValue] = Stats.percentile(sorted: gaps, 50)
            let span = members.last!.start - members.first!.start
            if span > 0 {
                out[at + BandSlot.kbps.rawValue] = Double(members.dropLast().reduce(0) { $0 + $1.bytes }) * 8 / span / 1000
            }
            let (m, s) = Stats.meanAndStd(members.map { Double($0.bytes) })
            out[at + BandSlot.sizeCV.rawValue] = m > 0 ? s / m : .nan
            if let train = Self.steadiestTrain(members) {
                out[at + BandSlot.trains.rawValue] = Double(train.k)
                out[at + BandSlot.trainCV.rawValue] = train.cv
                out[at + BandSlot.trainKbps.rawValue] = m * 8 / train.interval / 1000
            }
            if let comb = Self.period(members) {
                let sizes = members.map { Double($0.bytes) }.sorted()
                out[at + BandSlot.period.rawValue] = comb.period
                out[at + BandSlot.periodStrength.rawValue] = comb.strength
                out[at + BandSlot.periodKbps.rawValue] = Stats.percentile(sorted: sizes, 50) * 8 / comb.period / 1000
            }
        }
    }

    /// `Stats.meanAndStd` of the dense per-second series, walked second by second in the same
    /// order (the same sums, bit for bit) without building it: O(session seconds) time, no memory.
    private func secondMeanAndStd() -> (mean: Double, std: Double) {
        var sum = 0.0
        for s in activeSeconds { sum += Double(s.bytes) }   // adding a quiet second's 0 changes no sum
        let mean = sum / Double(secondCount)
        var squares = 0.0
        var next = 0
        for second in 0..<secondCount {
            var value = 0.0
            if next < activeSeconds.count, activeSeconds[next].second == second {
                value = Double(activeSeconds[next].bytes)
                next += 1
            }
            let d = value - mean
            squares += d * d
        }
        return (mean, (squares / Double(secondCount)).squareRoot())
    }
}
