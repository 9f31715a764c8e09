import Capture
import Simulator
import XCTest

/// Damaged captures never crash the reader: each either opens and reads (possibly ending in
/// `.truncated`) or fails with a one-line `CaptureError`.
final class MutationTests: XCTestCase {
    func check(_ original: [UInt8], name: String, seeds: Range<UInt64>) throws {
        let dir = try TempDirectory()
        for seed in seeds {
            var rng = SeededRandom(seed: seed)
            var bytes = original
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:   // flip a few bytes
                for _ in 0..<(1 + Int.random(in: 0..<4, using: &rng)) { bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(1 + Int.random(in: 0..<255, using: &rng)) }
            case 1:   // cut
                bytes = Array(bytes.prefix(1 + Int.random(in: 0..<(bytes.count - 1), using: &rng)))
            default:  // overwrite a 32-bit field with an extreme value
                let at = Int.random(in: 0..<(bytes.count - 4), using: &rng)
                let value: [UInt8] = [[0xff, 0xff, 0xff, 0xff], [0, 0, 0, 0], [0xfc, 0xff, 0xff, 0x7f], [1, 0, 0, 0]][Int.random(in: 0..<4, using: &rng)]
                bytes.replaceSubrange(at..<at + 4, with: value)
            }
            let path = try dir.write("\(name)-\(seed)", bytes)
            do {
                let source = try FileSource(path: path)
                var delivered = 0
                _ = try source.forEachPacket { p in
                    XCTAssertLessThanOrEqual(p.capturedLength, bytes.count)
                    XCTAssertEqual(p.bytes.count, p.capturedLength)
                    delivered += 1
                    return true
                }
                XCTAssertLessThanOrEqual(delivered, 64)
            } catch let error as CaptureError {
                XCTAssertTrue(error.description.hasPrefix(path + ": "), error.description)
                XCTAssertFalse(error.description.contains("\n"), error.description)
            }
        }
    }

    func testMutatedPcap() throws {
        let packets = (0..<8).map { FixturePacket(seconds: UInt32($0), fraction: 1, bytes: Fixture.payload(40 + 13 * $0, seed: UInt8($0))) }
        try check(Fixture.pcap(littleEndian: false, nanosecond: false, packets: packets), name: "m.pcap", seeds: 0..<150)
    }

    func testMutatedMultiInterfacePcapng() throws {
        var blocks: [Fixture.Block] = [
            .interface(.init(linkType: 1)),
            .interface(.init(linkType: 113, snaplen: 1000, timestampResolution: 9)),
        ]
        for i in 0..<8 {
            blocks.append(.packet(.init(interface: UInt32(i % 2), timestamp: UInt64(i) * 1_000_000,
                                        bytes: Fixture.payload(30 + 11 * i, seed: UInt8(i)))))
        }
        try check(Fixture.pcapng(blocks), name: "m.pcapng", seeds: 1000..<1200)
    }
}
