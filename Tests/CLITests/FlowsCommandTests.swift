import Foundation
import Simulator
import Wire
import XCTest

/// End-to-end tests of `streamprobe flows` on generated captures.
final class FlowsCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try CLIRunner.temporaryDirectory("flows-cli") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    let phone = IPAddress(192, 168, 1, 20)
    let laptop6 = IPAddress("2001:db8:aa::20")!
    let resolver = IPAddress(192, 168, 1, 1)
    let cdn = IPAddress(151, 101, 2, 133)
    let cdn6 = IPAddress("2a04:4e42::645")!

    /// Three flows: a DNS exchange, an IPv4 TLS download named by SNI (VLAN-tagged), an IPv6 QUIC exchange.
    func writeMixedCapture() throws -> String {
        let path = dir.appendingPathComponent("mixed.pcap").path
        let w = try PcapWriter(path: path, linkType: PcapLinkType.ethernet)
        var t = 1_700_000_000.0
        func put(_ f: [UInt8]) throws { t += 0.05; try w.write(timestamp: t, frame: f) }
        let vlan = LinkFields.ethernet(vlans: [5])
        try put(FrameBuilder.udp(src: phone, dst: resolver, srcPort: 40000, dstPort: 53, payload: DNSBuilder.query(id: 1, name: "x.example")))
        try put(FrameBuilder.udp(src: resolver, dst: phone, srcPort: 53, dstPort: 40000,
                                 payload: DNSBuilder.response(id: 1, question: "x.example", answers: [.a("x.example", cdn)])))
        try put(FrameBuilder.tcp(link: vlan, src: phone, dst: cdn, srcPort: 50000, dstPort: 443, seq: 0, flags: .syn))
        try put(FrameBuilder.tcp(link: vlan, src: cdn, dst: phone, srcPort: 443, dstPort: 50000, seq: 0, ack: 1, flags: [.syn, .ack]))
        try put(FrameBuilder.tcp(link: vlan, src: phone, dst: cdn, srcPort: 50000, dstPort: 443, seq: 1, ack: 1, flags: .ack,
                                 payload: TLSBuilder.clientHello(serverName: "audio.example", seed: 1)))
        for i in 0..<10 {
            try put(FrameBuilder.tcp(link: vlan, src: cdn, dst: phone, srcPort: 443, dstPort: 50000, seq: 1 + UInt32(i) * 1400,
                                     ack: 300, flags: .ack, payload: [UInt8](repeating: 0, count: 1400)))
        }
        try put(FrameBuilder.udp(src: laptop6, dst: cdn6, srcPort: 55555, dstPort: 443, payload: [0xC3] + [UInt8](repeating: 0, count: 1199)))
        try put(FrameBuilder.udp(src: cdn6, dst: laptop6, srcPort: 443, dstPort: 55555, payload: [0x41] + [UInt8](repeating: 0, count: 99)))
        try put(FrameBuilder.arp(operation: .request, senderMAC: .host, senderIP: phone, targetIP: resolver))
        try w.close()
        return path
    }

    func testTextTable() throws {
        let path = try writeMixedCapture()
        let r = try CLIRunner.run(["flows", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("\(path): 18 packets"), lines[0])
        XCTAssertEqual(lines[1], "3 flows (TCP 1, UDP 1, QUIC 1), sorted by bytes")
        XCTAssertTrue(lines[3].hasPrefix("client"), lines[3])
        // Largest first: the TLS download, named by its SNI, still open at the end of the capture.
        let tls = lines[4].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        XCTAssertEqual(tls, ["192.168.1.20:50000", "151.101.2.133:443", "TCP", "2", "\(2 * 58 + TLSBuilder.clientHello(serverName: "audio.example", seed: 1).count)",
                             "11", "\(58 + 10 * (58 + 1400))", "0.600", "eof", "audio.example"])
        XCTAssertTrue(lines[5].hasPrefix("[2001:db8:aa::20]:55555"), lines[5])
        XCTAssertTrue(lines[5].contains("QUIC"))
        XCTAssertTrue(r.stdout.contains("  network   ARP"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Anomalies: none"))
    }

    func testJSONAndLimit() throws {
        let path = try writeMixedCapture()
        let r = try CLIRunner.run(["flows", path, "--format", "json", "--limit", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(doc["flow_count"] as? Int, 3)
        XCTAssertEqual(doc["packets"] as? Int, 18)
        let flows = try XCTUnwrap(doc["flows"] as? [[String: Any]])
        XCTAssertEqual(flows.count, 2)
        XCTAssertEqual(flows[0]["service"] as? String, "audio.example")
        XCTAssertEqual(flows[0]["name_source"] as? String, "sni")
        XCTAssertEqual(flows[0]["packets_to_client"] as? Int, 11)
        XCTAssertEqual(flows[0]["payload_bytes_to_client"] as? Int, 14_000)
        XCTAssertEqual(flows[0]["client_basis"] as? String, "syn")
        XCTAssertEqual(flows[1]["protocol"] as? String, "QUIC")
        XCTAssertEqual(flows[1]["server"] as? String, "2a04:4e42::645")
        let network = try XCTUnwrap(doc["network"] as? [[String: Any]])
        XCTAssertEqual(network.first { $0["name"] as? String == "IPv6" }?["packets"] as? Int, 2)
    }

    func testCSVAndFilter() throws {
        let path = try writeMixedCapture()
        let r = try CLIRunner.run(["flows", path, "--format", "csv", "--filter", "udp"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].hasPrefix("client,client_port,server,server_port,protocol,"))
        XCTAssertTrue(lines[1].hasPrefix("2001:db8:aa::20,55555,2a04:4e42::645,443,QUIC,1,1262,1200,1,162,100,"), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("192.168.1.20,40000,192.168.1.1,53,UDP,1,"), lines[2])
        let bad = try CLIRunner.run(["flows", path, "--filter", "no such (filter"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
    }

    /// One line on stderr naming the file, and the documented exit code.
    func assertFails(_ path: String, status: Int32, mentioning text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try CLIRunner.run(["flows", path])
        XCTAssertEqual(r.status, status, r.stderr, file: file, line: line)
        XCTAssertEqual(r.stdout, "", file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("streamprobe: "), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(path), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(text), r.stderr, file: file, line: line)
    }

    func testBadInputs() throws {
        try assertFails(dir.appendingPathComponent("missing.pcap").path, status: 66, mentioning: "missing.pcap")
        try assertFails(dir.path, status: 66, mentioning: dir.path)
        let empty = dir.appendingPathComponent("empty.pcap").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        try assertFails(empty, status: 66, mentioning: "empty")
        let text = dir.appendingPathComponent("page.pcap").path
        FileManager.default.createFile(atPath: text, contents: Data("<html><body>not a capture</body></html>\n".utf8))
        try assertFails(text, status: 66, mentioning: "3c 68 74 6d")
        // 802.11 frames: a link type the decoder does not read.
        let wifi = dir.appendingPathComponent("wifi.pcap").path
        let w = try PcapWriter(path: wifi, linkType: 105)
        try w.write(timestamp: 1, frame: [UInt8](repeating: 0, count: 40))
        try w.close()
        try assertFails(wifi, status: 66, mentioning: "unsupported link type 105 (IEEE802_11)")
    }

    /// `--max-flows`: more one-packet flows than the limit end the oldest early, counted in the warning
    /// and the JSON; every flow is still listed once; a limit out of range is a usage error.
    func testMaxFlowsBoundsTheLiveFlows() throws {
        let path = dir.appendingPathComponent("many.pcap").path
        let w = try PcapWriter(path: path, linkType: PcapLinkType.ethernet)
        var t = 1_700_000_000.0
        for i in 0..<40 {
            t += 0.01
            try w.write(timestamp: t, frame: FrameBuilder.udp(src: phone, dst: resolver, srcPort: UInt16(41000 + i), dstPort: 53,
                                                             payload: DNSBuilder.query(id: UInt16(i), name: "x\(i).example")))
        }
        try w.close()
        let limited = try CLIRunner.run(["flows", path, "--format", "json", "--max-flows", "16"])
        XCTAssertEqual(limited.status, 0, limited.stderr)
        let text = try CLIRunner.run(["flows", path, "--max-flows", "16"])
        XCTAssertTrue(text.stdout.contains("24 flows were ended early (\"evicted\"): more than 16 were live at once"), text.stdout)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(limited.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(doc["flows_evicted"] as? Int, 24)
        XCTAssertEqual(doc["flow_count"] as? Int, 40)
        let plain = try CLIRunner.run(["flows", path, "--format", "json"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stderr, "")
        let all = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(all["flows_evicted"] as? Int, 0)
        XCTAssertEqual(all["flow_count"] as? Int, 40)
        for bad in ["8", "16777217", "many"] {
            let r = try CLIRunner.run(["flows", path, "--max-flows", bad])
            XCTAssertEqual(r.status, 64, "--max-flows \(bad): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--max-flows"), r.stderr)
        }
        let analyzed = try CLIRunner.run(["analyze", path, "--scope", "all", "--max-flows", "16", "--format", "json"])
        XCTAssertEqual(analyzed.status, 0, analyzed.stderr)
        XCTAssertTrue(analyzed.stderr.contains("more than 16 were live at once"), "\(analyzed.stdout.prefix(300)) \(analyzed.stderr)")
    }

    func testCaptureCutMidRecordKeepsThePacketsBefore() throws {
        let path = try writeMixedCapture()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.removeLast(30)   // the ARP record loses its end
        try bytes.write(to: URL(fileURLWithPath: path))
        let r = try CLIRunner.run(["flows", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains(": 17 packets"), r.stdout)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("streamprobe: warning: "), r.stderr)
        XCTAssertTrue(r.stderr.contains(path), r.stderr)
    }
}
