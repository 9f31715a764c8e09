#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SplitMix

/// The impurity of a set of class weights, times their total weight (scikit-learn's `Criterion`):
/// Gini `W − Σw²/W`, entropy `W·log2 W − Σ w·log2 w`. Comparing `−(left + right)` between candidate
/// splits of one node is comparing their weighted impurity decrease.
struct ImpurityCriterion: Sendable {
    let classCount: Int
    let entropy: Bool

    @inline(__always)
    func cost(_ classWeights: UnsafePointer<Double>, total: Double) -> Double {
        guard total > 0 else { return 0 }
        var sum = 0.0
        if entropy {
            for c in 0..<classCount where classWeights[c] > 0 { sum += classWeights[c] * log2(classWeights[c]) }
            return total * log2(total) - sum
        }
        for c in 0..<classCount { sum += classWeights[c] * classWeights[c] }
        return total - sum / total
    }
}

/// The best split found for a node: feature, the last bin that goes left, where missing values go,
/// and the two sides' costs (for the feature importance).
struct NodeSplit {
    var score = -Double.infinity
    var feature = -1
    var lastLeftBin = 0
    var missingLeft = false
    var costLeft = 0.0, costRight = 0.0
}

/// One node's rows on one feature, by bin: the class weights and row count of each bin, and the
/// list of bins the rows touched, so that clearing it costs the touched bins and not all 256.
/// Memory is allocated once per tree and freed with `deallocate()`.
struct BinHistogram {
    /// Bins 0…254 hold values, bin 255 (`FeatureBinning.missingBin`) the missing ones.
    static let binCount = Int(FeatureBinning.missingBin) + 1

    let classCount: Int
    /// `classWeights[bin * classCount + class]`.
    let classWeights: UnsafeMutablePointer<Double>
    let rowCounts: UnsafeMutablePointer<Int32>
    /// The touched bins, `occupiedCount` of them; ascending after `sortOccupied`.
    let occupied: UnsafeMutablePointer<UInt8>
    private(set) var occupiedCount = 0

    init(classCount: Int) {
        self.classCount = classCount
        classWeights = .allocate(capacity: Self.binCount * classCount)
        classWeights.initialize(repeating: 0, count: Self.binCount * classCount)
        rowCounts = .allocate(capacity: Self.binCount)
        rowCounts.initialize(repeating: 0, count: Self.binCount)
        occupied = .allocate(capacity: Self.binCount)
        occupied.initialize(repeating: 0, count: Self.binCount)
    }

    func deallocate() {
        classWeights.deallocate(); rowCounts.deallocate(); occupied.deallocate()
    }

    /// Adds the node's rows: `codes` is the feature's column (stride `rowStride`), `rows` the node's
    /// row numbers, `rowClass` and `rowWeight` their class and weight in the same order.
    @inline(__always)
    mutating func add(codes: UnsafePointer<UInt8>, rowStride: Int, rows: UnsafeBufferPointer<Int32>,
                      rowClass: UnsafePointer<Int32>, rowWeight: UnsafePointer<Double>) {
        for position in 0..<rows.count {
            let bin = Int(codes[Int(rows[position]) &* rowStride])
            if rowCounts[bin] == 0 { occupied[occupiedCount] = UInt8(bin); occupiedCount += 1 }
            classWeights[bin * classCount + Int(rowClass[position])] += rowWeight[position]
            rowCounts[bin] += 1
        }
    }

    /// Puts the occupied bins in ascending order: insertion sort when few, else a pass over the
    /// counts of the feature's `valueBins` bins and the missing bin.
    @inline(__always)
    func sortOccupied(valueBins: Int) {
        if occupiedCount <= 24 {
            for a in 1..<occupiedCount {
                let bin = occupied[a]
                var j = a
                while j > 0 && occupied[j - 1] > bin { occupied[j] = occupied[j - 1]; j -= 1 }
                occupied[j] = bin
            }
        } else {
            var next = 0
            for bin in 0..<valueBins where rowCounts[bin] != 0 { occupied[next] = UInt8(bin); next += 1 }
            if rowCounts[Int(FeatureBinning.missingBin)] != 0 { occupied[next] = FeatureBinning.missingBin }
        }
    }

    /// Zeroes the touched bins, ready for the next feature.
    @inline(__always)
    mutating func clear() {
        for i in 0..<occupiedCount {
            let bin = Int(occupied[i])
            rowCounts[bin] = 0
            for c in 0..<classCount { classWeights[bin * classCount + c] = 0 }
        }
        occupiedCount = 0
    }
}

/// Finds a node's best split (scikit-learn's `Splitter`, on histograms as its histogram booster does):
/// features are drawn at random without replacement until `featuresPerSplit` non-constant ones have
/// been tried; for each, every cut between occupied bins is scored with missing values on either side.
/// Holds the tree's scratch memory: the histogram, the node's class and weight per row, the running
/// class weights of the candidate sides.
struct SplitSearch {
    let binning: FeatureBinning
    let criterion: ImpurityCriterion
    let featuresPerSplit: Int
    let minSamplesLeaf: Int
    /// The features in draw order; the first `drawn` of a node's search are the ones tried. Kept from
    /// node to node (the draws continue from the last order), as the committed models were trained.
    private var featureOrder: [Int]
    private var histogram: BinHistogram
    /// Per class: weights of the value bins left of the cut, of the left side, of the right side.
    private let valueBinsLeft: UnsafeMutablePointer<Double>
    private let sideLeft: UnsafeMutablePointer<Double>
    private let sideRight: UnsafeMutablePointer<Double>

    init(binning: FeatureBinning, criterion: ImpurityCriterion, featuresPerSplit: Int, minSamplesLeaf: Int) {
        self.binning = binning
        self.criterion = criterion
        self.featuresPerSplit = featuresPerSplit
        self.minSamplesLeaf = minSamplesLeaf
        featureOrder = Array(0..<binning.featureCount)
        histogram = BinHistogram(classCount: criterion.classCount)
        let k = criterion.classCount
        valueBinsLeft = .allocate(capacity: 3 * k)
        valueBinsLeft.initialize(repeating: 0, count: 3 * k)
        sideLeft = valueBinsLeft + k
        sideRight = valueBinsLeft + 2 * k
    }

    func deallocate() {
        histogram.deallocate()
        valueBinsLeft.deallocate()  // sideLeft and sideRight live in the same block
    }

    /// The best split of a node whose rows are `rows` (with their classes, weights and the per-class
    /// totals), or nil when every drawn feature is constant on it or no cut leaves `minSamplesLeaf`
    /// rows on each side.
    mutating func bestSplit(codes: UnsafePointer<UInt8>, rows: UnsafeBufferPointer<Int32>,
                            rowClass: UnsafePointer<Int32>, rowWeight: UnsafePointer<Double>,
                            classTotals: UnsafePointer<Double>, random: inout SplitMix64) -> NodeSplit? {
        let featureCount = binning.featureCount
        var best = NodeSplit()
        var tried = 0, drawn = 0
        while drawn < featureCount && tried < featuresPerSplit {
            featureOrder.swapAt(drawn, drawn + random.below(featureCount - drawn))
            let feature = featureOrder[drawn]
            drawn += 1
            histogram.add(codes: codes + feature, rowStride: featureCount, rows: rows, rowClass: rowClass, rowWeight: rowWeight)
            defer { histogram.clear() }
            if histogram.occupiedCount < 2 { continue }  // constant here: does not count as tried
            tried += 1
            let valueBins = binning.edges[feature].count + 1
            histogram.sortOccupied(valueBins: valueBins)
            scoreCuts(feature: feature, valueBins: valueBins, rowCount: rows.count, classTotals: classTotals, best: &best)
        }
        return best.feature < 0 ? nil : best
    }

    /// Scores every cut of the sorted histogram of `feature` and keeps the best in `best`. The cut goes
    /// in the middle of the empty bins before the next occupied one (the gap between this node's
    /// values), as a midpoint would; after the last value bin every value goes left, only missing
    /// values right. With missing values, both of their sides are tried; without, they would go to
    /// the side with more rows.
    @inline(__always)
    private func scoreCuts(feature: Int, valueBins: Int, rowCount: Int, classTotals: UnsafePointer<Double>,
                           best: inout NodeSplit) {
        let k = criterion.classCount
        let occupiedCount = histogram.occupiedCount
        let occupied = histogram.occupied, rowCounts = histogram.rowCounts, binWeights = histogram.classWeights
        let missingBin = Int(FeatureBinning.missingBin)
        let hasMissing = occupied[occupiedCount - 1] == FeatureBinning.missingBin
        let occupiedValueBins = hasMissing ? occupiedCount - 1 : occupiedCount
        let missingRows = hasMissing ? Int(rowCounts[missingBin]) : 0
        let missingWeights = binWeights + missingBin * k
        for c in 0..<k { valueBinsLeft[c] = 0 }
        var valueRowsLeft = 0
        for index in 0..<occupiedValueBins {
            let bin = Int(occupied[index])
            for c in 0..<k { valueBinsLeft[c] += binWeights[bin * k + c] }
            valueRowsLeft += Int(rowCounts[bin])
            let valueRowsRight = rowCount - missingRows - valueRowsLeft
            for option in 0..<(hasMissing ? 2 : 1) {
                let missingGoesLeft = hasMissing ? option == 0 : valueRowsLeft >= valueRowsRight
                let rowsLeft = valueRowsLeft + (missingGoesLeft ? missingRows : 0)
                let rowsRight = rowCount - rowsLeft
                if rowsLeft < minSamplesLeaf || rowsRight < minSamplesLeaf || rowsLeft == 0 || rowsRight == 0 { continue }
                var weightLeft = 0.0, weightRight = 0.0
                for c in 0..<k {
                    sideLeft[c] = valueBinsLeft[c] + (missingGoesLeft && hasMissing ? missingWeights[c] : 0)
                    sideRight[c] = max(0, classTotals[c] - sideLeft[c])
                    weightLeft += sideLeft[c]; weightRight += sideRight[c]
                }
                let costLeft = criterion.cost(sideLeft, total: weightLeft)
                let costRight = criterion.cost(sideRight, total: weightRight)
                let score = -(costLeft + costRight)
                if score > best.score {
                    let lastLeftBin = index + 1 < occupiedValueBins ? (bin + Int(occupied[index + 1]) - 1) / 2 : valueBins - 1
                    best = NodeSplit(score: score, feature: feature, lastLeftBin: lastLeftBin, missingLeft: missingGoesLeft,
                                     costLeft: costLeft, costRight: costRight)
                }
            }
        }
    }
}
