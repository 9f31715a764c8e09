import Foundation
import Simulator
import Wire
import XCTest

/// One packet of a simulated capture, decoded in place by the tests' own small parser (no payload copies).
struct SimPacket {
    var time: Double
    var frameLength: Int
    var proto: UInt8
    var srcPort: Int
    var dstPort: Int
    var payloadCount: Int
    /// Payload bytes 0 and 8 (0 when absent).
    var first: UInt8
    var byte8: UInt8
    var tcpFlags: UInt8
}

/// A writer that decodes each frame as it is written and keeps a small record of it.
final class RecordingWriter: PacketWriter {
    let linkType: UInt32
    var packets: [SimPacket] = []
    init(linkType: UInt32) { self.linkType = linkType }

    func write(seconds: Int64, nanoseconds: UInt32, frame: UnsafeRawBufferPointer, originalLength: Int?, interface: Int) throws {
        var n: Int, et: Int
        func u16(_ o: Int) -> Int { Int(frame[o]) << 8 | Int(frame[o + 1]) }
        switch linkType {
        case 1:
            n = 12
            et = u16(n)
            while et == 0x8100 || et == 0x88A8 { n += 4; et = u16(n) }
            n += 2
        case 113: et = u16(14); n = 16
        default: et = u16(0); n = 20
        }
        var t: Int, proto: UInt8
        if et == 0x0800 { t = n + Int(frame[n] & 0x0F) * 4; proto = frame[n + 9] } else if et == 0x86DD { t = n + 40; proto = frame[n + 6] } else { return }
        guard proto == 6 || proto == 17 else { return }
        var start = t + 8, flags: UInt8 = 0
        if proto == 6 { start = t + Int(frame[t + 12] >> 4) * 4; flags = frame[t + 13] }
        let count = frame.count - start
        packets.append(SimPacket(time: Double(seconds) + Double(nanoseconds) * 1e-9, frameLength: frame.count, proto: proto,
                                 srcPort: u16(t), dstPort: u16(t + 2), payloadCount: count, first: count > 0 ? frame[start] : 0,
                                 byte8: count > 8 ? frame[start + 8] : 0, tcpFlags: flags))
    }

    func close() throws {}
}

func simulate(_ profile: String, link: LinkProfile? = .cable, download: DownloadBehaviour? = nil, background: [BackgroundMix] = [],
              duration: Double, seed: UInt64 = 1, options: SimulationOptions = SimulationOptions()) throws -> (SimulationSummary, [UInt8]) {
    let w = PcapWriter.memory(linkType: options.linkType, nanosecond: options.nanosecond)
    let s = Session(profile: Profile(parsing: profile)!, link: link, download: download, background: background, duration: duration,
                    seed: seed, options: options)
    let summary = try s.run(writer: w)
    return (summary, w.bytes)
}

func record(_ profile: String, link: LinkProfile? = .cable, download: DownloadBehaviour? = nil, background: [BackgroundMix] = [],
            duration: Double, seed: UInt64 = 1, options: SimulationOptions = SimulationOptions()) throws -> (SimulationSummary, [SimPacket]) {
    let w = RecordingWriter(linkType: options.linkType)
    let s = Session(profile: Profile(parsing: profile)!, link: link, download: download, background: background, duration: duration,
                    seed: seed, options: options)
    let summary = try s.run(writer: w)
    return (summary, w.packets)
}

func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
}

/// Start times of bursts: packets separated by more than `gap` seconds start a new burst.
func burstStarts(_ times: [Double], gap: Double) -> [Double] {
    var starts: [Double] = []
    var last = -Double.infinity
    for t in times.sorted() {
        if t - last > gap { starts.append(t) }
        last = t
    }
    return starts
}

final class SimulationTests: XCTestCase {
    func testSameSeedSameBytesDifferentSeedDifferentBytes() throws {
        let (a, ab) = try simulate("spotify:normal", link: nil, background: [.dns, .lan], duration: 20, seed: 42)
        let (_, bb) = try simulate("spotify:normal", link: nil, background: [.dns, .lan], duration: 20, seed: 42)
        let (_, cb) = try simulate("spotify:normal", link: nil, background: [.dns, .lan], duration: 20, seed: 43)
        XCTAssertGreaterThan(a.packets, 100)
        XCTAssertEqual(ab.count, bb.count)
        XCTAssertTrue(ab == bb, "same seed, same bytes")
        XCTAssertFalse(ab == cb, "different seed, different bytes")
        let p = try XCTUnwrap(parsePcap(ab))
        XCTAssertEqual(p.records.count, a.packets)
        // Timestamps never go backwards.
        let times = p.records.map { Double($0.seconds) + Double($0.fraction) * 1e-6 }
        XCTAssertEqual(times, times.sorted())
        XCTAssertLessThanOrEqual(times.last! - times.first!, 20)
    }

    func testSpotifyTrackBitrateMatchesTheTierInBulkMode() throws {
        for tier in Profile.SpotifyTier.allCases where tier != .lossless {
            let (s, _) = try simulate("spotify:\(tier.rawValue)", link: .fibre, download: .bulk, duration: 25, seed: 5)
            let track = try XCTUnwrap(s.tracks.first, "\(tier)")
            let flow = s.flows[track.flow]
            XCTAssertEqual(flow.role, .audio)
            XCTAssertEqual(flow.serverName, track.cdnHost)
            // Everything the server sent on the audio connection, over the track's length.
            let kbps = Double(flow.payloadDown) * 8 / track.length / 1000
            let ratio = kbps / tier.nominalKbps
            XCTAssertTrue((0.85...1.2).contains(ratio), "\(tier): \(kbps) kbit/s for nominal \(tier.nominalKbps)")
            XCTAssertGreaterThanOrEqual(flow.payloadDown, track.fileSize)
            XCTAssertTrue((120...360).contains(track.length))
        }
        // Lossless (≈ 25 MB per track) is checked on its file parameters, paced, to keep the test fast.
        let (s, _) = try simulate("spotify:lossless", link: .fibre, download: .paced, duration: 8, seed: 5)
        let track = try XCTUnwrap(s.tracks.first)
        XCTAssertTrue((675e3...1125e3).contains(track.bitrate), "\(track.bitrate)")
        XCTAssertEqual(track.fileSize, Int(track.bitrate / 8 * track.length) + 167)
        XCTAssertGreaterThanOrEqual(s.flows[track.flow].payloadDown, 4 * 131_072)
    }

    func testPacedSessionBitrateOverSeveralTracks() throws {
        let (s, _) = try simulate("spotify:normal", link: .dsl, download: .paced, duration: 600, seed: 9)
        XCTAssertGreaterThanOrEqual(s.tracks.count, 2)
        let audio = s.flows.filter { $0.role == .audio }.reduce(0) { $0 + $1.payloadDown }
        let kbps = Double(audio) * 8 / 600 / 1000
        XCTAssertTrue((96 * 0.9...96 * 1.35).contains(kbps), "\(kbps) kbit/s")
    }

    func testPacketSizesAreMSSSegmentsAndSmallACKs() throws {
        for ipv6 in [false, true] {
            let options = SimulationOptions(ipv6: ipv6, linkHeader: ipv6 ? .cooked : .ethernet)
            XCTAssertEqual(options.linkType, ipv6 ? 113 : 1)
            let (s, packets) = try record("spotify:very_high", link: .cable, download: .bulk, duration: 15, seed: 3, options: options)
            let audio = s.flows[s.tracks[0].flow]
            let down = packets.filter { $0.proto == 6 && $0.srcPort == 443 && $0.dstPort == Int(audio.clientPort) && $0.payloadCount > 0 }
            let up = packets.filter { $0.proto == 6 && $0.dstPort == 443 && $0.srcPort == Int(audio.clientPort) }
            let full = ipv6 ? 1428 : 1448
            XCTAssertEqual(down.map(\.payloadCount).max(), full)
            let fullOrRecord = down.filter { $0.payloadCount == full || $0.payloadCount == 1391 }.count
            XCTAssertGreaterThan(Double(fullOrRecord) / Double(down.count), 0.9, "MSS-sized or one-record segments")
            let ackFrame = (ipv6 ? 40 : 20) + 32 + (ipv6 ? 16 : 14)
            let acks = up.filter { $0.payloadCount == 0 && $0.frameLength == ackFrame }.count
            XCTAssertGreaterThan(Double(acks) / Double(up.count), 0.9, "uplink is mostly pure ACKs with timestamps")
            let ratio = Double(down.count) / Double(acks)
            XCTAssertTrue((1.5...5.5).contains(ratio), "data per ACK \(ratio)")
            // The first bytes of the audio connection's server data are a TLS handshake record.
            let firstData = try XCTUnwrap(down.first)
            XCTAssertEqual(firstData.first, 22)
        }
    }

    func testBulkDownloadsATrackThenGoesIdle() throws {
        let (s, packets) = try record("spotify:high", link: .cable, download: .bulk, duration: 200, seed: 11)
        let track = s.tracks[0]
        let port = Int(s.flows[track.flow].clientPort)
        let times = packets.filter { $0.dstPort == port && $0.payloadCount > 0 }.map(\.time)
        let span = times.last! - times.first!
        XCTAssertLessThan(span, 8, "a whole track in a few seconds on cable")
        // After the download, the audio connection is silent until the track ends (≥ 120 s): no audio data at all.
        let allAudioPorts = Set(s.tracks.map { Int(s.flows[$0.flow].clientPort) })
        let audioTimes = packets.filter { allAudioPorts.contains($0.dstPort) && $0.payloadCount > 100 }.map(\.time)
        let end = times.last!
        let next = audioTimes.first { $0 > end + 0.5 } ?? packets.last!.time
        XCTAssertGreaterThan(next - end, 80, "idle until the next track's prefetch (track ≥ 120 s, prefetch ≤ 30 s before its end)")
    }

    func testPacedChunksFollowPlayback() throws {
        let (s, packets) = try record("spotify:very_high", link: .cable, download: .paced, duration: 100, seed: 4)
        let track = s.tracks[0]
        let port = Int(s.flows[track.flow].clientPort)
        let times = packets.filter { $0.dstPort == port && $0.payloadCount > 100 }.map(\.time)
        let starts = burstStarts(times, gap: 0.5)
        XCTAssertGreaterThan(starts.count, 10)
        let intervals = zip(starts.dropFirst(2), starts.dropFirst(1)).map { $0 - $1 }
        // 128 KiB at 320 kbit/s ± VBR: one chunk every ≈ 3.3 s [S2].
        let expected = 131_072 * 8 / track.bitrate
        XCTAssertEqual(median(intervals), expected, accuracy: 0.3)
        XCTAssertTrue((2.8...3.9).contains(median(intervals)), "\(median(intervals))")
    }

    /// The `fixed` player (the first video scenario, which the default model's stream stage was trained on);
    /// the `hls` player has its own tests (HLSVideoTests).
    func testFixedPlayerVODIsOnOffAndLiveIsEveryTwoSeconds() throws {
        let fixed = SimulationOptions(videoPlayer: .fixed)
        let (vod, vp) = try record("video:vod", link: .cable, duration: 64, seed: 2, options: fixed)
        let videoPort = Int(try XCTUnwrap(vod.flows.first { $0.role == .video }).clientPort)
        let vt = vp.filter { $0.dstPort == videoPort && $0.payloadCount > 100 }.map(\.time)
        let vs = burstStarts(vt, gap: 1.5)
        let vi = zip(vs.dropFirst(2), vs.dropFirst(1)).map { $0 - $1 }
        XCTAssertGreaterThanOrEqual(vi.count, 3)
        XCTAssertTrue(vi.allSatisfy { (5.5...10.6).contains($0) }, "VOD burst spacing \(vi)")
        // Most seconds after the buffer fill carry almost nothing [M: 74–79 % of seconds < 10 kB].
        var perSecond = [Int](repeating: 0, count: 64)
        let t0 = vp.first!.time
        for p in vp where p.dstPort == videoPort { perSecond[min(63, Int(p.time - t0))] += p.frameLength }
        let idle = perSecond[30...].filter { $0 < 10_000 }.count
        XCTAssertGreaterThan(Double(idle) / 34, 0.6)
        let mbps = Double(vod.flows.first { $0.role == .video }!.bytesDown) * 8 / 64 / 1e6
        XCTAssertTrue((2.5...6).contains(mbps), "\(mbps) Mbit/s incl. the 30 s buffer fill")

        let (live, lp) = try record("video:live", link: .cable, duration: 40, seed: 2, options: fixed)
        let livePort = Int(try XCTUnwrap(live.flows.first { $0.role == .video }).clientPort)
        let ls = burstStarts(lp.filter { $0.dstPort == livePort && $0.payloadCount > 100 }.map(\.time), gap: 0.5)
        let li = zip(ls.dropFirst(2), ls.dropFirst(1)).map { $0 - $1 }
        XCTAssertGreaterThan(li.count, 10)
        XCTAssertEqual(median(li), 2.0, accuracy: 0.15)
    }

    func testVPNPutsEverythingInOneWireGuardFlow() throws {
        let (s, packets) = try record("video:vod+vpn", link: .cable, background: [.dns], duration: 8, seed: 8)
        XCTAssertTrue(s.tunnel)
        XCTAssertFalse(packets.isEmpty)
        XCTAssertTrue(packets.allSatisfy { $0.proto == 17 && $0.srcPort == 51_820 && $0.dstPort == 51_820 })
        XCTAssertTrue(packets.allSatisfy { $0.first == 4 && ($0.payloadCount - 32) % 16 == 0 })
        let maxFrame = packets.map(\.frameLength).max()!
        XCTAssertLessThanOrEqual(maxFrame, 1_514)
        XCTAssertGreaterThanOrEqual(maxFrame, 1_450)
    }

    func testCallAudioEvery20msAndPersonCarriesMoreThanBackground() throws {
        var rates: [String: Double] = [:]
        var audioSeen = 0
        for kind in ["person", "background"] {
            for seed: UInt64 in 21...24 {
                let (s, packets) = try record("call:\(kind)", link: .cable, duration: 12, seed: seed)
                let call = try XCTUnwrap(s.flows.first { $0.role == .call })
                XCTAssertEqual(call.serverPort, 8801)
                let media = packets.filter { $0.proto == 17 && ($0.dstPort == 8801 || $0.srcPort == 8801) }
                // Audio each way whose microphone is on: one packet every 20 ms.
                for up in [true, false] {
                    let audio = media.filter { ($0.dstPort == 8801) == up && $0.payloadCount > 8 && $0.byte8 == 0x0F }.map(\.time)
                    guard audio.count > 10 else { continue }
                    audioSeen += 1
                    XCTAssertEqual(median(zip(audio.dropFirst(), audio).map { $0 - $1 }), 0.02, accuracy: 0.002)
                    XCTAssertEqual(Double(audio.count) / 12, 50, accuracy: 3)
                }
                let videoDown = media.filter { $0.srcPort == 8801 && $0.byte8 == 0x10 }
                let span = videoDown.last!.time - videoDown.first!.time
                rates[kind + "\(seed)"] = Double(videoDown.reduce(0) { $0 + $1.frameLength }) * 8 / span
                XCTAssertTrue(videoDown.allSatisfy { $0.frameLength <= 1_292 })
            }
        }
        XCTAssertGreaterThan(audioSeen, 0)
        for seed: UInt64 in 21...24 {
            let person = rates["person\(seed)"]!, background = rates["background\(seed)"]!
            XCTAssertTrue((1.4e6...2.4e6).contains(person), "person \(person)")
            XCTAssertTrue((0.8e6...1.6e6).contains(background), "background \(background)")
            XCTAssertTrue((1.3...1.9).contains(person / background), "ratio \(person / background)")
        }
    }

    func testAlternatingCallWritesItsPhases() throws {
        let (s, _) = try simulate("call:alternate", link: .cable, duration: 70, seed: 5)
        XCTAssertGreaterThanOrEqual(s.phases.count, 2)
        XCTAssertEqual(s.phases.first?.start, 0)
        XCTAssertEqual(s.phases.last?.end, 70)
        for (a, b) in zip(s.phases, s.phases.dropFirst()) {
            XCTAssertNotEqual(a.label, b.label)
            XCTAssertEqual(a.end, b.start)
            XCTAssertTrue((20...60).contains(a.end - a.start))
        }
        XCTAssertTrue(s.phaseText.contains("person:") && s.phaseText.contains("background:"), s.phaseText)
    }

    func testBackgroundMixesAddTheirFlows() throws {
        let slow = LinkProfile(name: "slow", rtt: 0.02...0.03, downlink: 4e6...5e6, uplink: 1e6...2e6, jitter: 0.001, loss: 0.001)
        let (s, _) = try simulate("spotify:low", link: slow, background: BackgroundMix.allCases, duration: 40, seed: 12)
        let roles = Set(s.flows.map(\.role))
        for r in [FlowRole.web, .dns, .quic, .download, .lan] { XCTAssertTrue(roles.contains(r), "\(r) missing: \(roles)") }
    }

    func testSeveralClientsHaveTheirOwnAddresses() throws {
        let (s, _) = try simulate("spotify:low", link: .cable, duration: 10, seed: 1, options: SimulationOptions(clients: 3))
        XCTAssertEqual(Set(s.flows.filter { $0.role == .accessPoint }.map(\.client)).count, 3)
    }

    func testProfileParsing() {
        XCTAssertEqual(Profile(parsing: "spotify:very_high"), .spotify(.very_high))
        XCTAssertEqual(Profile(parsing: "Spotify:very-high"), .spotify(.very_high))
        XCTAssertEqual(Profile(parsing: "video:live+vpn"), .video(.live, vpn: true))
        XCTAssertEqual(Profile(parsing: "call:alternate")?.label, "alternate")
        XCTAssertNil(Profile(parsing: "spotify:ultra"))
        XCTAssertNil(Profile(parsing: "spotify"))
        for name in Profile.allNames { XCTAssertEqual(Profile(parsing: name)?.description, name) }
        XCTAssertEqual(LinkProfile.named("4g")?.name, "4g")
        XCTAssertNil(LinkProfile.named("dialup"))
    }

    func testCorpusIsLabelledAndIndependentOfJobs() throws {
        let base = NSTemporaryDirectory() + "simcorpus-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let profiles = [Profile.spotify(.low), .call(.background)]
        let one = try Corpus.generate(directory: base + "/a", profiles: profiles, count: 2, duration: 3, seed: 3, link: nil, download: nil,
                                      background: [], jobs: 1)
        let two = try Corpus.generate(directory: base + "/b", profiles: profiles, count: 2, duration: 3, seed: 3, link: nil, download: nil,
                                      background: [], jobs: 2)
        XCTAssertEqual(one.map(\.path), ["low/spotify-low-0000.pcap", "low/spotify-low-0001.pcap", "background/call-background-0000.pcap", "background/call-background-0001.pcap"])
        XCTAssertEqual(one.map(\.csvRow), two.map(\.csvRow))
        for e in one {
            let a = try Data(contentsOf: URL(fileURLWithPath: base + "/a/" + e.path))
            let b = try Data(contentsOf: URL(fileURLWithPath: base + "/b/" + e.path))
            XCTAssertEqual(a, b, e.path)
        }
        XCTAssertNotEqual(one[0].seed, one[1].seed)
        let manifest = try String(contentsOfFile: base + "/a/manifest.csv", encoding: .utf8)
        XCTAssertTrue(manifest.hasPrefix(CorpusEntry.csvHeader + "\n"))
        XCTAssertEqual(manifest.split(separator: "\n").count, 5)
        XCTAssertTrue(one[0].download == "bulk" || one[0].download == "paced")
        XCTAssertEqual(one[2].download, "")
    }
}

final class FlowTableTests: XCTestCase {
    func testFlowTableMarksSpotifyFlows() throws {
        let (s, _) = try record("spotify:normal", link: .cable, download: .bulk, background: [.web, .dns], duration: 30, seed: 6)
        let rows = s.flowTableCSV.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows[0].count, 14)
        XCTAssertTrue(rows.dropFirst().allSatisfy { $0.count == 14 })
        let audio = try XCTUnwrap(rows.first { $0[5] == "audio" })
        XCTAssertEqual(audio[7], "1")
        XCTAssertEqual(audio[3], "443")
        XCTAssertTrue(SpotifyHosts.audio.contains(audio[6]), audio[6])
        XCTAssertEqual(try XCTUnwrap(rows.first { $0[5] == "access-point" })[3], "4070")
        if let web = rows.first(where: { $0[5] == "web" }) { XCTAssertEqual(web[7], "0") }
        XCTAssertTrue(rows.dropFirst().allSatisfy { Double($0[12])! <= Double($0[13])! && !$0[12].contains("e") })
    }
}

enum SpotifyHosts {
    static let audio: Set<String> = ["audio4-fa.scdn.co", "audio-ak-spotify-com.akamaized.net", "audio-cf.spotifycdn.com", "audio-gm-off.spotifycdn.com"]
}
