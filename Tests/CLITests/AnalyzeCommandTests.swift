import Foundation
import Simulator
import XCTest

/// End-to-end tests of `analyze` and `features`: captures from the project's simulator, a small
/// model trained by the project's trainer, and the real binary.
final class AnalyzeCommandTests: XCTestCase {
    /// Built once for the whole class: two tiers, a model trained on them, and test captures.
    struct Fixture {
        var dir: URL
        var model: String
        var lowCapture: String
        var highCapture: String
        var highWithBackground: String
    }

    nonisolated(unsafe) static var fixture: Fixture?
    static let services = ["audio*.scdn.co", "audio*.spotifycdn.com", "audio-ak-spotify-com.akamaized.net"]

    func fixture() throws -> Fixture {
        if let f = Self.fixture { return f }
        let dir = try CLIRunner.temporaryDirectory("analyze-cli")
        func sh(_ args: [String]) throws {
            let r = try CLIRunner.run(args, currentDirectory: dir)
            XCTAssertEqual(r.status, 0, "\(args.joined(separator: " ")): \(r.stderr)")
        }
        var csvs: [String] = []
        for (tier, seed) in [("low", 11), ("very_high", 12)] {
            try sh(["simulate", "--corpus", "corpus", "--profiles", "spotify:\(tier)", "--count", "3", "-d", "90",
                    "--seed", "\(seed)", "--link", "cable", "--download", "paced"])
            let captures = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("corpus/\(tier)").path)
                .filter { $0.hasSuffix(".pcap") }.sorted().map { "corpus/\(tier)/\($0)" }
            var args = ["features"] + captures + ["--set", "stream-v1", "--scope", "streams", "--label", tier, "--skip-skipped", "-o", "\(tier).csv"]
            for s in Self.services { args += ["--service", s] }
            try sh(args)
            csvs.append("\(tier).csv")
        }
        try sh(["train"] + csvs + ["-o", "model.json", "--trees", "15", "--seed", "3", "--feature-set", "stream-v1",
                                   "--window-seconds", "3", "--folds", "0", "--name", "test-quality"])
        // The trainer does not know which flows the features came from: declare the service names.
        let modelURL = dir.appendingPathComponent("model.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: modelURL)) as! [String: Any]
        json["selection"] = ["service_patterns": Self.services, "unit": "client-stream"]
        try JSONSerialization.data(withJSONObject: json).write(to: modelURL)

        try sh(["simulate", "--profile", "spotify:low", "-d", "90", "--seed", "101", "--link", "cable", "--download", "paced", "-o", "low.pcap"])
        try sh(["simulate", "--profile", "spotify:very_high", "-d", "90", "--seed", "102", "--link", "cable", "--download", "paced", "-o", "high.pcap"])
        try sh(["simulate", "--profile", "spotify:very_high", "-d", "90", "--seed", "102", "--link", "cable", "--download", "paced",
                "--background", "web", "--background", "dns", "--background", "quic", "--background", "download",
                "--background", "lan", "-o", "high-bg.pcap"])
        let f = Fixture(dir: dir, model: modelURL.path, lowCapture: dir.appendingPathComponent("low.pcap").path,
                        highCapture: dir.appendingPathComponent("high.pcap").path,
                        highWithBackground: dir.appendingPathComponent("high-bg.pcap").path)
        Self.fixture = f
        return f
    }

    func analyzeJSON(_ args: [String]) throws -> [String: Any] {
        let r = try CLIRunner.run(["analyze"] + args + ["--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    }

    func testTextReportOfOneCapture() throws {
        let f = try fixture()
        let r = try CLIRunner.run(["analyze", f.highCapture, "-m", f.model])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("prediction: very_high"), r.stdout)
        XCTAssertTrue(r.stdout.contains("final (majority of windows): very_high"), r.stdout)
        XCTAssertTrue(r.stdout.contains("selected: flows whose TLS SNI or DNS name matches"), r.stdout)
        XCTAssertTrue(r.stdout.contains("share of windows:"), r.stdout)
        // The reference's spelling, --pcap, gives the same report.
        let again = try CLIRunner.run(["analyze", "--pcap", f.highCapture, "-m", f.model])
        XCTAssertEqual(again.stdout, r.stdout)
        let low = try CLIRunner.run(["analyze", f.lowCapture, "-m", f.model, "-q"])
        XCTAssertEqual(low.status, 0, low.stderr)
        XCTAssertEqual(low.stdout.split(separator: "\n").count, 1, low.stdout)
        XCTAssertTrue(low.stdout.hasPrefix(f.lowCapture + ": 192.168.1.20 "), low.stdout)
        XCTAssertTrue(low.stdout.contains(" final "), low.stdout)
    }

    func testJSONCarriesFinalAndProbabilities() throws {
        let f = try fixture()
        let doc = try analyzeJSON([f.highCapture, "-m", f.model])
        let streams = try XCTUnwrap(doc["streams"] as? [[String: Any]])
        XCTAssertEqual(streams.count, 1)
        XCTAssertEqual(streams[0]["final"] as? String, "very_high")
        XCTAssertEqual(streams[0]["class"] as? String, "very_high")
        let probabilities = try XCTUnwrap(streams[0]["probabilities"] as? [[String: Any]])
        let sum = probabilities.compactMap { $0["probability"] as? Double }.reduce(0, +)
        XCTAssertEqual(sum, 1, accuracy: 1e-9)
        XCTAssertFalse((streams[0]["windows"] as? [Any] ?? []).isEmpty)
    }

    /// The result must not depend on background traffic: web, DNS, QUIC, another download, LAN chatter.
    func testBackgroundTrafficDoesNotChangeTheResult() throws {
        let f = try fixture()
        let alone = try analyzeJSON([f.highCapture, "-m", f.model])
        let mixed = try analyzeJSON([f.highWithBackground, "-m", f.model])
        XCTAssertGreaterThan(mixed["packets"] as! Int, 3 * (alone["packets"] as! Int), "the background adds traffic")
        let a = (alone["streams"] as! [[String: Any]])[0], m = (mixed["streams"] as! [[String: Any]])[0]
        XCTAssertEqual(a["class"] as? String, m["class"] as? String)
        XCTAssertEqual(a["final"] as? String, m["final"] as? String)
        let pa = (a["probabilities"] as! [[String: Any]]).map { $0["probability"] as! Double }
        let pm = (m["probabilities"] as! [[String: Any]]).map { $0["probability"] as! Double }
        for (x, y) in zip(pa, pm) { XCTAssertEqual(x, y, accuracy: 0.05) }
        // Without the model's service names, everything mixed, the background dominates.
        let mixedAll = try analyzeJSON([f.highWithBackground, "-m", f.model, "--scope", "all"])
        XCTAssertEqual((mixedAll["streams"] as! [[String: Any]]).count, 1)
    }

    /// Two clients behind one link: one result per client's stream.
    func testSeveralClientsGiveSeveralStreams() throws {
        let f = try fixture()
        let path = f.dir.appendingPathComponent("two-clients.pcap").path
        let sim = try CLIRunner.run(["simulate", "--profile", "spotify:very_high", "--clients", "2", "-d", "60", "--seed", "5",
                                     "--link", "cable", "--download", "paced", "-o", path])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let doc = try analyzeJSON([path, "-m", f.model])
        let streams = try XCTUnwrap(doc["streams"] as? [[String: Any]])
        XCTAssertEqual(streams.count, 2)
        XCTAssertNotEqual(streams[0]["client"] as? String, streams[1]["client"] as? String)
    }

    func testScopesAndClient() throws {
        let f = try fixture()
        let reference = try analyzeJSON([f.highCapture, "-m", f.model, "--scope", "reference"])
        let rs = (reference["streams"] as! [[String: Any]])[0]
        XCTAssertTrue((rs["selection"] as! String).contains("IPv4"))
        let client = try analyzeJSON([f.highCapture, "-m", f.model, "--client", "192.168.1.20"])
        XCTAssertEqual((client["streams"] as! [[String: Any]])[0]["client"] as? String, "192.168.1.20")
        let bad = try CLIRunner.run(["analyze", f.highCapture, "-m", f.model, "--client", "not-an-address"])
        XCTAssertEqual(bad.status, 64)
    }

    func testWindowsCSV() throws {
        let f = try fixture()
        let out = f.dir.appendingPathComponent("windows.csv").path
        let r = try CLIRunner.run(["analyze", f.highCapture, "-m", f.model, "--windows-csv", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let lines = text.split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("capture,client,window_index,start_s,end_s,start_epoch,end_epoch,window_count,packets,skipped,idle,class,confidence,p_"), String(lines[0]))
        let first = lines[1].split(separator: ",", omittingEmptySubsequences: false)
        XCTAssertGreaterThan(Double(first[5]) ?? 0, 1.0e9, "epoch times")
        XCTAssertGreaterThan(lines.count, 5)
    }

    func testDirectoryModeKeepsGoingPastBadFiles() throws {
        let f = try fixture()
        let dir = f.dir.appendingPathComponent("batch")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("nested"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: f.highCapture, toPath: dir.appendingPathComponent("a-capture.bin").path)
        try FileManager.default.copyItem(atPath: f.lowCapture, toPath: dir.appendingPathComponent("nested/b.pcap").path)
        // A capture cut inside its global header, and a text file: neither stops the others.
        let head = try Data(contentsOf: URL(fileURLWithPath: f.lowCapture)).prefix(4)
        try head.write(to: dir.appendingPathComponent("c-cut.pcap"))
        try Data("hello".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        let r = try CLIRunner.run(["analyze", "--dir", dir.path, "-m", f.model, "--jobs", "2"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stdout.contains("summary of"), r.stdout)
        XCTAssertTrue(r.stdout.contains("1 failed"), r.stdout)
        XCTAssertTrue(r.stdout.contains("very_high"), r.stdout)
        XCTAssertTrue(r.stdout.contains("error:"), r.stdout)
        XCTAssertFalse(r.stdout.contains("notes.txt"), "a text file is not a capture")
        let json = try CLIRunner.run(["analyze", "--dir", dir.path, "-m", f.model, "--format", "json", "--jobs", "1"])
        XCTAssertEqual(json.status, 2)
        let lines = json.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, json.stdout)
        let docs = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(docs.filter { $0["error"] != nil }.count, 1)
        // Stable order: the same lines whatever the number of jobs.
        let parallel = try CLIRunner.run(["analyze", "--dir", dir.path, "-m", f.model, "--format", "json", "--jobs", "3"])
        XCTAssertEqual(parallel.stdout, json.stdout)
    }

    func testBadInputsAndModels() throws {
        let f = try fixture()
        let missing = try CLIRunner.run(["analyze", "/nonexistent/x.pcap", "-m", f.model])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/x.pcap"), missing.stderr)

        let corrupt = f.dir.appendingPathComponent("corrupt.json")
        try Data("{\"format\": \"streamprobe-model\", \"format_version\": 1, \"name\": ".utf8).write(to: corrupt)
        let bad = try CLIRunner.run(["analyze", f.highCapture, "-m", corrupt.path])
        XCTAssertEqual(bad.status, 65, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("corrupt.json"), bad.stderr)

        // A model reading a feature the engine cannot compute.
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: f.model))) as! [String: Any]
        var features = json["features"] as! [String]
        features[0] = "frobnication_index"
        json["features"] = features
        let mismatch = f.dir.appendingPathComponent("mismatch.json")
        try JSONSerialization.data(withJSONObject: json).write(to: mismatch)
        let mm = try CLIRunner.run(["analyze", f.highCapture, "-m", mismatch.path])
        XCTAssertEqual(mm.status, 65, mm.stderr)
        XCTAssertTrue(mm.stderr.contains("frobnication_index"), mm.stderr)

        let unknown = try CLIRunner.run(["analyze", f.highCapture, "-m", "no-such-model"])
        XCTAssertEqual(unknown.status, 65, unknown.stderr)
        let usage = try CLIRunner.run(["analyze"])
        XCTAssertEqual(usage.status, 64)
    }

    func testFeaturesCSVAndJSONL() throws {
        let f = try fixture()
        let r = try CLIRunner.run(["features", f.highCapture, "--label", "very_high", "--scope", "reference"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        XCTAssertEqual(Array(header.prefix(9)), ["capture", "unit", "window_index", "start_s", "end_s", "start_epoch", "end_epoch", "packets", "skipped"])
        XCTAssertEqual(header.count, 9 + 37 + 1)
        XCTAssertEqual(header.last, "label")
        XCTAssertTrue(lines[1].hasSuffix(",very_high"))
        let jsonl = try CLIRunner.run(["features", f.highCapture, "--set", "livevod-v1", "--format", "jsonl"])
        XCTAssertEqual(jsonl.status, 0, jsonl.stderr)
        for line in jsonl.stdout.split(separator: "\n") {
            XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        let unknown = try CLIRunner.run(["features", f.highCapture, "--set", "no-such-set"])
        XCTAssertEqual(unknown.status, 64, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("no-such-set"), unknown.stderr)
    }

    /// `train` straight from folders of labelled captures (label = folder name), with a labels CSV too.
    func testTrainOnLabelledCaptures() throws {
        let f = try fixture()
        var args = ["train", "corpus", "-o", "from-captures.json", "--trees", "8", "--folds", "2", "--seed", "1"]
        for s in Self.services { args += ["--service", s] }
        let r = try CLIRunner.run(args, currentDirectory: f.dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let model = try JSONSerialization.jsonObject(with: Data(contentsOf: f.dir.appendingPathComponent("from-captures.json"))) as! [String: Any]
        XCTAssertEqual(model["classes"] as? [String], ["low", "very_high"])
        XCTAssertEqual(model["feature_set"] as? String, "stream-v1")
        XCTAssertEqual((model["selection"] as? [String: Any])?["service_patterns"] as? [String], Self.services)
        let analysed = try CLIRunner.run(["analyze", f.highCapture, "-m", f.dir.appendingPathComponent("from-captures.json").path, "-q"])
        XCTAssertEqual(analysed.status, 0, analysed.stderr)
        XCTAssertTrue(analysed.stdout.contains(" very_high "), analysed.stdout)

        // evaluate reads the same folders, with the model's own feature set and service names.
        let evaluated = try CLIRunner.run(["evaluate", "-m", "from-captures.json", "corpus", "--format", "json"], currentDirectory: f.dir)
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])
        XCTAssertGreaterThan(metrics["accuracy"] as? Double ?? 0, 0.8)

        let captures = try FileManager.default.contentsOfDirectory(atPath: f.dir.appendingPathComponent("corpus/low").path)
            .filter { $0.hasSuffix(".pcap") }.sorted()
        try "path,label\ncorpus/low/\(captures[0]),quiet\ncorpus/low/\(captures[1]),calm\n"
            .write(to: f.dir.appendingPathComponent("labels.csv"), atomically: true, encoding: .utf8)
        let labelled = try CLIRunner.run(["train", "corpus/low", "--labels", "labels.csv", "-o", "one.json", "--trees", "2", "--folds", "0"],
                                         currentDirectory: f.dir)
        XCTAssertEqual(labelled.status, 0, labelled.stderr)
        XCTAssertTrue(labelled.stderr.contains("\(captures[2]): not in the labels file"), labelled.stderr)
        let one = try JSONSerialization.jsonObject(with: Data(contentsOf: f.dir.appendingPathComponent("one.json"))) as! [String: Any]
        XCTAssertEqual(one["classes"] as? [String], ["calm", "quiet"])
    }

    /// `-` reads standard input through a pipe, in every command that reads captures; `analyze` gives
    /// the file's answer also when the stream has to be chosen by volume (a VPN: no service name).
    func testStandardInput() throws {
        let dir = try CLIRunner.temporaryDirectory("stdin")
        defer { try? FileManager.default.removeItem(at: dir) }
        let vpn = dir.appendingPathComponent("vpn.pcap")
        try Session(profile: .spotify(.high), link: .vpn, download: .paced, duration: 90, seed: 77).write(to: vpn.path)
        let fromFile = try CLIRunner.run(["analyze", vpn.path, "--format", "json"])
        let fromPipe = try CLIRunner.run(["analyze", "-", "--format", "json"], stdin: vpn)
        XCTAssertEqual(fromPipe.status, 0, fromPipe.stderr)
        XCTAssertTrue(fromFile.stdout.contains("most download bytes"), "chosen by volume: \(fromFile.stdout.prefix(600))")
        // On a pipe, JSON Lines: the windows as they complete, then the report, which is the file's.
        let lines = fromPipe.stdout.split(separator: "\n").map(String.init)
        XCTAssertGreaterThan(lines.count, 2)
        XCTAssertTrue(lines.dropLast().allSatisfy { $0.hasPrefix("{\"client\"") && $0.contains("\"type\":\"window\"") }, fromPipe.stdout)
        let report = try XCTUnwrap(lines.last).replacingOccurrences(of: ",\"type\":\"report\"", with: "")
        XCTAssertEqual(report.replacingOccurrences(of: "\"stdin\"", with: "\"\(vpn.path)\"") + "\n", fromFile.stdout)
        // gzip-compressed (by gzip(1)): read directly, the same answer, also when read twice.
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gz.arguments = ["-k", vpn.path]
        try gz.run()
        gz.waitUntilExit()
        let fromGzip = try CLIRunner.run(["analyze", vpn.path + ".gz", "--format", "json"])
        XCTAssertEqual(fromGzip.status, 0, fromGzip.stderr)
        XCTAssertEqual(fromGzip.stdout.replacingOccurrences(of: vpn.path + ".gz", with: vpn.path), fromFile.stdout)
        let flows = try CLIRunner.run(["flows", "-", "--format", "csv"], stdin: vpn)
        XCTAssertEqual(flows.status, 0, flows.stderr)
        XCTAssertEqual(flows.stdout, try CLIRunner.run(["flows", vpn.path, "--format", "csv"]).stdout)
        let features = try CLIRunner.run(["features", "-", "-o", "-"], stdin: vpn)
        XCTAssertEqual(features.status, 0, features.stderr)
        XCTAssertGreaterThan(features.stdout.split(separator: "\n").count, 10)
        let notCapture = try CLIRunner.run(["analyze", "-"], stdin: URL(fileURLWithPath: #filePath))
        XCTAssertEqual(notCapture.status, 66, notCapture.stderr)
        XCTAssertTrue(notCapture.stderr.hasPrefix("streamprobe: stdin: "), notCapture.stderr)
    }

    /// Several capture arguments: analyze runs them as a batch (a bad one does not stop the others,
    /// exit 2), flows writes one report per capture (JSON Lines, or one CSV with a capture column).
    func testSeveralCaptureArguments() throws {
        let dir = try CLIRunner.temporaryDirectory("several")
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.pcap").path, b = dir.appendingPathComponent("b.pcap").path
        try Session(profile: .spotify(.high), link: .cable, download: .paced, duration: 60, seed: 81).write(to: a)
        try Session(profile: .spotify(.low), link: .cable, download: .paced, duration: 60, seed: 82).write(to: b)
        let bad = dir.appendingPathComponent("notes.pcap").path
        try Data("not a capture".utf8).write(to: URL(fileURLWithPath: bad))
        let batch = try CLIRunner.run(["analyze", a, bad, b, "-q"])
        XCTAssertEqual(batch.status, 2, batch.stderr)
        let lines = batch.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, batch.stdout)
        XCTAssertTrue(lines[0].hasPrefix("\(a): "), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("\(bad): error: "), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("\(b): "), lines[2])
        let json = try CLIRunner.run(["flows", a, b, "--format", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let docs = json.stdout.split(separator: "\n")
        XCTAssertEqual(docs.count, 2)
        XCTAssertEqual(try docs.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["capture"] as? String }, [a, b])
        let csv = try CLIRunner.run(["flows", a, b, "--format", "csv"])
        let rows = csv.stdout.split(separator: "\n")
        XCTAssertTrue(rows[0].hasPrefix("capture,client,"), String(rows[0]))
        XCTAssertEqual(rows.filter { $0.hasPrefix("capture,") }.count, 1, "one header")
        XCTAssertTrue(rows.dropFirst().allSatisfy { $0.hasPrefix(a + ",") || $0.hasPrefix(b + ",") })
        XCTAssertTrue(rows.contains { $0.hasPrefix(b + ",") })
    }
}
