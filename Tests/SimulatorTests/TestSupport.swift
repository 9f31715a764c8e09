import Foundation
import Simulator
import Wire

/// An independent, byte-by-byte Internet checksum for checking the builder's (16-bit words, no tricks).
func referenceSum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var sum: UInt32 = 0
    var i = bytes.startIndex
    while i < bytes.endIndex {
        let hi = UInt32(bytes[i])
        let lo = i + 1 < bytes.endIndex ? UInt32(bytes[i + 1]) : 0
        sum += hi << 8 | lo
        i += 2
    }
    while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
    return sum
}

func be16(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) << 8 | Int(b[o + 1]) }
func be32(_ b: [UInt8], _ o: Int) -> UInt32 { UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3]) }
func le32(_ b: [UInt8], _ o: Int) -> UInt32 { UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24 }
func le16(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }

/// The pseudo-header + segment sum, folded: 0xFFFF when the transport checksum is right.
func transportChecksumFolds(src: [UInt8], dst: [UInt8], proto: UInt8, segment: ArraySlice<UInt8>) -> UInt32 {
    var pseudo = src + dst
    if src.count == 4 {
        pseudo += [0, proto, UInt8(segment.count >> 8), UInt8(segment.count & 0xFF)]
    } else {
        pseudo += [UInt8(segment.count >> 24), UInt8((segment.count >> 16) & 0xFF), UInt8((segment.count >> 8) & 0xFF), UInt8(segment.count & 0xFF), 0, 0, 0, proto]
    }
    var s = referenceSum(pseudo[...]) + referenceSum(segment)
    while s >> 16 != 0 { s = (s & 0xFFFF) + (s >> 16) }
    return s
}

/// One record of a classic pcap file, as a tiny independent parser reads it.
struct PcapRecord {
    var seconds: UInt32
    var fraction: UInt32
    var originalLength: Int
    var data: [UInt8]
}

struct ParsedPcap {
    var magic: UInt32
    var linkType: UInt32
    var snaplen: UInt32
    var records: [PcapRecord]
}

func parsePcap(_ b: [UInt8]) -> ParsedPcap? {
    guard b.count >= 24 else { return nil }
    let magic = le32(b, 0)
    guard magic == 0xA1B2_C3D4 || magic == 0xA1B2_3C4D, le16(b, 4) == 2, le16(b, 6) == 4 else { return nil }
    var out = ParsedPcap(magic: magic, linkType: le32(b, 20), snaplen: le32(b, 16), records: [])
    var o = 24
    while o + 16 <= b.count {
        let incl = Int(le32(b, o + 8))
        guard o + 16 + incl <= b.count else { return nil }
        out.records.append(PcapRecord(seconds: le32(b, o), fraction: le32(b, o + 4), originalLength: Int(le32(b, o + 12)),
                                      data: Array(b[(o + 16)..<(o + 16 + incl)])))
        o += 16 + incl
    }
    return o == b.count ? out : nil
}

/// Where the layers of a simple frame start (Ethernet with VLANs / SLL / SLL2 / raw), found by a small independent walk.
struct FrameLayout {
    var etherType: Int
    var network: Int
    var isIPv4: Bool
    var transport: Int
    var protocolNumber: UInt8
    var src: [UInt8]
    var dst: [UInt8]
}

func layout(_ f: [UInt8], linkType: UInt32) -> FrameLayout? {
    var et: Int, n: Int
    switch linkType {
    case 1:
        n = 12
        et = be16(f, n)
        while et == 0x8100 || et == 0x88A8 { n += 4; et = be16(f, n) }
        n += 2
    case 113: et = be16(f, 14); n = 16
    case 276: et = be16(f, 0); n = 20
    case 101: et = f[0] >> 4 == 4 ? 0x0800 : 0x86DD; n = 0
    default: return nil
    }
    if et == 0x0800 {
        let ihl = Int(f[n] & 0x0F) * 4
        return FrameLayout(etherType: et, network: n, isIPv4: true, transport: n + ihl, protocolNumber: f[n + 9],
                           src: Array(f[(n + 12)..<(n + 16)]), dst: Array(f[(n + 16)..<(n + 20)]))
    }
    guard et == 0x86DD else { return nil }
    var next = f[n + 6]
    var o = n + 40
    while [0, 43, 60].contains(next) || next == 44 {
        let len = next == 44 ? 8 : (Int(f[o + 1]) + 1) * 8
        next = f[o]
        o += len
    }
    return FrameLayout(etherType: et, network: n, isIPv4: false, transport: o, protocolNumber: next,
                       src: Array(f[(n + 8)..<(n + 24)]), dst: Array(f[(n + 24)..<(n + 40)]))
}
