import Foundation

/// Small numeric routines with the exact conventions of numpy / pandas that the reference uses.
enum Stats {
    /// Sorts small non-negative integers (frame lengths) by counting: the same array `sort()` gives,
    /// in O(n + max − min) with a reused count buffer. Falls back to `sort()` for anything else.
    static func countingSort(_ values: [Double], into sorted: inout [Double], counts: inout [Int32]) {
        sorted.removeAll(keepingCapacity: true)
        guard var lo = values.first else { return }
        var hi = lo
        for v in values {
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        let span = hi - lo
        guard lo >= 0, span <= 262_144, values.count >= 32,
              values.allSatisfy({ $0 == $0.rounded(.towardZero) }) else {
            sorted.append(contentsOf: values)
            sorted.sort()
            return
        }
        let base = Int(lo), width = Int(span) + 1
        if counts.count < width { counts = [Int32](repeating: 0, count: width) }
        counts.withUnsafeMutableBufferPointer { c in
            for i in 0..<width { c[i] = 0 }
            for v in values { c[Int(v) - base] &+= 1 }
            sorted.reserveCapacity(values.count)
            for i in 0..<width where c[i] > 0 {
                sorted.append(contentsOf: repeatElement(Double(base + i), count: Int(c[i])))
            }
        }
    }

    /// Sorts non-negative doubles (inter-arrival times) with an LSD radix sort on their bit patterns,
    /// whose order is the numeric order for values ≥ 0: the same array `sort()` gives, in O(n) passes,
    /// skipping the byte positions where every key agrees. Falls back to `sort()` for negative or NaN values.
    static func radixSortNonNegative(_ values: [Double], into sorted: inout [Double], keys: inout [UInt64],
                                     scratch: inout [UInt64]) {
        sorted.removeAll(keepingCapacity: true)
        let n = values.count
        guard n >= 64, values.allSatisfy({ $0 >= 0 }) else {
            sorted.append(contentsOf: values)
            sorted.sort()
            return
        }
        if keys.count < n { keys = [UInt64](repeating: 0, count: n); scratch = keys }
        var allOr: UInt64 = 0, allAnd: UInt64 = ~0
        for i in 0..<n {
            // +0.0 for a zero IAT (never -0.0: t2 - t1 of equal times is +0.0), so bits sort like numbers.
            let bits = (values[i] + 0.0).bitPattern
            keys[i] = bits
            allOr |= bits
            allAnd &= bits
        }
        let varying = allOr ^ allAnd
        keys.withUnsafeMutableBufferPointer { a in
            scratch.withUnsafeMutableBufferPointer { b in
                var src = a, dst = b
                var histogram = [Int](repeating: 0, count: 256)
                for pass in 0..<8 {
                    let shift = UInt64(pass * 8)
                    if (varying >> shift) & 0xFF == 0 { continue }
                    for i in 0..<256 { histogram[i] = 0 }
                    for i in 0..<n { histogram[Int((src[i] >> shift) & 0xFF)] += 1 }
                    var sum = 0
                    for i in 0..<256 { let c = histogram[i]; histogram[i] = sum; sum += c }
                    for i in 0..<n {
                        let k = src[i]
                        let d = Int((k >> shift) & 0xFF)
                        dst[histogram[d]] = k
                        histogram[d] += 1
                    }
                    swap(&src, &dst)
                }
                sorted.reserveCapacity(n)
                for i in 0..<n { sorted.append(Double(bitPattern: src[i])) }
            }
        }
    }

    /// The order statistics of inter-arrival times that the reference features read: after the call,
    /// `work[p]` is `sorted[p]` for p = 0, n − 1 and the two positions each of `percentiles` reads
    /// (`percentile(sorted:_:)` on `work` then gives the sorted array's answer), where `sorted` is what
    /// `radixSortNonNegative` makes of `values` (`work`'s other entries are unspecified).
    /// A quickselect on those positions only (three-way partitions, a sort where it recurses too deep):
    /// about half the work of the radix sort. Values that the radix sort would not take (fewer than 64,
    /// negative or NaN) are sorted as it sorts them.
    static func selectForPercentiles(_ values: [Double], _ percentiles: (Double, Double, Double), into work: inout [Double]) {
        work.removeAll(keepingCapacity: true)
        work.append(contentsOf: values)
        selectForPercentiles(inPlace: &work, percentiles)
    }

    /// `selectForPercentiles(_:_:into:)` on the values in `work` themselves (their order is lost).
    static func selectForPercentiles(inPlace work: inout [Double], _ percentiles: (Double, Double, Double)) {
        let n = work.count
        guard n >= 64 else {
            work.sort()
            return
        }
        // One reading pass: all values ≥ 0 (no NaN), their extremes (of the values with +0.0 for -0.0,
        // as the radix sort's bit patterns have it: then `<` orders like the sorted array), any -0.0.
        var low = Double.infinity, high = -Double.infinity
        var allNonNegative = true, negativeZero = false
        work.withUnsafeBufferPointer { a in
            for i in 0..<n {
                let v = a[i]
                if !(v >= 0) { allNonNegative = false; break }
                if v.bitPattern == (-0.0 as Double).bitPattern { negativeZero = true }
                let x = v + 0.0
                if x < low { low = x }
                if x > high { high = x }
            }
        }
        guard allNonNegative else {
            work.sort()
            return
        }
        if negativeZero {
            work.withUnsafeMutableBufferPointer { a in
                for i in 0..<n { a[i] = a[i] + 0.0 }
            }
        }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 6) { targets in
            var count = 0
            func read(_ q: Double) {
                // The positions `percentile(sorted:_:)` reads.
                let position = (q / 100) * Double(n - 1)
                let lower = min(Int(position.rounded(.down)), n - 1)
                let upper = min(lower + 1, n - 1)
                if lower > 0 && lower < n - 1 { targets[count] = lower; count += 1 }
                if upper > 0 && upper < n - 1 { targets[count] = upper; count += 1 }
            }
            read(percentiles.0)
            read(percentiles.1)
            read(percentiles.2)
            var chosen = UnsafeMutableBufferPointer(rebasing: targets[..<count])
            chosen.sort()
            var unique = 0
            for t in chosen where unique == 0 || chosen[unique - 1] != t {
                chosen[unique] = t
                unique += 1
            }
            work.withUnsafeMutableBufferPointer { a in
                let targets = UnsafeBufferPointer(rebasing: chosen[..<unique])
                if n >= bucketSelectMinimum {
                    bucketSelect(a, low: low, high: high, targets: targets)
                } else {
                    select(a, 0, n, targets, depth: 2 * (Int.bitWidth - n.leadingZeroBitCount) + 8)
                }
                a[0] = low
                a[n - 1] = high
            }
        }
    }

    /// From this many values on, `selectForPercentiles` buckets instead of partitioning.
    static let bucketSelectMinimum = 2048

    /// The sorted order's values at `targets` (ascending, unique, inside `a`), written to those positions
    /// (the other entries are left as they are). `a` holds non-negative values without -0.0, from `low`
    /// to `high`: their bit patterns order like the numbers. One pass counts the values in at most 4,096
    /// ranges of bit patterns; a second copies out the values of the ranges that hold a target; those are
    /// put in order (`select` on each range's values), and the target is the range's value at its rank.
    private static func bucketSelect(_ a: UnsafeMutableBufferPointer<Double>, low: Double, high: Double,
                                     targets: UnsafeBufferPointer<Int>) {
        guard !targets.isEmpty else { return }
        let n = a.count
        let lowKey = low.bitPattern
        let span = high.bitPattern &- lowKey
        guard span > 0 else {
            for t in targets { a[t] = low }  // all values equal
            return
        }
        let shift = UInt64(Swift.max(0, (UInt64.bitWidth - span.leadingZeroBitCount) - 12))
        let bucketCount = Int(span >> shift) + 1
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: bucketCount) { counts in
            counts.initialize(repeating: 0)
            for i in 0..<n { counts[Int((a[i].bitPattern &- lowKey) >> shift)] &+= 1 }
            // Each target's range and rank in it; the ranges that hold targets (groups), where their values go.
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 4 * targets.count) { plan in
                let bucketOf = UnsafeMutableBufferPointer(rebasing: plan[0..<targets.count])
                let rankOf = UnsafeMutableBufferPointer(rebasing: plan[targets.count..<(2 * targets.count)])
                let groupBucket = UnsafeMutableBufferPointer(rebasing: plan[(2 * targets.count)..<(3 * targets.count)])
                let groupStart = UnsafeMutableBufferPointer(rebasing: plan[(3 * targets.count)..<(4 * targets.count)])
                var cumulative = 0, bucket = 0, groups = 0, total = 0
                for (j, t) in targets.enumerated() {
                    while cumulative + Int(counts[bucket]) <= t {
                        cumulative += Int(counts[bucket])
                        bucket += 1
                    }
                    bucketOf[j] = bucket
                    rankOf[j] = t - cumulative
                    if groups == 0 || groupBucket[groups - 1] != bucket {
                        groupBucket[groups] = bucket
                        groupStart[groups] = total
                        total += Int(counts[bucket])
                        groups += 1
                    }
                }
                // Mark each group's range in `counts` (-1 - group), after reading its size.
                for g in 0..<groups { counts[groupBucket[g]] = Int32(-1 - g) }
                withUnsafeTemporaryAllocation(of: Double.self, capacity: total) { values in
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: groups) { fill in
                        for g in 0..<groups { fill[g] = groupStart[g] }
                        for i in 0..<n {
                            let v = a[i]
                            let mark = counts[Int((v.bitPattern &- lowKey) >> shift)]
                            if mark < 0 {
                                let g = Int(-1 - mark)
                                values[fill[g]] = v
                                fill[g] += 1
                            }
                        }
                    }
                    // Each group's values in order at its targets' ranks (a group of close values, as a steady
                    // packet rate makes them, often holds few distinct ones: the three-way partitions suit it).
                    var j = 0
                    for g in 0..<groups {
                        let start = groupStart[g], end = g + 1 < groups ? groupStart[g + 1] : total
                        let first = j
                        while j < targets.count && bucketOf[j] == groupBucket[g] { j += 1 }
                        let ranks = UnsafeMutableBufferPointer(rebasing: rankOf[first..<j])
                        let size = end - start
                        let region = UnsafeMutableBufferPointer(rebasing: values[start..<end])
                        select(region, 0, size, UnsafeBufferPointer(ranks),
                               depth: 2 * (Int.bitWidth - size.leadingZeroBitCount) + 8)
                        for k in first..<j { a[targets[k]] = region[rankOf[k]] }
                    }
                }
            }
        }
    }

    /// Places the sorted order's values at `targets` (ascending, all in `lo..<hi`) within `a[lo..<hi]`.
    private static func select(_ a: UnsafeMutableBufferPointer<Double>, _ lo: Int, _ hi: Int,
                               _ targets: UnsafeBufferPointer<Int>, depth: Int) {
        var lo = lo, hi = hi, depth = depth
        var targets = targets[...]
        while !targets.isEmpty {
            if hi - lo <= 16 || depth == 0 {
                var part = UnsafeMutableBufferPointer(rebasing: a[lo..<hi])
                part.sort()
                return
            }
            depth -= 1
            let x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1]
            let pivot = max(min(x, y), min(max(x, y), z))
            // [lo, lt) < pivot, [lt, gt) == pivot, [gt, hi) > pivot
            var lt = lo, i = lo, gt = hi
            while i < gt {
                let v = a[i]
                if v < pivot {
                    a[i] = a[lt]
                    a[lt] = v
                    lt += 1
                    i += 1
                } else if v > pivot {
                    gt -= 1
                    a[i] = a[gt]
                    a[gt] = v
                } else {
                    i += 1
                }
            }
            var left = targets.startIndex
            while left < targets.endIndex && targets[left] < lt { left += 1 }
            var right = left
            while right < targets.endIndex && targets[right] < gt { right += 1 }
            if left > targets.startIndex {
                select(a, lo, lt, UnsafeBufferPointer(rebasing: targets[..<left]), depth: depth)
            }
            targets = targets[right...]
            lo = gt
            _ = hi
        }
    }

    /// numpy's default percentile (`method="linear"`) of an ascending, non-empty array.
    /// Uses numpy's two-sided lerp so the result matches it to the last bits.
    @inlinable
    static func percentile(sorted values: [Double], _ q: Double) -> Double {
        let n = values.count
        if n == 1 { return values[0] }
        let (lower, upper, fraction) = percentilePositions(count: n, q)
        return interpolate(values[lower], values[upper], fraction)
    }

    /// The two sorted positions `percentile(sorted:_:)` reads for `q` among `n` (> 1) values, and the
    /// fraction between them.
    @inlinable @inline(__always)
    static func percentilePositions(count n: Int, _ q: Double) -> (lower: Int, upper: Int, fraction: Double) {
        let position = (q / 100) * Double(n - 1)
        let lower = min(Int(position.rounded(.down)), n - 1)
        let upper = min(lower + 1, n - 1)
        return (lower, upper, position - Double(lower))
    }

    /// numpy's two-sided lerp between the values at the two positions.
    @inlinable @inline(__always)
    static func interpolate(_ a: Double, _ b: Double, _ fraction: Double) -> Double {
        let difference = b - a
        return fraction >= 0.5 ? b - difference * (1 - fraction) : a + difference * fraction
    }

    /// Arithmetic mean and population standard deviation (two passes, like `np.std`).
    @inlinable
    static func meanAndStd(_ values: [Double]) -> (mean: Double, std: Double) {
        let n = values.count
        guard n > 0 else { return (0, 0) }
        var sum = 0.0
        for v in values { sum += v }
        let mean = sum / Double(n)
        var squares = 0.0
        for v in values {
            let d = v - mean
            squares += d * d
        }
        return (mean, (squares / Double(n)).squareRoot())
    }

    /// Sample skewness G1 as pandas `Series.skew()`; 0 when n ≤ 2 or all values are equal.
    static func skew(_ values: [Double]) -> Double {
        let n = values.count
        guard n > 2 else { return 0 }
        let (m2, m3, _) = centralMoments(values)
        guard m2 > 0 else { return 0 }
        let count = Double(n)
        return (count * (count - 1).squareRoot() / (count - 2)) * (m3 / pow(m2, 1.5))
    }

    /// Sample excess kurtosis G2 as pandas `Series.kurt()`; 0 when n ≤ 3 or all values are equal.
    static func kurtosis(_ values: [Double]) -> Double {
        let n = values.count
        guard n > 3 else { return 0 }
        let (m2, _, m4) = centralMoments(values)
        guard m2 > 0 else { return 0 }
        let count = Double(n)
        let adjustment = 3 * (count - 1) * (count - 1) / ((count - 2) * (count - 3))
        let numerator = count * (count + 1) * (count - 1) * m4
        let denominator = (count - 2) * (count - 3) * m2 * m2
        return numerator / denominator - adjustment
    }

    /// Sums of the 2nd, 3rd and 4th powers of deviations from the mean.
    private static func centralMoments(_ values: [Double]) -> (Double, Double, Double) {
        var sum = 0.0
        for v in values { sum += v }
        let mean = sum / Double(values.count)
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        for v in values {
            let d = v - mean
            let d2 = d * d
            m2 += d2
            m3 += d2 * d
            m4 += d2 * d2
        }
        return (m2, m3, m4)
    }

    /// The reference's size entropy, in bits: one histogram bin per integer size after
    /// clipping to 0…1500 (`np.bincount`), −Σ p·log2(p + 1e-10) over non-empty bins.
    /// `sorted` must be ascending.
    static func referenceEntropy(sorted values: [Double]) -> Double {
        let n = values.count
        guard n > 0 else { return 0 }
        let total = Double(n)
        var entropy = 0.0
        var i = 0
        while i < n {
            let bin = clippedBin(values[i])
            var j = i + 1
            while j < n, clippedBin(values[j]) == bin { j += 1 }
            let p = Double(j - i) / total
            entropy -= p * log2(p + 1e-10)
            i = j
        }
        return entropy
    }

    /// The entropy histogram's bin of a frame length: the integer size clipped to 0…1500.
    @inlinable
    static func clippedBin(_ size: Double) -> Int {
        min(max(Int(size), 0), 1500)
    }
}
