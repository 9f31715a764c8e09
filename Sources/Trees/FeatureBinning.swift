/// Quantile bins per feature, computed once per training set. Bin `b` of feature `f` holds the values
/// `v` with `edges[f][b-1] < v <= edges[f][b]`; the edges are midpoints between neighbouring distinct
/// values, so a split "bins ≤ b" is exactly the raw test `v <= edges[f][b]`. NaN has its own bin.
struct FeatureBinning: Sendable {
    static let missingBin: UInt8 = 255
    /// Per feature, ascending split points (at most `maxBins - 1`).
    let edges: [[Double]]
    /// Row-major bin codes: `codes[i * featureCount + f]`, so one row's codes share a cache line.
    let codes: [UInt8]
    let rowCount: Int
    let featureCount: Int

    init(rows: [Double], rowCount n: Int, featureCount f: Int, maxBins: Int = 255) {
        precondition(maxBins >= 2 && maxBins <= 255)
        var edges: [[Double]] = []
        var codes = [UInt8](repeating: 0, count: n * f)
        var column = [Double]()
        column.reserveCapacity(n)
        for j in 0..<f {
            column.removeAll(keepingCapacity: true)
            for i in 0..<n {
                let v = rows[i * f + j]
                if !v.isNaN { column.append(v) }
            }
            column.sort()
            let e = Self.splitPoints(sorted: column, maxBins: maxBins)
            edges.append(e)
            e.withUnsafeBufferPointer { eb in
                codes.withUnsafeMutableBufferPointer { cb in
                    for i in 0..<n {
                        let v = rows[i * f + j]
                        cb[i * f + j] = v.isNaN ? Self.missingBin : UInt8(Self.bin(of: v, edges: eb))
                    }
                }
            }
        }
        self.edges = edges
        self.codes = codes
        self.rowCount = n
        self.featureCount = f
    }

    /// The first edge ≥ v (binary search); `edges.count` if none.
    @inline(__always)
    static func bin(of v: Double, edges: UnsafeBufferPointer<Double>) -> Int {
        var lo = 0, hi = edges.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if v <= edges[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// Midpoints between distinct values: all of them when few, else at the quantiles.
    static func splitPoints(sorted: [Double], maxBins: Int) -> [Double] {
        var distinct: [Double] = []
        for v in sorted where distinct.last != v { distinct.append(v) }
        guard distinct.count > 1 else { return [] }
        var out: [Double] = []
        if distinct.count <= maxBins {
            for i in 0..<(distinct.count - 1) { out.append(midpoint(distinct[i], distinct[i + 1])) }
        } else {
            // Cut at the value reached by each quantile of the sorted values (ties weigh by count).
            let n = sorted.count
            var d = 0
            for q in 1..<maxBins {
                let v = sorted[min(n - 1, q * n / maxBins)]
                while d + 1 < distinct.count && distinct[d] < v { d += 1 }
                guard d + 1 < distinct.count else { break }
                let m = midpoint(distinct[d], distinct[d + 1])
                if out.last.map({ m > $0 }) ?? true { out.append(m) }
            }
        }
        return out
    }

    /// A threshold between a < b that sends a left and b right under `<=`, finite when possible.
    static func midpoint(_ a: Double, _ b: Double) -> Double {
        var m = a / 2 + b / 2
        if !(m >= a && m < b) { m = a }
        if !m.isFinite { m = a.isFinite ? a : (b.isFinite ? b.nextDown : 0) }
        return m
    }
}
