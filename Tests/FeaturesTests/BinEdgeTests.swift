@testable import Features
import XCTest

/// `BinHistory` skips the bin-index division for a packet inside the newest bin's time interval,
/// whose edges it finds once per bin: the counts must be those of the direct index, packets on and
/// next to the edges (one ulp either side) included.
final class BinEdgeTests: XCTestCase {
    func testBinHistoryMatchesTheDirectIndexAtTheEdges() {
        // -1.0 and -0.5: a bin edge at time 0, where the time's unit in the last place is far finer than
        // the difference's (found by the corrupt-capture corpus: the search for that edge never ended).
        for origin in [0.0, 1_700_000_000.123_456, 1_234.5, -1.0, -0.5] {
            var history = BinHistory(origin: origin, lookBackSeconds: 2)
            var expected: [Int: (down: Int, up: Int)] = [:]
            var times: [Double] = []
            for k in 0..<12 {
                let edge = origin + Double(k) * BinHistory.binSeconds
                times += [edge.nextDown, edge, edge.nextUp, edge + 0.05]
            }
            times.sort()
            for (i, t) in times.enumerated() where t >= origin {
                let upload = i % 3 == 0
                history.add(PacketSample(time: t, frameLength: 100 + i, direction: upload ? .upload : .download))
                let b = history.binIndex(t)
                var e = expected[b] ?? (0, 0)
                if upload { e.up += 100 + i } else { e.down += 100 + i }
                expected[b] = e
            }
            for b in max(0, history.latest - history.capacity + 1)...history.latest {
                let bin = history.bin(b)
                XCTAssertEqual(bin.downBytes, expected[b]?.down ?? 0, "origin \(origin), bin \(b)")
                XCTAssertEqual(bin.upBytes, expected[b]?.up ?? 0, "origin \(origin), bin \(b)")
            }
        }
    }

    /// `indexEdge` finds the exact edge near a good estimate and gives up (nil) where stepping by units
    /// in the last place cannot reach it.
    func testIndexEdgeIsExactOrNil() {
        let history = BinHistory(origin: 1_234.5, lookBackSeconds: 2)
        for k in 1..<50 {
            let edge = indexEdge(k, estimate: 1_234.5 + Double(k) * BinHistory.binSeconds) { history.binIndex($0) }
            guard let edge else { XCTFail("bin \(k): no edge"); continue }
            XCTAssertEqual(history.binIndex(edge), k)
            XCTAssertEqual(history.binIndex(edge.nextDown), k - 1)
        }
        let negative = BinHistory(origin: -1.0, lookBackSeconds: 2)
        XCTAssertNil(indexEdge(10, estimate: 0.0) { negative.binIndex($0) })
    }
}
