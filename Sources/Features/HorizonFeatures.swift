/// The context family's 17 features, in published order (names: the snake_case of the cases).
enum ContextSlot: Int, CaseIterable, FeatureSlot {
    case ctxSeconds, ctxDownBytes, ctxDownBytesPerSecond, ctxUpBytesPerSecond, unitSeconds, unitDownBytesPerSecond
    case ctxBurstCount, ctxBurstMeanBytes, ctxBurstMaxBytes, ctxBurstMeanDuration, ctxBurstThroughput
    case ctxSilenceMean, ctxSilenceMax, ctxSilenceCurrent, ctxDutyCycle, ctxLastBurstBytes, ctxCycleBytesPerSecond

    /// The published names, in case order: the snake_case of each case (after `namePrefix`), written out
    /// so that no name is derived by reflection at run time (`FeatureNameTests` checks the two agree).
    static let publishedNames = [
        "ctx_seconds", "ctx_down_bytes", "ctx_down_bytes_per_second", "ctx_up_bytes_per_second",
        "unit_seconds", "unit_down_bytes_per_second", "ctx_burst_count", "ctx_burst_mean_bytes",
        "ctx_burst_max_bytes", "ctx_burst_mean_duration", "ctx_burst_throughput", "ctx_silence_mean",
        "ctx_silence_max", "ctx_silence_current", "ctx_duty_cycle", "ctx_last_burst_bytes",
        "ctx_cycle_bytes_per_second"
    ]
    var name: String { Self.publishedNames[rawValue] }
}

/// The live-vs-VOD shape family's 12 features, in published order (`lv_` and the snake_case of the case).
enum ShapeSlot: Int, CaseIterable, FeatureSlot {
    case seconds, downBytesPerSecond, idleBinShare, peakCount, peakGapMean, dutyCycle, cvSecondBytes
    case idleBinSharePkts, peakCountPkts, peakGapMeanPkts, dutyCyclePkts, cvSecondPkts

    static var namePrefix: String { "lv_" }

    /// The published names, in case order: the snake_case of each case (after `namePrefix`), written out
    /// so that no name is derived by reflection at run time (`FeatureNameTests` checks the two agree).
    static let publishedNames = [
        "lv_seconds", "lv_down_bytes_per_second", "lv_idle_bin_share", "lv_peak_count", "lv_peak_gap_mean",
        "lv_duty_cycle", "lv_cv_second_bytes", "lv_idle_bin_share_pkts", "lv_peak_count_pkts",
        "lv_peak_gap_mean_pkts", "lv_duty_cycle_pkts", "lv_cv_second_pkts"
    ]
    var name: String { Self.publishedNames[rawValue] }
}

/// The context family (`FeatureFamily.contextNames` order): the download of the last
/// `contextSeconds` before the evaluation time, from the 100 ms bins and the burst list.
enum ContextFeatures {
    static func compute(
        history: BinHistory, bursts: BurstHistory, binEnd: Int, time: Double, contextSeconds: Double,
        totalDownBytes: Int, lastDownTime: Double?, into out: inout [Double]
    ) {
        let wanted = Int((contextSeconds / BinHistory.binSeconds).rounded())
        let startBin = max(0, binEnd - wanted)
        let covered = Double(binEnd - startBin) * BinHistory.binSeconds
        var downBytes = 0, upBytes = 0
        if binEnd > startBin {
            for b in startBin..<binEnd {
                let bin = history.bin(b)
                downBytes += bin.downBytes
                upBytes += bin.upBytes
            }
        }
        let contextStart = history.origin + Double(startBin) * BinHistory.binSeconds
        let unitSeconds = time - history.origin

        var count = 0, bytesSum = 0, maxBytes = 0, lastBytes = 0
        var durationSum = 0.0, activeSum = 0.0, multiBytes = 0, multiDuration = 0.0
        var silenceSum = 0.0, silenceMax = 0.0, silences = 0
        var previousEnd: Double?
        var firstStart: Double?, lastStart = 0.0
        bursts.forEach { burst in
            guard burst.end >= contextStart, burst.start < time else { return }
            count += 1
            bytesSum += burst.bytes
            maxBytes = max(maxBytes, burst.bytes)
            lastBytes = burst.bytes
            let duration = burst.end - burst.start
            durationSum += duration
            activeSum += min(burst.end, time) - max(burst.start, contextStart)
            if burst.packets > 1, duration > 0 {
                multiBytes += burst.bytes
                multiDuration += duration
            }
            if let previousEnd {
                let silence = burst.start - previousEnd
                silenceSum += silence
                silenceMax = max(silenceMax, silence)
                silences += 1
            }
            previousEnd = burst.end
            if firstStart == nil { firstStart = burst.start }
            lastStart = burst.start
        }
        // Burst-to-burst rate: the bytes of every burst but the last, over the time from the
        // first burst's start to the last one's. For periodic bursts this is bytes per period,
        // whatever the phase of the context.
        let cycleSpan = firstStart.map { lastStart - $0 } ?? 0

        out[ContextSlot.ctxSeconds] = covered
        out[ContextSlot.ctxDownBytes] = Double(downBytes)
        out[ContextSlot.ctxDownBytesPerSecond] = covered > 0 ? Double(downBytes) / covered : 0
        out[ContextSlot.ctxUpBytesPerSecond] = covered > 0 ? Double(upBytes) / covered : 0
        out[ContextSlot.unitSeconds] = max(unitSeconds, 0)
        out[ContextSlot.unitDownBytesPerSecond] = unitSeconds > 0 ? Double(totalDownBytes) / unitSeconds : 0
        out[ContextSlot.ctxBurstCount] = Double(count)
        out[ContextSlot.ctxBurstMeanBytes] = count > 0 ? Double(bytesSum) / Double(count) : 0
        out[ContextSlot.ctxBurstMaxBytes] = Double(maxBytes)
        out[ContextSlot.ctxBurstMeanDuration] = count > 0 ? durationSum / Double(count) : 0
        out[ContextSlot.ctxBurstThroughput] = multiDuration > 0 ? Double(multiBytes) / multiDuration : 0
        out[ContextSlot.ctxSilenceMean] = silences > 0 ? silenceSum / Double(silences) : 0
        out[ContextSlot.ctxSilenceMax] = silenceMax
        out[ContextSlot.ctxSilenceCurrent] = lastDownTime.map { min(max(time - $0, 0), covered) } ?? covered
        out[ContextSlot.ctxDutyCycle] = covered > 0 ? min(activeSum / covered, 1) : 0
        out[ContextSlot.ctxLastBurstBytes] = Double(lastBytes)
        out[ContextSlot.ctxCycleBytesPerSecond] = count > 1 && cycleSpan > 0 ? Double(bytesSum - lastBytes) / cycleSpan : 0
    }
}

/// The live-vs-VOD shape family (`FeatureFamily.shapeNames` order) over the last
/// `shapeSeconds` of download: idle 100 ms bins, and peaks of the per-second series.
struct ShapeFeatures {
    private var secondBytes: [Double] = []
    private var secondPackets: [Double] = []

    init() {}

    mutating func compute(
        history: BinHistory, binEnd: Int, shapeSeconds: Double, idleBinBytes: Int, into out: inout [Double]
    ) {
        let wanted = Int((shapeSeconds / BinHistory.binSeconds).rounded())
        let startBin = max(0, binEnd - wanted)
        let binCount = binEnd - startBin
        guard binCount > 0 else {
            for slot in ShapeSlot.allCases { out[slot] = 0 }
            return
        }
        var idle = 0, idlePackets = 0, bytes = 0
        for b in startBin..<binEnd {
            let bin = history.bin(b)
            if bin.downBytes < idleBinBytes { idle += 1 }
            if bin.downPackets == 0 { idlePackets += 1 }
            bytes += bin.downBytes
        }
        // Whole seconds, ending at binEnd, oldest first.
        let perSecond = 10
        let seconds = binCount / perSecond
        secondBytes.removeAll(keepingCapacity: true)
        secondPackets.removeAll(keepingCapacity: true)
        for k in 0..<seconds {
            let first = binEnd - perSecond * (seconds - k)
            var sumBytes = 0, sumPackets = 0
            for b in first..<(first + perSecond) {
                let bin = history.bin(b)
                sumBytes += bin.downBytes
                sumPackets += bin.downPackets
            }
            secondBytes.append(Double(sumBytes))
            secondPackets.append(Double(sumPackets))
        }
        let coveredSeconds = Double(binCount) * BinHistory.binSeconds
        let byBytes = Self.peaks(secondBytes)
        let byPackets = Self.peaks(secondPackets)
        out[ShapeSlot.seconds] = coveredSeconds
        out[ShapeSlot.downBytesPerSecond] = Double(bytes) / coveredSeconds
        out[ShapeSlot.idleBinShare] = Double(idle) / Double(binCount)
        out[ShapeSlot.peakCount] = byBytes.count
        out[ShapeSlot.peakGapMean] = byBytes.meanGap
        out[ShapeSlot.dutyCycle] = byBytes.duty
        out[ShapeSlot.cvSecondBytes] = byBytes.cv
        out[ShapeSlot.idleBinSharePkts] = Double(idlePackets) / Double(binCount)
        out[ShapeSlot.peakCountPkts] = byPackets.count
        out[ShapeSlot.peakGapMeanPkts] = byPackets.meanGap
        out[ShapeSlot.dutyCyclePkts] = byPackets.duty
        out[ShapeSlot.cvSecondPkts] = byPackets.cv
    }

    /// Peaks of a per-second series: each maximal run of seconds above the series mean is
    /// one peak, placed at the run's highest second (the first one on ties).
    static func peaks(_ series: [Double]) -> (count: Double, meanGap: Double, duty: Double, cv: Double) {
        guard !series.isEmpty else { return (0, 0, 0, 0) }
        let (mean, std) = Stats.meanAndStd(series)
        var peaks = 0, above = 0
        var inRun = false, runMax = 0.0, runPeak = 0
        var firstPeak = -1, lastPeak = -1
        for (i, v) in series.enumerated() {
            if v > mean {
                above += 1
                if !inRun || v > runMax {
                    runMax = v
                    runPeak = i
                }
                inRun = true
            } else if inRun {
                peaks += 1
                if firstPeak < 0 { firstPeak = runPeak }
                lastPeak = runPeak
                inRun = false
            }
        }
        if inRun {
            peaks += 1
            if firstPeak < 0 { firstPeak = runPeak }
            lastPeak = runPeak
        }
        let meanGap = peaks > 1 ? Double(lastPeak - firstPeak) / Double(peaks - 1) : 0
        return (Double(peaks), meanGap, Double(above) / Double(series.count), mean > 0 ? std / mean : 0)
    }
}
