import XCTest
import Foundation
import Wire
@testable import Analyzer

/// The `flows` CSV writes its rows as bytes: each piece must read exactly as the string formatting it replaced.
final class FlowsCSVTests: XCTestCase {
    private func fixed3(_ value: Double) -> String {
        var row = CSVBytes()
        row.putFixed3(value)
        return String(decoding: row.bytes, as: UTF8.self)
    }

    func testFixed3MatchesPrintf() {
        var values: [Double] = [0, -0.0, 0.0005, 0.0015, 0.0025, 1.0005, 2.5e-4, -2.5e-4, 0.1, 0.125, 0.0625, 1e-9, -1e-9,
                                0.9995, 0.99949999, 999.9995, 123456.789, 1e12, 1e15, 1e300, -3.14159, 4.6953, 59.999999,
                                .nan, .infinity, -.infinity, .ulpOfOne, .leastNonzeroMagnitude, Double(UInt32.max)]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            values.append(Double.random(in: 0..<2000, using: &random))
            values.append(Double(Int.random(in: 0..<2_000_000, using: &random)) / 1000 + 0.0005)   // near a tie
            values.append(-Double.random(in: 0..<5, using: &random))
            values.append(Double.random(in: 1.7e9..<1.8e9, using: &random))
        }
        for v in values {
            XCTAssertEqual(fixed3(v), String(format: "%.3f", v), "\(v)")
        }
    }

    func testIntegersAndAddresses() {
        var row = CSVBytes()
        for v: UInt64 in [0, 7, 10, 443, 65535, 1_000_000, UInt64.max] {
            row.put(v); row.comma()
        }
        row.put(IPAddress(10, 0, 0, 1)); row.comma()
        row.put(IPAddress("2001:db8::a00:dcf")!)
        XCTAssertEqual(String(decoding: row.bytes, as: UTF8.self),
                       "0,7,10,443,65535,1000000,18446744073709551615,10.0.0.1,2001:db8::a00:dcf")
    }

    func testCSVFieldQuotesOnlyWhenNeeded() {
        XCTAssertEqual(ReportFormats.csvField("www.example.com"), "www.example.com")
        XCTAssertEqual(ReportFormats.csvField("a,b"), "\"a,b\"")
        XCTAssertEqual(ReportFormats.csvField("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(ReportFormats.csvField("line\nbreak"), "\"line\nbreak\"")
        XCTAssertEqual(ReportFormats.csvField("é,ü"), "\"é,ü\"")
    }
}
