import Capture
import Foundation
import XCTest

final class DiscoveryTests: XCTestCase {
    func testFindsCapturesByContentRecursively() throws {
        let dir = try TempDirectory()
        let pcap = Fixture.pcap(littleEndian: true, nanosecond: false, packets: [])
        let pcapBE = Fixture.pcap(littleEndian: false, nanosecond: true, packets: [])
        let ng = Fixture.pcapng([.interface(.init(linkType: 1))])
        let a = try dir.write("b/deep/er/trace.dump", pcap)
        let b = try dir.write("a.bin", ng)
        let c = try dir.write("b/noext", pcapBE)
        try dir.write("x.pcap", Array("not a capture at all".utf8))
        try dir.write("b/short.pcap", [0xd4, 0xc3])
        try dir.write("b/empty.pcapng", [])
        try FileManager.default.createDirectory(atPath: dir.path + "/emptydir", withIntermediateDirectories: true)
        // A loop: b/deep/loop -> b, and a link to a file already listed.
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/b/deep/loop", withDestinationPath: dir.path + "/b")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/b/zz-link.pcap", withDestinationPath: a)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/dangling", withDestinationPath: dir.path + "/gone")

        let found = try CaptureDiscovery.captures(under: dir.path)
        XCTAssertEqual(found, [b, a, c])
        // A trailing slash gives the same paths.
        XCTAssertEqual(try CaptureDiscovery.captures(under: dir.path + "/"), found)
        // Files named like captures that are not one are listed apart, to be reported.
        let listing = try CaptureDiscovery.list(dir.path)
        XCTAssertEqual(listing.notCaptures, ["b/empty.pcapng", "b/short.pcap", "x.pcap"].map { dir.path + "/" + $0 })
        XCTAssertEqual(listing.all.first, b)
    }

    /// gzip(1) compresses `path` to `path.gz` (another tool than the project's reader).
    func gzip(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-k", "-f", path]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return path + ".gz"
    }

    /// A gzip-compressed capture is read directly and found by content; a compressed non-capture, or a
    /// text file named .pcap, fails with a reason that says what it is.
    func testCompressedCapturesAndNonCaptures() throws {
        let dir = try TempDirectory()
        let plain = try dir.write("inner/c.pcap", Fixture.pcap(littleEndian: true, nanosecond: false, packets: []))
        let gz = try gzip(plain)
        try FileManager.default.removeItem(atPath: plain)
        let notes = try gzip(try dir.write("notes.pcap", Array("some notes\n".utf8)))
        try FileManager.default.removeItem(atPath: dir.path + "/notes.pcap")
        let text = try dir.write("t.pcap", Array("GET / HTTP/1.1\r\n".utf8))
        let other = try dir.write("t.cap", [0x00, 0xff, 0x10, 0x20, 0x30])
        let listing = try CaptureDiscovery.list(dir.path)
        XCTAssertEqual(listing.captures, [gz])
        XCTAssertEqual(listing.notCaptures, [notes, other, text])
        let source = try FileSource(path: gz)
        XCTAssertEqual(source.linkType, 1)
        for (path, expected) in [(notes, "gzip-compressed, but what it holds is not a pcap or pcapng file"),
                                 (text, "text, not a pcap or pcapng file (first bytes 47 45 54 20)"),
                                 (other, "not a pcap or pcapng file (first bytes 00 ff 10 20)")] {
            XCTAssertThrowsError(try FileSource(path: path)) {
                XCTAssertTrue("\($0)".hasPrefix("\(path): \(expected)"), "\($0)")
                XCTAssertEqual(($0 as? CaptureError)?.kind, .notACapture)
            }
        }
    }

    func testErrors() throws {
        let dir = try TempDirectory()
        XCTAssertThrowsError(try CaptureDiscovery.captures(under: dir.path + "/missing")) {
            XCTAssertEqual(($0 as? CaptureError)?.kind, .notFound)
        }
        let file = try dir.write("f.pcap", Fixture.pcap(littleEndian: true, nanosecond: false, packets: []))
        XCTAssertThrowsError(try CaptureDiscovery.captures(under: file)) {
            let e = $0 as! CaptureError
            XCTAssertEqual(e.kind, .notADirectory)
            XCTAssertEqual(e.description, "\(file): not a directory")
            XCTAssertEqual(e.exitCode, 66)
        }
        XCTAssertEqual(try CaptureDiscovery.captures(under: dir.path), [file])
    }
}
