#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SplitMix

/// Grows one CART tree on binned features (histogram split search), depth first, samples partitioned
/// in place. Missing values (NaN) have their own bin; a split tries them on each side and keeps the
/// side with the lower impurity; when the node has none, they go to the side with more samples.
struct TreeBuilder: Sendable {
    let binning: FeatureBinning
    /// Class index per row.
    let classes: [Int32]
    let classCount: Int
    /// Weight per class (1, or balanced).
    let classWeights: [Double]
    let params: ForestParameters
    let featuresPerSplit: Int

    struct Result {
        var tree: TreeArrays
        /// Weighted impurity decrease per feature (not normalised).
        var importance: [Double]
    }

    private struct Pending {
        var start: Int, end: Int, depth: Int, parent: Int, isLeft: Bool
    }

    private struct Split {
        var score = -Double.infinity
        var feature = -1
        var bin = 0
        var missingLeft = false
        var costLeft = 0.0, costRight = 0.0
    }

    func build(treeIndex: Int) -> Result {
        let n = binning.rowCount, f = binning.featureCount, k = classCount
        var rng = SplitMix64(seed: params.seed, stream: UInt64(treeIndex))
        var weight = [Double](repeating: 0, count: n)
        var samples: [Int32] = []
        if params.bootstrap {
            var counts = [Int32](repeating: 0, count: n)
            for _ in 0..<n { counts[rng.below(n)] += 1 }
            for i in 0..<n where counts[i] > 0 {
                samples.append(Int32(i))
                weight[i] = Double(counts[i]) * classWeights[Int(classes[i])]
            }
        } else {
            samples = (0..<n).map { Int32($0) }
            for i in 0..<n { weight[i] = classWeights[Int(classes[i])] }
        }

        var feature: [Int] = [], threshold: [Double] = [], left: [Int] = [], right: [Int] = []
        var missingLeft: [Bool] = [], value: [Double] = []
        var importance = [Double](repeating: 0, count: f)
        var order = Array(0..<f)
        let histBuffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: 256 * k)
        let countBuffer = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 256)
        let occupiedBuffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 256)
        let trialBuffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: 3 * k)
        histBuffer.initialize(repeating: 0); countBuffer.initialize(repeating: 0)
        occupiedBuffer.initialize(repeating: 0); trialBuffer.initialize(repeating: 0)
        defer { histBuffer.deallocate(); countBuffer.deallocate(); occupiedBuffer.deallocate(); trialBuffer.deallocate() }
        var nodeClass = [Int32](repeating: 0, count: samples.count)
        var rightRows = [Int32](repeating: 0, count: samples.count)
        var nodeWeight = [Double](repeating: 0, count: samples.count)
        var totals = [Double](repeating: 0, count: k)
        let maxDepth = params.maxDepth ?? Int.max
        let minLeaf = params.minSamplesLeaf
        var stack = [Pending(start: 0, end: samples.count, depth: 0, parent: -1, isLeft: false)]

        binning.codes.withUnsafeBufferPointer { codes in
        while let node = stack.popLast() {
            let id = feature.count
            if node.parent >= 0 { if node.isLeft { left[node.parent] = id } else { right[node.parent] = id } }
            let size = node.end - node.start
            for c in 0..<k { totals[c] = 0 }
            for s in node.start..<node.end {
                let i = Int(samples[s])
                let c = classes[i]
                nodeClass[s - node.start] = c
                nodeWeight[s - node.start] = weight[i]
                totals[Int(c)] += weight[i]
            }
            let total = totals.reduce(0, +)
            let nodeCost = totals.withUnsafeBufferPointer { cost($0.baseAddress!, total) }
            var best = Split()
            if node.depth < maxDepth && size >= params.minSamplesSplit && size >= 2 * minLeaf && nodeCost > 1e-12 * total {
                var visited = 0, drawn = 0
                let column0 = codes.baseAddress!
                let h = histBuffer.baseAddress!, cnt = countBuffer.baseAddress!, occupied = occupiedBuffer.baseAddress!
                let tl = trialBuffer.baseAddress!, tr = tl + k, lw = tl + 2 * k
                while drawn < f && visited < featuresPerSplit {
                    let pick = drawn + rng.below(f - drawn)
                    order.swapAt(drawn, pick)
                    let feat = order[drawn]
                    drawn += 1
                    let bins = binning.edges[feat].count + 1
                    // Histogram of this node's samples; remember which bins were touched.
                    let column = column0 + feat
                    var occ = 0
                    for s in node.start..<node.end {
                        let b = Int(column[Int(samples[s]) &* f])
                        if cnt[b] == 0 { occupied[occ] = UInt8(b); occ += 1 }
                        let o = s - node.start
                        h[b * k + Int(nodeClass[o])] += nodeWeight[o]
                        cnt[b] += 1
                    }
                    defer {
                        for i in 0..<occ {
                            let b = Int(occupied[i])
                            cnt[b] = 0
                            for c in 0..<k { h[b * k + c] = 0 }
                        }
                    }
                    if occ < 2 { continue }  // constant here: does not count as visited
                    visited += 1
                    // Occupied bins in order: insertion sort when few, else a pass over the counts.
                    if occ <= 24 {
                        for a in 1..<occ {
                            let v = occupied[a]
                            var j = a
                            while j > 0 && occupied[j - 1] > v { occupied[j] = occupied[j - 1]; j -= 1 }
                            occupied[j] = v
                        }
                    } else {
                        var o = 0
                        for b in 0..<bins where cnt[b] != 0 { occupied[o] = UInt8(b); o += 1 }
                        if cnt[255] != 0 { occupied[o] = 255 }
                    }
                    let hasMissing = occupied[occ - 1] == FeatureBinning.missingBin
                    let realCount = hasMissing ? occ - 1 : occ
                    let missingCount = hasMissing ? Int(cnt[255]) : 0
                    let miss = h + 255 * k
                    for c in 0..<k { lw[c] = 0 }
                    var nLeft = 0
                    for idx in 0..<realCount {
                        let b = Int(occupied[idx])
                        for c in 0..<k { lw[c] += h[b * k + c] }
                        nLeft += Int(cnt[b])
                        let nRight = size - missingCount - nLeft
                        // Missing values left, then right (only the majority side when there are none).
                        for option in 0..<(hasMissing ? 2 : 1) {
                            let missingGoesLeft = hasMissing ? option == 0 : nLeft >= nRight
                            let nl = nLeft + (missingGoesLeft ? missingCount : 0)
                            let nr = size - nl
                            if nl < minLeaf || nr < minLeaf || nl == 0 || nr == 0 { continue }
                            var wl = 0.0, wr = 0.0
                            for c in 0..<k {
                                tl[c] = lw[c] + (missingGoesLeft && hasMissing ? miss[c] : 0)
                                tr[c] = max(0, totals[c] - tl[c])
                                wl += tl[c]; wr += tr[c]
                            }
                            let cl = cost(tl, wl), cr = cost(tr, wr)
                            let score = -(cl + cr)
                            if score > best.score {
                                // The cut goes in the middle of the empty bins before the next occupied
                                // one (the gap between this node's values), as a midpoint would.
                                let cut: Int
                                if idx + 1 < realCount { cut = (b + Int(occupied[idx + 1]) - 1) / 2 }
                                else { cut = bins - 1 }  // every value left, only missing values right
                                best = Split(score: score, feature: feat, bin: cut, missingLeft: missingGoesLeft,
                                             costLeft: cl, costRight: cr)
                            }
                        }
                    }
                }
            }
            if best.feature < 0 {
                feature.append(-1); threshold.append(0); left.append(-1); right.append(-1); missingLeft.append(false)
                for c in 0..<k { value.append(total > 0 ? totals[c] / total : 1 / Double(k)) }
                continue
            }
            importance[best.feature] += max(0, nodeCost - best.costLeft - best.costRight)
            feature.append(best.feature)
            let edges = binning.edges[best.feature]
            threshold.append(best.bin < edges.count ? edges[best.bin] : .greatestFiniteMagnitude)
            left.append(-1); right.append(-1)
            missingLeft.append(best.missingLeft)
            for _ in 0..<k { value.append(0) }
            // Partition: rows going left first.
            // Stable partition, so every node's rows stay in ascending order (memory order of the codes).
            let column = codes.baseAddress! + best.feature
            let cut = best.bin, nanLeft = best.missingLeft
            var i = node.start, spill = 0
            for s in node.start..<node.end {
                let row = samples[s]
                let b = column[Int(row) &* f]
                let goesLeft = b == FeatureBinning.missingBin ? nanLeft : Int(b) <= cut
                if goesLeft { samples[i] = row; i += 1 } else { rightRows[spill] = row; spill += 1 }
            }
            for r in 0..<spill { samples[i + r] = rightRows[r] }
            stack.append(Pending(start: i, end: node.end, depth: node.depth + 1, parent: id, isLeft: false))
            stack.append(Pending(start: node.start, end: i, depth: node.depth + 1, parent: id, isLeft: true))
        }
        }
        return Result(tree: TreeArrays(feature: feature, threshold: threshold, left: left, right: right,
                                       missingLeft: missingLeft, value: value),
                      importance: importance)
    }

    /// Weighted impurity × weight: Gini `W − Σw²/W`, entropy `W·log2 W − Σ w·log2 w`.
    @inline(__always)
    func cost(_ w: UnsafePointer<Double>, _ total: Double) -> Double {
        guard total > 0 else { return 0 }
        var s = 0.0
        if entropy {
            for c in 0..<classCount where w[c] > 0 { s += w[c] * log2(w[c]) }
            return total * log2(total) - s
        }
        for c in 0..<classCount { s += w[c] * w[c] }
        return total - s / total
    }

    var entropy: Bool { params.criterion == .entropy }
}
