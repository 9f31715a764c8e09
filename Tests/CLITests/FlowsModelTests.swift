import Foundation
import Simulator
import XCTest

/// flow-v1 column positions (CLITests does not import Flows; the order is the documented one).
enum FlowFeatureNames {
    static let all = ["flow_duration", "packets_up", "packets_down", "bytes_up", "bytes_down", "size_mean_up", "size_std_up", "size_min_up",
                      "size_max_up", "size_mean_down", "size_std_down", "size_min_down", "size_max_down", "iat_mean_up", "iat_std_up", "iat_max_up",
                      "iat_mean_down", "iat_std_down", "iat_max_down", "iat_mean", "iat_max", "upload_byte_share", "upload_packet_share",
                      "empty_share_up", "empty_share_down", "first_size_up", "first_size_down", "bytes_per_second", "is_tcp", "is_quic",
                      "tls_hello", "ipv6", "server_port_class", "client_port_class", "same_port", "server_group_address", "server_local",
                      "client_local", "ended_fin", "ended_rst"]
    static func index(_ name: String) -> Int { all.firstIndex(of: name)! }
}

/// `streamprobe flows CAPTURE --model models/spotify-flow.json` on simulated home-LAN captures: the Spotify app's
/// named flows and its UDP 57621 discovery broadcasts are Spotify (by name, by port); mDNS, SSDP, DHCP, NetBIOS,
/// Dropbox LAN sync, Apple push and DNS lookups are not; in text, JSON and CSV alike.
final class FlowsModelTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try CLIRunner.temporaryDirectory("flows-model") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// The committed model, by path (until models are embedded): <package>/models/spotify-flow.json.
    static var modelPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("models/spotify-flow.json").path
    }

    func simulate(_ profile: String, _ background: [BackgroundMix], seed: UInt64, ipv6: Bool = false) throws -> String {
        let path = dir.appendingPathComponent("\(seed).pcap").path
        let session = Session(profile: Profile(parsing: profile)!, link: .cable, background: background, duration: 75, seed: seed,
                              options: SimulationOptions(ipv6: ipv6))
        try session.write(to: path)
        return path
    }

    struct Row { var server: String; var serverPort: Int; var proto: String; var service: String; var label: String; var decidedBy: String; var confidence: Double }

    func csvRows(_ text: String) -> [Row] {
        let lines = text.split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        func col(_ n: String) -> Int { header.firstIndex(of: n)! }
        return lines.dropFirst().map { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return Row(server: f[col("server")], serverPort: Int(f[col("server_port")])!, proto: f[col("protocol")], service: f[col("service")],
                       label: f[col("class")], decidedBy: f[col("decided_by")], confidence: Double(f[col("confidence")]) ?? .nan)
        }
    }

    func checkHomeLAN(_ rows: [Row], spotifyApp: Bool) {
        XCTAssertFalse(rows.isEmpty)
        for r in rows {
            let name = r.service.lowercased()
            let spotifyName = name.hasSuffix("spotify.com") || name.hasSuffix("scdn.co") || name.hasSuffix("spotifycdn.com")
                || name.hasSuffix("spotify-com.akamaized.net")
            if !name.isEmpty {
                XCTAssertEqual(r.decidedBy, "name", "\(r)")
                XCTAssertEqual(r.label, spotifyName ? "spotify" : "other", "\(r)")
                XCTAssertEqual(r.confidence, 1, "\(r)")
            } else if r.serverPort == 57621 && r.proto == "UDP" {
                XCTAssertEqual(r.label, "spotify", "\(r)")
                XCTAssertEqual(r.decidedBy, "port", "\(r)")
            } else {
                // Everything else on a home LAN: no false Spotify from the trees.
                XCTAssertEqual(r.decidedBy, "model", "\(r)")
                XCTAssertEqual(r.label, "other", "\(r)")
                XCTAssertTrue(r.confidence >= 0 && r.confidence <= 1, "\(r)")
            }
        }
        let ports = Set(rows.filter { $0.service.isEmpty }.map(\.serverPort))
        for port in [53, 5353, 1900] { XCTAssertTrue(ports.contains(port), "no flow to port \(port): \(ports.sorted())") }
        XCTAssertTrue(ports.contains(17500) || ports.contains(137) || ports.contains(67), "no LAN broadcast: \(ports.sorted())")
        XCTAssertEqual(rows.contains { $0.serverPort == 57621 }, spotifyApp)
        if spotifyApp {
            XCTAssertTrue(rows.contains { $0.label == "spotify" && $0.decidedBy == "name" })
            XCTAssertTrue(rows.contains { $0.label == "spotify" && $0.decidedBy == "port" })
        } else {
            XCTAssertFalse(rows.contains { $0.label == "spotify" }, "\(rows.filter { $0.label == "spotify" })")
        }
    }

    func testSpotifyHomeLANInAllFormats() throws {
        let path = try simulate("spotify:high", [.home, .spotifyLAN, .lan, .dns], seed: 4242)
        let csv = try CLIRunner.run(["flows", path, "--model", Self.modelPath, "--format", "csv"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        XCTAssertTrue(csv.stdout.hasPrefix("client,client_port,server,server_port,protocol,"), csv.stdout)
        XCTAssertTrue(csv.stdout.split(separator: "\n")[0].hasSuffix(",service,name_source,class,confidence,decided_by"))
        let rows = csvRows(csv.stdout)
        checkHomeLAN(rows, spotifyApp: true)

        // JSON: the same answers, flow by flow (same order: by bytes).
        let json = try CLIRunner.run(["flows", path, "-m", Self.modelPath, "--format", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(doc["model"] as? String, "spotify-flow")
        let flows = doc["flows"] as! [[String: Any]]
        XCTAssertEqual(flows.count, rows.count)
        for (f, r) in zip(flows, rows) {
            XCTAssertEqual(f["class"] as? String, r.label)
            XCTAssertEqual(f["decided_by"] as? String, r.decidedBy)
            XCTAssertEqual(f["server_port"] as? Int, r.serverPort)
            XCTAssertEqual((f["confidence"] as? Double) ?? .nan, r.confidence, accuracy: 0.0011)
        }

        // Text: the tally line and the three columns.
        let text = try CLIRunner.run(["flows", path, "--model", Self.modelPath])
        XCTAssertEqual(text.status, 0, text.stderr)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        let spotifyCount = rows.filter { $0.label == "spotify" }.count
        XCTAssertTrue(lines.contains { $0.hasPrefix("model spotify-flow: ") && $0.contains("\(spotifyCount) spotify (") }, text.stdout)
        let header = lines.first { $0.hasPrefix("client ") }!
        XCTAssertTrue(header.contains("class") && header.contains("confidence") && header.contains("decided_by"), header)
        let discovery = lines.first { $0.contains(":57621 ") }!
        XCTAssertTrue(discovery.contains(" spotify ") && discovery.contains(" port "), discovery)
        let mdns = lines.first { $0.contains("224.0.0.251:5353") }!
        XCTAssertTrue(mdns.contains(" other ") && mdns.contains(" model "), mdns)
    }

    func testHomeWithoutSpotifyHasNoSpotifyFlow() throws {
        for (seed, ipv6) in [(4243 as UInt64, false), (4244, true)] {
            let path = try simulate("web:browse", [.home, .lan, .dns, .quic], seed: seed, ipv6: ipv6)
            let r = try CLIRunner.run(["flows", path, "--model", Self.modelPath, "--format", "csv"])
            XCTAssertEqual(r.status, 0, r.stderr)
            checkHomeLAN(csvRows(r.stdout), spotifyApp: false)
        }
    }

    func testWithoutModelOutputIsUnchanged() throws {
        let path = try simulate("spotify:normal", [.spotifyLAN, .dns], seed: 4245)
        for format in ["text", "csv", "json"] {
            let plain = try CLIRunner.run(["flows", path, "--format", format])
            XCTAssertEqual(plain.status, 0)
            XCTAssertFalse(plain.stdout.contains("decided_by"), format)
            XCTAssertFalse(plain.stdout.contains("confidence"), format)
        }
        let csv = try CLIRunner.run(["flows", path, "--format", "csv"]).stdout
        XCTAssertEqual(String(csv.split(separator: "\n")[0]), "client,client_port,server,server_port,protocol,packets_to_server,bytes_to_server,"
                       + "payload_bytes_to_server,packets_to_client,bytes_to_client,payload_bytes_to_client,start,duration,end,service,name_source")
    }

    func testModelsCommandShowsTheFlowRules() throws {
        let r = try CLIRunner.run(["models", Self.modelPath])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("feature set:  flow-v1, 40 features"), r.stdout)
        XCTAssertTrue(r.stdout.contains("flow rules:   spotify by name: spotify.com, *.spotify.com, scdn.co"), r.stdout)
        XCTAssertTrue(r.stdout.contains("spotify by port: udp 57621 ("), r.stdout)
        XCTAssertTrue(r.stdout.contains("spotify by port: tcp 4070 ("), r.stdout)
        XCTAssertTrue(r.stdout.contains("else the trees: spotify when P(spotify) >= 0.9\n"), r.stdout)
    }

    func testFlowFeaturesColumns() throws {
        let path = try simulate("spotify:normal", [.spotifyLAN], seed: 4247)
        let r = try CLIRunner.run(["flows", path, "--format", "csv", "--flow-features"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(lines[0].count, 16 + 40)
        XCTAssertEqual(Array(lines[0][16...]), FlowFeatureNames.all)
        for row in lines.dropFirst() {
            XCTAssertEqual(row.count, 56)
            // flow_duration repeats the table's duration (rounded there to ms); packets_up its packets_to_server.
            XCTAssertEqual(Double(row[16]) ?? .nan, Double(row[12]) ?? .nan, accuracy: 0.0006)
            XCTAssertEqual(Double(row[17]) ?? .nan, Double(row[5]) ?? .nan)
            XCTAssertEqual(Double(row[18]) ?? .nan, Double(row[8]) ?? .nan)
        }
        let discovery = lines.first { $0[3] == "57621" }!
        XCTAssertEqual(discovery[16 + FlowFeatureNames.index("same_port")], "1.0")
        XCTAssertEqual(discovery[16 + FlowFeatureNames.index("server_group_address")], "1.0")
    }

    func testANonFlowModelIsRefusedInOneLine() throws {
        let quality = URL(fileURLWithPath: Self.modelPath).deletingLastPathComponent().appendingPathComponent("spotify-quality.json").path
        let path = try simulate("spotify:normal", [], seed: 4246)
        let r = try CLIRunner.run(["flows", path, "--model", quality])
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("spotify-quality.json") && r.stderr.contains("not a flow model"), r.stderr)
        let features = try CLIRunner.run(["flows", path, "--flow-features"])
        XCTAssertEqual(features.status, 64)
        XCTAssertTrue(features.stderr.contains("--flow-features needs --format csv"), features.stderr)
        let missing = try CLIRunner.run(["flows", path, "--model", dir.appendingPathComponent("nope.json").path])
        XCTAssertEqual(missing.status, 65)
        XCTAssertTrue(missing.stderr.contains("nope.json: no such file"), missing.stderr)
    }
}
