import Wire

/// Unrelated traffic: web page loads, DNS lookups, QUIC sessions, a bulk download, LAN chatter (all assumptions: docs/simulator.md).
final class BackgroundClient: Scenario {
    let host: ClientHost
    let mix: BackgroundMix
    var rng: SeededRandom
    var started = false

    static let webHosts = ["www.wikipedia.org", "news.example.com", "cdn.jsdelivr.net", "fonts.gstatic.com", "www.github.com",
                           "static.xx.fbcdn.net", "www.bbc.co.uk", "i.ytimg.com", "api.weather.example", "mail.example.org"]
    static let quicHosts = ["www.google.com", "www.youtube.com", "rr3---sn-4g5e6nsz.googlevideo.com", "play.google.com", "www.facebook.com"]

    init(host: ClientHost, mix: BackgroundMix, rng: SeededRandom) {
        self.host = host
        self.mix = mix
        self.rng = rng
    }

    func wake(_ e: Engine, at t: Double) -> Double? {
        switch mix {
        case .web: return web(e, t)
        case .dns: return dns(e, t)
        case .quic: return quic(e, t)
        case .download: return download(e, t)
        case .lan: return lan(e, t)
        case .home: return home(e, t)
        case .spotifyLAN: return spotifyLAN(e, t)
        }
    }

    private func web(_ e: Engine, _ t: Double) -> Double? {
        if !started { started = true; return t + rng.exponential(mean: 8) }
        let name = BackgroundClient.webHosts[rng.int(0...(BackgroundClient.webHosts.count - 1))]
        let (d, a) = e.resolve(host, name, at: t)
        let c = e.openTCP(host, server: a, name: name, role: .web)
        var done = e.connect(c, at: d)
        for _ in 0..<rng.int(1...6) {
            let size = Int(min(2_000_000, max(500, rng.logNormal(median: 25_000, sigma: 1.0))))
            done = e.exchange(c, at: done + rng.uniform(0.001...0.3), request: rng.int(300...900), response: size)
        }
        e.close(c, at: done + rng.uniform(5...15), byClient: false)
        return t + rng.exponential(mean: 25)
    }

    private func dns(_ e: Engine, _ t: Double) -> Double? {
        if !started { started = true; return t + rng.exponential(mean: 3) }
        let names = BackgroundClient.webHosts + BackgroundClient.quicHosts + ["time.apple.com", "connectivity-check.ubuntu.com", "ocsp.digicert.com"]
        e.resolve(host, names[rng.int(0...(names.count - 1))], at: t)
        return t + rng.exponential(mean: 6)
    }

    private func quic(_ e: Engine, _ t: Double) -> Double? {
        if !started { started = true; return t + rng.exponential(mean: 10) }
        let name = BackgroundClient.quicHosts[rng.int(0...(BackgroundClient.quicHosts.count - 1))]
        let (d, a) = e.resolve(host, name, at: t)
        let f = e.openUDP(host, server: a, port: 443, role: .quic, name: name, kind: .quic)
        let rtt = e.link.rtt * rng.uniform(0.8...1.5)
        // Client Initial padded to 1,252 B of UDP payload (1,292 B frames [S8]); server Initial + Handshake.
        e.sendUDP(f, at: d, fromClient: true, length: 1_252, code: 1)
        var tt = d + rtt
        for _ in 0..<3 { e.sendUDP(f, at: tt, fromClient: false, length: rng.int(1_200...1_252), code: 1); tt += 0.0002 }
        e.sendUDP(f, at: tt + 0.0003, fromClient: true, length: rng.int(80...120), code: 1)
        // Data: bursts of short-header packets, client ACKs every second packet.
        var left = Int(min(5_000_000, max(20_000, rng.logNormal(median: 300_000, sigma: 1.0))))
        var k = 0
        tt += rtt
        while left > 0 {
            let n = min(left, rng.int(1_200...1_350))
            tt += Double(n + 50) * 8 / e.link.downlink + (k % 40 == 39 ? rtt : 0)
            e.sendUDP(f, at: tt, fromClient: false, length: n)
            k += 1
            if k % 2 == 0 { e.sendUDP(f, at: tt + 0.0001, fromClient: true, length: rng.int(30...45)) }
            left -= n
        }
        return tt + rng.exponential(mean: 40)
    }

    private func download(_ e: Engine, _ t: Double) -> Double? {
        if !started { started = true; return t + rng.uniform(1...30) }
        let name = "download.example.net"
        let (d, a) = e.resolve(host, name, at: t)
        let c = e.openTCP(host, server: a, name: name, role: .download)
        let ready = e.connect(c, at: d)
        let size = Int(min(500e6, max(5e6, rng.logNormal(median: 50e6, sigma: 0.8))))
        let done = e.exchange(c, at: ready, request: rng.int(300...600), response: size)
        e.close(c, at: done + rng.uniform(0.1...2), byClient: true)
        return done + rng.exponential(mean: 60)
    }

    private func lan(_ e: Engine, _ t: Double) -> Double? {
        started = true
        let device = UInt8(100 + rng.int(0...9))
        let mac = MACAddress(0x02, 0x4C, 0x41, 0x4E, 0x00, device)
        let v4 = IPAddress(192, 168, 1, device)
        switch rng.int(0...2) {
        case 0:
            let f = e.openLAN(src: v4, srcMAC: mac, srcPort: 0, dst: IPAddress(192, 168, 1, UInt8(rng.int(2...60))), dstMAC: .broadcast, dstPort: 0, kind: .arp)
            e.sendUDP(f, at: t, fromClient: true, length: 0)
        case 1:
            let (dst, dmac): (IPAddress, MACAddress) = e.ipv6 ? (IPAddress("ff02::fb")!, MACAddress(0x33, 0x33, 0, 0, 0, 0xFB)) : (IPAddress(224, 0, 0, 251), MACAddress(0x01, 0x00, 0x5E, 0, 0, 0xFB))
            let src = e.ipv6 ? IPAddress(high: 0xFE80_0000_0000_0000, low: 0x0000_00FF_FE00_0000 | UInt64(device)) : v4
            let f = e.openLAN(src: src, srcMAC: mac, srcPort: 5353, dst: dst, dstMAC: dmac, dstPort: 5353, kind: .multicast)
            e.sendUDP(f, at: t, fromClient: true, content: DNSBuilder.query(id: 0, name: ["_googlecast._tcp.local", "_airplay._tcp.local", "_companion-link._tcp.local"][rng.int(0...2)], type: DNSRecordType(rawValue: 12)))
        default:
            let (dst, dmac): (IPAddress, MACAddress) = e.ipv6 ? (IPAddress("ff02::c")!, MACAddress(0x33, 0x33, 0, 0, 0, 0x0C)) : (IPAddress(239, 255, 255, 250), MACAddress(0x01, 0x00, 0x5E, 0x7F, 0xFF, 0xFA))
            let src = e.ipv6 ? IPAddress(high: 0xFE80_0000_0000_0000, low: 0x0000_00FF_FE00_0000 | UInt64(device)) : v4
            let f = e.openLAN(src: src, srcMAC: mac, srcPort: UInt16(rng.int(40_000...60_000)), dst: dst, dstMAC: dmac, dstPort: 1900, kind: .multicast)
            e.sendUDP(f, at: t, fromClient: true, length: rng.int(280...420))
        }
        return t + rng.exponential(mean: 15)
    }

    // MARK: home LAN (all assumptions unless a source is given: docs/simulator.md)

    /// The host's IPv4 address on the LAN (also in IPv6 captures: home LANs are dual-stack, and broadcasts are IPv4).
    private var hostV4: IPAddress { host.ip.isIPv4 ? host.ip : IPAddress(192, 168, 1, UInt8(20 + host.index % 200)) }
    private static let broadcastV4 = IPAddress(192, 168, 1, 255)
    private static let mdnsV4 = IPAddress(224, 0, 0, 251)
    private static let mdnsMAC = MACAddress(0x01, 0x00, 0x5E, 0, 0, 0xFB)
    private static let ssdpV4 = IPAddress(239, 255, 255, 250)
    private static let ssdpMAC = MACAddress(0x01, 0x00, 0x5E, 0x7F, 0xFF, 0xFA)
    static let mdnsServices = ["_googlecast._tcp.local", "_airplay._tcp.local", "_companion-link._tcp.local", "_raop._tcp.local",
                               "_homekit._tcp.local", "_sleep-proxy._udp.local", "_ipp._tcp.local", "_hap._tcp.local"]

    /// Random bytes of a given length (stand-ins for encrypted or binary payloads).
    private func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }

    private func home(_ e: Engine, _ t: Double) -> Double? {
        if !started {
            started = true
            // Apple push (APNs) on TCP 5223: one long-lived TLS connection per Apple device. Half the sessions see it
            // open with its ClientHello (SNI `N-courier.push.apple.com`), half only its traffic (opened before the
            // capture: no handshake, no name). Pushes: a ≈2.7 KB server burst (1,514 + 2 × 577 B frames) with a
            // small client reply about once a minute [S8: measured, 17.57.144.27:5223].
            // Apple's 17.0.0.0/8, or 2620:149::/32 in IPv6 captures (the shared capture's gateway.icloud.com).
            let server = e.ipv6 ? IPAddress(high: 0x2620_0149_0A43_0180, low: UInt64(rng.int(2...250)))
                : IPAddress(17, 57, 144, UInt8(rng.int(10...250)))
            let named = rng.chance(0.5)
            let c = e.openTCP(host, server: server, port: 5223, name: named ? "\(rng.int(1...50))-courier.push.apple.com" : nil,
                              role: .lan, tls: named, rttScale: rng.uniform(1.5...3))
            let ready = e.connect(c, at: t + rng.uniform(0...2))
            e.schedule(Periodic(rng.derived(0xA9)) { e, t, r in
                if r.chance(0.7) {
                    e.serverPush(c, at: t, bytes: r.int(2_200...2_800), reply: r.int(30...60))
                } else {
                    e.exchange(c, at: t, request: r.int(40...120), response: r.int(30...90))
                }
                return t + r.uniform(20...90)
            }, at: ready + rng.uniform(1...30))
            return t + rng.exponential(mean: 4)
        }
        let device = UInt8(100 + rng.int(0...9))
        let mac = MACAddress(0x02, 0x4C, 0x41, 0x4E, 0x00, device)
        let v4 = IPAddress(192, 168, 1, device)
        switch rng.int(0...9) {
        case 0, 1:
            // mDNS: a query from the host or a device, sometimes an answer of a few hundred bytes (RFC 6762).
            let fromHost = rng.chance(0.4)
            let f = e.openLAN(src: fromHost ? hostV4 : v4, srcMAC: fromHost ? host.mac : mac, srcPort: 5353, dst: BackgroundClient.mdnsV4,
                              dstMAC: BackgroundClient.mdnsMAC, dstPort: 5353, kind: .multicast)
            let name = BackgroundClient.mdnsServices[rng.int(0...(BackgroundClient.mdnsServices.count - 1))]
            e.sendUDP(f, at: t, fromClient: true, content: DNSBuilder.query(id: 0, name: name, type: DNSRecordType(rawValue: 12)))
            if rng.chance(0.5) { e.sendUDP(f, at: t + rng.uniform(0.02...0.2), fromClient: true, length: rng.int(180...1_100)) }
        case 2, 3:
            // SSDP M-SEARCH from the host: 3–4 datagrams about 1 s apart from one port (UPnP 1.1 §1.3).
            let f = e.openLAN(src: hostV4, srcMAC: host.mac, srcPort: UInt16(rng.int(49_152...65_000)), dst: BackgroundClient.ssdpV4,
                              dstMAC: BackgroundClient.ssdpMAC, dstPort: 1900, kind: .multicast)
            for k in 0..<rng.int(3...4) { e.sendUDP(f, at: t + Double(k) * rng.uniform(0.95...1.05), fromClient: true, length: rng.int(160...180)) }
        case 4:
            // SSDP NOTIFY from a device (280–420 B).
            let f = e.openLAN(src: v4, srcMAC: mac, srcPort: 1900, dst: BackgroundClient.ssdpV4, dstMAC: BackgroundClient.ssdpMAC,
                              dstPort: 1900, kind: .multicast)
            for k in 0..<rng.int(1...3) { e.sendUDP(f, at: t + Double(k) * 0.1, fromClient: true, length: rng.int(280...420)) }
        case 5:
            // DHCP DISCOVER/REQUEST: 0.0.0.0:68 → 255.255.255.255:67, 300 B BOOTP payload (RFC 2131).
            let f = e.openLAN(src: IPAddress(0, 0, 0, 0), srcMAC: mac, srcPort: 68, dst: IPAddress(255, 255, 255, 255), dstMAC: .broadcast,
                              dstPort: 67, kind: .multicast)
            e.sendUDP(f, at: t, fromClient: true, length: 300)
            if rng.chance(0.5) { e.sendUDP(f, at: t + rng.uniform(0.5...2), fromClient: true, length: 300) }
        case 6:
            // NetBIOS name service: 3 broadcast registrations/queries 0.75 s apart, 50–68 B (RFC 1002).
            let f = e.openLAN(src: v4, srcMAC: mac, srcPort: 137, dst: BackgroundClient.broadcastV4, dstMAC: .broadcast, dstPort: 137,
                              kind: .multicast)
            for k in 0..<3 { e.sendUDP(f, at: t + Double(k) * 0.75, fromClient: true, length: rng.int(50...68)) }
        case 7, 8:
            // Dropbox LAN sync discovery: a JSON announcement of 140–260 B broadcast on UDP 17500 ↔ 17500 every ≈30 s,
            // the LAN look-alike of Spotify's 57621 discovery.
            let fromHost = rng.chance(0.5)
            let f = e.openLAN(src: fromHost ? hostV4 : v4, srcMAC: fromHost ? host.mac : mac, srcPort: 17_500, dst: BackgroundClient.broadcastV4,
                              dstMAC: .broadcast, dstPort: 17_500, kind: .multicast)
            var tt = t
            for _ in 0..<rng.int(1...4) { e.sendUDP(f, at: tt, fromClient: true, length: rng.int(140...260)); tt += rng.uniform(29...31) }
        default:
            // ARP request.
            let f = e.openLAN(src: v4, srcMAC: mac, srcPort: 0, dst: IPAddress(192, 168, 1, UInt8(rng.int(2...60))), dstMAC: .broadcast, dstPort: 0, kind: .arp)
            e.sendUDP(f, at: t, fromClient: true, length: 0)
        }
        return t + rng.exponential(mean: 6)
    }

    /// Spotify LAN discovery: a `SpotUdp0` datagram (8 B magic + 32–36 B, 82–86 B frames) broadcast from
    /// UDP 57621 to 192.168.1.255:57621 in bursts of 2–3 about 3 s apart, every ≈30 s, for as long as the
    /// desktop app runs [S8: measured, 34 datagrams in 370 s]; other devices with the app do the same.
    /// Also mDNS PTR queries for `_spotify-connect._tcp.local` (Spotify Connect's zeroconf service) [S8].
    private func spotifyLAN(_ e: Engine, _ t: Double) -> Double? {
        if !started {
            started = true
            var senders: [(IPAddress, MACAddress)] = [(hostV4, host.mac)]
            for _ in 0..<rng.int(0...2) {
                let d = UInt8(110 + rng.int(0...9))
                senders.append((IPAddress(192, 168, 1, d), MACAddress(0x02, 0x4C, 0x41, 0x4E, 0x01, d)))
            }
            for (k, (ip, mac)) in senders.enumerated() {
                let f = e.openLAN(src: ip, srcMAC: mac, srcPort: 57_621, dst: BackgroundClient.broadcastV4, dstMAC: .broadcast,
                                  dstPort: 57_621, kind: .multicast)
                let id = bytes(8)
                e.schedule(Periodic(rng.derived(0x5107 + UInt64(k))) { e, t, r in
                    var tt = t
                    for _ in 0..<r.int(2...3) {
                        let tail = (0..<r.int(32...36)).map { _ in UInt8(truncatingIfNeeded: r.next()) }
                        e.sendUDP(f, at: tt, fromClient: true, content: Array("SpotUdp0".utf8) + id + tail)
                        tt += r.uniform(3.0...3.5)
                    }
                    return t + r.uniform(29...35)
                }, at: t + rng.uniform(0...30))
            }
            return t + rng.exponential(mean: 20)
        }
        let f = e.openLAN(src: hostV4, srcMAC: host.mac, srcPort: 5353, dst: BackgroundClient.mdnsV4, dstMAC: BackgroundClient.mdnsMAC,
                          dstPort: 5353, kind: .multicast)
        e.sendUDP(f, at: t, fromClient: true, content: DNSBuilder.query(id: 0, name: "_spotify-connect._tcp.local", type: DNSRecordType(rawValue: 12)))
        return t + rng.exponential(mean: 40)
    }
}
