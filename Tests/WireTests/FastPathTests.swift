import XCTest
@testable import Wire

/// `decode(linkType:bytes:)` takes common Ethernet frames through a one-check fast path; the general
/// decoder (`decode(linkType:bytes:into:)`) must give every frame the same fields. Checked on valid
/// IPv4/IPv6 TCP/UDP frames and on many deterministic mutations and truncations of them.
final class FastPathTests: XCTestCase {
    static func frame(ipv6: Bool, tcp: Bool, payload: Int, tcpOptions: Int = 0) -> [UInt8] {
        var f: [UInt8] = Array(repeating: 0xAA, count: 12) + (ipv6 ? [0x86, 0xDD] : [0x08, 0x00])
        let l4 = tcp ? 20 + tcpOptions : 8
        if ipv6 {
            let len = l4 + payload
            f += [0x60, 0, 0, 0, UInt8(len >> 8), UInt8(len & 0xFF), tcp ? 6 : 17, 64]
            f += (0..<16).map { UInt8(0x20 + $0) } + (0..<16).map { UInt8(0x40 + $0) }
        } else {
            let len = 20 + l4 + payload
            f += [0x45, 0, UInt8(len >> 8), UInt8(len & 0xFF), 0x12, 0x34, 0x40, 0, 64, tcp ? 6 : 17, 0, 0,
                  192, 168, 1, 20, 93, 184, 216, 34]
        }
        if tcp {
            f += [0xC3, 0x50, 0x01, 0xBB, 1, 2, 3, 4, 5, 6, 7, 8, UInt8((5 + tcpOptions / 4) << 4), 0x18, 0xFF, 0xFF, 0, 0, 0, 0]
            f += Array(repeating: 1, count: tcpOptions)
        } else {
            let len = 8 + payload
            f += [0xC3, 0x50, 0x01, 0xBB, UInt8(len >> 8), UInt8(len & 0xFF), 0, 0]
        }
        return f + (0..<payload).map { UInt8(truncatingIfNeeded: $0) } + [0, 0, 0, 0]   // and Ethernet padding
    }

    static func fields(_ p: DecodedPacket) -> String {
        "\(p.link) \(p.vlanCount) \(p.etherType.rawValue) \(p.network) \(p.src.high) \(p.src.low) \(p.dst.high) \(p.dst.low) "
            + "\(p.ipProtocol.rawValue) \(p.transport) \(p.srcPort) \(p.dstPort) \(p.tcpFlags.rawValue) \(p.tcpSeq) \(p.tcpAck) "
            + "\(p.networkOffset) \(p.transportOffset) \(p.payloadOffset) \(p.payloadLength) \(p.capturedPayloadLength) "
            + "\(p.ipPacketLength) \(p.isFragment) \(p.hasPorts) \(String(describing: p.anomaly))"
    }

    func check(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        bytes.withUnsafeBytes { raw in
            let fast = decode(linkType: .ethernet, bytes: raw)
            var general = DecodedPacket()
            decode(linkType: .ethernet, bytes: raw, into: &general)
            XCTAssertEqual(Self.fields(fast), Self.fields(general), "frame \(bytes)", file: file, line: line)
        }
    }

    func testFastPathMatchesTheGeneralDecoder() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let values: [UInt8] = [0, 1, 4, 5, 6, 8, 17, 20, 0x20, 0x3F, 0x40, 0x44, 0x45, 0x46, 0x4F, 0x50, 0x60, 0x86, 0xDD, 0xFF, 44, 43, 58]
        for ipv6 in [false, true] {
            for tcp in [false, true] {
                for payload in [0, 1, 30] {
                    let base = Self.frame(ipv6: ipv6, tcp: tcp, payload: payload, tcpOptions: tcp && payload > 0 ? 12 : 0)
                    check(base)
                    base.withUnsafeBytes { raw in
                        var p = DecodedPacket()
                        XCTAssertTrue(decodeEthernetCommon(raw, &p), "the fast path takes the valid frame")
                    }
                    for cut in 0...base.count { check(Array(base.prefix(cut))) }
                    for _ in 0..<2000 {
                        var f = base
                        for _ in 0..<(1 + next() % 3) {
                            f[next() % min(f.count, 80)] = values[next() % values.count]
                        }
                        check(next() % 3 == 0 ? Array(f.prefix(next() % (f.count + 1))) : f)
                    }
                }
            }
        }
    }
}
