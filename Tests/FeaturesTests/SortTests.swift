import XCTest
@testable import Features
import SplitMix

/// The reference features' fast sorts give exactly what `sort()` gives.
final class SortTests: XCTestCase {
    func testCountingAndRadixSortsMatchSort() {
        var rng = SplitMix64(seed: 42)
        var out: [Double] = [], counts: [Int32] = [], keys: [UInt64] = [], scratch: [UInt64] = []
        for trial in 0..<300 {
            let n = [1, 5, 31, 32, 63, 64, 65, 500, 4000][trial % 9]
            let sizes = (0..<n).map { _ in Double([66, 1514, 1500, 54, 600][Int(rng.next() % 5)] + Int(rng.next() % 3)) }
            Stats.countingSort(sizes, into: &out, counts: &counts)
            XCTAssertEqual(out, sizes.sorted())
            let iats = (0..<n).map { i -> Double in
                switch rng.next() % 4 {
                case 0: return 0
                case 1: return Double(rng.next() % 1000) * 1e-6
                case 2: return Double(rng.next() % 100_000) * 1e-3 + (i % 7 == 0 ? 1e-9 : 0)
                default: return Double(rng.next() % 10) * 0.01
                }
            }
            Stats.radixSortNonNegative(iats, into: &out, keys: &keys, scratch: &scratch)
            XCTAssertEqual(out, iats.sorted())
            // The selection gives the sorted array's min, max and percentiles, bit for bit.
            var work: [Double] = []
            let q = ([10.0, 50, 90, 25, 1, 99][trial % 6], [50.0, 75, 5][trial % 3], 90.0)
            let skewed = trial % 5 == 0 ? iats.map { $0 < 0.005 ? 0 : $0 } : iats
            Stats.radixSortNonNegative(skewed, into: &out, keys: &keys, scratch: &scratch)
            Stats.selectForPercentiles(skewed, q, into: &work)
            XCTAssertEqual(work[0].bitPattern, out[0].bitPattern)
            XCTAssertEqual(work[n - 1].bitPattern, out[n - 1].bitPattern)
            for p in [q.0, q.1, q.2] {
                XCTAssertEqual(Stats.percentile(sorted: work, p).bitPattern, Stats.percentile(sorted: out, p).bitPattern,
                               "n \(n), percentile \(p)")
            }
        }
        // Large arrays (the bucketed selection): spread, clustered in one bit-pattern range, all equal, mostly zero,
        // a few values with -0.0 among them, subnormals.
        for trial in 0..<24 {
            let n = [2048, 2049, 5000, 20_000][trial % 4]
            let values = (0..<n).map { i -> Double in
                switch trial % 6 {
                case 0: return Double(rng.next() % 1_000_000) * 1e-6
                case 1: return 1.2e-4 + Double(rng.next() % 50) * 1e-9 + (i % 997 == 0 ? 2.5 : 0)
                case 2: return 0.003
                case 3: return rng.next() % 10 == 0 ? Double(rng.next() % 1000) * 1e-3 : 0
                case 4: return rng.next() % 4 == 0 ? -0.0 : Double(rng.next() % 3) * 0.5
                default: return Double(bitPattern: rng.next() >> 2)
                }
            }
            let q = ([10.0, 25, 1][trial % 3], 50.0, [90.0, 99, 75][trial % 3])
            var work: [Double] = []
            Stats.radixSortNonNegative(values, into: &out, keys: &keys, scratch: &scratch)
            Stats.selectForPercentiles(values, q, into: &work)
            XCTAssertEqual(work[0].bitPattern, out[0].bitPattern)
            XCTAssertEqual(work[n - 1].bitPattern, out[n - 1].bitPattern)
            for p in [q.0, q.1, q.2] {
                XCTAssertEqual(Stats.percentile(sorted: work, p).bitPattern, Stats.percentile(sorted: out, p).bitPattern,
                               "large trial \(trial), n \(n), percentile \(p)")
            }
        }
        // Values the fast paths do not take: negatives and fractions fall back to sort().
        Stats.countingSort([3.5, 1, 2], into: &out, counts: &counts)
        XCTAssertEqual(out, [1, 2, 3.5])
        let mixed = (0..<100).map { Double($0 % 7) - 3 }
        Stats.radixSortNonNegative(mixed, into: &out, keys: &keys, scratch: &scratch)
        XCTAssertEqual(out, mixed.sorted())
    }
}
