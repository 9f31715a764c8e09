import Capture
import Foundation
import Simulator
import Wire
import XCTest

/// One packet of a capture file, read back through libpcap (`FileSource`) and the project's decoder (`Wire.decode`).
struct ReadPacket {
    var time: Double
    var src: IPAddress
    var dst: IPAddress
    var proto: UInt8
    var srcPort: Int
    var dstPort: Int
    var frameLength: Int
    var payload: Int
    /// Payload byte 8 (the Zoom-like media type), 0 when absent.
    var byte8: UInt8
}

/// Writes the session to a temporary file and reads every packet back.
func writeAndRead(_ session: Session) throws -> (SimulationSummary, [ReadPacket]) {
    let path = NSTemporaryDirectory() + "nonaudio-\(UInt64.random(in: 0...UInt64.max)).pcap"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let summary = try session.write(to: path)
    let source = try FileSource(path: path)
    let link = LinkType(rawValue: source.linkType)
    var out: [ReadPacket] = []
    _ = try source.forEachPacket { p in
        let d = decode(linkType: link, bytes: p.bytes)
        guard d.hasPorts else { return true }
        let b8: UInt8 = d.capturedPayloadLength > 8 ? p.bytes[d.payloadOffset + 8] : 0
        out.append(ReadPacket(time: p.timestamp.timeInterval - summary.startTime, src: d.src, dst: d.dst, proto: d.ipProtocol.rawValue,
                              srcPort: Int(d.srcPort), dstPort: Int(d.dstPort), frameLength: p.originalLength, payload: d.payloadLength,
                              byte8: b8))
        return true
    }
    XCTAssertEqual(source.packetsRead, summary.packets)
    return (summary, out)
}

func session(_ profile: String, link: LinkProfile?, duration: Double, seed: UInt64, background: [BackgroundMix] = [],
             options: SimulationOptions = SimulationOptions()) -> Session {
    Session(profile: Profile(parsing: profile)!, link: link, background: background, duration: duration, seed: seed, options: options)
}

final class NonAudioProfileTests: XCTestCase {
    func testNamesLabelsAndCategories() {
        let expected: [(String, String, ProfileCategory)] = [
            ("video:web", "web", .video), ("video:web+vpn", "web", .video), ("call:voice", "voice", .call),
            ("download:file", "file", .download), ("download:update", "update", .download), ("web:browse", "browse", .browsing),
            ("spotify:lossless", "lossless", .audio), ("video:vod", "vod", .video), ("call:alternate", "alternate", .call),
        ]
        for (name, label, category) in expected {
            let p = Profile(parsing: name)
            XCTAssertEqual(p?.label, label, name)
            XCTAssertEqual(p?.category, category, name)
            XCTAssertEqual(p?.description, name)
            XCTAssertTrue(Profile.allNames.contains(name), name)
        }
        XCTAssertEqual(Profile(parsing: "download:file"), .download(.file))
        XCTAssertEqual(Profile(parsing: "web:browse"), .web(.browse))
        XCTAssertNil(Profile(parsing: "download:torrent"))
        XCTAssertNil(Profile(parsing: "web:browse+vpn"))
        XCTAssertEqual(Set(Profile.allNames.compactMap { Profile(parsing: $0)?.category }), Set(ProfileCategory.allCases))
    }

    func testWebVideoFillsItsBufferThenFetchesSegmentsAtTheLadderRate() throws {
        var rates: [Double] = []
        for seed: UInt64 in 1...4 {
            let (s, packets) = try writeAndRead(session("video:web", link: .cable, duration: 90, seed: seed))
            let bitrate = try XCTUnwrap(s.drawn["bitrate"]), audio = try XCTUnwrap(s.drawn["audio_bitrate"])
            let segment = s.drawn["segment"]!, audioSegment = s.drawn["audio_segment"]!, target = s.drawn["target"]!
            XCTAssertTrue(WebVideoClientLadder.rungs.contains(bitrate), "\(bitrate)")
            XCTAssertTrue((2...6).contains(segment) && (20...60).contains(target))
            rates.append(bitrate)
            let media = s.flows.filter { $0.role == .video }
            XCTAssertFalse(media.isEmpty)
            let server = media[0].server
            XCTAssertTrue(media.allSatisfy { $0.serverPort == 443 && $0.transport == (s.drawn["quic"] == 1 ? 17 : 6) })
            let down = packets.filter { $0.src == server && $0.srcPort == 443 && $0.payload > 0 }
            if s.drawn["quic"] == 1 { XCTAssertLessThanOrEqual(down.map(\.payload).max()!, 1_350) }
            // The fill ends at the first silence of more than 1 s; it holds about `target` seconds of both tracks.
            var fillEnd = down[0].time
            for (a, b) in zip(down, down.dropFirst()) where b.time - a.time > 1 { fillEnd = a.time; break }
            let fillBytes = Double(down.filter { $0.time <= fillEnd }.reduce(0) { $0 + $1.payload })
            let fillRatio = fillBytes * 8 / (target * (bitrate + audio))
            XCTAssertTrue((0.75...1.5).contains(fillRatio), "seed \(seed): fill \(fillBytes) B for a \(target) s target, ratio \(fillRatio)")
            // Steady state: the media arrives at the playback rate, in bursts with idle seconds between them.
            let steady = down.filter { $0.time > fillEnd + 1 }
            let span = steady.last!.time - steady.first!.time
            let rate = Double(steady.reduce(0) { $0 + $1.payload }) * 8 / span
            XCTAssertEqual(rate / (bitrate + audio), 1, accuracy: 0.3, "seed \(seed): \(rate) bit/s for \(bitrate) + \(audio)")
            let bursts = burstStarts(steady.map(\.time), gap: 0.3)
            let fewest = span / max(segment, audioSegment), most = span / segment + span / audioSegment + 1
            XCTAssertTrue(Double(bursts.count) >= fewest * 0.8 && Double(bursts.count) <= most * 1.2,
                          "seed \(seed): \(bursts.count) bursts in \(span) s for \(segment) / \(audioSegment) s ranges")
            var bins = [Int](repeating: 0, count: Int(span) + 1)
            for p in steady { bins[Int(p.time - steady[0].time)] += p.frameLength }
            let idle = Double(bins.filter { $0 < 10_000 }.count) / Double(bins.count)
            XCTAssertGreaterThan(idle, 0.4, "seed \(seed): ON-OFF, \(idle) of the seconds idle")
        }
        XCTAssertTrue(rates.contains { $0 <= 1.2e6 }, "a low rung among the seeds: \(rates)")
    }

    func testVoiceCallSendsEvery20msBothWaysAtTheDrawnRate() throws {
        for seed: UInt64 in 1...3 {
            let (s, packets) = try writeAndRead(session("call:voice", link: .cable, duration: 30, seed: seed))
            let call = try XCTUnwrap(s.flows.first { $0.role == .call })
            XCTAssertEqual(call.serverPort, 8801)
            for (up, key) in [(true, "rate_up"), (false, "rate_down")] {
                let audio = packets.filter { $0.proto == 17 && ($0.dstPort == 8801) == up && ($0.srcPort == 8801) != up && $0.byte8 == 0x0F }
                let gaps = zip(audio.dropFirst(), audio).map { $0.time - $1.time }
                XCTAssertEqual(median(gaps), 0.02, accuracy: 0.002, "seed \(seed) up \(up)")
                let perSecond = Double(audio.count) / (audio.last!.time - audio.first!.time)
                if s.drawn["dtx"] == 0 { XCTAssertEqual(perSecond, 50, accuracy: 2) } else { XCTAssertTrue((35...51).contains(perSecond), "\(perSecond)") }
                // On the wire while talking: mean frame × 50 packets/s.
                let wire = Double(audio.reduce(0) { $0 + $1.frameLength }) / Double(audio.count) * 8 * 50
                XCTAssertTrue((55e3...115e3).contains(wire), "seed \(seed): \(wire) bit/s")
                XCTAssertEqual(wire / s.drawn[key]!, 1, accuracy: 0.1, "seed \(seed) \(key)")
                XCTAssertTrue(audio.allSatisfy { $0.frameLength <= 400 })
            }
            XCTAssertFalse(packets.contains { $0.proto == 17 && $0.payload > 400 }, "no video in a voice call")
        }
    }

    func testFileDownloadIsFullSegmentsAtLinkOrServerRate() throws {
        var capped = 0, uncapped = 0
        for seed: UInt64 in 1...5 {
            let (s, packets) = try writeAndRead(session("download:file", link: .dsl, duration: 20, seed: seed))
            let flow = try XCTUnwrap(s.flows.first { $0.role == .download })
            let data = packets.filter { $0.src == flow.server && $0.dstPort == Int(flow.clientPort) && $0.payload > 0 }
            XCTAssertGreaterThan(data.count, 100)
            let full = data.filter { $0.payload == 1_448 }.count
            XCTAssertGreaterThan(Double(full) / Double(data.count), 0.9, "seed \(seed): mostly MSS-sized segments")
            // The rate while the file flows: at most the drawn server limit (or the link), and close to it.
            let span = data.last!.time - data.first!.time
            let rate = Double(data.reduce(0) { $0 + $1.frameLength }) * 8 / span
            let cap = s.drawn["rate_cap"]!
            let limit = cap > 0 ? min(cap, s.downlink) : s.downlink
            if cap > 0 && cap < s.downlink { capped += 1 } else { uncapped += 1 }
            XCTAssertLessThanOrEqual(rate, limit * 1.1, "seed \(seed): \(rate) bit/s, limit \(limit)")
            // Below the limit only as far as loss holds a Reno sender back (Mathis et al.: 1.22 MSS / (RTT √p);
            // the dsl link loses 0.1 % of the segments).
            let lossBound = 1.22 * 1_448 * 8 / (s.rtt * 0.001.squareRoot())
            XCTAssertGreaterThan(rate, min(limit, lossBound) * 0.6, "seed \(seed): \(rate) bit/s, limit \(limit), loss bound \(lossBound)")
            // A file that ended inside the capture arrived whole (plus TLS framing and response headers).
            let size = s.drawn["file1_bytes"]!
            if flow.lastTime < 19 {
                XCTAssertEqual(Double(flow.payloadDown) / size, 1.01, accuracy: 0.02, "seed \(seed)")
            } else {
                XCTAssertLessThan(Double(flow.payloadDown), size * 1.02)
            }
            XCTAssertTrue((2e6...2e9).contains(size))
        }
        XCTAssertGreaterThan(capped, 0)
        XCTAssertGreaterThan(uncapped, 0)
    }

    func testUpdateUsesParallelConnectionsToOneCDNHost() throws {
        for seed: UInt64 in 1...3 {
            let (s, packets) = try writeAndRead(session("download:update", link: .dsl, duration: 15, seed: seed))
            let n = Int(s.drawn["connections"]!)
            XCTAssertTrue((2...6).contains(n))
            let manifest = try XCTUnwrap(s.flows.first { $0.role == .download })
            XCTAssertLessThan(manifest.payloadDown, 70_000, "the manifest comes first and is small")
            let cdn = s.flows.filter { $0.role == .download && $0.serverName != manifest.serverName }
            XCTAssertEqual(cdn.count, n)
            XCTAssertEqual(Set(cdn.map(\.server)).count, 1, "one CDN host")
            // Read back: every CDN connection carries data, and they overlap in time.
            var spans: [(Double, Double)] = []
            for f in cdn {
                let data = packets.filter { $0.proto == 6 && $0.dstPort == Int(f.clientPort) && $0.srcPort == 443 && $0.payload > 0 }
                XCTAssertGreaterThan(data.reduce(0) { $0 + $1.payload }, 500_000, "seed \(seed)")
                spans.append((data.first!.time, data.last!.time))
            }
            XCTAssertLessThan(spans.map(\.0).max()!, spans.map(\.1).min()!, "seed \(seed): the connections run in parallel")
            XCTAssertGreaterThan(manifest.firstTime, 0)
            XCTAssertLessThan(manifest.lastTime, spans.map(\.0).min()! + 10)
        }
    }

    func testBrowsingIsPageLoadsSeparatedByReadingPauses() throws {
        let (s, packets) = try writeAndRead(session("web:browse", link: .cable, duration: 120, seed: 3))
        let pages = Int(s.drawn["pages"]!)
        XCTAssertGreaterThanOrEqual(pages, 2)
        let data = packets.filter { $0.proto == 6 && $0.srcPort == 443 && $0.payload > 0 }
        let starts = burstStarts(data.map(\.time), gap: 4.5)
        XCTAssertEqual(starts.count, pages, "one burst per page: \(starts)")
        for (i, start) in starts.enumerated() {
            let end = i + 1 < starts.count ? starts[i + 1] : 1e9
            let burst = data.filter { $0.time >= start && $0.time < end }
            let bytes = Double(burst.reduce(0) { $0 + $1.payload })
            let drawn = s.drawn["page\(i + 1)_bytes"]!
            // The page's objects, plus TLS framing and the servers' handshake flights.
            if end < 1e9 || burst.last!.time < 110 { XCTAssertTrue((1.0...1.3).contains(bytes / drawn), "page \(i + 1): \(bytes) B for \(drawn)") }
            let connections = Set(packets.filter { $0.time >= start && $0.time < start + 4 && $0.proto == 6 && $0.dstPort == 443 }.map(\.srcPort))
            XCTAssertGreaterThanOrEqual(connections.count, 3, "several connections per page")
        }
    }

    func testNewProfilesWorkInATunnelWithSeveralClientsAndBackground() throws {
        for name in ["video:web", "call:voice", "download:file", "download:update", "web:browse"] {
            let (s, packets) = try writeAndRead(session(name, link: .dsl, duration: 4, seed: 2, background: [.dns],
                                                        options: SimulationOptions(clients: 2, vpn: true)))
            XCTAssertTrue(s.tunnel)
            XCTAssertFalse(packets.isEmpty, name)
            XCTAssertTrue(packets.allSatisfy { $0.proto == 17 && $0.srcPort == 51_820 && $0.dstPort == 51_820 }, name)
            XCTAssertEqual(Set(s.flows.filter { $0.role != .tunnel && $0.role != .dns }.map(\.clientIndex)), [0, 1], name)
        }
        let a = try simulate("download:update", link: nil, duration: 5, seed: 4).1
        let b = try simulate("download:update", link: nil, duration: 5, seed: 4).1
        XCTAssertTrue(a == b, "same seed, same bytes")
    }

    func testManifestHasCategoryBackgroundAndClients() throws {
        let base = NSTemporaryDirectory() + "simcorpus-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let entries = try Corpus.generate(directory: base, profiles: [.call(.voice), .web(.browse), .spotify(.low)], count: 1, duration: 2,
                                          seed: 1, link: .dsl, download: nil, background: [.dns, .lan],
                                          options: SimulationOptions(clients: 2))
        XCTAssertEqual(entries.map(\.path), ["voice/call-voice-0000.pcap", "browse/web-browse-0000.pcap", "low/spotify-low-0000.pcap"])
        let manifest = try String(contentsOfFile: base + "/manifest.csv", encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        XCTAssertEqual(manifest[0], ["path", "label", "profile", "download", "link", "seed", "duration", "packets", "phases", "category", "background", "clients", "fetches"])
        XCTAssertEqual(manifest[1].suffix(4), ["call", "dns+lan", "2", ""])
        XCTAssertEqual(manifest[2].suffix(4), ["browsing", "dns+lan", "2", ""])
        XCTAssertEqual(manifest[3].suffix(4).prefix(3), ["audio", "dns+lan", "2"])
        XCTAssertGreaterThanOrEqual(Int(manifest[3][12]) ?? -1, 0, "a Spotify row counts its track fetches")
        XCTAssertEqual(manifest[1][1], "voice")
        let none = try Corpus.generate(directory: base + "/none", profiles: [.download(.update)], count: 1, duration: 2, seed: 1, link: .dsl,
                                       download: nil, background: [])
        XCTAssertTrue(none[0].csvRow.hasSuffix(",download,,1,"), none[0].csvRow)
    }
}

/// The ladder as the docs give it (a copy, so that a changed ladder fails here).
enum WebVideoClientLadder {
    static let rungs: Set<Double> = [0.3e6, 0.7e6, 1.2e6, 2.5e6, 4e6, 6e6]
}
