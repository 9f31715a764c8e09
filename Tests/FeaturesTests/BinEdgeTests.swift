@testable import Features
import XCTest

/// `BinHistory` skips the bin-index division for a packet inside the newest bin's time interval,
/// whose edges it finds once per bin: the counts must be those of the direct index, packets on and
/// next to the edges (one ulp either side) included.
final class BinEdgeTests: XCTestCase {
    func testBinHistoryMatchesTheDirectIndexAtTheEdges() {
        for origin in [0.0, 1_700_000_000.123_456, 1_234.5] {
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
}
