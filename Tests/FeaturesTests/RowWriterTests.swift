import XCTest

@testable import Features

final class RowWriterTests: XCTestCase {
    private let window = WindowResult(index: 2, start: 1000.5, end: 1003.5, packetCount: 40, skipReason: nil, values: [0.1, .nan, 1e-5, .infinity])
    private let skipped = WindowResult(index: 3, start: 1003.5, end: 1006.5, packetCount: 3, skipReason: .tooFewPackets, values: [])

    func testCSVHeaderAndRows() {
        let writer = FeatureCSVWriter(featureNames: ["a", "b", "Bit Rate", "d"], includeLabel: true)
        XCTAssertEqual(writer.header(), "capture,unit,window_index,start_s,end_s,start_epoch,end_epoch,packets,skipped,a,b,Bit Rate,d,label\n")
        let source = RowSource(capture: "dir/x,1.pcap", unit: "10.0.0.2", origin: 1000, label: "high")
        XCTAssertEqual(writer.row(window, source: source), "\"dir/x,1.pcap\",10.0.0.2,2,0.5,3.5,1000.5,1003.5,40,0,0.1,,1e-05,inf,high\n")
        XCTAssertEqual(writer.row(skipped, source: source), "\"dir/x,1.pcap\",10.0.0.2,3,3.5,6.5,1003.5,1006.5,3,1,,,,,high\n")
    }

    func testNumbersRoundTrip() {
        for value in [0.1, 1.0 / 3, 1_700_000_000.123456, Double.leastNonzeroMagnitude, 12345678.9] {
            XCTAssertEqual(Double(roundTripText(value)!), value)
        }
    }

    func testJSONLines() throws {
        let writer = FeatureJSONLWriter(featureNames: ["a", "b", "c", "d"])
        let line = writer.row(window, source: RowSource(capture: "q\"x.pcap", unit: "all", origin: 1000))
        XCTAssertTrue(line.hasSuffix("}\n"))
        XCTAssertTrue(line.hasPrefix("{\"schema_version\":1,\"capture\":\"q\\\"x.pcap\","), line)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["capture"] as? String, "q\"x.pcap")
        XCTAssertEqual(object["window_index"] as? Int, 2)
        XCTAssertEqual(object["skipped"] as? Bool, false)
        let features = try XCTUnwrap(object["features"] as? [String: Any])
        XCTAssertEqual(features["a"] as? Double, 0.1)
        XCTAssertTrue(features["b"] is NSNull)
        XCTAssertTrue(features["d"] is NSNull)
        XCTAssertTrue(line.contains("\"features\":{\"a\":0.1,\"b\":null,\"c\":1e-05,\"d\":null}"))
        let skippedLine = writer.row(skipped, source: RowSource(capture: "x", unit: "u", origin: 1000))
        XCTAssertTrue(skippedLine.contains("\"skip_reason\":\"too_few_packets\",\"features\":null"))
        // Control characters and backslashes in a name are escaped (the JSONText escaping, shared with Trees).
        let odd = writer.row(window, source: RowSource(capture: "a\\b\tc\u{1}d\u{7f}é", unit: "u", origin: 1000, label: "l\nm"))
        XCTAssertTrue(odd.contains(#""capture":"a\\b\tc\u0001d\#u{7f}é""#), odd)
        XCTAssertTrue(odd.contains(#""label":"l\nm"}"#), odd)
        let back = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(odd.utf8)) as? [String: Any])
        XCTAssertEqual(back["capture"] as? String, "a\\b\tc\u{1}d\u{7f}é")
    }
}
