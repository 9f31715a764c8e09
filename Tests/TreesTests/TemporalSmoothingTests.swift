import Foundation
import XCTest
@testable import Trees

final class TemporalSmoothingTests: XCTestCase {
    func testSpecParsing() {
        XCTAssertEqual(TemporalSmoothing(spec: "21:centred"), TemporalSmoothing(windows: 21, alignment: .centred))
        XCTAssertEqual(TemporalSmoothing(spec: "5:centered"), TemporalSmoothing(windows: 5, alignment: .centred))
        XCTAssertEqual(TemporalSmoothing(spec: "3:trailing"), TemporalSmoothing(windows: 3, alignment: .trailing))
        for bad in ["", "21", "0:centred", "x:trailing", "5:ahead", "5:centred:1", "20000:centred"] {
            XCTAssertNil(TemporalSmoothing(spec: bad), bad)
        }
    }

    /// Two captures interleaved row by row: each is smoothed as its own sequence.
    func testGroupsAreSmoothedSeparatelyInTheirOwnOrder() {
        // Group a: P(1) = 1, 1, 0, 1, 1 (one stray window); group b: P(1) = 0 throughout.
        let a: [Double] = [1, 1, 0, 1, 1], b: [Double] = [0, 0, 0, 0, 0]
        var probabilities: [Double] = [], groups: [String] = []
        for i in 0..<5 {
            probabilities += [1 - a[i], a[i]]; groups.append("a")
            probabilities += [1 - b[i], b[i]]; groups.append("b")
        }
        let s = TemporalSmoothing(windows: 3, alignment: .centred)
        let out = s.apply(probabilities: probabilities, classCount: 2, groups: groups)
        let pa = stride(from: 0, to: 10, by: 2).map { out[$0 * 2 + 1] }
        let pb = stride(from: 1, to: 10, by: 2).map { out[$0 * 2 + 1] }
        XCTAssertEqual(pa, [1, 2.0 / 3, 2.0 / 3, 2.0 / 3, 1])
        XCTAssertEqual(pb, [0, 0, 0, 0, 0])
        let trailing = TemporalSmoothing(windows: 2, alignment: .trailing)
            .apply(probabilities: probabilities, classCount: 2, groups: groups)
        XCTAssertEqual(stride(from: 0, to: 10, by: 2).map { trailing[$0 * 2 + 1] }, [1, 1, 0.5, 0.5, 1])
        // One window changes nothing.
        XCTAssertEqual(TemporalSmoothing(windows: 1, alignment: .centred).apply(probabilities: probabilities, classCount: 2, groups: groups),
                       probabilities)
    }

    func testTrailingMeanOfAGrowingSequence() {
        let history: [[Double]] = [[1, 0], [0, 1], [0, 1], [0.5, 0.5]]
        XCTAssertEqual(TemporalSmoothing.trailingMean(of: history[...], windows: 2), [0.25, 0.75])
        XCTAssertEqual(TemporalSmoothing.trailingMean(of: history[...], windows: 10), [0.375, 0.625])
        XCTAssertNil(TemporalSmoothing.trailingMean(of: [][...], windows: 3))
    }
}
