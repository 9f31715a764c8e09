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

    /// Fills `out` (37 values, `FeatureFamily.referenceNames` order) from `packets[range]`,
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

        out[0] = duration > 0 ? total / duration : 0
        out[1] = duration > 0 ? n / duration : 0
        out[2] = total
        out[3] = meanSize
        out[4] = stdSize
        out[5] = minSize
        out[6] = maxSize
        out[7] = Stats.percentile(sorted: sortedSizes, 10)
        out[8] = p25
        out[9] = Stats.percentile(sorted: sortedSizes, 50)
        out[10] = p75
        out[11] = Stats.percentile(sorted: sortedSizes, 90)
        out[12] = Stats.percentile(sorted: sortedSizes, 95)
        out[13] = Double(large) / n
        out[14] = Double(small) / n
        out[15] = Double(medium) / n
        out[16] = maxSize - minSize
        out[17] = p75 - p25
        out[18] = Stats.skew(sizes)
        out[19] = Stats.kurtosis(sizes)
        out[20] = meanIAT
        out[21] = stdIAT
        out[22] = minIAT
        out[23] = maxIAT
        out[24] = p10IAT
        out[25] = p50IAT
        out[26] = p90IAT
        out[27] = meanIAT > 0 ? stdIAT / meanIAT : 0
        out[28] = maxIAT - minIAT
        out[29] = Double(runs.count)
        out[30] = meanRun
        out[31] = maxRun
        out[32] = runs.count > 1 ? stdRun : 0
        out[33] = bytesTotal > 0 && !runs.isEmpty ? (meanRun * Double(runs.count) * meanSize) / total : 0
        out[34] = Stats.referenceEntropy(sorted: sortedSizes)
        out[35] = total / n
        out[36] = bytesTotal > 0 && !iats.isEmpty ? sumIAT / total : 0
    }
}
