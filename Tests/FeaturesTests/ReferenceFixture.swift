import Foundation
import Simulator
import SplitMix
import Wire

/// The fixture's (and the other seeded tests') draws: SplitMix64 (the same sequence on every machine) reduced modulo the range's size.
/// The committed expected values were made with exactly this draw: do not change it.
extension SplitMix64 {
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

/// The reference-parity capture: a seeded pattern of frames with the edge cases the
/// reference windows meet. Times are whole microseconds after `base`.
enum ReferenceFixture {
    struct Frame {
        var micros: Int64
        var length: Int
        var ipv6: Bool
    }

    static let base: Int64 = 1_700_000_000
    static let baseMicros: Int64 = 123_456
    static let pcapName = "reference-parity.pcap"
    static let goldenName = "reference-parity-golden.csv"

    /// Frames in time order. Windows (3 s from the first IPv4 frame > 60 B, at 0.5 s):
    /// 0 bursty mix; 1 one packet; 2 ten packets; 3 twenty packets at one instant;
    /// 4 and 5 empty (a 7 s gap); 6 sixteen equal sizes; 7 exactly 15 packets;
    /// 8–10 bursty mixes (bulk, ACK-like, sizes 100 and 1000 exactly); 11 no bursts; 12 one run;
    /// 13 IATs of exactly the burst gap; 14 three sizes in equal shares; a last partial window.
    static func frames() -> [Frame] {
        var random = SplitMix64(seed: 0x5EED_F00D)
        var frames: [Frame] = []
        func add(_ seconds: Double, _ length: Int, ipv6: Bool = false) {
            frames.append(Frame(micros: Int64((seconds * 1_000_000).rounded()), length: length, ipv6: ipv6))
        }
        func bursty(from: Double, to: Double, fullShare: Int) {
            var t = from
            while true {
                let burst = random.int(1...10)
                for _ in 0..<burst {
                    t += Double(random.int(20...4000)) / 1_000_000
                    guard t < to else { return }
                    let roll = random.int(0...99)
                    let length: Int
                    if roll < fullShare { length = 1514 }
                    else if roll < fullShare + 15 { length = 66 }
                    else if roll < fullShare + 20 { length = random.int(42...60) }  // dropped by the scope
                    else if roll < fullShare + 24 { length = [100, 1000, 99, 1001, 61][random.int(0...4)] }
                    else { length = random.int(61...1100) }
                    add(t, length, ipv6: random.int(0...29) == 0)  // IPv6: dropped by the scope
                }
                t += Double(random.int(31_000...900_000)) / 1_000_000
            }
        }
        add(0.4, 1514, ipv6: true)  // before the unit's first packet: not in scope
        add(0.45, 54)  // too short: not in scope
        bursty(from: 0.5, to: 3.49, fullShare: 30)
        add(3.7, 800)  // window 1: one packet
        for k in 0..<10 { add(6.6 + Double(k) * 0.2, 200 + 37 * k) }  // window 2: ten packets
        for k in 0..<20 { add(9.9, 300 + k * (k % 3)) }  // window 3: one instant
        // Windows 4 and 5: nothing (12.5 … 18.5).
        for k in 0..<16 { add(18.6 + Double(k) * 0.1, 1200) }  // window 6: equal sizes
        for k in 0..<15 { add(21.55 + Double(k) * 0.13, [61, 1514, 400][k % 3]) }  // window 7: exactly 15
        bursty(from: 24.5, to: 27.5, fullShare: 35)
        bursty(from: 27.5, to: 30.5, fullShare: 10)
        add(30.5, 1514)  // exactly on a window boundary (belongs to the next window)
        bursty(from: 30.5, to: 33.5, fullShare: 20)
        for k in 0..<20 { add(33.55 + Double(k) * 0.05, 61 + random.int(0...240)) }  // window 11: no IAT below the gap
        for k in 0..<40 { add(36.6 + Double(k) * 0.001, 61 + random.int(0...200)) }  // window 12: one long run
        for k in 0..<16 { add(39.6 + Double(k) * 0.03, [100, 1000, 99, 1001][k % 4]) }  // window 13: IATs at the gap
        for k in 0..<21 { add(42.6 + Double(k) * 0.13, [200, 300, 400][k % 3]) }  // window 14: symmetric sizes
        for k in 0..<10 { add(45.6 + Double(k) * 0.17, 700 + k) }  // final partial window: dropped by the reference
        return frames
    }

    /// Writes the frames as a classic microsecond pcap with Ethernet framing, UDP inside
    /// IPv4 or IPv6, sized so each frame has exactly the wanted length.
    static func writePcap(to path: String) throws {
        let writer = try PcapWriter(path: path, linkType: 1)
        let client4 = IPAddress(10, 0, 0, 2), server4 = IPAddress(192, 0, 2, 10)
        let client6 = IPAddress(ipv6Bytes: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [2]),
            server6 = IPAddress(ipv6Bytes: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x10])
        for frame in frames() {
            let header = frame.ipv6 ? 14 + 40 + 8 : 14 + 20 + 8
            let payload = [UInt8](repeating: 0, count: max(frame.length - header, 0))
            let bytes = FrameBuilder.udp(
                src: frame.ipv6 ? server6 : server4, dst: frame.ipv6 ? client6 : client4,
                srcPort: 443, dstPort: 50_000, payload: payload)
            let total = baseMicros + frame.micros
            try writer.write(
                seconds: base + total / 1_000_000, nanoseconds: UInt32(total % 1_000_000) * 1000, frame: bytes)
        }
        try writer.close()
    }
}
