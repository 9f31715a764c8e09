import Wire

/// Builds complete frames (link header, IPv4 or IPv6, TCP / UDP / ICMP) with correct lengths and checksums.
///
/// The `write…(into:)` forms reuse the caller's buffer: once it has grown to the largest frame, building a frame
/// allocates nothing. The array-returning forms are for tests.
public enum FrameBuilder {
    // MARK: TCP

    /// A TCP segment in a frame. `src` and `dst` must be of the same family.
    public static func tcp(link: LinkFields = .ethernet(), src: IPAddress, dst: IPAddress, ip: IPFields = IPFields(),
                           srcPort: UInt16, dstPort: UInt16, seq: UInt32, ack: UInt32 = 0, flags: TCPFlags,
                           window: UInt16 = 65535, options: [TCPOption] = [], timestamps: TCPTimestamps? = nil,
                           payload: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = []
        let tcp = TCPHeaderFields(srcPort: srcPort, dstPort: dstPort, seq: seq, ack: ack, flags: flags, window: window,
                                  options: options, timestamps: timestamps)
        payload.withUnsafeBytes { writeTCP(into: &out, link: link, src: src, dst: dst, ip: ip, tcp: tcp, payload: $0) }
        return out
    }

    /// Writes a TCP segment in a frame into `buffer` (replacing its contents).
    public static func writeTCP(into buffer: inout [UInt8], link: LinkFields, src: IPAddress, dst: IPAddress,
                                ip: IPFields = IPFields(), tcp: TCPHeaderFields, payload: UnsafeRawBufferPointer) {
        let th = tcp.headerLength
        writePacket(into: &buffer, link: link, src: src, dst: dst, ip: ip, protocolNumber: .tcp,
                    transportHeaderLength: th, payload: payload) { w, o, pseudo in
            w.u16(o, tcp.srcPort)
            w.u16(o + 2, tcp.dstPort)
            w.u32(o + 4, tcp.seq)
            w.u32(o + 8, tcp.ack)
            w.u16(o + 12, UInt16(th / 4) << 12 | tcp.flags.rawValue)  // NS is the low bit of byte 12
            w.u16(o + 14, tcp.window)
            w.u16(o + 16, 0)
            w.u16(o + 18, tcp.urgentPointer)
            var p = o + 20
            for opt in tcp.options { opt.write(w, at: p); p += opt.length }
            if let ts = tcp.timestamps {
                w.u8(p, 1); w.u8(p + 1, 1)
                TCPOption.timestamps(value: ts.value, echo: ts.echo).write(w, at: p + 2)
                p += 12
            }
            while p < o + th { w.u8(p, 0); p += 1 }
            let sum = InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: w.base[o...]), initial: pseudo)
            w.u16(o + 16, InternetChecksum.finish(sum))
        }
    }

    // MARK: UDP

    /// A UDP datagram in a frame. With `checksum: false` the IPv4 checksum field is 0 (IPv6 always has one).
    public static func udp(link: LinkFields = .ethernet(), src: IPAddress, dst: IPAddress, ip: IPFields = IPFields(),
                           srcPort: UInt16, dstPort: UInt16, payload: [UInt8], checksum: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        payload.withUnsafeBytes {
            writeUDP(into: &out, link: link, src: src, dst: dst, ip: ip, srcPort: srcPort, dstPort: dstPort,
                     payload: $0, checksum: checksum)
        }
        return out
    }

    /// Writes a UDP datagram in a frame into `buffer` (replacing its contents).
    public static func writeUDP(into buffer: inout [UInt8], link: LinkFields, src: IPAddress, dst: IPAddress,
                                ip: IPFields = IPFields(), srcPort: UInt16, dstPort: UInt16,
                                payload: UnsafeRawBufferPointer, checksum: Bool = true) {
        let v4 = src.isIPv4
        writePacket(into: &buffer, link: link, src: src, dst: dst, ip: ip, protocolNumber: .udp,
                    transportHeaderLength: 8, payload: payload) { w, o, pseudo in
            w.u16(o, srcPort)
            w.u16(o + 2, dstPort)
            w.u16(o + 4, UInt16(truncatingIfNeeded: 8 + payload.count))
            w.u16(o + 6, 0)
            if checksum || !v4 {
                let c = InternetChecksum.finish(InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: w.base[o...]), initial: pseudo))
                w.u16(o + 6, c == 0 ? 0xFFFF : c)
            }
        }
    }

    /// The UDP header and payload alone, with the checksum for these addresses: the body to cut into fragments.
    public static func udpDatagram(src: IPAddress, dst: IPAddress, srcPort: UInt16, dstPort: UInt16, payload: [UInt8]) -> [UInt8] {
        let frame = udp(link: .raw, src: src, dst: dst, srcPort: srcPort, dstPort: dstPort, payload: payload)
        let ipLen = src.isIPv4 ? 20 : 40
        return Array(frame[ipLen...])
    }

    // MARK: ICMP

    /// An ICMP (IPv4) or ICMPv6 echo request or reply.
    public static func icmpEcho(link: LinkFields = .ethernet(), src: IPAddress, dst: IPAddress, ip: IPFields = IPFields(),
                                reply: Bool = false, identifier: UInt16, sequence: UInt16, payload: [UInt8] = []) -> [UInt8] {
        let v4 = src.isIPv4
        var out: [UInt8] = []
        payload.withUnsafeBytes { pl in
            writePacket(into: &out, link: link, src: src, dst: dst, ip: ip,
                        protocolNumber: v4 ? .icmp : .icmpv6,
                        transportHeaderLength: 8, payload: pl) { w, o, pseudo in
                w.u8(o, v4 ? (reply ? 0 : 8) : (reply ? 129 : 128))
                w.u8(o + 1, 0)
                w.u16(o + 2, 0)
                w.u16(o + 4, identifier)
                w.u16(o + 6, sequence)
                let sum = InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: w.base[o...]), initial: v4 ? 0 : pseudo)
                w.u16(o + 2, InternetChecksum.finish(sum))
            }
        }
        return out
    }

    // MARK: Raw IP, fragments

    /// An IP packet whose body (`body`, after the IP header and any extension headers) is written unchanged.
    public static func ipPacket(link: LinkFields = .ethernet(), src: IPAddress, dst: IPAddress, ip: IPFields = IPFields(),
                                protocolNumber: IPProtocolNumber, body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        body.withUnsafeBytes {
            writePacket(into: &out, link: link, src: src, dst: dst, ip: ip, protocolNumber: protocolNumber,
                        transportHeaderLength: 0, payload: $0) { _, _, _ in }
        }
        return out
    }

    /// One IPv4 fragment: `body` is the slice of the original datagram's IP payload starting at `offsetBytes`
    /// (a multiple of 8 unless it is the last fragment).
    public static func ipv4Fragment(link: LinkFields = .ethernet(), src: IPAddress, dst: IPAddress, ip: IPFields = IPFields(),
                                    protocolNumber: IPProtocolNumber, identification: UInt16, offsetBytes: Int, moreFragments: Bool,
                                    body: [UInt8]) -> [UInt8] {
        precondition(src.isIPv4 && offsetBytes % 8 == 0)
        var f = ip
        f.identification = identification
        f.dontFragment = false
        f.moreFragments = moreFragments
        f.fragmentOffset = UInt16(offsetBytes / 8)
        return ipPacket(link: link, src: src, dst: dst, ip: f, protocolNumber: protocolNumber, body: body)
    }

    /// Cuts an upper-layer datagram (`datagram`, e.g. from `udpDatagram`) into IPv4 fragments or IPv6 fragments
    /// (Fragment extension header) carrying at most `fragmentSize` bytes each (rounded down to a multiple of 8).
    public static func fragments(link: LinkFields = .ethernet(), src: IPAddress, dst: IPAddress, ip: IPFields = IPFields(),
                                 protocolNumber: IPProtocolNumber, identification: UInt32, datagram: [UInt8],
                                 fragmentSize: Int) -> [[UInt8]] {
        let step = max(8, fragmentSize / 8 * 8)
        var out: [[UInt8]] = []
        var offset = 0
        repeat {
            let end = min(datagram.count, offset + step)
            let more = end < datagram.count
            let body = Array(datagram[offset..<end])
            if src.isIPv4 {
                out.append(ipv4Fragment(link: link, src: src, dst: dst, ip: ip, protocolNumber: protocolNumber,
                                        identification: UInt16(truncatingIfNeeded: identification), offsetBytes: offset,
                                        moreFragments: more, body: body))
            } else {
                var f = ip
                f.ipv6ExtensionHeaders.append(.fragment(offset: UInt16(offset / 8), moreFragments: more, identification: identification))
                out.append(ipPacket(link: link, src: src, dst: dst, ip: f, protocolNumber: protocolNumber, body: body))
            }
            offset = end
        } while offset < datagram.count
        return out
    }

    // MARK: ARP

    public enum ARPOperation: UInt16, Sendable { case request = 1, reply = 2 }

    /// An ARP packet for IPv4 over Ethernet (RFC 826) after the given link header.
    public static func arp(link: LinkFields = .ethernet(src: .host, dst: .broadcast), operation: ARPOperation,
                           senderMAC: MACAddress, senderIP: IPAddress, targetMAC: MACAddress = .zero,
                           targetIP: IPAddress) -> [UInt8] {
        let l = link.headerLength
        var out = [UInt8](repeating: 0, count: l + 28)
        out.withUnsafeMutableBytes { raw in
            let w = ByteWriter(raw)
            link.write(w, etherType: .arp)
            w.u16(l, 1)
            w.u16(l + 2, EtherType.ipv4.rawValue)
            w.u8(l + 4, 6)
            w.u8(l + 5, 4)
            w.u16(l + 6, operation.rawValue)
            senderMAC.store(w, l + 8)
            w.u32(l + 14, senderIP.ipv4Value ?? 0)
            targetMAC.store(w, l + 18)
            w.u32(l + 24, targetIP.ipv4Value ?? 0)
        }
        return out
    }

    // MARK: Core

    private static let zeros = [UInt8](repeating: 0, count: 16_384)

    /// Lays out link header, IP header (and IPv6 extension headers) and payload in `buffer`, then lets `transport`
    /// write the transport header at its offset. `transport` gets the pseudo-header sum for the transport length.
    static func writePacket(into buffer: inout [UInt8], link: LinkFields, src: IPAddress, dst: IPAddress,
                                   ip: IPFields, protocolNumber: IPProtocolNumber, transportHeaderLength: Int,
                                   payload: UnsafeRawBufferPointer,
                                   transport: (_ w: ByteWriter, _ offset: Int, _ pseudoSum: UInt64) -> Void) {
        let v4 = src.isIPv4
        precondition(v4 == dst.isIPv4, "source and destination must be of the same address family")
        let linkLength = link.headerLength
        var ipLength = v4 ? ip.ipv4HeaderLength : 40
        if !v4 { for e in ip.ipv6ExtensionHeaders { ipLength += e.length } }
        let transportLength = transportHeaderLength + payload.count
        let total = linkLength + ipLength + transportLength
        if buffer.count < total {
            // A contiguous slice appends with one copy (an element-wise append is slow in debug builds).
            var missing = total - buffer.count
            while missing > 0 {
                let n = min(missing, FrameBuilder.zeros.count)
                buffer.append(contentsOf: FrameBuilder.zeros[0..<n])
                missing -= n
            }
        } else if buffer.count > total {
            buffer.removeLast(buffer.count - total)
        }
        buffer.withUnsafeMutableBytes { raw in
            let w = ByteWriter(raw)
            let headerEnd = linkLength + ipLength + transportHeaderLength
            w.zero(0..<headerEnd)
            link.write(w, etherType: v4 ? .ipv4 : .ipv6)
            let n = linkLength
            if v4 {
                w.u8(n, 0x40 | UInt8(ipLength / 4))
                w.u8(n + 1, ip.tos)
                w.u16(n + 2, UInt16(truncatingIfNeeded: ipLength + transportLength))
                w.u16(n + 4, ip.identification)
                w.u16(n + 6, (ip.dontFragment ? 0x4000 : 0) | (ip.moreFragments ? 0x2000 : 0) | (ip.fragmentOffset & 0x1FFF))
                w.u8(n + 8, ip.ttl)
                w.u8(n + 9, protocolNumber.rawValue)
                w.address(n + 12, src, v4: true)
                w.address(n + 16, dst, v4: true)
                if !ip.ipv4Options.isEmpty { w.bytes(n + 20, ip.ipv4Options) }
                let c = InternetChecksum.finish(InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: raw[n..<(n + ipLength)])))
                w.u16(n + 10, c)
            } else {
                w.u32(n, 0x6000_0000 | UInt32(ip.tos) << 20 | (ip.flowLabel & 0xFFFFF))
                w.u16(n + 4, UInt16(truncatingIfNeeded: ipLength - 40 + transportLength))
                let headers = ip.ipv6ExtensionHeaders
                w.u8(n + 6, (headers.first?.headerNumber ?? protocolNumber).rawValue)
                w.u8(n + 7, ip.ttl)
                w.address(n + 8, src, v4: false)
                w.address(n + 24, dst, v4: false)
                var o = n + 40
                for (i, e) in headers.enumerated() {
                    e.write(w, at: o, next: i + 1 < headers.count ? headers[i + 1].headerNumber : protocolNumber)
                    o += e.length
                }
            }
            let t = linkLength + ipLength
            w.bytes(t + transportHeaderLength, payload)
            if transportHeaderLength > 0 {
                let pseudo = InternetChecksum.pseudoHeaderSum(src: IPAddressBits(src), dst: IPAddressBits(dst),
                                                              protocolNumber: protocolNumber.rawValue, length: transportLength)
                transport(w, t, pseudo)
            }
        }
    }
}
