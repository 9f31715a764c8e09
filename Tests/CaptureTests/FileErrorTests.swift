import Capture
import XCTest

final class FileErrorTests: XCTestCase {
    func assertOpenFails(_ path: String, _ kind: CaptureError.Kind, _ messagePrefix: String,
                         file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try FileSource(path: path), file: file, line: line) { error in
            guard let e = error as? CaptureError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(e.kind, kind, e.description, file: file, line: line)
            XCTAssertEqual(e.exitCode, 66, file: file, line: line)
            XCTAssertEqual(e.source, path, file: file, line: line)
            XCTAssertTrue(e.description.hasPrefix("\(path): \(messagePrefix)"), e.description, file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
        }
    }

    func testMissingFile() throws {
        let dir = try TempDirectory()
        assertOpenFails(dir.path + "/nope.pcap", .notFound, "no such file")
        assertOpenFails(dir.path + "/nope/deeper.pcap", .notFound, "no such file")
    }

    func testDirectory() throws {
        let dir = try TempDirectory()
        assertOpenFails(dir.path, .isDirectory, "is a directory")
    }

    func testEmptyFile() throws {
        let dir = try TempDirectory()
        assertOpenFails(try dir.write("empty.pcap", []), .emptyFile, "empty file")
    }

    func testTextFileShowsItsFirstBytes() throws {
        let dir = try TempDirectory()
        let path = try dir.write("page.pcap", Array("<html><body>hello</body></html>\n".utf8))
        assertOpenFails(path, .notACapture, "text, not a pcap or pcapng file (first bytes 3c 68 74 6d)")
        XCTAssertNil(CaptureFileKind.detect(path: path))
        let tiny = try dir.write("tiny.pcap", [0x41, 0x42])
        assertOpenFails(tiny, .notACapture, "text, not a pcap or pcapng file (first bytes 41 42)")
    }

    func testUnreadableFile() throws {
        try XCTSkipIf(geteuid() == 0, "root reads any file")
        let dir = try TempDirectory()
        let path = try dir.write("secret.pcap", Fixture.pcap(littleEndian: true, nanosecond: false, packets: []))
        chmod(path, 0o000)
        assertOpenFails(path, .permissionDenied, "permission denied")
    }

    func testCutGlobalHeader() throws {
        let dir = try TempDirectory()
        let whole = Fixture.pcap(littleEndian: true, nanosecond: false, packets: [])
        assertOpenFails(try dir.write("cut10.pcap", Array(whole.prefix(10))), .truncatedHeader, "capture cut inside its file header (10 of 24 bytes)")
        assertOpenFails(try dir.write("cut2.pcap", Array(whole.prefix(2))), .truncatedHeader, "capture cut inside its file header")
        let ng = Fixture.pcapng([.interface(.init(linkType: 1))])
        assertOpenFails(try dir.write("cut.pcapng", Array(ng.prefix(20))), .truncatedHeader, "capture cut inside its file header")
    }

    func testBadVersionIsCorrupt() throws {
        let dir = try TempDirectory()
        var bytes = Fixture.pcap(littleEndian: true, nanosecond: false, packets: [])
        bytes[4] = 9   // major version 9
        assertOpenFails(try dir.write("v9.pcap", bytes), .corrupt, "corrupt capture file: ")
    }

    func testFileCutInTheMiddleOfARecordDeliversThePacketsBeforeTheCut() throws {
        let dir = try TempDirectory()
        let packets = (0..<4).map { FixturePacket(seconds: UInt32($0), fraction: 0, bytes: Fixture.payload(100, seed: UInt8($0))) }
        let whole = Fixture.pcap(littleEndian: true, nanosecond: false, packets: packets)
        // Cut inside the 4th packet's data, then inside the 4th record header.
        for cut in [whole.count - 30, 24 + 3 * 116 + 7] {
            let path = try dir.write("cut-\(cut).pcap", Array(whole.prefix(cut)))
            let source = try FileSource(path: path)
            var seen: [Int64] = []
            let end = try source.forEachPacket { p in seen.append(p.timestamp.seconds); return true }
            XCTAssertEqual(seen, [0, 1, 2])
            guard case .truncated(let warning) = end else { XCTFail("\(end)"); continue }
            XCTAssertTrue(warning.hasPrefix("\(path): capture cut in the middle of a packet record after 3 packets"), warning)
            XCTAssertFalse(warning.contains("\n"))
        }
    }

    func testErrorKindsMapToDocumentedExitCodes() {
        XCTAssertEqual(CaptureError(.badFilter, source: "x", message: "m").exitCode, 64)
        XCTAssertEqual(CaptureError(.noSuchInterface, source: "x", message: "m").exitCode, 69)
        XCTAssertEqual(CaptureError(.interfaceUnusable, source: "x", message: "m").exitCode, 69)
        XCTAssertEqual(CaptureError(.capturePermissionDenied, source: "x", message: "m").exitCode, 77)
        XCTAssertEqual(CaptureError(.unsupportedLinkType, source: "x", message: "m").exitCode, 66)
        XCTAssertEqual(CaptureError(.corrupt, source: "x.pcap", message: "bad").description, "x.pcap: bad")
    }
}
