import XCTest
@testable import Wire

/// `IPAddress.description` / `writeText(into:)`: dotted quads and RFC 5952 text, written byte by byte.
final class AddressTextTests: XCTestCase {
    func testIPv4() {
        XCTAssertEqual(IPAddress(0, 0, 0, 0).description, "0.0.0.0")
        XCTAssertEqual(IPAddress(192, 168, 1, 10).description, "192.168.1.10")
        XCTAssertEqual(IPAddress(255, 255, 255, 255).description, "255.255.255.255")
        XCTAssertEqual(IPAddress(10, 100, 9, 200).description, "10.100.9.200")
    }

    func testIPv6Compression() {
        let cases: [(String, String)] = [
            ("2001:db8:0:0:0:0:0:1", "2001:db8::1"),
            ("0:0:0:0:0:0:0:0", "::"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("fe80:0:0:0:0:0:0:0", "fe80::"),
            ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"),          // the longer run wins
            ("2001:0:0:1:0:0:1:1", "2001::1:0:0:1:1"),            // first run on a tie
            ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6"),     // no run
            ("2001:db8:0:2:3:4:5:6", "2001:db8:0:2:3:4:5:6"),     // a single zero group stays
            ("ABCD:EF01:2345:6789:ABCD:EF01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789"),
            ("2a04:4e42:0:0:0:0:970b:2030", "2a04:4e42::970b:2030"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(IPAddress(input)?.description, expected, input)
        }
    }

    /// The text reads back to the same address, for addresses of every shape of zero runs.
    func testRoundTripOfZeroRunPatterns() {
        for pattern in 0..<256 {
            var groups = [UInt16](repeating: 0, count: 8)
            for g in 0..<8 where pattern & (1 << g) != 0 { groups[g] = UInt16(0x1000 >> (g % 4 * 4)) | UInt16(g) }
            var high: UInt64 = 0, low: UInt64 = 0
            for k in 0..<4 { high = high << 16 | UInt64(groups[k]); low = low << 16 | UInt64(groups[4 + k]) }
            let address = IPAddress(high: high, low: low)
            let text = address.description
            XCTAssertLessThanOrEqual(text.utf8.count, IPAddress.maximumTextLength)
            XCTAssertFalse(text.contains(":::"), text)
            if !address.isIPv4 { XCTAssertEqual(IPAddress(text), address, text) }
        }
    }
}

/// The decoder's list of link types is `LinkType.framing`; `isSupported` follows it.
final class LinkTypeListTests: XCTestCase {
    func testSupportedLinkTypes() {
        let supported: Set<Int32> = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]
        for raw in Int32(-1)...300 {
            XCTAssertEqual(LinkType(rawValue: raw).isSupported, supported.contains(raw), "link type \(raw)")
        }
        // Every supported type decodes to some link layer; an unsupported one to none.
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        for raw in supported {
            XCTAssertNotEqual(decode(linkType: LinkType(rawValue: raw), bytes: empty).link, .unsupported, "link type \(raw)")
        }
        XCTAssertEqual(decode(linkType: LinkType(rawValue: 105), bytes: empty).link, .unsupported)
    }

    /// Each header view throws `truncated` with its layer and length when one byte is missing.
    func testHeaderViewsCheckTheirLength() {
        var bytes = [UInt8](repeating: 0x45, count: 64)   // IPv4, IHL 5
        bytes[12] = 0x50                                  // TCP data offset 5
        bytes.withUnsafeBytes { all in
            func cut(_ n: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: all[0..<n]) }
            func expectTruncated(_ layer: DecodeError.Layer, _ needed: Int, _ make: (UnsafeRawBufferPointer) throws(DecodeError) -> Void) {
                do throws(DecodeError) {
                    try make(cut(needed))
                } catch { XCTFail("\(layer): \(needed) bytes should do") }
                do throws(DecodeError) {
                    try make(cut(needed - 1))
                    XCTFail("\(layer): \(needed - 1) bytes should not do")
                } catch {
                    XCTAssertEqual(error, .truncated(layer, needed: needed, available: needed - 1))
                }
            }
            expectTruncated(.ethernet, 14) { b throws(DecodeError) in _ = try EthernetHeader(b) }
            expectTruncated(.vlan, 4) { b throws(DecodeError) in _ = try VLANTag(b, at: 0) }
            expectTruncated(.linuxCooked, 16) { b throws(DecodeError) in _ = try LinuxCookedHeader(b) }
            expectTruncated(.linuxCooked2, 20) { b throws(DecodeError) in _ = try LinuxCooked2Header(b) }
            expectTruncated(.loopback, 4) { b throws(DecodeError) in _ = try LoopbackHeader(b) }
            expectTruncated(.ipv4, 20) { b throws(DecodeError) in _ = try IPv4Header(b, at: 0) }
            expectTruncated(.tcp, 20) { b throws(DecodeError) in _ = try TCPHeader(b, at: 0) }
            expectTruncated(.udp, 8) { b throws(DecodeError) in _ = try UDPHeader(b, at: 0) }
            expectTruncated(.ipv6Extension, 8) { b throws(DecodeError) in _ = try IPv6ExtensionHeader(b, at: 0, kind: .ipv6Fragment) }
        }
    }
}
