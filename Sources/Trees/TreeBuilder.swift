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
        var rng = SeededRandom(seed: params.seed, stream: UInt64(treeIndex))
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
        var hist = [Double](repeating: 0, count: 256 * k)
        var count = [Int32](repeating: 0, count: 256)
        var nodeClass = [Int32](repeating: 0, count: samples.count)
        var nodeWeight = [Double](repeating: 0, count: samples.count)
        var totals = [Double](repeating: 0, count: k)
        var leftW = [Double](repeating: 0, count: k)
        var trialL = [Double](repeating: 0, count: k)
        var trialR = [Double](repeating: 0, count: k)
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
            let nodeCost = cost(totals, total)
            var best = Split()
            if node.depth < maxDepth && size >= params.minSamplesSplit && size >= 2 * minLeaf && nodeCost > 1e-12 * total {
                var visited = 0, drawn = 0
                while drawn < f && visited < featuresPerSplit {
                    let pick = drawn + rng.below(f - drawn)
                    order.swapAt(drawn, pick)
                    let feat = order[drawn]
                    drawn += 1
                    let bins = binning.edges[feat].count + 1
                    // Histogram of this node's samples over the feature's bins.
                    for b in 0..<bins { count[b] = 0; for c in 0..<k { hist[b * k + c] = 0 } }
                    count[255] = 0
                    for c in 0..<k { hist[255 * k + c] = 0 }
                    let column = codes.baseAddress! + feat * n
                    hist.withUnsafeMutableBufferPointer { h in
                        count.withUnsafeMutableBufferPointer { cnt in
                            for s in node.start..<node.end {
                                let b = Int(column[Int(samples[s])])
                                let o = s - node.start
                                h[b * k + Int(nodeClass[o])] += nodeWeight[o]
                                cnt[b] += 1
                            }
                        }
                    }
                    var occupied = count[255] > 0 ? 1 : 0
                    for b in 0..<bins where count[b] > 0 { occupied += 1 }
                    if occupied < 2 { continue }  // constant here: does not count as visited
                    visited += 1
                    let missingCount = Int(count[255])
                    for c in 0..<k { leftW[c] = 0 }
                    var nLeft = 0
                    for b in 0..<(bins - 1) {
                        if count[b] == 0 { continue }
                        for c in 0..<k { leftW[c] += hist[b * k + c] }
                        nLeft += Int(count[b])
                        let nRight = size - missingCount - nLeft
                        // Missing values left, then right (only the first when there are none).
                        for option in 0..<(missingCount > 0 ? 2 : 1) {
                            let missingGoesLeft = missingCount > 0 ? option == 0 : nLeft >= nRight
                            let nl = nLeft + (missingGoesLeft && missingCount > 0 ? missingCount : 0)
                            let nr = size - nl
                            if nl < minLeaf || nr < minLeaf || nl == 0 || nr == 0 { continue }
                            var wl = 0.0, wr = 0.0
                            for c in 0..<k {
                                let miss = missingCount > 0 ? hist[255 * k + c] : 0
                                trialL[c] = leftW[c] + (missingGoesLeft ? miss : 0)
                                trialR[c] = totals[c] - trialL[c]
                                if trialR[c] < 0 { trialR[c] = 0 }
                                wl += trialL[c]; wr += trialR[c]
                            }
                            let cl = cost(trialL, wl), cr = cost(trialR, wr)
                            let score = -(cl + cr)
                            if score > best.score {
                                best = Split(score: score, feature: feat, bin: b, missingLeft: missingGoesLeft,
                                             costLeft: cl, costRight: cr)
                                // The threshold goes in the middle of the empty bins that follow
                                // (the gap between this node's values), as a midpoint would.
                                var next = b + 1
                                while next < bins && count[next] == 0 { next += 1 }
                                best.bin = min((b + next - 1) / 2, bins - 2)
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
            threshold.append(binning.edges[best.feature][best.bin])
            left.append(-1); right.append(-1)
            missingLeft.append(best.missingLeft)
            for _ in 0..<k { value.append(0) }
            // Partition: rows going left first.
            let column = codes.baseAddress! + best.feature * n
            let cut = best.bin, nanLeft = best.missingLeft
            var i = node.start, j = node.end - 1
            while i <= j {
                let b = column[Int(samples[i])]
                let goesLeft = b == FeatureBinning.missingBin ? nanLeft : Int(b) <= cut
                if goesLeft { i += 1 } else { samples.swapAt(i, j); j -= 1 }
            }
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
    func cost(_ w: [Double], _ total: Double) -> Double {
        guard total > 0 else { return 0 }
        switch params.criterion {
        case .gini:
            var s = 0.0
            for x in w { s += x * x }
            return total - s / total
        case .entropy:
            var s = 0.0
            for x in w where x > 0 { s += x * log2(x) }
            return total * log2(total) - s
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
