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
