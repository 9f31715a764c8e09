import Foundation

/// A feature family's features as cases, in published order: the value of case `c` is at `c.rawValue` of
/// the family's row, and the names are the cases' own (their snake_case, checked by `FeatureNameTests`),
/// so the order of the names and the slots the computation fills cannot drift apart.
protocol FeatureSlot: RawRepresentable<Int>, CaseIterable {
    /// The published feature name: for most families `namePrefix` and the `snake_case` of the case
    /// name (`bytesPerSecond` → `bytes_per_second`), written out as `publishedNames`.
    var name: String { get }
    /// What every name of the family starts with (`lr_` for the rhythm family); empty by default.
    static var namePrefix: String { get }
}

extension FeatureSlot {
    static var namePrefix: String { "" }

    /// `namePrefix` and the `snake_case` of the case name, found by reflection (slow the first time for
    /// each type: the runtime's conformance look-ups). The families write their names out; the tests
    /// check them against this.
    var snakeCaseName: String {
        var out = Self.namePrefix
        for c in String(describing: self) {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }
}

extension Array where Element == Double {
    /// A feature's value in its family's row.
    subscript<Slot: FeatureSlot>(_ slot: Slot) -> Double {
        @inline(__always) get { self[slot.rawValue] }
        @inline(__always) set { self[slot.rawValue] = newValue }
    }
}

/// The reference analyzer's 37 window features, in their published order: the compatibility
/// baseline, so that a model trained on the reference analyzer's output runs here unchanged.
enum ReferenceSlot: Int, CaseIterable, FeatureSlot {
    case bytesPerSecond, packetsPerSecond, bytesTotal, meanPktSize, stdPktSize
    case minPktSize, maxPktSize, p10PktSize, p25PktSize, p50PktSize
    case p75PktSize, p90PktSize, p95PktSize, largePktRatio, smallPktRatio
    case mediumPktRatio, pktSizeRange, pktSizeIqr, pktSizeSkew, pktSizeKurtosis
    case meanIat, stdIat, minIat, maxIat, p10Iat
    case p50Iat, p90Iat, cvIat, iatRange, burstCount
    case meanBurstPackets, maxBurstPackets, stdBurstPackets, burstBytesRatio, entropyPktSizes
    case bytesPerPacket, iatPerByte

    /// The published names, in case order: the snake_case of each case (after `namePrefix`), written out
    /// so that no name is derived by reflection at run time (`FeatureNameTests` checks the two agree).
    static let publishedNames = [
        "bytes_per_second", "packets_per_second", "bytes_total", "mean_pkt_size", "std_pkt_size",
        "min_pkt_size", "max_pkt_size", "p10_pkt_size", "p25_pkt_size", "p50_pkt_size", "p75_pkt_size",
        "p90_pkt_size", "p95_pkt_size", "large_pkt_ratio", "small_pkt_ratio", "medium_pkt_ratio",
        "pkt_size_range", "pkt_size_iqr", "pkt_size_skew", "pkt_size_kurtosis", "mean_iat", "std_iat",
        "min_iat", "max_iat", "p10_iat", "p50_iat", "p90_iat", "cv_iat", "iat_range", "burst_count",
        "mean_burst_packets", "max_burst_packets", "std_burst_packets", "burst_bytes_ratio",
        "entropy_pkt_sizes", "bytes_per_packet", "iat_per_byte"
    ]
    var name: String { Self.publishedNames[rawValue] }
}

/// Computes the reference analyzer's 37 features of one window (definitions in docs/features.md, checked
/// against scripts/reference_features.py), reusing its buffers.
///
/// Two passes over the window's packets: the first gathers the totals, the size histogram, the
/// inter-arrival times (their sum and burst runs on the way), the second the central moments of the
/// sizes. Every sum adds the same terms in the same order as the plain definitions (`Stats.meanAndStd`,
/// `Stats.skew`, `Stats.kurtosis`, the IAT sum), so the values are the same to the last bit; the size
/// percentiles and the entropy are read off the histogram (the sorted sizes `Stats.countingSort` would
/// make, without writing them out).
struct ReferenceFeatures {
    /// The sizes sorted, for windows the histogram does not take (fewer than 32 packets, or sizes
    /// beyond `histogramLimit`).
    private var sortedSizes: [Double] = []
    private var iats: [Double] = []
    private var runs: [Double] = []
    /// Packets per frame length (index: the length), all zero between windows; grown on demand.
    private var counts: [Int32] = []
    /// The sorted positions the size percentiles read, and their values (`percentile(sorted:_:)`'s reads).
    private var targets: [Int] = []
    private var targetValues: [Double] = []

    /// Frame lengths up to this go in the histogram; a window with a longer one is sorted instead.
    static let histogramLimit = 262_144
    /// Fewer packets than this are sorted (as `Stats.countingSort` does).
    static let histogramMinimum = 32
    static let sizePercentiles: [Double] = [10, 25, 50, 75, 90, 95]

    init() {}

    /// Fills `out` (one value per `ReferenceSlot`, in slot order) from `packets[range]`,
    /// which must be non-empty and in time order.
    mutating func compute(
        _ packets: [PacketSample], _ range: Range<Int>, burstGap: Double, into out: inout [Double]
    ) {
        precondition(!range.isEmpty)
        packets.withUnsafeBufferPointer { all in
            compute(UnsafeBufferPointer(rebasing: all[range]), burstGap: burstGap, into: &out)
        }
    }

    private mutating func compute(_ w: UnsafeBufferPointer<PacketSample>, burstGap: Double, into out: inout [Double]) {
        let count = w.count
        if counts.isEmpty { counts = [Int32](repeating: 0, count: 2048) }
        // Pass 1: totals, size classes, extremes, histogram, IATs with their sum and burst runs.
        var iats: [Double] = [], runs: [Double] = []
        swap(&iats, &self.iats)
        swap(&runs, &self.runs)
        iats.removeAll(keepingCapacity: true)
        runs.removeAll(keepingCapacity: true)
        iats.reserveCapacity(count - 1)
        var bytesTotal = 0, large = 0, small = 0, medium = 0
        var sizeSum = 0.0, iatSum = 0.0
        var lo = Int.max, hi = Int.min, missed = 0
        var current = 0
        var previousTime = w[0].time
        counts.withUnsafeMutableBufferPointer { c in
            let limit = c.count
            for i in 0..<count {
                let packet = w[i]
                let size = packet.frameLength
                bytesTotal += size
                sizeSum += Double(size)
                if size < lo { lo = size }
                if size > hi { hi = size }
                if size > 1000 { large += 1 } else if size < 100 { small += 1 } else { medium += 1 }
                if UInt(bitPattern: size) < UInt(limit) { c[size] &+= 1 } else { missed += 1 }
                if i != 0 {
                    let gap = packet.time - previousTime
                    iats.append(gap)
                    iatSum += gap
                    if gap < burstGap {
                        current += 1
                    } else {
                        if current > 0 { runs.append(Double(current)) }
                        current = 0
                    }
                    previousTime = packet.time
                }
            }
        }
        if current > 0 { runs.append(Double(current)) }
        // Swapped back (not assigned): the locals would keep sharing the buffers, and `iatFeatures`
        // reordering self.iats in place would copy them (a copy of the window's IATs per window).
        swap(&iats, &self.iats)
        swap(&runs, &self.runs)
        let n = Double(count), total = Double(bytesTotal)
        out[ReferenceSlot.largePktRatio] = Double(large) / n
        out[ReferenceSlot.smallPktRatio] = Double(small) / n
        out[ReferenceSlot.mediumPktRatio] = Double(medium) / n
        let duration = w[count - 1].time - w[0].time
        out[ReferenceSlot.bytesPerSecond] = duration > 0 ? total / duration : 0
        out[ReferenceSlot.packetsPerSecond] = duration > 0 ? n / duration : 0
        out[ReferenceSlot.bytesTotal] = total
        out[ReferenceSlot.bytesPerPacket] = total / n

        // Pass 2: the sizes' central moments (`meanAndStd`'s squares are m2).
        let meanSize = sizeSum / n
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        for i in 0..<count {
            let d = Double(w[i].frameLength) - meanSize
            let d2 = d * d
            m2 += d2
            m3 += d2 * d
            m4 += d2 * d2
        }
        out[ReferenceSlot.meanPktSize] = meanSize
        out[ReferenceSlot.stdPktSize] = (m2 / n).squareRoot()
        out[ReferenceSlot.pktSizeSkew] = count > 2 && m2 > 0 ? (n * (n - 1).squareRoot() / (n - 2)) * (m3 / pow(m2, 1.5)) : 0
        if count > 3 && m2 > 0 {
            let adjustment = 3 * (n - 1) * (n - 1) / ((n - 2) * (n - 3))
            let numerator = n * (n + 1) * (n - 1) * m4
            let denominator = (n - 2) * (n - 3) * m2 * m2
            out[ReferenceSlot.pktSizeKurtosis] = numerator / denominator - adjustment
        } else {
            out[ReferenceSlot.pktSizeKurtosis] = 0
        }
        sizeOrderFeatures(w, lo: lo, hi: hi, missed: missed, into: &out)

        let sumIAT = iatFeatures(sum: iatSum, into: &out)
        out[ReferenceSlot.iatPerByte] = bytesTotal > 0 && count > 1 ? sumIAT / total : 0  // (iats.count = count - 1; the local
        // `iats` read here would share self.iats's buffer while iatFeatures reorders it: a copy of it per window)
        burstFeatures(meanSize: meanSize, total: total, into: &out)
    }

    /// Extremes, percentiles, spread and entropy of the sizes: from the histogram (cleared on the way),
    /// or from the sorted sizes.
    private mutating func sizeOrderFeatures(_ w: UnsafeBufferPointer<PacketSample>, lo: Int, hi: Int, missed: Int,
                                            into out: inout [Double]) {
        let count = w.count
        let useHistogram = count >= Self.histogramMinimum && lo >= 0 && hi < Self.histogramLimit
        if missed > 0 {
            // Some sizes did not fit: clear what was counted, and count again in a histogram that fits.
            counts.withUnsafeMutableBufferPointer { c in
                for v in Swift.max(lo, 0)..<Swift.max(Swift.max(lo, 0), Swift.min(hi + 1, c.count)) { c[v] = 0 }
            }
            if useHistogram {
                counts = [Int32](repeating: 0, count: Swift.max(hi + 1, 2 * counts.count))
                counts.withUnsafeMutableBufferPointer { c in
                    for i in 0..<count { c[w[i].frameLength] &+= 1 }
                }
            }
        }
        guard useHistogram else {
            if missed == 0 {
                counts.withUnsafeMutableBufferPointer { c in for v in lo...hi { c[v] = 0 } }
            }
            sortedSizes.removeAll(keepingCapacity: true)
            for i in 0..<count { sortedSizes.append(Double(w[i].frameLength)) }
            sortedSizes.sort()
            let p25 = Stats.percentile(sorted: sortedSizes, 25)
            let p75 = Stats.percentile(sorted: sortedSizes, 75)
            let minSize = sortedSizes[0], maxSize = sortedSizes[count - 1]
            out[ReferenceSlot.minPktSize] = minSize
            out[ReferenceSlot.maxPktSize] = maxSize
            out[ReferenceSlot.p10PktSize] = Stats.percentile(sorted: sortedSizes, 10)
            out[ReferenceSlot.p25PktSize] = p25
            out[ReferenceSlot.p50PktSize] = Stats.percentile(sorted: sortedSizes, 50)
            out[ReferenceSlot.p75PktSize] = p75
            out[ReferenceSlot.p90PktSize] = Stats.percentile(sorted: sortedSizes, 90)
            out[ReferenceSlot.p95PktSize] = Stats.percentile(sorted: sortedSizes, 95)
            out[ReferenceSlot.pktSizeRange] = maxSize - minSize
            out[ReferenceSlot.pktSizeIqr] = p75 - p25
            out[ReferenceSlot.entropyPktSizes] = Stats.referenceEntropy(sorted: sortedSizes)
            return
        }
        // The sorted positions each percentile reads (as `Stats.percentile(sorted:_:)` reads them), ascending.
        var targets: [Int] = [], targetValues: [Double] = []
        swap(&targets, &self.targets)
        swap(&targetValues, &self.targetValues)
        defer {
            self.targets = targets
            self.targetValues = targetValues
        }
        targets.removeAll(keepingCapacity: true)
        for q in Self.sizePercentiles {
            let (lower, upper, _) = Stats.percentilePositions(count: count, q)
            targets.append(lower)
            targets.append(upper)
        }
        targets.sort()
        targetValues.removeAll(keepingCapacity: true)
        // One walk over the histogram: the values at the target positions, the entropy (one bin per size,
        // sizes of 1,500 and more in one bin, as `Stats.referenceEntropy`), and the counts cleared.
        let total = Double(count)
        var entropy = 0.0
        var tail: Int32 = 0
        var seen = 0
        var next = 0
        let targetCount = targets.count
        counts.withUnsafeMutableBufferPointer { c in
            for v in lo...hi {
                let k = c[v]
                if k == 0 { continue }
                c[v] = 0
                seen += Int(k)
                while next < targetCount && targets[next] < seen {
                    targetValues.append(Double(v))
                    next += 1
                }
                if v >= 1500 {
                    tail &+= k
                } else {
                    let p = Double(k) / total
                    entropy -= p * log2(p + 1e-10)
                }
            }
        }
        if tail > 0 {
            let p = Double(tail) / total
            entropy -= p * log2(p + 1e-10)
        }
        func percentile(_ q: Double) -> Double {
            let (lower, upper, fraction) = Stats.percentilePositions(count: count, q)
            let a = targetValues[targets.firstIndex(of: lower)!], b = targetValues[targets.firstIndex(of: upper)!]
            return Stats.interpolate(a, b, fraction)
        }
        let p25 = percentile(25), p75 = percentile(75)
        let minSize = Double(lo), maxSize = Double(hi)
        out[ReferenceSlot.minPktSize] = minSize
        out[ReferenceSlot.maxPktSize] = maxSize
        out[ReferenceSlot.p10PktSize] = percentile(10)
        out[ReferenceSlot.p25PktSize] = p25
        out[ReferenceSlot.p50PktSize] = percentile(50)
        out[ReferenceSlot.p75PktSize] = p75
        out[ReferenceSlot.p90PktSize] = percentile(90)
        out[ReferenceSlot.p95PktSize] = percentile(95)
        out[ReferenceSlot.pktSizeRange] = maxSize - minSize
        out[ReferenceSlot.pktSizeIqr] = p75 - p25
        out[ReferenceSlot.entropyPktSizes] = entropy
    }

    /// Inter-arrival times (0 for all of them when the window has one packet). `sum`: their sum, in
    /// order. Returns it. Reorders `iats` (their order is used up by then).
    private mutating func iatFeatures(sum: Double, into out: inout [Double]) -> Double {
        var meanIAT = 0.0, stdIAT = 0.0, minIAT = 0.0, maxIAT = 0.0
        var p10IAT = 0.0, p50IAT = 0.0, p90IAT = 0.0, sumIAT = 0.0
        if !iats.isEmpty {
            let m = Double(iats.count)
            meanIAT = sum / m
            var squares = 0.0
            for v in iats {
                let d = v - meanIAT
                squares += d * d
            }
            stdIAT = (squares / m).squareRoot()
            sumIAT = sum
            Stats.selectForPercentiles(inPlace: &iats, (10, 50, 90))
            minIAT = iats[0]
            maxIAT = iats[iats.count - 1]
            p10IAT = Stats.percentile(sorted: iats, 10)
            p50IAT = Stats.percentile(sorted: iats, 50)
            p90IAT = Stats.percentile(sorted: iats, 90)
        }
        out[ReferenceSlot.meanIat] = meanIAT
        out[ReferenceSlot.stdIat] = stdIAT
        out[ReferenceSlot.minIat] = minIAT
        out[ReferenceSlot.maxIat] = maxIAT
        out[ReferenceSlot.p10Iat] = p10IAT
        out[ReferenceSlot.p50Iat] = p50IAT
        out[ReferenceSlot.p90Iat] = p90IAT
        out[ReferenceSlot.cvIat] = meanIAT > 0 ? stdIAT / meanIAT : 0
        out[ReferenceSlot.iatRange] = maxIAT - minIAT
        return sumIAT
    }

    /// Bursts: runs of consecutive inter-arrival times below the gap (counted in the first pass).
    private func burstFeatures(meanSize: Double, total: Double, into out: inout [Double]) {
        let (meanRun, stdRun) = Stats.meanAndStd(runs)
        var maxRun = 0.0
        for r in runs where r > maxRun { maxRun = r }
        out[ReferenceSlot.burstCount] = Double(runs.count)
        out[ReferenceSlot.meanBurstPackets] = meanRun
        out[ReferenceSlot.maxBurstPackets] = maxRun
        out[ReferenceSlot.stdBurstPackets] = runs.count > 1 ? stdRun : 0
        out[ReferenceSlot.burstBytesRatio] = total > 0 && !runs.isEmpty ? (meanRun * Double(runs.count) * meanSize) / total : 0
    }
}
