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
/// walked tree by tree over blocks of rows so a tree's nodes stay in cache.
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
        let width = ensemble.leafWidth(classCount: classCount)
        var nodes: [PackedNode] = []
        var roots: [Int32] = []
        var treeClass: [Int32] = []
        var leafValues: [Double] = []
        nodes.reserveCapacity(ensemble.trees.reduce(0) { $0 + $1.nodeCount })
        for tree in ensemble.trees {
            // Depth first, children in adjacent slots allocated when their parent is placed: a node's
            // children sit just after it, so walking down mostly stays within nearby cache lines.
            let base = nodes.count
            roots.append(Int32(base))
            treeClass.append(Int32(tree.outputClass ?? 0))
            var queue = [0]
            var slot = [Int](repeating: -1, count: tree.nodeCount)
            slot[0] = base
            nodes.append(PackedNode(threshold: 0, left: 0, feature: -1, missingLeft: false))
            while let i = queue.popLast() {
                let at = slot[i]
                if tree.feature[i] >= 0 {
                    let first = nodes.count
                    slot[tree.left[i]] = first
                    slot[tree.right[i]] = first + 1
                    nodes.append(PackedNode(threshold: 0, left: 0, feature: -1, missingLeft: false))
                    nodes.append(PackedNode(threshold: 0, left: 0, feature: -1, missingLeft: false))
                    queue.append(tree.right[i])
                    queue.append(tree.left[i])
                    nodes[at] = PackedNode(threshold: tree.threshold[i], left: Int32(first),
                                           feature: Int16(tree.feature[i]), missingLeft: tree.missingLeft[i])
                } else {
                    let offset = leafValues.count
                    leafValues.append(contentsOf: tree.value[(i * width)..<(i * width + width)])
                    nodes[at] = PackedNode(threshold: 0, left: Int32(offset), feature: -1, missingLeft: false)
                }
            }
        }
        self.nodes = nodes
        // Rank form.
        var perFeature = [[Double]](repeating: [], count: featureCount)
        for node in nodes where node.feature >= 0 { perFeature[Int(node.feature)].append(node.threshold) }
        for j in 0..<featureCount { perFeature[j] = Array(Set(perFeature[j])).sorted() }
        if rankForm && perFeature.allSatisfy({ $0.count <= 65_534 }) {
            var index: [[Double: UInt16]] = perFeature.map { ts in
                var d: [Double: UInt16] = [:]
                for (i, t) in ts.enumerated() { d[t] = UInt16(i) }
                return d
            }
            rankNodes = nodes.map { node in
                if node.feature < 0 { return RankNode(left: UInt32(node.left), feature: -1, rank: 0) }
                let flag: UInt32 = node.missingLeft ? 0x8000_0000 : 0
                return RankNode(left: UInt32(node.left) | flag, feature: node.feature,
                                rank: index[Int(node.feature)][node.threshold]!)
            }
            index.removeAll()
            rankThresholds = perFeature
        } else {
            rankNodes = nil
            rankThresholds = []
        }
        self.roots = roots
        self.treeClass = treeClass
        self.leafValues = leafValues
        self.classCount = classCount
        self.featureCount = featureCount
        self.comparison = ensemble.comparison
        self.precision = ensemble.featurePrecision
        self.aggregation = ensemble.aggregation
        self.baseScore = ensemble.baseScore
        self.scalerMean = scaler?.mean
        self.scalerScale = scaler?.scale
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

    /// Sums the leaves of every tree into `out` (zeroed first), tree-major over the block.
    func accumulate(_ x: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, rows: Int,
                    ranks: UnsafeMutablePointer<UInt16>) {
        out.update(repeating: 0, count: rows * classCount)
        if let rankNodes {
            rank(x, into: ranks, rows: rows)
            rankNodes.withUnsafeBufferPointer { walkRanks(ranks, $0.baseAddress!, out, rows: rows) }
        } else if comparison == .lessOrEqual {
            walk(x, out, rows: rows, lessOrEqual: true)
        } else {
            walk(x, out, rows: rows, lessOrEqual: false)
        }
    }

    /// Rows walked through a tree side by side: their cache misses overlap instead of queueing.
    static let lanes = 8

    /// One step down: branch-free, since the direction is a coin toss the predictor cannot learn.
    /// NaN fails both comparisons and follows the node's missing direction.
    @inline(__always)
    static func step(_ node: PackedNode, _ row: UnsafePointer<Double>, lessOrEqual: Bool) -> Int {
        let v = row[Int(node.feature)]
        let passes = lessOrEqual ? (v <= node.threshold) : (v < node.threshold)
        let missingLeft = v.isNaN && node.missingLeft
        let goLeft = (passes ? 1 : 0) | (missingLeft ? 1 : 0)
        return Int(node.left) &+ (1 &- goLeft)
    }

    /// One step down with branches: for a lone row, speculating down the likelier side beats waiting
    /// for the comparison (no other rows' loads to overlap with).
    @inline(__always)
    static func stepSpeculative(_ node: PackedNode, _ row: UnsafePointer<Double>, lessOrEqual: Bool) -> Int {
        let v = row[Int(node.feature)]
        if lessOrEqual ? (v <= node.threshold) : (v < node.threshold) { return Int(node.left) }
        if v.isNaN && node.missingLeft { return Int(node.left) }
        return Int(node.left) &+ 1
    }

    @inline(__always)
    func walk(_ x: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, rows: Int, lessOrEqual: Bool) {
        let k = classCount, f = featureCount
        let distribution = aggregation == .meanDistribution
        let lanes = Self.lanes
        nodes.withUnsafeBufferPointer { nb in
            leafValues.withUnsafeBufferPointer { lb in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: lanes) { at in
                    let nodes = nb.baseAddress!, leaves = lb.baseAddress!, at = at.baseAddress!
                    @inline(__always) func add(_ leafNode: PackedNode, row r: Int, cls: Int) {
                        let leaf = leaves + Int(leafNode.left)
                        let o = out + r * k
                        if distribution {
                            for c in 0..<k { o[c] += leaf[c] }
                        } else {
                            o[cls] += leaf[0]
                        }
                    }
                    for t in 0..<roots.count {
                        let root = Int(roots[t])
                        let cls = Int(treeClass[t])
                        var r = 0
                        while r + lanes <= rows {
                            for l in 0..<lanes { at[l] = root }
                            var moving = true
                            while moving {
                                moving = false
                                for l in 0..<lanes {
                                    let node = nodes[at[l]]
                                    if node.feature >= 0 {
                                        at[l] = Self.step(node, x + (r + l) * f, lessOrEqual: lessOrEqual)
                                        moving = true
                                    }
                                }
                            }
                            for l in 0..<lanes { add(nodes[at[l]], row: r + l, cls: cls) }
                            r += lanes
                        }
                        while r < rows {
                            var node = nodes[root]
                            while node.feature >= 0 { node = nodes[Self.stepSpeculative(node, x + r * f, lessOrEqual: lessOrEqual)] }
                            add(node, row: r, cls: cls)
                            r += 1
                        }
                    }
                }
            }
        }
    }

    /// Each value's rank among its feature's thresholds (65,535 for NaN).
    func rank(_ x: UnsafePointer<Double>, into ranks: UnsafeMutablePointer<UInt16>, rows: Int) {
        let f = featureCount
        let inclusive = comparison == .less  // `<`: count thresholds ≤ x; `<=`: count thresholds < x
        for j in 0..<f {
            rankThresholds[j].withUnsafeBufferPointer { t in
                for r in 0..<rows {
                    let v = x[r * f + j]
                    if v.isNaN { ranks[r * f + j] = UInt16.max; continue }
                    var lo = 0, hi = t.count
                    if inclusive {
                        while lo < hi { let mid = (lo + hi) >> 1; if t[mid] <= v { lo = mid + 1 } else { hi = mid } }
                    } else {
                        while lo < hi { let mid = (lo + hi) >> 1; if t[mid] < v { lo = mid + 1 } else { hi = mid } }
                    }
                    ranks[r * f + j] = UInt16(lo)
                }
            }
        }
    }

    @inline(__always)
    static func rankStep(_ node: RankNode, _ row: UnsafePointer<UInt16>) -> Int {
        let v = row[Int(node.feature)]
        let passes = v <= node.rank ? 1 : 0
        let missingLeft = (v == UInt16.max ? 1 : 0) & Int(node.left >> 31)
        return Int(node.left & 0x7FFF_FFFF) &+ (1 &- (passes | missingLeft))
    }

    func walkRanks(_ x: UnsafePointer<UInt16>, _ nodes: UnsafePointer<RankNode>, _ out: UnsafeMutablePointer<Double>, rows: Int) {
        let k = classCount, f = featureCount
        let distribution = aggregation == .meanDistribution
        let lanes = Self.lanes
        leafValues.withUnsafeBufferPointer { lb in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: lanes) { at in
                let leaves = lb.baseAddress!, at = at.baseAddress!
                @inline(__always) func add(_ leafNode: RankNode, row r: Int, cls: Int) {
                    let leaf = leaves + Int(leafNode.left)
                    let o = out + r * k
                    if distribution {
                        for c in 0..<k { o[c] += leaf[c] }
                    } else {
                        o[cls] += leaf[0]
                    }
                }
                for t in 0..<roots.count {
                    let root = Int(roots[t])
                    let cls = Int(treeClass[t])
                    var r = 0
                    while r + lanes <= rows {
                        for l in 0..<lanes { at[l] = root }
                        var moving = true
                        while moving {
                            moving = false
                            for l in 0..<lanes {
                                let node = nodes[at[l]]
                                if node.feature >= 0 {
                                    at[l] = Self.rankStep(node, x + (r + l) * f)
                                    moving = true
                                }
                            }
                        }
                        for l in 0..<lanes { add(nodes[at[l]], row: r + l, cls: cls) }
                        r += lanes
                    }
                    while r < rows {
                        var node = nodes[root]
                        while node.feature >= 0 { node = nodes[Self.rankStep(node, x + r * f)] }
                        add(node, row: r, cls: cls)
                        r += 1
                    }
                }
            }
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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of one prediction.
public struct Prediction: Sendable, Equatable {
    public var classIndex: Int
    public var label: String
    /// The probability of the predicted class.
    public var confidence: Double
    public var probabilities: [Double]
}

extension TreeModel {
    /// One row (features in `featureNames` order) → the predicted class and every probability.
    public func predict(_ row: [Double]) -> Prediction {
        var p = [Double](repeating: 0, count: classCount)
        row.withUnsafeBufferPointer { r in p.withUnsafeMutableBufferPointer { evaluator.probabilities(row: r, into: $0) } }
        let best = Self.argmax(p)
        return Prediction(classIndex: best, label: classes[best], confidence: p[best], probabilities: p)
    }

    /// Class probabilities for many rows (row-major) → `classCount` numbers per row.
    public func predictProbabilities(rows: [Double], jobs: Int = 1) -> [Double] {
        evaluator.predictProbabilities(rows: rows, jobs: jobs)
    }

    /// Predicted class index per row.
    public func predictClasses(rows: [Double], jobs: Int = 1) -> [Int] {
        let p = predictProbabilities(rows: rows, jobs: jobs)
        let k = classCount
        return (0..<(p.count / k)).map { Self.argmax(p[($0 * k)..<($0 * k + k)]) }
    }

    /// The first index of the largest value (as numpy's argmax).
    public static func argmax<C: Collection>(_ xs: C) -> Int where C.Element == Double, C.Index == Int {
        var best = xs.startIndex
        for i in xs.indices where xs[i] > xs[best] { best = i }
        return best - xs.startIndex
    }
}
