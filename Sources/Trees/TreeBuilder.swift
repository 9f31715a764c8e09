import SplitMix

/// Grows one CART tree on binned features (histogram split search), depth first, samples partitioned
/// in place. Missing values (NaN) have their own bin; a split tries them on each side and keeps the
/// side with the lower impurity; when the node has none, they go to the side with more samples.
///
/// In stages, as scikit-learn's tree module: `ImpurityCriterion` scores class weights, `SplitSearch`
/// finds a node's best split from per-bin histograms (SplitSearch.swift), and `build` here draws the
/// tree's rows, keeps the stack of nodes to grow, partitions their rows and writes the node arrays.
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

    /// A node still to grow: its rows are `rows[start..<end]`; `parent` is -1 for the root.
    private struct PendingNode {
        var start: Int, end: Int, depth: Int, parent: Int, isLeft: Bool
    }

    var criterion: ImpurityCriterion { ImpurityCriterion(classCount: classCount, entropy: params.criterion == .entropy) }

    func build(treeIndex: Int) -> Result {
        var random = SplitMix64(seed: params.seed, stream: UInt64(treeIndex))
        var (rows, rowWeight) = drawRows(&random)
        var nodes = TreeArrays(feature: [], threshold: [], left: [], right: [], missingLeft: [], value: [])
        var importance = [Double](repeating: 0, count: binning.featureCount)
        var search = SplitSearch(binning: binning, criterion: criterion, featuresPerSplit: featuresPerSplit,
                                 minSamplesLeaf: params.minSamplesLeaf)
        defer { search.deallocate() }
        // The current node's class and weight per row (in its row order), and the per-class totals.
        var nodeClass = [Int32](repeating: 0, count: rows.count)
        var nodeWeight = [Double](repeating: 0, count: rows.count)
        var classTotals = [Double](repeating: 0, count: classCount)
        var rightRows = [Int32](repeating: 0, count: rows.count)
        var stack = [PendingNode(start: 0, end: rows.count, depth: 0, parent: -1, isLeft: false)]

        binning.codes.withUnsafeBufferPointer { codes in
            while let node = stack.popLast() {
                let id = nodes.nodeCount
                if node.parent >= 0 { if node.isLeft { nodes.left[node.parent] = id } else { nodes.right[node.parent] = id } }
                for c in 0..<classCount { classTotals[c] = 0 }
                for position in node.start..<node.end {
                    let row = Int(rows[position]), rowClass = classes[row]
                    nodeClass[position - node.start] = rowClass
                    nodeWeight[position - node.start] = rowWeight[row]
                    classTotals[Int(rowClass)] += rowWeight[row]
                }
                let total = classTotals.reduce(0, +)
                let nodeCost = classTotals.withUnsafeBufferPointer { criterion.cost($0.baseAddress!, total: total) }
                let split = mayBeSplit(size: node.end - node.start, depth: node.depth, cost: nodeCost, total: total)
                    ? rows.withUnsafeBufferPointer { allRows in
                        search.bestSplit(codes: codes.baseAddress!, rows: UnsafeBufferPointer(rebasing: allRows[node.start..<node.end]),
                                         rowClass: nodeClass, rowWeight: nodeWeight, classTotals: classTotals, random: &random)
                    }
                    : nil
                guard let split else {
                    appendLeaf(to: &nodes, classTotals: classTotals, total: total)
                    continue
                }
                importance[split.feature] += max(0, nodeCost - split.costLeft - split.costRight)
                appendSplit(split, to: &nodes)
                let middle = partition(&rows, node.start..<node.end, by: split, codes: codes.baseAddress!, spill: &rightRows)
                stack.append(PendingNode(start: middle, end: node.end, depth: node.depth + 1, parent: id, isLeft: false))
                stack.append(PendingNode(start: node.start, end: middle, depth: node.depth + 1, parent: id, isLeft: true))
            }
        }
        return Result(tree: nodes, importance: importance)
    }

    /// The tree's rows and the weight of every row (class weight × times drawn): with bootstrap, n draws
    /// with replacement (rows never drawn are left out); without, every row once.
    private func drawRows(_ random: inout SplitMix64) -> (rows: [Int32], weight: [Double]) {
        let n = binning.rowCount
        var weight = [Double](repeating: 0, count: n)
        guard params.bootstrap else {
            for i in 0..<n { weight[i] = classWeights[Int(classes[i])] }
            return ((0..<n).map { Int32($0) }, weight)
        }
        var timesDrawn = [Int32](repeating: 0, count: n)
        for _ in 0..<n { timesDrawn[random.below(n)] += 1 }
        var rows: [Int32] = []
        for i in 0..<n where timesDrawn[i] > 0 {
            rows.append(Int32(i))
            weight[i] = Double(timesDrawn[i]) * classWeights[Int(classes[i])]
        }
        return (rows, weight)
    }

    /// The stopping rules: depth, rows to split and to leave on each side, and a node not already pure.
    private func mayBeSplit(size: Int, depth: Int, cost: Double, total: Double) -> Bool {
        depth < (params.maxDepth ?? Int.max) && size >= params.minSamplesSplit && size >= 2 * params.minSamplesLeaf
            && cost > 1e-12 * total
    }

    /// A leaf: the class shares of its weight (uniform when it has none).
    private func appendLeaf(to nodes: inout TreeArrays, classTotals: [Double], total: Double) {
        nodes.feature.append(-1); nodes.threshold.append(0); nodes.left.append(-1); nodes.right.append(-1)
        nodes.missingLeft.append(false)
        for c in 0..<classCount { nodes.value.append(total > 0 ? classTotals[c] / total : 1 / Double(classCount)) }
    }

    /// A split node; its children are linked when they are grown. The threshold is the upper edge of the
    /// last bin going left (the largest finite double when every value goes left).
    private func appendSplit(_ split: NodeSplit, to nodes: inout TreeArrays) {
        let edges = binning.edges[split.feature]
        nodes.feature.append(split.feature)
        nodes.threshold.append(split.lastLeftBin < edges.count ? edges[split.lastLeftBin] : .greatestFiniteMagnitude)
        nodes.left.append(-1); nodes.right.append(-1)
        nodes.missingLeft.append(split.missingLeft)
        for _ in 0..<classCount { nodes.value.append(0) }
    }

    /// Puts the range's rows going left first and returns where the right ones start. Stable, so every
    /// node's rows stay in ascending order (the memory order of the codes); `spill` holds the right
    /// rows meanwhile.
    private func partition(_ rows: inout [Int32], _ range: Range<Int>, by split: NodeSplit,
                           codes: UnsafePointer<UInt8>, spill: inout [Int32]) -> Int {
        let column = codes + split.feature, stride = binning.featureCount
        var nextLeft = range.lowerBound, spilled = 0
        for position in range {
            let row = rows[position]
            let bin = column[Int(row) &* stride]
            let goesLeft = bin == FeatureBinning.missingBin ? split.missingLeft : Int(bin) <= split.lastLeftBin
            if goesLeft { rows[nextLeft] = row; nextLeft += 1 } else { spill[spilled] = row; spilled += 1 }
        }
        for r in 0..<spilled { rows[nextLeft + r] = spill[r] }
        return nextLeft
    }
}
