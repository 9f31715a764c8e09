import Foundation
import XCTest

/// `evaluate` and `analyze` apply a model's temporal smoothing (`temporal` in the file).
final class TemporalSmoothingCLITests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try CLIRunner.temporaryDirectory("temporal-cli") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A forest that answers 1 when x > 0.5, with `temporal` set to a 3-window centred mean.
    func smoothedModel() throws -> String {
        var csv = "x,label\n"
        for i in 0..<200 { let x = Double(i) / 199; csv += "\(x),\(x > 0.5 ? 1 : 0)\n" }
        let table = dir.appendingPathComponent("train.csv")
        try csv.write(to: table, atomically: true, encoding: .utf8)
        let path = dir.appendingPathComponent("m.json").path
        let train = try CLIRunner.run(["train", table.path, "-o", path, "--trees", "5", "--folds", "0", "--jobs", "1"])
        XCTAssertEqual(train.status, 0, train.stderr)
        var doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        doc["temporal"] = ["kind": "moving_mean", "windows": 3, "alignment": "centred"]
        try JSONSerialization.data(withJSONObject: doc).write(to: URL(fileURLWithPath: path))
        return path
    }

    func accuracy(_ args: [String]) throws -> (Double, String) {
        let r = try CLIRunner.run(args + ["--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        return (try XCTUnwrap(doc["accuracy"] as? Double), r.stdout)
    }

    /// Two captures interleaved row by row: capture a (label 1, one stray window that looks like 0)
    /// and capture b (label 0). Right everywhere only when each capture is smoothed on its own.
    func testEvaluateSmoothsEachCaptureSeparately() throws {
        let model = try smoothedModel()
        let a = [0.9, 0.9, 0.1, 0.9, 0.9, 0.9], b = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
        var grouped = "capture,x,label\n", ungrouped = "x,label\n"
        for i in a.indices {
            grouped += "a,\(a[i]),1\nb,\(b[i]),0\n"
            ungrouped += "\(a[i]),1\n\(b[i]),0\n"
        }
        let g = dir.appendingPathComponent("grouped.csv"), u = dir.appendingPathComponent("ungrouped.csv")
        try grouped.write(to: g, atomically: true, encoding: .utf8)
        try ungrouped.write(to: u, atomically: true, encoding: .utf8)

        let (smoothed, json) = try accuracy(["evaluate", "-m", model, g.path])
        XCTAssertEqual(smoothed, 1.0, json)
        XCTAssertTrue(json.contains("\"temporal\""), json)
        let (single, _) = try accuracy(["evaluate", "-m", model, g.path, "--temporal", "none"])
        XCTAssertEqual(single, 11.0 / 12.0, accuracy: 1e-9)
        // Without a group column the file is one sequence: a's windows are averaged with b's.
        let (mixed, _) = try accuracy(["evaluate", "-m", model, u.path])
        XCTAssertLessThan(mixed, 0.75)

        let text = try CLIRunner.run(["evaluate", "-m", model, g.path])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("temporal smoothing applied: moving mean over 3 windows (centred)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("2 groups"), text.stdout)
        let override = try CLIRunner.run(["evaluate", "-m", model, g.path, "--temporal", "5:sideways"])
        XCTAssertNotEqual(override.status, 0)
        XCTAssertTrue(override.stderr.contains("--temporal"), override.stderr)
    }

    /// `analyze --model models/webcam-presence.json` on a simulated alternating call.
    func testAnalyzeWebcamPresenceOnASimulatedCall() throws {
        let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models/webcam-presence.json").path
        let pcap = dir.appendingPathComponent("call.pcap").path
        let sim = try CLIRunner.run(["simulate", "--profile", "call:alternate", "-d", "120", "--seed", "6", "--link", "wifi", "-o", pcap])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let text = try CLIRunner.run(["analyze", "--model", model, pcap])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("1 = a person in front of the"), text.stdout)
        XCTAssertTrue(text.stdout.contains("window classes from the moving mean over"), text.stdout)
        XCTAssertTrue(text.stdout.contains("final (majority of windows): "), text.stdout)
        XCTAssertTrue(text.stdout.contains("1 flow"), text.stdout)
        let json = try CLIRunner.run(["analyze", "--model", model, pcap, "--format", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let stream = try XCTUnwrap((doc["streams"] as? [[String: Any]])?.first)
        let flows = try XCTUnwrap(stream["flows"] as? [[String: Any]])
        XCTAssertEqual(flows.count, 1)
        XCTAssertTrue(flows[0]["protocol"] as? String == "UDP" && flows[0]["server_port"] as? Int == 8801, "\(flows)")
        let classes = Set((stream["windows"] as! [[String: Any]]).compactMap { $0["class"] as? String })
        XCTAssertEqual(classes, ["0", "1"], "the windows of an alternating call should show both answers")
    }
}
