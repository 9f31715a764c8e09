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

    /// The splits (inner nodes) of `nodes`, ordered by feature, then by threshold.
    static func sorted(_ nodes: [PackedNode], featureCount: Int) -> [Split] {
        var a: [Split] = []
        a.reserveCapacity(nodes.count / 2 + 1)
        for (i, node) in nodes.enumerated() where node.feature >= 0 {
            a.append(Split(key: key(node.threshold), node: Int32(i), feature: Int32(node.feature)))
        }
        var b = a
        var counts = [Int](repeating: 0, count: max(256, featureCount))
        var inA = true
        a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { pb in
                counts.withUnsafeMutableBufferPointer { c in
                    // Least significant byte first, then the feature: each pass is stable.
                    for pass in 0...8 {
                        let moved = inA ? scatter(pa, into: pb, pass: pass, buckets: pass < 8 ? 256 : featureCount, counts: c)
                                        : scatter(pb, into: pa, pass: pass, buckets: pass < 8 ? 256 : featureCount, counts: c)
                        if moved { inA.toggle() }
                    }
                }
            }
        }
        return inA ? a : b
    }

    /// One counting-sort pass on byte `pass` of the key (or on the feature, pass 8); false (and
    /// nothing moved) when every split falls in one bucket.
    @inline(__always)
    static func scatter(_ src: UnsafeMutableBufferPointer<Split>, into dst: UnsafeMutableBufferPointer<Split>,
                        pass: Int, buckets: Int, counts: UnsafeMutableBufferPointer<Int>) -> Bool {
        @inline(__always) func digit(_ s: Split) -> Int {
            pass < 8 ? Int(truncatingIfNeeded: (s.key >> UInt64(8 * pass)) & 0xFF) : Int(s.feature)
        }
        for d in 0..<buckets { counts[d] = 0 }
        for s in src { counts[digit(s)] += 1 }
        guard let first = src.first, counts[digit(first)] != src.count else { return false }
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
