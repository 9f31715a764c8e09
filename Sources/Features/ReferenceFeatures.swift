/// The reference analyzer's 37 window features, in their published order. The feature names
/// derive from the cases (`bytesPerSecond` → `bytes_per_second`), so the order of the names and the
/// slots the computation fills cannot drift apart.
enum ReferenceSlot: Int, CaseIterable {
    case bytesPerSecond, packetsPerSecond, bytesTotal, meanPktSize, stdPktSize
    case minPktSize, maxPktSize, p10PktSize, p25PktSize, p50PktSize
    case p75PktSize, p90PktSize, p95PktSize, largePktRatio, smallPktRatio
    case mediumPktRatio, pktSizeRange, pktSizeIqr, pktSizeSkew, pktSizeKurtosis
    case meanIat, stdIat, minIat, maxIat, p10Iat
    case p50Iat, p90Iat, cvIat, iatRange, burstCount
    case meanBurstPackets, maxBurstPackets, stdBurstPackets, burstBytesRatio, entropyPktSizes
    case bytesPerPacket, iatPerByte

    /// `snake_case` of the case name.
    var name: String {
        var out = ""
        for c in String(describing: self) {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }
}

extension Array where Element == Double {
    /// A reference feature's value in a row of `ReferenceSlot.allCases.count` values.
    subscript(slot: ReferenceSlot) -> Double {
        get { self[slot.rawValue] }
        set { self[slot.rawValue] = newValue }
    }
}

/// Computes the reference analyzer's 37 features of one window (DESIGN.md §4), reusing its buffers.
struct ReferenceFeatures {
    private var sizes: [Double] = []
    private var sortedSizes: [Double] = []
    private var iats: [Double] = []
    private var sortedIats: [Double] = []
    private var runs: [Double] = []
    private var counts: [Int32] = []
    private var keys: [UInt64] = []
    private var keysScratch: [UInt64] = []

    init() {}

    /// Fills `out` (one value per `ReferenceSlot`, in slot order) from `packets[range]`,
    /// which must be non-empty and in time order.
    mutating func compute(
        _ packets: [PacketSample], _ range: Range<Int>, burstGap: Double, into out: inout [Double]
    ) {
        precondition(!range.isEmpty)
        sizes.removeAll(keepingCapacity: true)
        iats.removeAll(keepingCapacity: true)
        runs.removeAll(keepingCapacity: true)

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
        let total = Double(bytesTotal)
        let duration = packets[range.upperBound - 1].time - packets[range.lowerBound].time

        Stats.countingSort(sizes, into: &sortedSizes, counts: &counts)
        let (meanSize, stdSize) = Stats.meanAndStd(sizes)
        let p25 = Stats.percentile(sorted: sortedSizes, 25)
        let p75 = Stats.percentile(sorted: sortedSizes, 75)
        let minSize = sortedSizes[0], maxSize = sortedSizes[sortedSizes.count - 1]

        var meanIAT = 0.0, stdIAT = 0.0, minIAT = 0.0, maxIAT = 0.0
        var p10IAT = 0.0, p50IAT = 0.0, p90IAT = 0.0, sumIAT = 0.0
        if !iats.isEmpty {
            (meanIAT, stdIAT) = Stats.meanAndStd(iats)
            for v in iats { sumIAT += v }
            Stats.radixSortNonNegative(iats, into: &sortedIats, keys: &keys, scratch: &keysScratch)
            minIAT = sortedIats[0]
            maxIAT = sortedIats[sortedIats.count - 1]
            p10IAT = Stats.percentile(sorted: sortedIats, 10)
            p50IAT = Stats.percentile(sorted: sortedIats, 50)
            p90IAT = Stats.percentile(sorted: sortedIats, 90)
        }

        // Bursts: runs of consecutive IATs below the gap.
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

        out[.bytesPerSecond] = duration > 0 ? total / duration : 0
        out[.packetsPerSecond] = duration > 0 ? n / duration : 0
        out[.bytesTotal] = total
        out[.meanPktSize] = meanSize
        out[.stdPktSize] = stdSize
        out[.minPktSize] = minSize
        out[.maxPktSize] = maxSize
        out[.p10PktSize] = Stats.percentile(sorted: sortedSizes, 10)
        out[.p25PktSize] = p25
        out[.p50PktSize] = Stats.percentile(sorted: sortedSizes, 50)
        out[.p75PktSize] = p75
        out[.p90PktSize] = Stats.percentile(sorted: sortedSizes, 90)
        out[.p95PktSize] = Stats.percentile(sorted: sortedSizes, 95)
        out[.largePktRatio] = Double(large) / n
        out[.smallPktRatio] = Double(small) / n
        out[.mediumPktRatio] = Double(medium) / n
        out[.pktSizeRange] = maxSize - minSize
        out[.pktSizeIqr] = p75 - p25
        out[.pktSizeSkew] = Stats.skew(sizes)
        out[.pktSizeKurtosis] = Stats.kurtosis(sizes)
        out[.meanIat] = meanIAT
        out[.stdIat] = stdIAT
        out[.minIat] = minIAT
        out[.maxIat] = maxIAT
        out[.p10Iat] = p10IAT
        out[.p50Iat] = p50IAT
        out[.p90Iat] = p90IAT
        out[.cvIat] = meanIAT > 0 ? stdIAT / meanIAT : 0
        out[.iatRange] = maxIAT - minIAT
        out[.burstCount] = Double(runs.count)
        out[.meanBurstPackets] = meanRun
        out[.maxBurstPackets] = maxRun
        out[.stdBurstPackets] = runs.count > 1 ? stdRun : 0
        out[.burstBytesRatio] = bytesTotal > 0 && !runs.isEmpty ? (meanRun * Double(runs.count) * meanSize) / total : 0
        out[.entropyPktSizes] = Stats.referenceEntropy(sorted: sortedSizes)
        out[.bytesPerPacket] = total / n
        out[.iatPerByte] = bytesTotal > 0 && !iats.isEmpty ? sumIAT / total : 0
    }
}
