import XCTest
@testable import Wire

/// Frames written by other tools than this project's FrameBuilder, decoded and checked field by field
/// against Wireshark's dissection of the same bytes (`tshark -T fields`).
///
/// How the bytes were made (Linux 6.x, Wireshark 4.0.17, libpcap 1.10, as root):
/// - `kernel*`: the kernel's own loopback traffic, captured while a Python script sent one UDP datagram
///   127.0.0.1:47000 → 127.0.0.1:47001 ("streamprobe") and opened a TCP connection [::1] → [::1]:47002
///   that sent "hello":
///   `dumpcap -i any -y LINUX_SLL2 -f "port 47001 or port 47002" -c 5 -P -w sll2.pcap` and
///   `dumpcap -i lo -f "port 47001 or port 47002" -c 5 -P -w eth.pcap`.
/// - `text2pcap*`: Wireshark's text2pcap wrapping the 10-byte payload `16 03 01 00 05 h e l l o` in dummy
///   headers: `text2pcap -4 192.0.2.10,198.51.100.20 -T 51000,443 payload.txt tcp4.pcap` and
///   `text2pcap -6 2001:db8::1,2001:db8::53 -u 53001,53 payload.txt udp6.pcap`.
/// The hex is `tshark -r FILE -x` of one frame.
final class ForeignFrameTests: XCTestCase {
    /// sll2.pcap frame 1: Linux cooked v2, IPv4, UDP 47000 → 47001, 11 bytes of payload.
    static let kernelSLL2UDP4 = """
        08 00 00 00 00 00 00 01 03 04 00 06 00 00 00 00 00 00 00 00 45 00 00 27 91 a9 40 00 40 11 ab 1a \
        7f 00 00 01 7f 00 00 01 b7 98 b7 99 00 13 fe 26 73 74 72 65 61 6d 70 72 6f 62 65
        """
    /// sll2.pcap frame 5: Linux cooked v2, IPv6, TCP 42822 → 47002 [PSH, ACK] with timestamps, "hello".
    static let kernelSLL2TCP6 = """
        86 dd 00 00 00 00 00 01 03 04 00 06 00 00 00 00 00 00 00 00 60 07 88 bb 00 25 06 40 00 00 00 00 \
        00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 a7 46 b7 9a \
        74 70 af 8a 41 45 88 8a 80 18 00 40 00 2d 00 00 01 01 08 0a 90 8d 78 d0 f0 e2 57 fb 68 65 6c 6c \
        6f
        """
    /// eth.pcap frame 2: Ethernet (loopback, zero MACs), IPv6, TCP SYN with MSS, SACK-permitted,
    /// timestamps and window scale.
    static let kernelEthernetSYN6 = """
        00 00 00 00 00 00 00 00 00 00 00 00 86 dd 60 07 88 bb 00 28 06 40 00 00 00 00 00 00 00 00 00 00 \
        00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 a7 46 b7 9a 74 70 af 89 00 00 \
        00 00 a0 02 ff c4 00 30 00 00 02 04 ff c4 04 02 08 0a 90 8d 78 d0 00 00 00 00 01 03 03 0a
        """
    /// tcp4.pcap: Ethernet, IPv4 (TTL 255), TCP 51000 → 443 with no flag set, 10 bytes of payload.
    static let text2pcapTCP4 = """
        20 52 45 43 56 00 20 53 45 4e 44 00 08 00 45 00 00 32 12 34 00 00 ff 06 bd 3f c0 00 02 0a c6 33 \
        64 14 c7 38 01 bb 00 00 00 00 00 00 00 00 50 00 20 00 ec 4d 00 00 16 03 01 00 05 68 65 6c 6c 6f
        """
    /// udp6.pcap: Ethernet, IPv6, UDP 53001 → 53, 10 bytes of payload.
    static let text2pcapUDP6 = """
        20 52 45 43 56 00 20 53 45 4e 44 00 86 dd 60 00 00 00 00 12 11 20 20 01 0d b8 00 00 00 00 00 00 \
        00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 53 cf 09 00 35 00 12 e6 7e 16 03 \
        01 00 05 68 65 6c 6c 6f
        """

    static func bytes(_ hex: String) -> [UInt8] {
        hex.split(whereSeparator: \.isWhitespace).map { UInt8($0, radix: 16)! }
    }

    func decoded(_ hex: String, link: LinkType) -> (DecodedPacket, [UInt8]) {
        let frame = Self.bytes(hex)
        return (frame.withUnsafeBytes { decode(linkType: link, bytes: $0) }, frame)
    }

    func testKernelLinuxCookedV2UDPOverIPv4() {
        let (p, frame) = decoded(Self.kernelSLL2UDP4, link: .linuxSLL2)
        XCTAssertEqual(frame.count, 59)
        XCTAssertNil(p.anomaly)
        XCTAssertEqual(p.link, .linuxCooked2)
        XCTAssertEqual(p.etherType, .ipv4)
        XCTAssertEqual(p.network, .ipv4)
        XCTAssertEqual(p.src, IPAddress(127, 0, 0, 1))
        XCTAssertEqual(p.dst, IPAddress(127, 0, 0, 1))
        XCTAssertEqual(p.ipProtocol, .udp)
        XCTAssertEqual(p.transport, .udp)
        XCTAssertEqual(p.srcPort, 47000)
        XCTAssertEqual(p.dstPort, 47001)
        XCTAssertEqual(p.networkOffset, 20)
        XCTAssertEqual(p.transportOffset, 40)
        XCTAssertEqual(p.payloadOffset, 48)
        XCTAssertEqual(p.payloadLength, 11)         // udp.length 19 − 8
        XCTAssertEqual(p.capturedPayloadLength, 11)
        XCTAssertEqual(p.ipPacketLength, 39)        // ip.len
        XCTAssertEqual(Array(frame[p.payloadOffset...]), Array("streamprobe".utf8))
        XCTAssertFalse(p.isFragment)
    }

    func testKernelLinuxCookedV2TCPOverIPv6() {
        let (p, frame) = decoded(Self.kernelSLL2TCP6, link: .linuxSLL2)
        XCTAssertEqual(frame.count, 97)
        XCTAssertNil(p.anomaly)
        XCTAssertEqual(p.link, .linuxCooked2)
        XCTAssertEqual(p.etherType, .ipv6)
        XCTAssertEqual(p.network, .ipv6)
        XCTAssertEqual(p.src, IPAddress("::1"))
        XCTAssertEqual(p.dst, IPAddress("::1"))
        XCTAssertEqual(p.ipProtocol, .tcp)
        XCTAssertEqual(p.transport, .tcp)
        XCTAssertEqual(p.srcPort, 42822)
        XCTAssertEqual(p.dstPort, 47002)
        XCTAssertEqual(p.tcpFlags, [.psh, .ack])   // tcp.flags 0x0018
        XCTAssertEqual(p.tcpSeq, 1_953_542_026)    // tcp.seq_raw
        XCTAssertEqual(p.tcpAck, 1_095_075_978)    // tcp.ack_raw
        XCTAssertEqual(p.networkOffset, 20)
        XCTAssertEqual(p.transportOffset, 60)
        XCTAssertEqual(p.payloadOffset, 92)        // tcp.hdr_len 32
        XCTAssertEqual(p.payloadLength, 5)         // tcp.len
        XCTAssertEqual(p.capturedPayloadLength, 5)
        XCTAssertEqual(p.ipPacketLength, 40 + 37)  // ipv6.plen 37
        XCTAssertEqual(Array(frame[p.payloadOffset...]), Array("hello".utf8))
    }

    func testKernelEthernetTCPSynOverIPv6() {
        let (p, frame) = decoded(Self.kernelEthernetSYN6, link: .ethernet)
        XCTAssertEqual(frame.count, 94)
        XCTAssertNil(p.anomaly)
        XCTAssertEqual(p.link, .ethernet)
        XCTAssertEqual(p.vlanCount, 0)
        XCTAssertEqual(p.etherType, .ipv6)
        XCTAssertEqual(p.network, .ipv6)
        XCTAssertEqual(p.src, IPAddress("::1"))
        XCTAssertEqual(p.ipProtocol, .tcp)
        XCTAssertEqual(p.srcPort, 42822)
        XCTAssertEqual(p.dstPort, 47002)
        XCTAssertEqual(p.tcpFlags, .syn)           // tcp.flags 0x0002
        XCTAssertEqual(p.tcpSeq, 1_953_542_025)
        XCTAssertEqual(p.tcpAck, 0)
        XCTAssertEqual(p.networkOffset, 14)
        XCTAssertEqual(p.transportOffset, 54)
        XCTAssertEqual(p.payloadOffset, 94)        // tcp.hdr_len 40: the options end the frame
        XCTAssertEqual(p.payloadLength, 0)
        XCTAssertEqual(p.capturedPayloadLength, 0)
        XCTAssertEqual(p.ipPacketLength, 80)       // 40 + ipv6.plen 40
    }

    func testText2pcapTCPOverIPv4WithoutFlags() {
        let (p, frame) = decoded(Self.text2pcapTCP4, link: .ethernet)
        XCTAssertEqual(frame.count, 64)
        XCTAssertNil(p.anomaly)
        XCTAssertEqual(p.etherType, .ipv4)
        XCTAssertEqual(p.src, IPAddress(192, 0, 2, 10))
        XCTAssertEqual(p.dst, IPAddress(198, 51, 100, 20))
        XCTAssertEqual(p.ipProtocol, .tcp)
        XCTAssertEqual(p.srcPort, 51000)
        XCTAssertEqual(p.dstPort, 443)
        XCTAssertEqual(p.tcpFlags, [])             // tcp.flags 0x0000
        XCTAssertEqual(p.tcpSeq, 0)
        XCTAssertEqual(p.payloadOffset, 54)
        XCTAssertEqual(p.payloadLength, 10)
        XCTAssertEqual(p.ipPacketLength, 50)       // ip.len
        XCTAssertEqual(Array(frame[p.payloadOffset...]), [0x16, 0x03, 0x01, 0x00, 0x05] + Array("hello".utf8))
    }

    func testText2pcapUDPOverIPv6() {
        let (p, frame) = decoded(Self.text2pcapUDP6, link: .ethernet)
        XCTAssertEqual(frame.count, 72)
        XCTAssertNil(p.anomaly)
        XCTAssertEqual(p.network, .ipv6)
        XCTAssertEqual(p.src, IPAddress("2001:db8::1"))
        XCTAssertEqual(p.dst, IPAddress("2001:db8::53"))
        XCTAssertEqual(p.ipProtocol, .udp)
        XCTAssertEqual(p.transport, .udp)
        XCTAssertEqual(p.srcPort, 53001)
        XCTAssertEqual(p.dstPort, 53)
        XCTAssertEqual(p.payloadOffset, 62)
        XCTAssertEqual(p.payloadLength, 10)        // udp.length 18 − 8
        XCTAssertEqual(p.capturedPayloadLength, 10)
        XCTAssertEqual(p.ipPacketLength, 58)       // 40 + ipv6.plen 18
    }

    /// Every cut of the foreign frames decodes without crashing, reports what it could not decode,
    /// and never claims payload bytes past the cut.
    func testEveryPrefixOfTheForeignFrames() {
        for (hex, link) in [(Self.kernelSLL2UDP4, LinkType.linuxSLL2), (Self.kernelSLL2TCP6, .linuxSLL2),
                            (Self.kernelEthernetSYN6, .ethernet), (Self.text2pcapTCP4, .ethernet),
                            (Self.text2pcapUDP6, .ethernet)] {
            let frame = Self.bytes(hex)
            let whole = frame.withUnsafeBytes { decode(linkType: link, bytes: $0) }
            let headersEnd = whole.payloadOffset
            for n in 0..<frame.count {
                let cut = Array(frame[0..<n])
                let p = cut.withUnsafeBytes { decode(linkType: link, bytes: $0) }
                // A cut inside the TCP options leaves the payload offset at the declared header end,
                // past the cut, with no captured payload: no byte past the cut is ever payload.
                if p.capturedPayloadLength > 0 {
                    XCTAssertLessThanOrEqual(p.payloadOffset + p.capturedPayloadLength, n, "prefix \(n)")
                }
                XCTAssertGreaterThanOrEqual(p.capturedPayloadLength, 0, "prefix \(n)")
                if n < headersEnd { XCTAssertNotNil(p.anomaly, "prefix \(n) of \(frame.count)") }
            }
        }
    }
}
