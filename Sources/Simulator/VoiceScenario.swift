import Wire

/// An audio-only Zoom-like call on UDP 8801 [S13]: one audio packet every 20 ms each way [M: median 19 ms] at a
/// per-direction rate of 60–110 kbit/s on the wire [S14: 60–80 kbit/s audio; M: 0.09–0.11 Mbit/s], RTCP about
/// once a second, TLS signalling; in some sessions brief silences (DTX) cut a direction's audio for a moment.
final class VoiceCallClient: Scenario, ReportsDraws {
    let host: ClientHost
    var rng: SeededRandom
    var flow: UDPFlow!
    /// Per direction [up, down]: mean UDP payload per packet, and the end of the current talk spurt / silence.
    var payload = [0.0, 0.0]
    var rate = [0.0, 0.0]
    var dtx = false
    var silentUntil = [0.0, 0.0]
    var nextSilence = [Double.infinity, Double.infinity]
    var nextRTCP = [0.0, 0.0]

    init(host: ClientHost, rng: SeededRandom) {
        self.host = host
        self.rng = rng
    }

    var drawn: [String: Double] { ["rate_up": rate[0], "rate_down": rate[1], "dtx": dtx ? 1 : 0] }

    /// Frame bytes of Ethernet + IPv4 + UDP headers around a payload (the rate is drawn as on-the-wire bits).
    static let headerBytes = 42.0

    func wake(_ e: Engine, at t: Double) -> Double? {
        if flow == nil {
            let (media, dd) = e.openZoomCall(host, at: t, rng: &rng)
            flow = media
            // 60–110 kbit/s each way on the wire at 50 packets/s: 150–275 B frames, 108–233 B of payload (D).
            for dir in 0..<2 {
                rate[dir] = rng.uniform(60e3...110e3).rounded()
                payload[dir] = rate[dir] / 8 / 50 - VoiceCallClient.headerBytes
            }
            // DTX in 40 % of sessions (A): silences of 0.2–1.5 s after talk spurts of Exp(8 s) (A; the measured
            // Zoom captures have no silent seconds [M], so silences stay short).
            dtx = rng.chance(0.4)
            let begin = dd + 0.001
            if dtx { nextSilence = [begin + rng.exponential(mean: 8), begin + rng.exponential(mean: 8)] }
            nextRTCP = [begin + rng.uniform(0...1), begin + rng.uniform(0...1)]
            return begin
        }
        for dir in 0..<2 {
            let up = dir == 0
            if t >= nextSilence[dir] {
                silentUntil[dir] = t + rng.uniform(0.2...1.5)
                nextSilence[dir] = silentUntil[dir] + rng.exponential(mean: 8)
            }
            if t >= silentUntil[dir] {
                // VBR frame sizes: log-normal around the drawn mean, σ 0.15, within 60–330 B (A; M: 160–360 B packets
                // measured inside a VPN, i.e. with ≈ 80 B of tunnel headers).
                let size = Int(min(330, max(60, payload[dir] * rng.logNormal(median: 1, sigma: 0.15))))
                e.sendUDP(flow, at: t + (up ? 0 : rng.uniform(0...0.004)), fromClient: up, length: size, code: 0x0F)
            }
            if nextRTCP[dir] < t + 0.02 {
                e.sendUDP(flow, at: max(t, nextRTCP[dir]), fromClient: up, length: rng.int(60...120), code: 0x21)
                nextRTCP[dir] += rng.uniform(0.8...1.2)
            }
        }
        return t + 0.02
    }
}
