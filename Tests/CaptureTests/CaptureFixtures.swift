import Foundation
import XCTest
import Capture

/// A packet to write into a hand-built capture.
struct FixturePacket {
    var seconds: UInt32
    /// Micro- or nanoseconds, as the file's resolution says.
    var fraction: UInt32
    var bytes: [UInt8]
    /// The length on the wire; defaults to `bytes.count`.
    var originalLength: UInt32? = nil
}

/// Builds capture files byte by byte, independently of libpcap and of the Simulator.
enum Fixture {
    /// Deterministic, distinct packet contents.
    static func payload(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed) &* 31) }
    }

    /// An Ethernet frame with the given EtherType and a payload (enough for BPF "ip"/"ip6" tests).
    static func ethernet(etherType: UInt16, payloadLength: Int, seed: UInt8) -> [UInt8] {
        var frame: [UInt8] = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]
        frame += [UInt8(etherType >> 8), UInt8(etherType & 0xff)]
        return frame + payload(payloadLength, seed: seed)
    }

    static func put16(_ out: inout [UInt8], _ v: UInt16, le: Bool) {
        let b = [UInt8(v & 0xff), UInt8(v >> 8)]
        out += le ? b : b.reversed()
    }

    static func put32(_ out: inout [UInt8], _ v: UInt32, le: Bool) {
        let b = (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) }
        out += le ? b : b.reversed()
    }

    /// A classic pcap file.
    static func pcap(littleEndian le: Bool, nanosecond: Bool, linkType: UInt32 = 1, snaplen: UInt32 = 65535,
                     packets: [FixturePacket]) -> [UInt8] {
        var out: [UInt8] = []
        put32(&out, nanosecond ? 0xa1b2_3c4d : 0xa1b2_c3d4, le: le)
        put16(&out, 2, le: le)
        put16(&out, 4, le: le)
        put32(&out, 0, le: le)          // thiszone
        put32(&out, 0, le: le)          // sigfigs
        put32(&out, snaplen, le: le)
        put32(&out, linkType, le: le)
        for p in packets {
            put32(&out, p.seconds, le: le)
            put32(&out, p.fraction, le: le)
            put32(&out, UInt32(p.bytes.count), le: le)
            put32(&out, p.originalLength ?? UInt32(p.bytes.count), le: le)
            out += p.bytes
        }
        return out
    }

    struct Interface {
        var linkType: UInt16
        var snaplen: UInt32 = 65535
        /// if_tsresol: nil = default microseconds, 9 = nanoseconds.
        var timestampResolution: UInt8? = nil
    }

    struct EnhancedPacket {
        var interface: UInt32
        /// In the interface's units.
        var timestamp: UInt64
        var bytes: [UInt8]
    }

    enum Block {
        case interface(Interface)
        case packet(EnhancedPacket)
    }

    /// A pcapng file: one section in the given byte order, then the blocks in order.
    static func pcapng(_ blocks: [Block], littleEndian le: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        func block(_ type: UInt32, _ body: [UInt8]) {
            var padded = body
            while padded.count % 4 != 0 { padded.append(0) }
            let total = UInt32(12 + padded.count)
            put32(&out, type, le: le)
            put32(&out, total, le: le)
            out += padded
            put32(&out, total, le: le)
        }
        var shb: [UInt8] = []
        put32(&shb, 0x1a2b_3c4d, le: le)
        put16(&shb, 1, le: le)
        put16(&shb, 0, le: le)
        shb += [UInt8](repeating: 0xff, count: 8)   // section length: unknown
        block(0x0a0d_0d0a, shb)
        for b in blocks {
            switch b {
            case .interface(let i):
                var idb: [UInt8] = []
                put16(&idb, i.linkType, le: le)
                put16(&idb, 0, le: le)
                put32(&idb, i.snaplen, le: le)
                if let r = i.timestampResolution {
                    put16(&idb, 9, le: le)        // if_tsresol
                    put16(&idb, 1, le: le)
                    idb += [r, 0, 0, 0]
                    put16(&idb, 0, le: le)        // opt_endofopt
                    put16(&idb, 0, le: le)
                }
                block(1, idb)
            case .packet(let p):
                var epb: [UInt8] = []
                put32(&epb, p.interface, le: le)
                put32(&epb, UInt32(p.timestamp >> 32), le: le)
                put32(&epb, UInt32(p.timestamp & 0xffff_ffff), le: le)
                put32(&epb, UInt32(p.bytes.count), le: le)
                put32(&epb, UInt32(p.bytes.count), le: le)
                epb += p.bytes
                block(6, epb)
            }
        }
        return out
    }
}

/// A temporary directory removed when the test ends.
final class TempDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/streamprobe-capture-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let full = (path as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }
}

/// What a source delivered, copied out of the closure.
struct ReadPacket: Equatable {
    var seconds: Int64
    var nanoseconds: UInt32
    var capturedLength: Int
    var originalLength: Int
    var bytes: [UInt8]
}

/// Every packet of a source, copied out of libpcap's buffer, and how the source ended.
func readAll(_ source: PacketSource) throws -> ([ReadPacket], SourceEnd) {
    var packets: [ReadPacket] = []
    let end = try source.forEachPacket { p in
        packets.append(ReadPacket(seconds: p.timestamp.seconds, nanoseconds: p.timestamp.nanoseconds,
                                  capturedLength: p.capturedLength, originalLength: p.originalLength,
                                  bytes: Array(p.bytes)))
        return true
    }
    return (packets, end)
}
