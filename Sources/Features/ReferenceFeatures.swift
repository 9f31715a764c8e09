/// A feature family's features as cases, in published order: the value of case `c` is at `c.rawValue` of
/// the family's row, and the names come from the cases, so the order of the names and the slots the
/// computation fills cannot drift apart.
protocol FeatureSlot: RawRepresentable<Int>, CaseIterable {
    /// The published feature name; by default `namePrefix` and the `snake_case` of the case name
    /// (`bytesPerSecond` → `bytes_per_second`).
    var name: String { get }
    /// What every name of the family starts with (`lr_` for the rhythm family); empty by default.
    static var namePrefix: String { get }
}

extension FeatureSlot {
    static var namePrefix: String { "" }

    var name: String {
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
}

/// Computes the reference analyzer's 37 features of one window (definitions in docs/features.md, checked
/// against scripts/reference_features.py), reusing its buffers.
struct ReferenceFeatures {
    private var sizes: [Double] = []
    private var sortedSizes: [Double] = []
    private var iats: [Double] = []
    /// The IATs with min, max and the entries the percentiles read in sorted position (`Stats.selectForPercentiles`).
    private var sortedIats: [Double] = []
    private var runs: [Double] = []
    private var counts: [Int32] = []

    init() {}

    /// Fills `out` (one value per `ReferenceSlot`, in slot order) from `packets[range]`,
    /// which must be non-empty and in time order.
    mutating func compute(
        _ packets: [PacketSample], _ range: Range<Int>, burstGap: Double, into out: inout [Double]
    ) {
        precondition(!range.isEmpty)
        let bytesTotal = gather(packets, range, into: &out)
        let duration = packets[range.upperBound - 1].time - packets[range.lowerBound].time
        let n = Double(sizes.count), total = Double(bytesTotal)
        out[ReferenceSlot.bytesPerSecond] = duration > 0 ? total / duration : 0
        out[ReferenceSlot.packetsPerSecond] = duration > 0 ? n / duration : 0
        out[ReferenceSlot.bytesTotal] = total
        out[ReferenceSlot.bytesPerPacket] = total / n
        let meanSize = sizeFeatures(into: &out)
        let sumIAT = iatFeatures(into: &out)
        out[ReferenceSlot.iatPerByte] = bytesTotal > 0 && !iats.isEmpty ? sumIAT / total : 0
        burstFeatures(burstGap: burstGap, meanSize: meanSize, total: total, into: &out)
    }

    /// Collects the window's sizes and inter-arrival times, writes the size-class ratios, and returns the
    /// window's bytes.
    private mutating func gather(_ packets: [PacketSample], _ range: Range<Int>, into out: inout [Double]) -> Int {
        sizes.removeAll(keepingCapacity: true)
        iats.removeAll(keepingCapacity: true)
        var bytesTotal = 0
        var previousTime = packets[range.lowerBound].time
        var large = 0, small = 0, medium = 0
        for i in range {
            let packet = packets[i]
            let size = packet.frameLength
            bytesTotal += size
            sizes.append(Double(size))
            if size > 1000 { large += 1 } else if size < 100 { small += 1 } else { medium += 1 }
            if i != range.lowerBound {
                iats.append(packet.time - previousTime)
                previousTime = packet.time
            }
        }
        let n = Double(sizes.count)
        out[ReferenceSlot.largePktRatio] = Double(large) / n
        out[ReferenceSlot.smallPktRatio] = Double(small) / n
        out[ReferenceSlot.mediumPktRatio] = Double(medium) / n
        return bytesTotal
    }

    /// Frame sizes: moments, extremes, percentiles, spread, shape and entropy. Returns the mean size.
    private mutating func sizeFeatures(into out: inout [Double]) -> Double {
        Stats.countingSort(sizes, into: &sortedSizes, counts: &counts)
        let (meanSize, stdSize) = Stats.meanAndStd(sizes)
        let p25 = Stats.percentile(sorted: sortedSizes, 25)
        let p75 = Stats.percentile(sorted: sortedSizes, 75)
        let minSize = sortedSizes[0], maxSize = sortedSizes[sortedSizes.count - 1]
        out[ReferenceSlot.meanPktSize] = meanSize
        out[ReferenceSlot.stdPktSize] = stdSize
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
        out[ReferenceSlot.pktSizeSkew] = Stats.skew(sizes)
        out[ReferenceSlot.pktSizeKurtosis] = Stats.kurtosis(sizes)
        out[ReferenceSlot.entropyPktSizes] = Stats.referenceEntropy(sorted: sortedSizes)
        return meanSize
    }

    /// Inter-arrival times (0 for all of them when the window has one packet). Returns their sum.
    private mutating func iatFeatures(into out: inout [Double]) -> Double {
        var meanIAT = 0.0, stdIAT = 0.0, minIAT = 0.0, maxIAT = 0.0
        var p10IAT = 0.0, p50IAT = 0.0, p90IAT = 0.0, sumIAT = 0.0
        if !iats.isEmpty {
            (meanIAT, stdIAT) = Stats.meanAndStd(iats)
            for v in iats { sumIAT += v }
            Stats.selectForPercentiles(iats, (10, 50, 90), into: &sortedIats)
            minIAT = sortedIats[0]
            maxIAT = sortedIats[sortedIats.count - 1]
            p10IAT = Stats.percentile(sorted: sortedIats, 10)
            p50IAT = Stats.percentile(sorted: sortedIats, 50)
            p90IAT = Stats.percentile(sorted: sortedIats, 90)
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

    /// Bursts: runs of consecutive inter-arrival times below the gap.
    private mutating func burstFeatures(burstGap: Double, meanSize: Double, total: Double, into out: inout [Double]) {
        runs.removeAll(keepingCapacity: true)
        var current = 0
        for gap in iats {
            if gap < burstGap {
                current += 1
            } else {
                if current > 0 { runs.append(Double(current)) }
                current = 0
            }
        }
        if current > 0 { runs.append(Double(current)) }
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
