import Foundation

/// The rhythm measures of a session's bursts: steadiest trains, the period comb, histogram medians.
extension StreamSummary {
    /// Among k = 1…4, the step whose k-step start-to-start intervals vary least (coefficient of
    /// variation; a smaller k wins unless a larger one is clearly steadier, by 0.05), with that
    /// variation and the median k-step interval. Needs at least k + 2 bursts for a k.
    static func steadiestTrain(_ bursts: [Burst]) -> (k: Int, cv: Double, interval: Double)? {
        var best: (k: Int, cv: Double, interval: Double)?
        for k in 1...4 where bursts.count >= k + 2 {
            let steps = (0..<(bursts.count - k)).map { bursts[$0 + k].start - bursts[$0].start }
            let (mean, std) = Stats.meanAndStd(steps)
            guard mean > 0 else { continue }
            let cv = std / mean
            if best == nil || cv < best!.cv - 0.05 {
                best = (k, cv, Stats.percentile(sorted: steps.sorted(), 50))
            }
        }
        return best
    }

    /// Log-spaced bins of start-to-start differences for `period`: 2 % wide, 0.5 s to 120 s.
    static let periodBinRatio = 1.02
    static let periodMin = 0.5
    static let periodMax = 120.0
    static let periodBins = Int((log(periodMax / periodMin) / log(periodBinRatio)).rounded(.up)) + 1

    static func periodBin(_ dt: Double) -> Int? {
        guard dt >= periodMin, dt <= periodMax else { return nil }
        return Int((log(dt / periodMin) / log(periodBinRatio)).rounded())
    }

    /// The comb period of a band's bursts (see `BandSlot`): needs three bursts or more. Each pair
    /// of bursts up to 120 s apart adds one to the bin of its time difference; a periodic train
    /// makes sharp peaks at T, 2T, 3T, unrelated bursts a smooth floor whose height grows with the
    /// bins' width. So a candidate T scores, at each multiple, the pairs within one bin of it minus
    /// the floor there (the mean bin of the surrounding ±20 %, centre excluded), and the best T
    /// wins; a shorter period wins ties, so a harmonic never beats its fundamental.
    static func period(_ bursts: [Burst]) -> (period: Double, strength: Double)? {
        guard bursts.count >= 3 else { return nil }
        let n = periodBins + 2
        var histogram = [Double](repeating: 0, count: n)
        for i in 0..<bursts.count {
            var j = i + 1
            while j < bursts.count {
                let dt = bursts[j].start - bursts[i].start
                if dt > periodMax { break }
                if let b = periodBin(dt) { histogram[b] += 1 }
                j += 1
            }
        }
        var prefix = [Double](repeating: 0, count: n + 1)
        for b in 0..<n { prefix[b + 1] = prefix[b] + histogram[b] }
        func sum(_ lo: Int, _ hi: Int) -> Double { // bins lo...hi, clamped
            let a = max(0, lo), z = min(n - 1, hi)
            return z >= a ? prefix[z + 1] - prefix[a] : 0
        }
        let reach = Int((log(1.2) / log(periodBinRatio)).rounded())  // ±20 %
        func excess(_ t: Double) -> Double {
            guard let b = periodBin(t) else { return 0 }
            let peak = sum(b - 1, b + 1)
            let around = sum(b - reach, b + reach) - sum(b - 2, b + 2)
            let bins = Double(min(n - 1, b + reach) - max(0, b - reach) + 1 - (min(n - 1, b + 2) - max(0, b - 2) + 1))
            let floor = bins > 0 ? around / bins * 3 : 0
            return peak - floor
        }
        var best: (period: Double, score: Double)?
        for b in 0..<periodBins {
            let t = periodMin * pow(periodBinRatio, Double(b))
            let score = excess(t) + excess(2 * t) + excess(3 * t)
            if score > 0, best == nil || score > best!.score { best = (t, score) }
        }
        guard let best else { return nil }
        return (best.period, best.score / Double(bursts.count))
    }

    /// The median of a 16-byte-bin size histogram (bin centre), NaN when empty.
    static func histogramMedian(_ bins: [Int]) -> Double {
        let n = bins.reduce(0, +)
        guard n > 0 else { return .nan }
        var seen = 0
        for (i, c) in bins.enumerated() {
            seen += c
            if seen * 2 >= n { return Double(i * 16 + 8) }
        }
        return Double(bins.count * 16)
    }
}
