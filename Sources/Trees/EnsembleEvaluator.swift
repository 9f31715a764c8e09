#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One node, packed into 16 bytes. Siblings are stored side by side, so the right child is `left + 1`.
/// A leaf has `feature < 0` and `left` = offset of its values in `leafValues`.
@usableFromInline
struct PackedNode: Sendable {
    @usableFromInline var threshold: Double
    @usableFromInline var left: Int32
    @usableFromInline var feature: Int16
    @usableFromInline var missingLeft: Bool
}

/// A node in rank form, 8 bytes: the threshold is replaced by its index among the sorted distinct
/// thresholds of its feature, and a row's values by their ranks among those thresholds, so
/// `x <= t` ⟺ `rank(x) <= index(t)` exactly (with `<`, ranks count thresholds ≤ x). Bit 31 of
/// `left` is the missing-goes-left flag. Same indices as `PackedNode`.
@usableFromInline
struct RankNode: Sendable {
    @usableFromInline var left: UInt32
    @usableFromInline var feature: Int16
    @usableFromInline var rank: UInt16
}

/// Evaluates a tree ensemble over flat node arrays with a `while` loop: no recursion, no allocation
/// per prediction. Rows are prepared once (scaled, rounded to the model's feature precision), then
/// walked tree by tree over blocks of rows so a tree's nodes stay in cache (`TreeWalk.swift`).
public struct EnsembleEvaluator: Sendable {
    let nodes: [PackedNode]
    /// The rank form of `nodes`, when every feature has at most 65,534 distinct thresholds.
    let rankNodes: [RankNode]?
    /// Per feature, its distinct thresholds in ascending order (rank form only).
    let rankThresholds: [[Double]]
    let roots: [Int32]
    let treeClass: [Int32]
    let leafValues: [Double]
    public let classCount: Int
    public let featureCount: Int
    let comparison: SplitComparison
    let precision: FeaturePrecision
    let aggregation: Aggregation
    let baseScore: [Double]
    let scalerMean: [Double]?
    let scalerScale: [Double]?

    /// Rows evaluated together, tree by tree: enough that a tree's nodes, once in cache, serve many
    /// rows (scikit-learn goes tree by tree over the whole batch for the same reason).
    static let blockRows = 2048

    /// `rankForm: false` keeps to the plain threshold walk (the rank form is used when possible).
    init(ensemble: TreeEnsemble, classCount: Int, featureCount: Int, scaler: StandardScaler?, rankForm: Bool = true) {
        let layout = Layout(ensemble.trees, width: ensemble.leafWidth(classCount: classCount))
        nodes = layout.nodes
        roots = layout.roots
        treeClass = layout.treeClass
        leafValues = layout.leafValues
        if rankForm, let ranked = Self.rankForm(layout.nodes, featureCount: featureCount) {
            rankNodes = ranked.nodes
            rankThresholds = ranked.thresholds
        } else {
            rankNodes = nil
            rankThresholds = []
        }
        self.classCount = classCount
        self.featureCount = featureCount
        self.comparison = ensemble.comparison
        self.precision = ensemble.featurePrecision
        self.aggregation = ensemble.aggregation
        self.baseScore = ensemble.baseScore
        self.scalerMean = scaler?.mean
        self.scalerScale = scaler?.scale
    }

    /// The trees' nodes in one array, each tree depth first with children in adjacent slots allocated
    /// when their parent is placed: a node's children sit just after it, so walking down mostly stays
    /// within nearby cache lines. Leaves point into `leafValues`, which holds only the leaves' rows.
    /// The trees are validated (`ModelValidator`: every node reached once from the root).
    struct Layout {
        var nodes: [PackedNode]
        var roots: [Int32] = []
        var treeClass: [Int32] = []
        var leafValues: [Double]

        init(_ trees: [TreeArrays], width: Int) {
            var total = 0, leafCount = 0
            for tree in trees {
                total += tree.nodeCount
                for f in tree.feature where f < 0 { leafCount += 1 }
            }
            nodes = [PackedNode](repeating: PackedNode(threshold: 0, left: 0, feature: -1, missingLeft: false), count: total)
            leafValues = [Double](repeating: 0, count: leafCount * width)
            roots.reserveCapacity(trees.count)
            treeClass.reserveCapacity(trees.count)
            var queue: [Int] = []
            var slot: [Int] = []
            var next = 0, leafEnd = 0
            nodes.withUnsafeMutableBufferPointer { out in
                leafValues.withUnsafeMutableBufferPointer { leaves in
                    for tree in trees {
                        roots.append(Int32(next))
                        treeClass.append(Int32(tree.outputClass ?? 0))
                        slot.removeAll(keepingCapacity: true)
                        slot.append(contentsOf: repeatElement(0, count: tree.nodeCount))
                        slot[0] = next
                        next += 1
                        queue.append(0)
                        tree.withBuffers { t in
                            while let i = queue.popLast() {
                                if t.feature[i] >= 0 {
                                    // The children's slots, reserved now, side by side.
                                    slot[t.left[i]] = next
                                    slot[t.right[i]] = next + 1
                                    out[slot[i]] = PackedNode(threshold: t.threshold[i], left: Int32(next),
                                                              feature: Int16(t.feature[i]), missingLeft: t.missingLeft[i])
                                    next += 2
                                    queue.append(t.right[i])
                                    queue.append(t.left[i])
                                } else {
                                    (leaves.baseAddress! + leafEnd).update(from: t.value.baseAddress! + i * width, count: width)
                                    out[slot[i]] = PackedNode(threshold: 0, left: Int32(leafEnd), feature: -1, missingLeft: false)
                                    leafEnd += width
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The rank form of `nodes` and, per feature, its distinct thresholds in ascending order; nil
    /// when a feature has more than 65,534 of them. The splits are sorted by feature and threshold
    /// (`SplitOrder`), then ranked in one pass: equal thresholds share an index.
    static func rankForm(_ nodes: [PackedNode], featureCount: Int) -> (nodes: [RankNode], thresholds: [[Double]])? {
        let splits = SplitOrder.sorted(nodes, featureCount: featureCount)
        var ranked = nodes.map { RankNode(left: UInt32($0.left), feature: -1, rank: 0) }
        var thresholds = [[Double]](repeating: [], count: featureCount)
        var i = 0
        while i < splits.count {
            let feature = splits[i].feature
            var distinct: [Double] = []
            var previous = splits[i].key &+ 1
            while i < splits.count && splits[i].feature == feature {
                let node = nodes[Int(splits[i].node)]
                if splits[i].key != previous {
                    guard distinct.count < 65_534 else { return nil }
                    distinct.append(node.threshold)
                    previous = splits[i].key
                }
                let flag: UInt32 = node.missingLeft ? 0x8000_0000 : 0
                ranked[Int(splits[i].node)] = RankNode(left: UInt32(node.left) | flag, feature: node.feature,
                                                       rank: UInt16(distinct.count - 1))
                i += 1
            }
            thresholds[Int(feature)] = distinct
        }
        return (ranked, thresholds)
    }

    public var treeCount: Int { roots.count }

    /// Class probabilities for `rows` (row-major, `featureCount` numbers each) into `out`
    /// (`classCount` numbers per row). `jobs > 1` splits the rows over that many threads.
    public func predictProbabilities(rows: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>,
                                     jobs: Int = 1) {
        let n = rows.count / featureCount
        precondition(rows.count == n * featureCount, "rows must hold a whole number of rows of \(featureCount) features")
        precondition(out.count >= n * classCount, "output buffer too small: \(out.count) < \(n * classCount)")
        guard n > 0, let rowBase = rows.baseAddress, let outBase = out.baseAddress else { return }
        let chunks = jobs > 1 ? min(jobs * 4, (n + 255) / 256) : 1
        if chunks <= 1 {
            evaluateRange(rowBase, outBase, 0..<n)
            return
        }
        let per = (n + chunks - 1) / chunks
        nonisolated(unsafe) let r = rowBase, o = outBase
        ParallelLoop.run(chunks, jobs: jobs) { c in
            let lo = c * per, hi = min(n, lo + per)
            if lo < hi { self.evaluateRange(r, o, lo..<hi) }
        }
    }

    /// Convenience: probabilities for a flat row-major array.
    public func predictProbabilities(rows: [Double], jobs: Int = 1) -> [Double] {
        let n = rows.count / featureCount
        var out = [Double](repeating: 0, count: n * classCount)
        rows.withUnsafeBufferPointer { r in
            out.withUnsafeMutableBufferPointer { o in predictProbabilities(rows: r, into: o, jobs: jobs) }
        }
        return out
    }

    /// One row's class probabilities into `out` (`classCount` numbers). No heap allocation.
    public func probabilities(row: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(row.count == featureCount && out.count >= classCount)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: featureCount) { scratch in
            withUnsafeTemporaryAllocation(of: UInt16.self, capacity: featureCount) { ranks in
                prepare(row.baseAddress!, into: scratch.baseAddress!, rows: 1)
                accumulate(scratch.baseAddress!, out.baseAddress!, rows: 1, ranks: ranks.baseAddress!)
                finish(out.baseAddress!, rows: 1)
            }
        }
    }

    /// Evaluates rows `range`, block by block, with one scratch buffer for the whole range.
    func evaluateRange(_ rows: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ range: Range<Int>) {
        let block = min(Self.blockRows, range.count)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: block * featureCount)
        let ranks = UnsafeMutablePointer<UInt16>.allocate(capacity: block * featureCount)
        defer { scratch.deallocate(); ranks.deallocate() }
        var start = range.lowerBound
        while start < range.upperBound {
            let count = min(block, range.upperBound - start)
            prepare(rows + start * featureCount, into: scratch, rows: count)
            let o = out + start * classCount
            accumulate(scratch, o, rows: count, ranks: ranks)
            finish(o, rows: count)
            start += count
        }
    }

    /// Scaler and precision, applied once per feature value.
    @inline(__always)
    func prepare(_ src: UnsafePointer<Double>, into dst: UnsafeMutablePointer<Double>, rows: Int) {
        let total = rows * featureCount
        if let mean = scalerMean, let scale = scalerScale {
            mean.withUnsafeBufferPointer { m in
                scale.withUnsafeBufferPointer { s in
                    var j = 0
                    for i in 0..<total {
                        dst[i] = (src[i] - m[j]) / s[j]
                        j += 1
                        if j == featureCount { j = 0 }
                    }
                }
            }
        } else {
            dst.update(from: src, count: total)
        }
        if precision == .float32 {
            for i in 0..<total { dst[i] = Double(Float(dst[i])) }
        }
    }

    /// Post-processing apart from traversal: average, or base score + softmax / sigmoid.
    @inline(__always)
    func finish(_ out: UnsafeMutablePointer<Double>, rows: Int) {
        let k = classCount
        switch aggregation {
        case .meanDistribution:
            let trees = Double(roots.count)
            for i in 0..<(rows * k) { out[i] /= trees }
        case .softmax:
            for r in 0..<rows {
                let o = out + r * k
                var top = -Double.infinity
                for c in 0..<k { o[c] += baseScore[c]; top = max(top, o[c]) }
                var sum = 0.0
                for c in 0..<k { o[c] = exp(o[c] - top); sum += o[c] }
                for c in 0..<k { o[c] /= sum }
            }
        case .sigmoid:
            for r in 0..<rows {
                let o = out + r * k
                let p = 1 / (1 + exp(-(o[0] + baseScore[0])))
                o[0] = 1 - p
                o[1] = p
            }
        }
    }
}
