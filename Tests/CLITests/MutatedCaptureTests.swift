import Foundation
import Simulator
import XCTest

/// The mutation run in small (scripts/mutate-captures.sh does 1,200 runs on the release binary):
/// simulated captures, damaged at random in the ways files get damaged, each run of `analyze` or
/// `flows` must end by itself within 10 s and 300 MB, with a documented exit and, when it fails, one
/// line saying why.
final class MutatedCaptureTests: XCTestCase {
    static let documentedExits: Set<Int32> = [0, 2, 64, 65, 66]

    /// Record starts of a little-endian pcap.
    static func recordOffsets(_ b: [UInt8]) -> [Int] {
        var out: [Int] = []
        var at = 24
        while at + 16 <= b.count {
            out.append(at)
            at += 16 + (Int(b[at + 8]) | Int(b[at + 9]) << 8 | Int(b[at + 10]) << 16 | Int(b[at + 11]) << 24)
        }
        return out
    }

    static func mutate(_ original: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var b = original
        let records = recordOffsets(original)
        switch rng.int(0...5) {
        case 0:   // flip bits
            for _ in 0..<rng.int(1...16) { b[rng.int(0...(b.count - 1))] ^= UInt8(1) << UInt8(rng.int(0...7)) }
        case 1:   // cut
            b = Array(b.prefix(rng.int(0...(b.count - 1))))
        case 2:   // a record header field set to an extreme value
            let at = records[rng.int(0...(records.count - 1))] + 4 * rng.int(0...3)
            let values: [[UInt8]] = [[0xff, 0xff, 0xff, 0xff], [0, 0, 0, 0], [0xfc, 0xff, 0xff, 0x7f], [0, 0, 4, 0]]
            b.replaceSubrange(at..<at + 4, with: values[rng.int(0...3)])
        case 3:   // a timestamp moved far ahead or behind
            let at = records[rng.int(0...(records.count - 1))]
            let seconds = UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
            let moved = seconds &+ [UInt32(315_360_000), 0 &- 60, 599, 0 &- 315_360_000][rng.int(0...3)]
            b.replaceSubrange(at..<at + 4, with: (0..<4).map { UInt8(truncatingIfNeeded: moved >> (8 * $0)) })
        case 4:   // garbage inserted
            let at = rng.int(0...(b.count - 1))
            b.insert(contentsOf: (0..<rng.int(1...200)).map { _ in UInt8(rng.int(0...255)) }, at: at)
        default:  // a packet's headers scrambled
            let at = records[rng.int(0...(records.count - 1))] + 16 + rng.int(0...50)
            for k in 0..<rng.int(1...8) where at + k < b.count { b[at + k] = UInt8(rng.int(0...255)) }
        }
        return b
    }

    func testMutatedSimulatedCapturesEndWell() throws {
        let dir = try CLIRunner.temporaryDirectory("mutated")
        defer { try? FileManager.default.removeItem(at: dir) }
        var bases: [[UInt8]] = []
        for (profile, header, seed) in [("spotify:high", SimulationOptions.LinkHeader.ethernet, UInt64(21)),
                                        ("video:web", .cooked2, 22), ("spotify:normal", .cooked, 23)] {
            let options = SimulationOptions(ipv6: seed == 23, linkHeader: header)
            let w = PcapWriter.memory(linkType: options.linkType, nanosecond: options.nanosecond, snaplen: options.snaplen)
            _ = try Session(profile: try XCTUnwrap(Profile(parsing: profile)), background: [.dns], duration: 8, seed: seed, options: options)
                .run(writer: w)
            bases.append(w.bytes)
        }
        var rng = SeededRandom(seed: 2026)
        let runs = 30
        var exits: [Int32: Int] = [:]
        for i in 0..<runs {
            var bytes = bases[i % bases.count]
            for _ in 0..<rng.int(1...2) where !bytes.isEmpty { bytes = Self.mutate(bytes, &rng) }
            let path = dir.appendingPathComponent("mutant-\(i).pcap").path
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let args = i % 3 == 2 ? ["flows", "--limit", "3", path] : ["analyze", "-q", path]
            let r = try BoundedRunner.run(args)
            let label = "run \(i) (\(args[0]))"
            XCTAssertFalse(r.timedOut, "\(label): still running after 10 s")
            XCTAssertNil(r.signal, "\(label): killed by signal \(r.signal ?? 0): \(r.stderr)")
            XCTAssertLessThanOrEqual(r.peakMegabytes, 300, label)
            XCTAssertTrue(Self.documentedExits.contains(r.status), "\(label): exit \(r.status): \(r.stderr)")
            if r.status != 0 {
                let errors = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("streamprobe: warning:") }
                XCTAssertEqual(errors.count, 1, "\(label): \(r.stderr)")
            }
            exits[r.status, default: 0] += 1
        }
        print("mutated captures: \(runs) runs, exits \(exits.sorted { $0.key < $1.key })")
    }
}
