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
        }
        // Values the fast paths do not take: negatives and fractions fall back to sort().
        Stats.countingSort([3.5, 1, 2], into: &out, counts: &counts)
        XCTAssertEqual(out, [1, 2, 3.5])
        let mixed = (0..<100).map { Double($0 % 7) - 3 }
        Stats.radixSortNonNegative(mixed, into: &out, keys: &keys, scratch: &scratch)
        XCTAssertEqual(out, mixed.sorted())
    }
}
