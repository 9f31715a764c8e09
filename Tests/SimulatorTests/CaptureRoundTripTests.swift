import Capture
import Foundation
import Simulator
import Wire
import XCTest

/// The files the simulator writes, read back through libpcap (the Capture module).
final class CaptureRoundTripTests: XCTestCase {
    var paths: [String] = []
    override func tearDown() { for p in paths { try? FileManager.default.removeItem(atPath: p) } }

    func temporaryPath(_ ext: String) -> String {
        let p = NSTemporaryDirectory() + "simrt-\(UInt64.random(in: 0...UInt64.max)).\(ext)"
        paths.append(p)
        return p
    }

    func testSimulatedPcapReadsBackThroughLibpcap() throws {
        for (options, dlt) in [(SimulationOptions(), Int32(1)), (SimulationOptions(ipv6: true, linkHeader: .cooked2, nanosecond: true), Int32(276))] {
            let path = temporaryPath("pcap")
            let summary = try Session(profile: .spotify(.normal), link: .dsl, download: .paced, background: [.dns], duration: 12, seed: 77,
                                      options: options).write(to: path)
            let source = try FileSource(path: path)
            XCTAssertEqual(source.linkType, dlt)
            var count = 0, bytes = 0
            var last = PacketTimestamp(seconds: 0, nanoseconds: 0)
            let end = try source.forEachPacket { p in
                count += 1
                bytes += p.capturedLength
                XCTAssertGreaterThanOrEqual(p.timestamp, last)
                last = p.timestamp
                return true
            }
            XCTAssertEqual(end, .endOfInput)
            XCTAssertEqual(count, summary.packets)
            XCTAssertEqual(bytes, summary.bytes)
            XCTAssertEqual(Double(last.seconds), summary.startTime + 12, accuracy: 13)
        }
    }

    func testBPFFilterSeesTheAudioFlow() throws {
        let path = temporaryPath("pcap")
        let summary = try Session(profile: .spotify(.low), link: .cable, download: .bulk, duration: 10, seed: 5).write(to: path)
        let audio = summary.flows[summary.tracks[0].flow]
        let source = try FileSource(path: path, filter: "tcp port \(audio.clientPort)")
        var count = 0
        _ = try source.forEachPacket { _ in count += 1; return true }
        XCTAssertEqual(count, audio.packetsUp + audio.packetsDown)
    }

    func testPcapngWithTwoLinkTypesReadsBack() throws {
        let path = temporaryPath("pcapng")
        let w = try PcapngWriter(path: path, interfaces: [.init(linkType: PcapLinkType.ethernet, name: "eth0"),
                                                          .init(linkType: PcapLinkType.ethernet, name: "wlan0", nanosecond: true)])
        let a = IPAddress(10, 0, 0, 1), b = IPAddress(10, 0, 0, 2)
        for i in 0..<10 {
            let f = FrameBuilder.udp(src: a, dst: b, srcPort: 1000, dstPort: UInt16(2000 + i), payload: [UInt8](repeating: UInt8(i), count: 10 + i))
            try w.write(timestamp: 1_700_000_000 + Double(i) * 0.5, frame: f, interface: i % 2)
        }
        try w.close()
        let source = try FileSource(path: path)
        var sizes: [Int] = []
        _ = try source.forEachPacket { p in sizes.append(p.capturedLength); return true }
        XCTAssertEqual(sizes, (0..<10).map { 42 + 10 + $0 })
    }
}
