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
}
