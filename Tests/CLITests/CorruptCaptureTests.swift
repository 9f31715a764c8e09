import Foundation
import Simulator
import Wire
import XCTest

/// The corrupt-capture corpus: hostile captures generated here, byte by byte (truncations at every
/// layer, bad magic numbers and versions, absurd snap and record lengths, zero-length and giant
/// packets, time anomalies, link types without a decoder, pcapng files with bad blocks and several
/// interfaces). Each case states its outcome — the exit code of `streamprobe flows` and
/// `streamprobe analyze`, the message, the packets read and the anomalies counted — and every run must
/// end within 10 s and 300 MB, with an exit code of the README's table.
final class CorruptCaptureTests: XCTestCase {
    var dir: URL!

    /// CORRUPT_CORPUS_DIR=DIR keeps the generated files there (to look at them, or to run other tools on them).
    let keep = ProcessInfo.processInfo.environment["CORRUPT_CORPUS_DIR"]

    override func setUpWithError() throws {
        if let keep {
            dir = URL(fileURLWithPath: keep)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } else {
            dir = try CLIRunner.temporaryDirectory("corrupt")
        }
    }
    override func tearDownWithError() throws { if keep == nil { try? FileManager.default.removeItem(at: dir) } }

    // MARK: the outcome of a case

    struct Expect {
        /// Exit code of `flows` and of `analyze` (README: 0 success, 66 unreadable input).
        var exit: Int32 = 0
        /// When `analyze` ends otherwise than `flows`.
        var analyzeExit: Int32? = nil
        /// Part of the one-line error (exit ≠ 0) or of the warning (exit 0) both commands print.
        var message: String? = nil
        /// Packets `flows` read (exit 0).
        var packets: Int? = nil
        /// The decoding anomalies `flows` counted, by name (exit 0): exactly these.
        var anomalies: [String: Int] = [:]
        /// Part of a warning `analyze` gives (its clock and reading warnings).
        var analyzeWarning: String? = nil
    }

    struct Case {
        var name: String
        var bytes: [UInt8]
        var expect: Expect
    }

    // MARK: byte builders

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func be32(_ v: UInt32) -> [UInt8] { le32(v).reversed() }
    static func be16(_ v: UInt16) -> [UInt8] { le16(v).reversed() }

    /// A classic pcap file header (little endian unless `bigEndian`).
    static func pcapHeader(magic: UInt32 = 0xa1b2_c3d4, major: UInt16 = 2, minor: UInt16 = 4, snaplen: UInt32 = 65535,
                           linkType: UInt32 = 1, bigEndian: Bool = false) -> [UInt8] {
        let u32 = bigEndian ? be32 : le32, u16 = bigEndian ? be16 : le16
        return u32(magic) + u16(major) + u16(minor) + u32(0) + u32(0) + u32(snaplen) + u32(linkType)
    }

    /// One pcap record; `caplen` / `len` override the lengths the header states.
    static func record(_ data: [UInt8], seconds: UInt32, fraction: UInt32 = 0, caplen: UInt32? = nil, len: UInt32? = nil,
                       bigEndian: Bool = false) -> [UInt8] {
        let u32 = bigEndian ? be32 : le32
        return u32(seconds) + u32(fraction) + u32(caplen ?? UInt32(data.count)) + u32(len ?? UInt32(data.count)) + data
    }

    static let t0: UInt32 = 1_700_000_000
    static let phone = IPAddress(192, 168, 1, 20)
    static let cdn = IPAddress(151, 101, 2, 133)
    static let resolver = IPAddress(192, 168, 1, 1)
    static let phone6 = IPAddress("2001:db8:aa::20")!
    static let cdn6 = IPAddress("2a04:4e42::645")!

    /// A small conversation: DNS, a TCP handshake, a TLS ClientHello naming an audio host, six
    /// segments of download, a UDP datagram over IPv6. 12 frames.
    static func conversation(_ link: LinkFields = .ethernet()) -> [[UInt8]] {
        let name = "audio-ak-spotify-com.akamaized.net"
        var frames: [[UInt8]] = [
            FrameBuilder.udp(link: link, src: phone, dst: resolver, srcPort: 40000, dstPort: 53, payload: DNSBuilder.query(id: 1, name: name)),
            FrameBuilder.udp(link: link, src: resolver, dst: phone, srcPort: 53, dstPort: 40000,
                             payload: DNSBuilder.response(id: 1, question: name, answers: [.a(name, cdn)])),
            FrameBuilder.tcp(link: link, src: phone, dst: cdn, srcPort: 50000, dstPort: 443, seq: 0, flags: .syn),
            FrameBuilder.tcp(link: link, src: cdn, dst: phone, srcPort: 443, dstPort: 50000, seq: 0, ack: 1, flags: [.syn, .ack]),
            FrameBuilder.tcp(link: link, src: phone, dst: cdn, srcPort: 50000, dstPort: 443, seq: 1, ack: 1, flags: .ack,
                             payload: TLSBuilder.clientHello(serverName: name, seed: 1)),
        ]
        for i in 0..<6 {
            frames.append(FrameBuilder.tcp(link: link, src: cdn, dst: phone, srcPort: 443, dstPort: 50000, seq: 1 + UInt32(i) * 1200,
                                           ack: 300, flags: .ack, payload: [UInt8](repeating: UInt8(i), count: 1200)))
        }
        frames.append(FrameBuilder.udp(link: link, src: phone6, dst: cdn6, srcPort: 55555, dstPort: 443, payload: [UInt8](repeating: 7, count: 100)))
        return frames
    }

    /// A pcap of `frames`, one every 0.1 s from t0 (or at the given seconds).
    static func pcap(_ frames: [[UInt8]], linkType: UInt32 = 1, snaplen: UInt32 = 65535, seconds: [UInt32]? = nil,
                     bigEndian: Bool = false) -> [UInt8] {
        var out = pcapHeader(snaplen: snaplen, linkType: linkType, bigEndian: bigEndian)
        for (i, f) in frames.enumerated() {
            let s = seconds?[i] ?? t0 + UInt32(i / 10)
            out += record(f, seconds: s, fraction: UInt32(i % 10) * 100_000, bigEndian: bigEndian)
        }
        return out
    }

    // pcapng (little endian)
    static func padded(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (4 - b.count % 4) % 4) }
    static func block(_ type: UInt32, _ body: [UInt8], length: UInt32? = nil, trailer: UInt32? = nil) -> [UInt8] {
        let b = padded(body)
        let total = UInt32(12 + b.count)
        return le32(type) + le32(length ?? total) + b + le32(trailer ?? length ?? total)
    }
    static func shb(bom: UInt32 = 0x1a2b_3c4d, major: UInt16 = 1, minor: UInt16 = 0) -> [UInt8] {
        block(0x0a0d_0d0a, le32(bom) + le16(major) + le16(minor) + [UInt8](repeating: 0xff, count: 8))
    }
    static func option(_ code: UInt16, _ value: [UInt8]) -> [UInt8] { le16(code) + le16(UInt16(value.count)) + padded(value) }
    static func idb(linkType: UInt16 = 1, snaplen: UInt32 = 65535, options: [UInt8] = []) -> [UInt8] {
        block(1, le16(linkType) + le16(0) + le32(snaplen) + (options.isEmpty ? [] : options + le32(0)))
    }
    /// An enhanced packet block; timestamps in microseconds unless the interface says otherwise.
    static func epb(_ data: [UInt8], interface: UInt32 = 0, micros: UInt64, caplen: UInt32? = nil, len: UInt32? = nil) -> [UInt8] {
        block(6, le32(interface) + le32(UInt32(micros >> 32)) + le32(UInt32(micros & 0xffff_ffff))
              + le32(caplen ?? UInt32(data.count)) + le32(len ?? UInt32(data.count)) + data)
    }
    static func micros(_ i: Int) -> UInt64 { UInt64(t0) * 1_000_000 + UInt64(i) * 100_000 }

    /// A pcapng: one section, these interface blocks, then `frames` on interface `i % interfaces`.
    static func pcapng(_ frames: [[UInt8]], interfaces: [[UInt8]] = [idb()], on: ((Int) -> UInt32)? = nil) -> [UInt8] {
        var out = shb()
        for i in interfaces { out += i }
        for (i, f) in frames.enumerated() { out += epb(f, interface: on?(i) ?? 0, micros: micros(i)) }
        return out
    }

    // MARK: the corpus

    // Over 80 lines on purpose: a table (74 `add` rows grouped by the part of the file they break), read as one list.
    static func cases() -> [Case] {
        var cases: [Case] = []
        func add(_ name: String, _ bytes: [UInt8], _ expect: Expect) { cases.append(Case(name: name, bytes: bytes, expect: expect)) }
        let frames = conversation()
        let good = pcap(frames)
        let recordStart = { (i: Int) in 24 + frames[0..<i].reduce(0) { $0 + 16 + $1.count } }
        let eth = FrameBuilder.tcp(src: phone, dst: cdn, srcPort: 50000, dstPort: 443, seq: 1, ack: 1, flags: .ack, payload: [1, 2, 3, 4])
        let udp6 = FrameBuilder.udp(src: phone6, dst: cdn6, srcPort: 55555, dstPort: 443, payload: [1, 2, 3])

        // -- the file header
        add("empty", [], Expect(exit: 66, message: "empty file"))
        add("magic-only-2-bytes", Array(good.prefix(2)), Expect(exit: 66, message: "capture cut inside its file header"))
        add("header-cut-at-10", Array(good.prefix(10)), Expect(exit: 66, message: "capture cut inside its file header (10 of 24 bytes)"))
        add("header-cut-at-23", Array(good.prefix(23)), Expect(exit: 66, message: "capture cut inside its file header (23 of 24 bytes)"))
        add("bad-magic-binary", [0xde, 0xad, 0xbe, 0xef] + good.dropFirst(4), Expect(exit: 66, message: "not a pcap or pcapng file (first bytes de ad be ef)"))
        add("text", Array("time,src,dst\n1,a,b\n".utf8), Expect(exit: 66, message: "text, not a pcap or pcapng file"))
        add("gzip", [0x1f, 0x8b, 8, 0] + [UInt8](repeating: 0, count: 40), Expect(exit: 66, message: "gzip-compressed, but the compressed data is corrupt"))
        add("version-9", pcapHeader(major: 9) + good.dropFirst(24), Expect(exit: 66, message: "corrupt capture file"))
        add("version-1", pcapHeader(major: 1) + good.dropFirst(24), Expect(exit: 66, message: "corrupt capture file"))
        add("minor-version-99", pcapHeader(minor: 99) + good.dropFirst(24), Expect(exit: 66, message: "corrupt capture file: unsupported pcap savefile version 2.99"))
        add("header-only", pcapHeader(), Expect(packets: 0))
        add("big-endian", pcap(frames, bigEndian: true), Expect(packets: 12))

        // -- snap and record lengths
        add("snaplen-0", pcapHeader(snaplen: 0) + good.dropFirst(24), Expect(packets: 12))
        add("snaplen-4-giga", pcapHeader(snaplen: 0xffff_ffff) + good.dropFirst(24), Expect(packets: 12))
        // libpcap cuts records longer than the snap length to it: the headers after 40 bytes are cut.
        add("snaplen-40-records-longer", pcapHeader(snaplen: 40) + good.dropFirst(24),
            Expect(packets: 12, anomalies: ["truncated_tcp_header": 9, "truncated_udp_header": 2, "truncated_ipv6_header": 1]))
        add("record-caplen-2-giga-first", pcapHeader() + record(eth, seconds: t0, caplen: 0x7fff_ffff), Expect(exit: 66, message: "corrupt capture file"))
        add("record-caplen-2-giga-later", Array(good.prefix(recordStart(3))) + record(eth, seconds: t0, caplen: 0x7fff_ffff) + good.dropFirst(recordStart(3)),
            Expect(message: "after 3 packets", packets: 3))
        add("record-caplen-beyond-file", Array(good.prefix(recordStart(5))) + record(eth, seconds: t0 + 1, caplen: 60_000),
            Expect(message: "capture cut in the middle of a packet record after 5 packets", packets: 5))
        add("record-len-below-caplen", pcapHeader() + record(eth, seconds: t0, len: 10) + record(eth, seconds: t0 + 1), Expect(packets: 2))
        add("zero-length-packets", pcapHeader() + record([], seconds: t0) + record([], seconds: t0 + 1, len: 1514) + record(eth, seconds: t0 + 2),
            Expect(packets: 3, anomalies: ["truncated_ethernet_header": 2]))
        let giant = FrameBuilder.udp(src: phone, dst: cdn, srcPort: 1, dstPort: 2, payload: [UInt8](repeating: 0xab, count: 65_000))
        add("giant-packet-64k", pcapHeader(snaplen: 262_144) + record(giant, seconds: t0) + record(eth, seconds: t0 + 1), Expect(packets: 2))
        add("giant-packet-256k-frame", pcapHeader(snaplen: 262_144) + record(giant + [UInt8](repeating: 0, count: 262_144 - giant.count), seconds: t0),
            Expect(packets: 1))
        add("giant-packet-over-maximum", pcapHeader(snaplen: 262_144) + record(eth, seconds: t0)
                + record([UInt8](repeating: 0, count: 300_000), seconds: t0 + 1),
            Expect(message: "after 1 packet", packets: 1))

        // -- truncations inside the file
        add("cut-inside-record-header", Array(good.prefix(recordStart(7) + 9)),
            Expect(message: "capture cut in the middle of a packet record after 7 packets", packets: 7))
        add("cut-inside-packet-data", Array(good.prefix(recordStart(7) + 16 + 30)),
            Expect(message: "capture cut in the middle of a packet record after 7 packets", packets: 7))

        // -- truncations at every layer (frames cut by the capture, record lengths consistent)
        let tcpFrame = frames[4]   // Ethernet + IPv4 + TCP + ClientHello
        func cutFrames(_ cuts: [Int], of frame: [UInt8]) -> [UInt8] {
            var out = pcapHeader()
            for (i, c) in cuts.enumerated() { out += record(Array(frame.prefix(c)), seconds: t0 + UInt32(i), len: UInt32(frame.count)) }
            return out
        }
        add("cut-ethernet", cutFrames([0, 5, 13], of: tcpFrame), Expect(packets: 3, anomalies: ["truncated_ethernet_header": 3]))
        add("cut-ipv4", cutFrames([14, 20, 33], of: tcpFrame), Expect(packets: 3, anomalies: ["truncated_ipv4_header": 3]))
        add("cut-tcp", cutFrames([34, 40, 53], of: tcpFrame), Expect(packets: 3, anomalies: ["truncated_tcp_header": 3]))
        add("cut-tls-hello", cutFrames([54, 60, 120], of: tcpFrame), Expect(packets: 3))
        let vlanFrame = FrameBuilder.tcp(link: .ethernet(vlans: [5, 6]), src: phone, dst: cdn, srcPort: 50000, dstPort: 443, seq: 1, flags: .syn)
        add("cut-vlan", cutFrames([15, 20], of: vlanFrame), Expect(packets: 2, anomalies: ["truncated_vlan_header": 2]))
        add("cut-ipv6-and-udp", cutFrames([30, 55, 58], of: udp6), Expect(packets: 3, anomalies: ["truncated_ipv6_header": 1, "truncated_udp_header": 2]))
        let ext6 = FrameBuilder.udp(src: phone6, dst: cdn6, ip: IPFields(ipv6ExtensionHeaders: [.hopByHop(), .routing(type: 0, segmentsLeft: 0)]),
                                    srcPort: 1, dstPort: 2, payload: [1])
        add("cut-ipv6-extension", cutFrames([56, 60, 68], of: ext6), Expect(packets: 3, anomalies: ["truncated_ipv6_extension_header": 3]))
        var badIHL = eth; badIHL[14] = 0x43
        var badTotal = eth; badTotal[16] = 0; badTotal[17] = 10
        var badVersion = eth; badVersion[14] = 0x55
        add("ipv4-bad-fields", pcapHeader() + record(badIHL, seconds: t0) + record(badTotal, seconds: t0 + 1) + record(badVersion, seconds: t0 + 2),
            Expect(packets: 3, anomalies: ["ipv4_bad_header_length": 1, "ipv4_bad_total_length": 1, "ipv4_bad_version": 1]))
        var badOffset = eth; badOffset[14 + 20 + 12] = 0x20   // TCP data offset 2
        var badUDPLength = FrameBuilder.udp(src: phone, dst: cdn, srcPort: 1, dstPort: 2, payload: [1, 2, 3])
        badUDPLength[14 + 20 + 4] = 0; badUDPLength[14 + 20 + 5] = 3
        add("transport-bad-lengths", pcapHeader() + record(badOffset, seconds: t0) + record(badUDPLength, seconds: t0 + 1),
            Expect(packets: 2, anomalies: ["tcp_bad_header_length": 1, "udp_bad_header_length": 1]))
        let rawFrames = conversation(.raw)
        add("raw-ip-bad-version-and-cut", pcapHeader(linkType: 101) + record([0x55] + rawFrames[2].dropFirst(), seconds: t0)
                + record([], seconds: t0 + 1) + record(Array(rawFrames[2].prefix(10)), seconds: t0 + 2) + record(rawFrames[2], seconds: t0 + 3),
            Expect(packets: 4, anomalies: ["raw_ip_bad_version": 1, "truncated_raw_ip_header": 1, "truncated_ipv4_header": 1]))
        let sll = conversation(.linuxCooked())
        add("sll-cut", pcapHeader(linkType: 113) + record(Array(sll[2].prefix(10)), seconds: t0) + record(sll[2], seconds: t0 + 1),
            Expect(packets: 2, anomalies: ["truncated_sll_header": 1]))
        let sll2 = conversation(.linuxCooked2())
        add("sll2-cut", pcapHeader(linkType: 276) + record(Array(sll2[2].prefix(19)), seconds: t0) + record(sll2[2], seconds: t0 + 1),
            Expect(packets: 2, anomalies: ["truncated_sll2_header": 1]))
        let null = conversation(.null)
        var badFamily = null[2]; badFamily[0] = 99
        add("loopback-cut-and-unknown-family", pcapHeader(linkType: 0) + record(Array(null[2].prefix(3)), seconds: t0)
                + record(badFamily, seconds: t0 + 1) + record(null[2], seconds: t0 + 2),
            Expect(packets: 3, anomalies: ["truncated_loopback_header": 1, "loopback_unknown_address_family": 1]))

        // -- link types without a decoder
        add("link-802.11", pcapHeader(linkType: 105) + record(eth, seconds: t0), Expect(exit: 66, message: "link type 105"))
        add("link-radiotap", pcapHeader(linkType: 127) + record(eth, seconds: t0), Expect(exit: 66, message: "link type 127"))
        add("link-65000", pcapHeader(linkType: 65000) + record(eth, seconds: t0), Expect(exit: 66, message: "link type 65000"))

        // -- time anomalies
        var ts = (0..<12).map { t0 + UInt32($0) }
        ts[6] = t0 + 10 * 365 * 86_400   // one record header ten years ahead
        add("packet-ten-years-ahead", pcap(frames, seconds: ts), Expect(packets: 12, analyzeWarning: "1 packet(s) left out"))
        var back = (0..<12).map { t0 + 100 + UInt32($0) }
        for i in 6..<12 { back[i] -= 60 }
        add("clock-back-60s", pcap(frames, seconds: back), Expect(packets: 12, analyzeWarning: "clock went back 1 time(s) (largest 58.9 s)"))
        add("timestamps-zero", pcap(frames, seconds: [UInt32](repeating: 0, count: 12)), Expect(packets: 12))
        add("timestamps-max", pcap(frames, seconds: [UInt32](repeating: 0xffff_ffff, count: 12)), Expect(packets: 12))
        var nano = pcapHeader(magic: 0xa1b2_3c4d)
        for i in 0..<3 { nano += record(eth, seconds: t0 + UInt32(i), fraction: 0xffff_fff0) }
        add("nanoseconds-over-a-second", nano, Expect(packets: 3))
        add("microseconds-over-a-second", pcapHeader() + record(eth, seconds: t0, fraction: 0xffff_ffff) + record(eth, seconds: t0, fraction: 2_000_000),
            Expect(packets: 2))

        // Found by Fuzz/Targets/analyze-capture.swift (1,010 bytes): the clock goes back 3.6e9 s and a
        // stream's session stayed open until the capture's end, 113 years later by the continued clock;
        // its per-second counters took 22 GB (57 s) before StreamUnit.finish applied the silence rule.
        add("fuzz-found-clock-back-3.6e9-s", Array(Data(base64Encoded: Self.fuzzFoundClockBack)!),
            Expect(message: "corrupt data after 7 packets", packets: 7, anomalies: ["truncated_ethernet_header": 4],
                   analyzeWarning: "clock went back 1 time(s) (largest 3579048192.3 s)"))

        // -- pcapng
        let ng = pcapng(frames)
        add("pcapng-good", ng, Expect(packets: 12))
        add("pcapng-cut-in-section-header", Array(ng.prefix(20)), Expect(exit: 66, message: "capture cut inside its file header"))
        add("pcapng-bad-byte-order-mark", shb(bom: 0x1122_3344) + Array(ng.dropFirst(28)), Expect(exit: 66, message: "corrupt capture file"))
        add("pcapng-version-2", shb(major: 2) + Array(ng.dropFirst(28)), Expect(exit: 66, message: "corrupt capture file"))
        add("pcapng-no-interface", shb() + epb(eth, micros: micros(0)), Expect(exit: 66, message: "corrupt capture file"))
        add("pcapng-unknown-interface", pcapng(Array(frames.prefix(3))) + epb(eth, interface: 7, micros: micros(4)),
            Expect(message: "after 3 packets", packets: 3))
        add("pcapng-block-length-not-multiple-of-4", pcapng(Array(frames.prefix(2))) + block(6, [UInt8](repeating: 0, count: 40), length: 30),
            Expect(message: "after 2 packets", packets: 2))
        add("pcapng-block-length-below-12", pcapng(Array(frames.prefix(2))) + le32(6) + le32(4) + [UInt8](repeating: 0, count: 40),
            Expect(message: "after 2 packets", packets: 2))
        add("pcapng-block-length-4-giga", pcapng(Array(frames.prefix(2))) + le32(6) + le32(0xffff_fffc) + [UInt8](repeating: 0, count: 40),
            Expect(message: "after 2 packets", packets: 2))
        add("pcapng-trailer-mismatch", pcapng(Array(frames.prefix(2))) + block(6, [UInt8](repeating: 0, count: 40), trailer: 99),
            Expect(message: "after 2 packets", packets: 2))
        add("pcapng-caplen-beyond-block", pcapng(Array(frames.prefix(2))) + epb(eth, micros: micros(3), caplen: 5000),
            Expect(message: "after 2 packets", packets: 2))
        add("pcapng-cut-mid-block", Array(ng.dropLast(40)), Expect(message: "after 11 packets", packets: 11))
        add("pcapng-unknown-blocks", shb() + idb() + block(0x0bad, [1, 2, 3]) + epb(eth, micros: micros(0)) + block(4, [0, 0, 0, 0])
                + block(5, le32(0) + le32(0) + le32(0)) + epb(eth, micros: micros(1)) + block(0x4000_0bad, [9]),
            Expect(packets: 2))
        add("pcapng-two-sections", pcapng(Array(frames.prefix(4))) + pcapng(Array(frames.dropFirst(4))), Expect(packets: 12))
        // A simple packet block holds min(original length, snap length) bytes: the second one is short.
        add("pcapng-simple-packet-blocks", shb() + idb(snaplen: 100) + block(3, le32(UInt32(eth.count)) + eth) + block(3, le32(3000) + eth),
            Expect(message: "corrupt data after 1 packet", packets: 1))
        add("pcapng-two-snaplens", pcapng(frames, interfaces: [idb(snaplen: 65535), idb(snaplen: 96)], on: { UInt32($0 % 2) }),
            Expect(packets: 12))
        add("pcapng-ethernet-and-sll", pcapng(frames + sll, interfaces: [idb(linkType: 1), idb(linkType: 113)], on: { $0 < 12 ? 0 : 1 }),
            Expect(message: "skipped 12 packets of pcapng interfaces whose link type is not the file's", packets: 12))
        add("pcapng-four-interfaces", pcapng(frames + sll + conversation(.raw) + null,
                                             interfaces: [idb(linkType: 1), idb(linkType: 113), idb(linkType: 101), idb(linkType: 1, snaplen: 200)],
                                             on: { UInt32($0 / 12) }),
            Expect(message: "skipped 24 packets", packets: 24))
        add("pcapng-mixed-then-bad-block", pcapng(Array(frames.prefix(4)), interfaces: [idb(linkType: 1), idb(linkType: 113)])
                + le32(6) + le32(7) + [UInt8](repeating: 0, count: 20),
            Expect(message: "after 4 packets", packets: 4))
        add("pcapng-first-interface-802.11", pcapng(frames, interfaces: [idb(linkType: 105), idb(linkType: 1)], on: { _ in 1 }),
            Expect(exit: 66, message: "link type 105"))
        add("pcapng-absurd-timestamp-resolution", pcapng(frames, interfaces: [idb(options: option(9, [0x7f]))]),
            Expect(exit: 66, message: "if_tsresol option resolution 10^-127 is too high"))
        // An interface time offset of 2^63 s: analyze looped forever before CaptureClock left such times out.
        add("pcapng-binary-resolution-and-offset", pcapng(frames, interfaces: [idb(options: option(9, [0x94]) + option(14, le32(0xffff_ffff) + le32(0x7fff_ffff)))]),
            Expect(packets: 12, analyzeWarning: "12 packet(s) left out: a timestamp more than 500 years away from 1970"))
        add("pcapng-negative-time-offset", pcapng(frames, interfaces: [idb(options: option(14, le32(0) + le32(0xc000_0000)))]),
            Expect(packets: 12, analyzeWarning: "12 packet(s) left out: a timestamp more than 500 years away from 1970"))
        add("pcapng-1000-interfaces", pcapng(frames, interfaces: (0..<1000).map { idb(snaplen: 1000 + UInt32($0)) }, on: { _ in 999 }),
            Expect(packets: 12))
        add("pcapng-zero-length-packets", shb() + idb() + epb([], micros: micros(0)) + epb([], micros: micros(1), len: 1514) + epb(eth, micros: micros(2)),
            Expect(packets: 3, anomalies: ["truncated_ethernet_header": 2]))
        add("pcapng-mixed-absurd-resolution", pcapng(frames, interfaces: [idb(linkType: 1, options: option(9, [0xff])), idb(linkType: 113, snaplen: 10)],
                                                     on: { UInt32($0 % 2) }),
            Expect(exit: 66, message: "if_tsresol option resolution 2^-127 is too high"))
        return cases
    }

    static let fuzzFoundClockBack = "1MOyoQIABAAAAAAAAAAAAEAAAAABAAAAAPFTZZ/3AwBAAAAATgAAAgJTUAAA/gJTUAAAAQgARQAAQAAAQABABt8RwKgBFJdlAoXDUAFvc19zaWxlbmNlX21heF9zAAIEBbQEAgMDBwEA8VNlrx4EAEAAAAAyAQAAAlNQAAD+AlNQAAABCABFAAEkAABAAEAG3i3AqAEUl2UChcNQAbsAAAACAAAAAVAY//9Wj/8AFgMBAPcBAADzAwDxU2W/RQQAQAAAAPsFAAACU1AAAP4CU1AAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAkAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIbdYAAAAH7FBkAgAQ24AKoAAAAAAAAAAAAgKgROQgAAAAAAAAAAAAAGRcNRAbsAAAACAAAA8VNlz2wEAEAAAACJAAAAAlNQAAD+AlNQAAABCABFAAB7AABAAEARtwzAqAEBwKgBFAA0nEAAZ3e9AAeBgAABAAIAAAAAFGF1ZGlvLWFrLQDxU2XfkwQAQAAAAHsAAAACU1AAAP4CU1AAAAGG3WAAAAAARRFAKgROQgAAAAAAAAAAAAAGRSABDbgAqgAAAAAAAAAAACAANZxBAEXeuQAIAPFTZe+6BABAAAAAawAAAAJTUAAA/gJTUAAAAQgARQAAXQAIQABAEd7pwKgBFJdlAoXHOQG7QQBJgCrDAAAAAVpaWlpaWlpaWlpaWlpaWlpaAPFTZf/hBAAuAAAALgAAAAJTUDbAqAEUl2UChQgA8/cAAQABAQIDBADxU2UPCQUAMAAAADAAAAACU1AAAP4CU1AAAAEIAEYAACIAAEAAQBFKIMCoARSXZQKFlAQAAAABAAIACpsnCQkA8VNlHzAFAEAAAABXAAAAAlNQAAD+AlNQAAABht1gAAAAACEAQCABDbgAqgAAAAAAAAAAACAqBE5CAAAAAAAAAAAAAAZFPAABBAAAAAArAADxU2UvVwUAQAAAAFIAAAACU1AAAP4CU1AAAAEIAEUAAEQACSAAQBH++cCoARSXZQKFAAUABgBscTIBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAPFTZT9+BQBAAAAAUgAAAAJTUAAA/gJTUAAAAQgARQAARAAJIAZAEf7zwKgBFJdlAoUAAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAAAFCABFAAB7AABAAEARtwzAqAEBwKgBFAA1nEAAZ3e9AAeBgAABAAIAAAAAFGE="

    // MARK: running the corpus

    static let documentedExits: Set<Int32> = [0, 1, 2, 64, 65, 66, 69, 77]

    func testCorruptCaptureCorpus() throws {
        let cases = Self.cases()
        XCTAssertGreaterThanOrEqual(cases.count, 40)
        XCTAssertEqual(Set(cases.map(\.name)).count, cases.count, "case names are unique")
        var slowest = 0.0, largest = 0.0
        var outcomes: [String: Int] = [:]
        for c in cases {
            let path = dir.appendingPathComponent(c.name + ".pcap").path
            FileManager.default.createFile(atPath: path, contents: Data(c.bytes))
            let e = c.expect

            let flows = try BoundedRunner.run(["flows", "--format", "json", path])
            let analyze = try BoundedRunner.run(["analyze", "--format", "json", path])
            for (command, run, expected) in [("flows", flows, e.exit), ("analyze", analyze, e.analyzeExit ?? e.exit)] {
                let label = "\(c.name): \(command)"
                XCTAssertFalse(run.timedOut, "\(label): still running after 10 s")
                XCTAssertNil(run.signal, "\(label): killed by signal \(run.signal ?? 0)\n\(run.stderr)")
                XCTAssertLessThanOrEqual(run.seconds, 10, label)
                XCTAssertLessThanOrEqual(run.peakMegabytes, 300, "\(label): peak memory \(run.peakMegabytes) MB")
                XCTAssertTrue(Self.documentedExits.contains(run.status), "\(label): undocumented exit \(run.status)")
                XCTAssertEqual(run.status, expected, "\(label): exit\n\(run.stderr)")
                slowest = max(slowest, run.seconds)
                largest = max(largest, run.peakMegabytes)
                if expected != 0 {
                    // One line: "streamprobe: PATH: reason".
                    let lines = run.stderr.split(separator: "\n")
                    XCTAssertEqual(lines.count, 1, "\(label): \(run.stderr)")
                    XCTAssertTrue(run.stderr.hasPrefix("streamprobe: \(path): "), "\(label): \(run.stderr)")
                    XCTAssertEqual(run.stdout, "", label)
                }
                if let m = e.message {
                    XCTAssertTrue(run.stderr.contains(m) || run.stdout.contains(m), "\(label): no \"\(m)\" in\n\(run.stderr)\(run.stdout.prefix(2000))")
                }
            }
            if flows.status == 0 {
                let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(flows.stdout.utf8)) as? [String: Any], c.name)
                if let packets = e.packets { XCTAssertEqual(doc["packets"] as? Int, packets, "\(c.name): packets") }
                let counted = (doc["anomalies"] as? [[String: Any]] ?? []).reduce(into: [String: Int]()) {
                    $0[$1["name"] as? String ?? "?"] = $1["packets"] as? Int ?? -1
                }
                XCTAssertEqual(counted, e.anomalies, "\(c.name): anomalies")
                XCTAssertEqual(doc["warning"] == nil || doc["warning"] is NSNull, e.message == nil, "\(c.name): warning \(doc["warning"] ?? "none")")
            }
            let outcome = e.exit != 0 ? "exit \(e.exit)"
                : e.message != nil ? "exit 0 with a reading warning"
                : e.analyzeWarning != nil ? "exit 0 with a clock warning"
                : !e.anomalies.isEmpty ? "exit 0 with counted anomalies" : "exit 0, clean"
            outcomes[outcome, default: 0] += 1
            if let w = e.analyzeWarning {
                XCTAssertTrue(analyze.stdout.contains(w) || analyze.stderr.contains(w), "\(c.name): analyze does not warn \"\(w)\":\n\(analyze.stderr)\(analyze.stdout.prefix(3000))")
            }
            if ProcessInfo.processInfo.environment["CORRUPT_CORPUS_PRINT"] != nil {
                print("corpus \(c.name): flows \(flows.status) analyze \(analyze.status) \(String(format: "%.2f s %.0f MB", max(flows.seconds, analyze.seconds), max(flows.peakMegabytes, analyze.peakMegabytes))) | \(flows.stderr.prefix(300).replacingOccurrences(of: "\n", with: " / ")) | \(flows.stdout.prefix(200).replacingOccurrences(of: "\n", with: " "))")
            }
        }
        print("corrupt-capture corpus: \(cases.count) cases, 2 commands each; slowest run \(String(format: "%.2f", slowest)) s, largest peak \(String(format: "%.0f", largest)) MB; "
              + outcomes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
    }
}
