import XCTest
@testable import Trees

final class TableTests: XCTestCase {
    func testPandasIndexAndTextColumnsAreIgnored() throws {
        let csv = """
            ,Time Interval,Pkts number,Avg pkts size,Person
            0,0.0s - 0.5s,137,1210.5,1
            1,0.5s - 1.0s,142,1176.25,1
            2,1.0s - 1.5s,12,,0
            """
        let loaded = try TableLoader.parse(csv, source: "w.csv", defaultGroup: "w.csv", options: TableOptions(labelColumn: "Person"))
        XCTAssertEqual(loaded.table.featureNames, ["Pkts number", "Avg pkts size"])
        XCTAssertEqual(loaded.table.labels, ["1", "1", "0"])
        XCTAssertEqual(loaded.table.rows[0..<4], [137, 1210.5, 142, 1176.25])
        XCTAssertTrue(loaded.table.rows[5].isNaN, "an empty cell is a missing value")
        XCTAssertEqual(loaded.table.groups, ["w.csv", "w.csv", "w.csv"])
        XCTAssertTrue(loaded.notes.contains { $0.contains("unnamed first column") })
        XCTAssertTrue(loaded.notes.contains { $0.contains("non-numeric column(s): Time Interval") })
        XCTAssertEqual(loaded.table.classLabels, ["0", "1"])
    }

    func testFeaturesOutputMetadataAndCaptureGroups() throws {
        let csv = """
            capture,unit,window_index,start_s,end_s,start_epoch,end_epoch,packets,skipped,bytes_total,"mean,size",label
            a.pcap,10.0.0.1,0,0,3,1.0,4.0,40,0,5000,125,high
            a.pcap,10.0.0.1,1,3,6,4.0,7.0,41,0,5100,124.4,high
            b.pcap,10.0.0.2,0,0,3,1.0,4.0,20,0,900,45,low
            """
        let loaded = try TableLoader.parse(csv, source: "f.csv", options: TableOptions(ignoreColumns: ["bytes_total"]))
        XCTAssertEqual(loaded.table.featureNames, ["mean,size"])  // quoted header with a comma
        XCTAssertEqual(loaded.table.groups, ["a.pcap", "a.pcap", "b.pcap"])
        XCTAssertEqual(loaded.table.labels, ["high", "high", "low"])
        XCTAssertTrue(loaded.notes.contains { $0.contains("metadata column(s)") })
    }

    func testErrorsNameTheFile() {
        XCTAssertThrowsError(try TableLoader.parse("a,b\n1,2\n", source: "t.csv")) {
            XCTAssertTrue("\($0)".hasPrefix("t.csv: no label column \"label\""), "\($0)")
        }
        XCTAssertThrowsError(try TableLoader.parse("", source: "t.csv")) { XCTAssertEqual("\($0)", "t.csv: is empty") }
        XCTAssertThrowsError(try TableLoader.parse("a,label\n1,x,3\n", source: "t.csv")) {
            XCTAssertEqual("\($0)", "t.csv: line 2 has 3 fields, the header has 2")
        }
        XCTAssertThrowsError(try TableLoader.load(paths: ["/nonexistent.csv"])) { XCTAssertEqual("\($0)", "/nonexistent.csv: no such file") }
    }

    func testSeveralFilesAlignColumnsByName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tables-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.csv"), b = dir.appendingPathComponent("b.csv"), c = dir.appendingPathComponent("c.csv")
        try "x,y,label\n1,2,p\n3,4,q\n".write(to: a, atomically: true, encoding: .utf8)
        try "label,y,x\nq,20,10\n".write(to: b, atomically: true, encoding: .utf8)
        try "label,x\nq,10\n".write(to: c, atomically: true, encoding: .utf8)
        let loaded = try TableLoader.load(paths: [a.path, b.path])
        XCTAssertEqual(loaded.table.featureNames, ["x", "y"])
        XCTAssertEqual(loaded.table.rows, [1, 2, 3, 4, 10, 20])
        XCTAssertEqual(loaded.table.groups, ["a.csv", "a.csv", "b.csv"])
        XCTAssertThrowsError(try TableLoader.load(paths: [a.path, c.path])) {
            XCTAssertTrue("\($0)".contains("lacks feature column(s) y"), "\($0)")
        }
    }

    func testNumericLabelsSortNumerically() {
        XCTAssertEqual(TrainingTable.sortedLabels(["10", "9", "1"]), ["1", "9", "10"])
        XCTAssertEqual(TrainingTable.sortedLabels(["b", "a", "10"]), ["10", "a", "b"])
    }
}
