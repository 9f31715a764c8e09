/// The rhythm family (`FeatureFamily.rhythmNames` order): the timing structure of the download over the last
/// `shapeSeconds`, from 100 ms bins that are *active* (at least `idleBinBytes` of download) or idle.
///
/// Why timing and not sizes: live video and video on demand differ in *when* they fetch, whoever watches and at
/// whatever resolution. A live player fetches each new segment as it appears (a short burst every segment duration,
/// 2 s on Twitch, with short gaps), or receives the stream continuously (calls, low-latency parts); a VOD player fills
/// its buffer and then fetches in ON/OFF cycles with idle periods of several seconds. Byte rates and packet sizes
/// follow the user, the resolution and the VPN instead.
///
/// Heavy bins hold at least a tenth of the 90th percentile of the active bins (the transfers, not the player's
/// small requests, chat or keep-alives). Bursts are runs of heavy bins joined across idle gaps under 0.5 s (a
/// fetch that stalls for a few round trips is still one fetch); gaps are the idle runs between two bursts. The period
/// is the lag of the highest autocorrelation of the heavy series between 0.3 s and 20 s, after its first local
/// minimum (the shortest local maximum within 70 % of the best, so that a multiple of the period does not win); its
/// strength is that autocorrelation (1: perfectly periodic).
/// Memory: buffers of at most one look-back of bins, reused from window to window.
/// The rhythm family's 18 features, in published order (`lr_` and the snake_case of the case).
enum RhythmSlot: Int, CaseIterable, FeatureSlot {
    case seconds, idleShare, activeSecondShare, maxIdleS, longGapIdleShare
    case heavyShare, heavyMaxIdleS, heavyLongGapShare, gapP50S, gapP90S
    case burstsPerMin, burstP50S, burstMaxS, intervalP50S, intervalCv
    case intervalRegularity, periodS, periodStrength

    static var namePrefix: String { "lr_" }

    /// The published names, in case order: the snake_case of each case (after `namePrefix`), written out
    /// so that no name is derived by reflection at run time (`FeatureNameTests` checks the two agree).
    static let publishedNames = [
        "lr_seconds", "lr_idle_share", "lr_active_second_share", "lr_max_idle_s", "lr_long_gap_idle_share",
        "lr_heavy_share", "lr_heavy_max_idle_s", "lr_heavy_long_gap_share", "lr_gap_p50_s", "lr_gap_p90_s",
        "lr_bursts_per_min", "lr_burst_p50_s", "lr_burst_max_s", "lr_interval_p50_s", "lr_interval_cv",
        "lr_interval_regularity", "lr_period_s", "lr_period_strength"
    ]
    var name: String { Self.publishedNames[rawValue] }
}

struct RhythmFeatures {
    /// Idle gaps shorter than this many bins (0.5 s) do not split a burst.
    static let mergeBins = 5
    /// Idle runs at least this long (bins, 3 s) are "long gaps": a VOD buffer that is full.
    static let longGapBins = 30
    /// A bin is heavy when it holds at least this share of the 90th percentile of the active bins' bytes: the
    /// segment transfers, not the player's small requests, chat or keep-alives. Relative, so the same at any bit rate.
    static let heavyShare = 0.1
    /// Autocorrelation lags searched, in bins (0.3–20 s).
    static let minLag = 3, maxLag = 200

    private var bytes: [Int] = []
    private var scratch = Scratch()

    struct Scratch {
        var active: [Bool] = []
        var heavy: [Bool] = []
        var sortedBytes: [Int] = []
        var centred: [Double] = []
        var acf: [Double] = []
        var gaps: [Double] = []
        var bursts: [Double] = []
        var starts: [Double] = []
        var intervals: [Double] = []
    }

    init() {}

    mutating func compute(history: BinHistory, binEnd: Int, shapeSeconds: Double, idleBinBytes: Int, into out: inout [Double]) {
        let wanted = Int((shapeSeconds / BinHistory.binSeconds).rounded())
        let startBin = max(0, binEnd - wanted)
        bytes.removeAll(keepingCapacity: true)
        for b in startBin..<max(startBin, binEnd) { bytes.append(history.bin(b).downBytes) }
        Self.describe(bytes, idleBinBytes: idleBinBytes, into: &out, scratch: &scratch)
    }

    /// All features of a series of per-100 ms download bytes (oldest first), in `rhythmNames` order.
    /// Exposed for tests on known series.
    static func describe(_ bytes: [Int], idleBinBytes: Int, into out: inout [Double], scratch: inout Scratch) {
        let n = bytes.count
        for slot in RhythmSlot.allCases { out[slot] = 0 }
        out[RhythmSlot.seconds] = Double(n) * BinHistory.binSeconds
        guard n > 0 else { return }
        classifyBins(bytes, idleBinBytes: idleBinBytes, scratch: &scratch)
        let heavy = activityFeatures(scratch, count: n, into: &out)
        burstFeatures(&scratch, count: n, into: &out)
        intervalFeatures(&scratch, into: &out)
        periodFeatures(&scratch, count: n, heavyCount: heavy.activeCount, into: &out)
    }

    /// Marks each bin active (at least `idleBinBytes`, 1 at the least) and heavy (at least `heavyShare` of
    /// the 90th percentile of the active bins' bytes, and active).
    private static func classifyBins(_ bytes: [Int], idleBinBytes: Int, scratch: inout Scratch) {
        let threshold = max(1, idleBinBytes)
        scratch.active.removeAll(keepingCapacity: true)
        scratch.sortedBytes.removeAll(keepingCapacity: true)
        for b in bytes {
            scratch.active.append(b >= threshold)
            if b >= threshold { scratch.sortedBytes.append(b) }
        }
        scratch.sortedBytes.sort()
        let active = scratch.sortedBytes
        let p90 = active.isEmpty ? 0 : active[min(active.count - 1, Int(0.9 * Double(active.count)))]
        let heavyThreshold = max(threshold, Int(heavyShare * Double(p90)))
        scratch.heavy.removeAll(keepingCapacity: true)
        for b in bytes { scratch.heavy.append(b >= heavyThreshold) }
    }

    /// Any activity: idle share, seconds with activity, longest idle run, idle time in long gaps; then the
    /// same for the heavy bins (the transfers themselves). Returns the heavy bins' runs.
    private static func activityFeatures(_ scratch: Scratch, count n: Int,
                                         into out: inout [Double]) -> (activeCount: Int, idle: Int, maxIdle: Int, longIdle: Int) {
        let bin = BinHistory.binSeconds
        let any = idleRuns(scratch.active)
        out[RhythmSlot.idleShare] = Double(n - any.activeCount) / Double(n)
        let seconds = n / 10
        if seconds > 0 {
            var withActivity = 0
            for k in 0..<seconds {
                let first = n - 10 * (seconds - k)
                if scratch.active[first..<(first + 10)].contains(true) { withActivity += 1 }
            }
            out[RhythmSlot.activeSecondShare] = Double(withActivity) / Double(seconds)
        }
        out[RhythmSlot.maxIdleS] = Double(any.maxIdle) * bin
        out[RhythmSlot.longGapIdleShare] = any.idle > 0 ? Double(any.longIdle) / Double(any.idle) : 0

        let heavy = idleRuns(scratch.heavy)
        out[RhythmSlot.heavyShare] = Double(heavy.activeCount) / Double(n)
        out[RhythmSlot.heavyMaxIdleS] = Double(heavy.maxIdle) * bin
        out[RhythmSlot.heavyLongGapShare] = heavy.idle > 0 ? Double(heavy.longIdle) / Double(heavy.idle) : 0
        return heavy
    }

    /// Bursts of heavy bins (joined across gaps under `mergeBins`) and the gaps between them: gap
    /// percentiles, bursts per minute, burst lengths. Leaves the bursts' start times in `scratch.starts`.
    private static func burstFeatures(_ scratch: inout Scratch, count n: Int, into out: inout [Double]) {
        let bin = BinHistory.binSeconds
        scratch.gaps.removeAll(keepingCapacity: true)
        scratch.bursts.removeAll(keepingCapacity: true)
        scratch.starts.removeAll(keepingCapacity: true)
        var inBurst = false, burstStart = 0, lastActive = -1, idleRun = 0
        for i in 0..<n {
            if scratch.heavy[i] {
                if inBurst, idleRun >= mergeBins {
                    scratch.gaps.append(Double(idleRun) * bin)
                    scratch.bursts.append(Double(lastActive - burstStart + 1) * bin)
                    inBurst = false
                }
                if !inBurst {
                    inBurst = true
                    burstStart = i
                    scratch.starts.append(Double(i) * bin)
                }
                idleRun = 0
                lastActive = i
            } else {
                idleRun += 1
            }
        }
        if inBurst { scratch.bursts.append(Double(lastActive - burstStart + 1) * bin) }
        scratch.gaps.sort()
        out[RhythmSlot.gapP50S] = scratch.gaps.isEmpty ? 0 : Stats.percentile(sorted: scratch.gaps, 0.5)
        out[RhythmSlot.gapP90S] = scratch.gaps.isEmpty ? 0 : Stats.percentile(sorted: scratch.gaps, 0.9)
        out[RhythmSlot.burstsPerMin] = Double(scratch.bursts.count) / (Double(n) * bin / 60)
        var longest = 0.0
        for b in scratch.bursts { longest = max(longest, b) }
        scratch.bursts.sort()
        out[RhythmSlot.burstP50S] = scratch.bursts.isEmpty ? 0 : Stats.percentile(sorted: scratch.bursts, 0.5)
        out[RhythmSlot.burstMaxS] = longest
    }

    /// Start-to-start intervals of consecutive bursts: median, variation, share within ±25 % of the median.
    private static func intervalFeatures(_ scratch: inout Scratch, into out: inout [Double]) {
        scratch.intervals.removeAll(keepingCapacity: true)
        if scratch.starts.count > 1 {
            for k in 1..<scratch.starts.count { scratch.intervals.append(scratch.starts[k] - scratch.starts[k - 1]) }
        }
        guard !scratch.intervals.isEmpty else { return }
        let (mean, std) = Stats.meanAndStd(scratch.intervals)
        scratch.intervals.sort()
        let median = Stats.percentile(sorted: scratch.intervals, 0.5)
        out[RhythmSlot.intervalP50S] = median
        out[RhythmSlot.intervalCv] = mean > 0 ? std / mean : 0
        var near = 0
        for v in scratch.intervals where abs(v - median) <= 0.25 * median { near += 1 }
        out[RhythmSlot.intervalRegularity] = Double(near) / Double(scratch.intervals.count)
    }

    /// Period of the heavy series: autocorrelation of the centred 0/1 series. Short lags are high only because a
    /// burst spans several bins, so the search starts after the first local minimum; the answer is the shortest
    /// local maximum within 70 % of the highest (a multiple of the period scores about as high).
    private static func periodFeatures(_ scratch: inout Scratch, count n: Int, heavyCount: Int, into out: inout [Double]) {
        let p = Double(heavyCount) / Double(n)
        let variance = p * (1 - p)
        let top = min(maxLag, n / 2)
        guard variance > 0, top > minLag + 2 else { return }
        scratch.centred.removeAll(keepingCapacity: true)
        for h in scratch.heavy { scratch.centred.append((h ? 1 : 0) - p) }
        scratch.acf.removeAll(keepingCapacity: true)
        for lag in minLag...top {
            var s = 0.0
            for i in 0..<(n - lag) { s += scratch.centred[i] * scratch.centred[i + lag] }
            scratch.acf.append(s / (Double(n - lag) * variance))
        }
        let acf = scratch.acf
        var firstMin = -1
        for k in 1..<(acf.count - 1) where acf[k] <= acf[k - 1] && acf[k] < acf[k + 1] { firstMin = k; break }
        guard firstMin > 0 else { return }
        var best = -2.0
        for k in firstMin..<acf.count { best = max(best, acf[k]) }
        guard best > 0 else { return }
        for k in firstMin..<acf.count where acf[k] >= 0.7 * best {
            let left = acf[k - 1], right = k + 1 < acf.count ? acf[k + 1] : -2
            if acf[k] >= left && acf[k] >= right {
                out[RhythmSlot.periodS] = Double(k + minLag) * BinHistory.binSeconds
                out[RhythmSlot.periodStrength] = acf[k]
                break
            }
        }
    }

    /// Active bins, idle bins, the longest idle run, and the idle bins in runs of at least `longGapBins`.
    static func idleRuns(_ series: [Bool]) -> (activeCount: Int, idle: Int, maxIdle: Int, longIdle: Int) {
        var activeCount = 0, maxIdle = 0, longIdle = 0, run = 0
        for a in series {
            if a {
                activeCount += 1
                if run >= longGapBins { longIdle += run }
                run = 0
            } else {
                run += 1
                maxIdle = max(maxIdle, run)
            }
        }
        if run >= longGapBins { longIdle += run }
        return (activeCount, series.count - activeCount, maxIdle, longIdle)
    }
}
