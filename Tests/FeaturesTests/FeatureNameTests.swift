import XCTest
@testable import Features

/// The families that write their feature names out (`publishedNames`, so that start-up derives no name
/// by reflection) name each case by its snake_case, in case order.
final class FeatureNameTests: XCTestCase {
    private func check<Slot: FeatureSlot>(_ type: Slot.Type, count: Int, file: StaticString = #filePath, line: UInt = #line) {
        let written = Slot.allCases.map(\.name)
        let derived = Slot.allCases.map(\.snakeCaseName)
        XCTAssertEqual(written.count, count, "\(Slot.self)", file: file, line: line)
        XCTAssertEqual(written, derived, "\(Slot.self)", file: file, line: line)
        XCTAssertEqual(Set(written).count, written.count, "\(Slot.self): a name twice", file: file, line: line)
    }

    func testWrittenNamesAreTheCasesSnakeCase() {
        check(ReferenceSlot.self, count: 37)
        check(DirectionSlot.self, count: 12)
        check(ContextSlot.self, count: 17)
        check(ShapeSlot.self, count: 12)
        check(RhythmSlot.self, count: 18)
    }

    func testTheReflectionRuleItself() {
        XCTAssertEqual(ReferenceSlot.bytesPerSecond.snakeCaseName, "bytes_per_second")
        XCTAssertEqual(ReferenceSlot.p10PktSize.snakeCaseName, "p10_pkt_size")
        XCTAssertEqual(RhythmSlot.seconds.snakeCaseName, "lr_seconds")
        XCTAssertEqual(FeatureFamily.referenceNames.first, "bytes_per_second")
    }
}
