/// The inner nodes of an evaluator sorted by feature, then threshold, for the rank form. A radix
/// sort: linear time whatever the thresholds (a hostile model file cannot make loading quadratic),
/// and at model load it costs a fraction of a comparison sort of the same splits.
enum SplitOrder {
    struct Split {
        /// The threshold as an unsigned number in the same order (`key`), -0 taken as 0.
        var key: UInt64
        var node: Int32
        var feature: Int32
    }

    /// `t1 < t2` ⟺ `key(t1) < key(t2)` for finite numbers, and `t1 == t2` ⟺ equal keys.
    @inline(__always)
    static func key(_ t: Double) -> UInt64 {
        let bits = (t == 0 ? 0.0 : t).bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    /// Bits of the key sorted per pass: 6 passes cover 64 bits, with 2,048 counters (in L1 cache).
    static let digitBits = 11

    /// The splits (inner nodes) of `nodes`, ordered by feature, then by threshold.
    static func sorted(_ nodes: [PackedNode], featureCount: Int) -> [Split] {
        var a: [Split] = []
        a.reserveCapacity(nodes.count / 2 + 1)
        for (i, node) in nodes.enumerated() where node.feature >= 0 {
            a.append(Split(key: key(node.threshold), node: Int32(i), feature: Int32(node.feature)))
        }
        var b = a
        let mask = UInt64(1 << digitBits - 1)
        var counts = [Int](repeating: 0, count: max(1 << digitBits, featureCount))
        var inA = true
        a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { pb in
                counts.withUnsafeMutableBufferPointer { c in
                    // Least significant digit first, the feature last: each pass is stable.
                    for shift in stride(from: 0, to: 64, by: digitBits) {
                        let s = UInt64(shift)
                        let moved = inA ? scatter(pa, into: pb, counts: c, buckets: 1 << digitBits) { Int(truncatingIfNeeded: ($0.key >> s) & mask) }
                                        : scatter(pb, into: pa, counts: c, buckets: 1 << digitBits) { Int(truncatingIfNeeded: ($0.key >> s) & mask) }
                        if moved { inA.toggle() }
                    }
                    let moved = inA ? scatter(pa, into: pb, counts: c, buckets: featureCount) { Int($0.feature) }
                                    : scatter(pb, into: pa, counts: c, buckets: featureCount) { Int($0.feature) }
                    if moved { inA.toggle() }
                }
            }
        }
        return inA ? a : b
    }

    /// One counting-sort pass on `digit`; false (and nothing moved) when every split has the same digit.
    @inline(__always)
    static func scatter(_ src: UnsafeMutableBufferPointer<Split>, into dst: UnsafeMutableBufferPointer<Split>,
                        counts: UnsafeMutableBufferPointer<Int>, buckets: Int, digit: (Split) -> Int) -> Bool {
        guard let first = src.first else { return false }
        counts.baseAddress!.update(repeating: 0, count: buckets)
        for s in src { counts[digit(s)] += 1 }
        if counts[digit(first)] == src.count { return false }
        var total = 0
        for d in 0..<buckets {
            let n = counts[d]
            counts[d] = total
            total += n
        }
        for s in src {
            let d = digit(s)
            dst[counts[d]] = s
            counts[d] += 1
        }
        return true
    }
}
