/// How a walk goes down one form of the nodes: the plain form compares a row's values with
/// thresholds (`PackedNode`), the rank form compares their ranks with threshold indices (`RankNode`).
/// `EnsembleEvaluator.walk` is written once over this; each form gets its own specialised copy.
@usableFromInline
protocol TreeStepper {
    associatedtype Node
    /// What a prepared row holds: values (`Double`) or their ranks (`UInt16`).
    associatedtype Element

    /// A leaf (`feature < 0`).
    static func isLeaf(_ node: Node) -> Bool
    /// Where a leaf's numbers start in `leafValues`.
    static func leafOffset(_ node: Node) -> Int
    /// One step down, branch-free, for rows walked side by side: the direction is a coin toss the
    /// predictor cannot learn. NaN (rank 65,535) follows the node's missing direction.
    func step(_ node: Node, _ row: UnsafePointer<Element>) -> Int
    /// One step down for a lone row (no other rows' loads to overlap with).
    func stepAlone(_ node: Node, _ row: UnsafePointer<Element>) -> Int
}

/// The plain form: `x <= t` (scikit-learn) or `x < t` (XGBoost).
struct ThresholdStepper: TreeStepper {
    let lessOrEqual: Bool

    @inline(__always) static func isLeaf(_ node: PackedNode) -> Bool { node.feature < 0 }
    @inline(__always) static func leafOffset(_ node: PackedNode) -> Int { Int(node.left) }

    @inline(__always)
    func step(_ node: PackedNode, _ row: UnsafePointer<Double>) -> Int {
        let v = row[Int(node.feature)]
        let passes = lessOrEqual ? (v <= node.threshold) : (v < node.threshold)
        let missingLeft = v.isNaN && node.missingLeft
        let goLeft = (passes ? 1 : 0) | (missingLeft ? 1 : 0)
        return Int(node.left) &+ (1 &- goLeft)
    }

    /// With branches: for a lone row, speculating down the likelier side beats waiting for the comparison.
    @inline(__always)
    func stepAlone(_ node: PackedNode, _ row: UnsafePointer<Double>) -> Int {
        let v = row[Int(node.feature)]
        if lessOrEqual ? (v <= node.threshold) : (v < node.threshold) { return Int(node.left) }
        if v.isNaN && node.missingLeft { return Int(node.left) }
        return Int(node.left) &+ 1
    }
}

/// The rank form: one 16-bit comparison per node, the same for `<=` and `<` (the ranks absorb it).
struct RankStepper: TreeStepper {
    @inline(__always) static func isLeaf(_ node: RankNode) -> Bool { node.feature < 0 }
    @inline(__always) static func leafOffset(_ node: RankNode) -> Int { Int(node.left) }

    @inline(__always)
    func step(_ node: RankNode, _ row: UnsafePointer<UInt16>) -> Int {
        let v = row[Int(node.feature)]
        let passes = v <= node.rank ? 1 : 0
        let missingLeft = (v == UInt16.max ? 1 : 0) & Int(node.left >> 31)
        return Int(node.left & 0x7FFF_FFFF) &+ (1 &- (passes | missingLeft))
    }

    /// Branch-free for a lone row too, as the rank walk has always stepped.
    @inline(__always)
    func stepAlone(_ node: RankNode, _ row: UnsafePointer<UInt16>) -> Int { step(node, row) }
}

extension EnsembleEvaluator {
    /// Sums the leaves of every tree into `out` (zeroed first), tree-major over the block.
    func accumulate(_ x: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, rows: Int,
                    ranks: UnsafeMutablePointer<UInt16>) {
        out.update(repeating: 0, count: rows * classCount)
        if let rankNodes {
            rank(x, into: ranks, rows: rows)
            rankNodes.withUnsafeBufferPointer { walk(RankStepper(), ranks, $0.baseAddress!, out, rows: rows) }
        } else {
            nodes.withUnsafeBufferPointer { nb in
                if comparison == .lessOrEqual {
                    walk(ThresholdStepper(lessOrEqual: true), x, nb.baseAddress!, out, rows: rows)
                } else {
                    walk(ThresholdStepper(lessOrEqual: false), x, nb.baseAddress!, out, rows: rows)
                }
            }
        }
    }

    /// Rows walked through a tree side by side: their cache misses overlap instead of queueing.
    static let lanes = 8

    /// Every tree over `rows` prepared rows (`featureCount` elements each): groups of `lanes` rows go
    /// down a tree together, the rest one by one; each leaf reached is added to its row's output.
    @inline(__always)
    func walk<S: TreeStepper>(_ stepper: S, _ x: UnsafePointer<S.Element>, _ nodes: UnsafePointer<S.Node>,
                              _ out: UnsafeMutablePointer<Double>, rows: Int) {
        let k = classCount, f = featureCount
        let distribution = aggregation == .meanDistribution
        let lanes = Self.lanes
        leafValues.withUnsafeBufferPointer { lb in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: lanes) { at in
                let leaves = lb.baseAddress!, at = at.baseAddress!
                @inline(__always) func add(_ leafNode: S.Node, row r: Int, cls: Int) {
                    let leaf = leaves + S.leafOffset(leafNode)
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
                                if !S.isLeaf(node) {
                                    at[l] = stepper.step(node, x + (r + l) * f)
                                    moving = true
                                }
                            }
                        }
                        for l in 0..<lanes { add(nodes[at[l]], row: r + l, cls: cls) }
                        r += lanes
                    }
                    while r < rows {
                        var node = nodes[root]
                        while !S.isLeaf(node) { node = nodes[stepper.stepAlone(node, x + r * f)] }
                        add(node, row: r, cls: cls)
                        r += 1
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
}
