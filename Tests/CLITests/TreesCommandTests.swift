import Foundation
import XCTest

/// `train`, `evaluate` and `models` through the real binary.
final class TreesCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try CLIRunner.temporaryDirectory("trees-cli") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A pandas-style table: unnamed index column, a text column, two informative features, one noise feature.
    func writeTable(_ name: String, rows: Int, seed: UInt64, label: String = "label") throws -> String {
        var state = seed
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        var csv = ",note,size,gap,noise,\(label)\n"
        for i in 0..<rows {
            let cls = i % 3
            let size = Double(cls) * 400 + next() * 300
            let gap = Double(2 - cls) * 0.01 + next() * 0.008
            csv += "\(i),w\(i),\(size),\(gap),\(next()),\(["low", "mid", "high"][cls])\n"
        }
        let url = dir.appendingPathComponent(name)
        try csv.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testTrainThenEvaluateRoundTrip() throws {
        let a = try writeTable("a.csv", rows: 300, seed: 1), b = try writeTable("b.csv", rows: 300, seed: 2)
        let model = dir.appendingPathComponent("m.json").path
        let train = try CLIRunner.run(["train", a, b, "-o", model, "--trees", "20", "--seed", "3", "--folds", "2", "--jobs", "2"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("grouped 2-fold cross-validation"), train.stdout)
        XCTAssertTrue(train.stdout.contains("top feature importances"), train.stdout)
        XCTAssertTrue(train.stderr.contains("unnamed first column"), train.stderr)
        XCTAssertTrue(train.stderr.contains("non-numeric column(s): note"), train.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as! [String: Any]
        XCTAssertEqual(doc["format"] as? String, "streamprobe-model")
        XCTAssertEqual(doc["features"] as? [String], ["size", "gap", "noise"])
        XCTAssertEqual(doc["classes"] as? [String], ["high", "low", "mid"])
        let card = doc["card"] as! [String: Any]
        XCTAssertNotNil(card["evaluation"])
        XCTAssertNotNil(card["feature_importances"])

        let test = try writeTable("test.csv", rows: 150, seed: 9)
        let text = try CLIRunner.run(["evaluate", "-m", model, test])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("confusion matrix"), text.stdout)
        XCTAssertTrue(text.stdout.contains("precision"), text.stdout)

        let json = try CLIRunner.run(["evaluate", "--model", model, test, "--format", "json", "--timing"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let accuracy = try XCTUnwrap(report["accuracy"] as? Double)
        XCTAssertGreaterThan(accuracy, 0.9)
        XCTAssertEqual((report["confusion_matrix"] as? [[Int]])?.count, 3)
        XCTAssertEqual((report["classes"] as? [[String: Any]])?.count, 3)
        XCTAssertNotNil((report["timing"] as? [String: Any])?["batch_rows_per_second"])
    }

    func testSameSeedSameBytes() throws {
        let a = try writeTable("a.csv", rows: 200, seed: 4)
        let m1 = dir.appendingPathComponent("1.json").path, m2 = dir.appendingPathComponent("2.json").path
        let env = ProcessInfo.processInfo.environment.merging(["SOURCE_DATE_EPOCH": "1700000000"]) { $1 }
        XCTAssertEqual(try CLIRunner.run(["train", a, "-o", m1, "--name", "same", "--trees", "8", "--seed", "5", "--jobs", "1"], environment: env).status, 0)
        XCTAssertEqual(try CLIRunner.run(["train", a, "-o", m2, "--name", "same", "--trees", "8", "--seed", "5", "--jobs", "2"], environment: env).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: m1)), try Data(contentsOf: URL(fileURLWithPath: m2)))
        XCTAssertTrue(try String(contentsOfFile: m1, encoding: .utf8).contains("\"date\": \"2023-11-14\""))
    }

    func testLabelColumnOptionAndSingleTree() throws {
        let a = try writeTable("p.csv", rows: 120, seed: 6, label: "Person")
        let model = dir.appendingPathComponent("t.json").path
        let r = try CLIRunner.run(["train", a, "-o", model, "--label-column", "Person", "--trees", "1", "--no-bootstrap",
                                   "--max-features", "all", "--max-depth", "3", "--criterion", "entropy", "--folds", "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("decision tree"), r.stdout)
        let shown = try CLIRunner.run(["models", model])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains("decision_tree"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("criterion: entropy"), shown.stdout)
    }

    func testModelsListsTheModelsDirectory() throws {
        let a = try writeTable("a.csv", rows: 90, seed: 7)
        let models = dir.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        XCTAssertEqual(try CLIRunner.run(["train", a, "-o", models.appendingPathComponent("mine.json").path, "--trees", "3", "--folds", "0"]).status, 0)
        let env = ProcessInfo.processInfo.environment.merging(["STREAMPROBE_MODELS": models.path]) { $1 }
        let list = try CLIRunner.run(["models"], environment: env)
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("mine  task: mine  classes: high, low, mid  features: custom (3)"), list.stdout)
        // By name, through the same directory.
        let test = try writeTable("t.csv", rows: 30, seed: 8)
        XCTAssertEqual(try CLIRunner.run(["evaluate", "-m", "mine", test], environment: env).status, 0)
    }

    func testErrorsAreOneLineWithTheRightStatus() throws {
        let bad = dir.appendingPathComponent("bad.json")
        try #"{"format": "streamprobe-model", "format_version": 1, "name": "x", "task": "x", "classes": ["a", "b"], "feature_set": "s", "features": ["f"], "ensemble": {"kind": "random_forest", "comparison": "<=", "aggregation": "mean_distribution", "trees": [{"feature": [0, -1, -1], "threshold": [1, 0, 0], "left": [1, -1, -1], "right": [9, -1, -1], "missing_left": [0, 0, 0], "value": [0, 0, 1, 0, 0, 1]}]}}"#
            .write(to: bad, atomically: true, encoding: .utf8)
        let table = try writeTable("a.csv", rows: 30, seed: 1)
        let r = try CLIRunner.run(["evaluate", "-m", bad.path, table])
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stderr, "streamprobe: \(bad.path): ensemble.trees[0].right[0] = 9 is out of range (tree has 3 nodes)\n")

        let missing = try CLIRunner.run(["train", dir.appendingPathComponent("nope.csv").path, "-o", dir.appendingPathComponent("o.json").path])
        XCTAssertEqual(missing.status, 66)
        XCTAssertTrue(missing.stderr.hasSuffix("nope.csv: no such file\n"), missing.stderr)

        let noLabel = try CLIRunner.run(["train", table, "-o", dir.appendingPathComponent("o.json").path, "--label-column", "klass"])
        XCTAssertEqual(noLabel.status, 66)
        XCTAssertTrue(noLabel.stderr.contains("no label column \"klass\""), noLabel.stderr)

        let usage = try CLIRunner.run(["train", table, "-o", "x.json", "--criterion", "purity"])
        XCTAssertEqual(usage.status, 64)

        // A model whose features the table lacks.
        let other = dir.appendingPathComponent("other.csv")
        try "size,label\n1,low\n2,high\n".write(to: other, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("m.json").path
        XCTAssertEqual(try CLIRunner.run(["train", table, "-o", model, "--trees", "2", "--folds", "0"]).status, 0)
        let lacks = try CLIRunner.run(["evaluate", "-m", model, other.path])
        XCTAssertEqual(lacks.status, 65)
        XCTAssertTrue(lacks.stderr.contains("needs feature(s) the input lacks: gap, noise"), lacks.stderr)
    }

    /// Everything a model file says besides its trees comes from train's options: class order, service names,
    /// window settings, description, decision rule, card members, and a host model for a stage.
    func testTheModelFileComesFromOptions() throws {
        let table = try writeTable("a.csv", rows: 150, seed: 3)
        let decision = dir.appendingPathComponent("decision.json"), card = dir.appendingPathComponent("card.json")
        try #"{"version": 1, "groups": {"edge": ["low", "high"]}, "between_below": 0.4, "report": {"ignored": true}}"#
            .write(to: decision, atomically: true, encoding: .utf8)
        try #"{"summary": "measured elsewhere", "held_out": {"accuracy": 0.5}, "limits": ["one", "two"]}"#
            .write(to: card, atomically: true, encoding: .utf8)
        let host = dir.appendingPathComponent("host.json").path
        let r = try CLIRunner.run(["train", table, "-o", host, "--trees", "4", "--folds", "0", "--class-order", "low,mid,high",
                                   "--service", "audio*.example.net", "--window", "3", "--min-packets", "15", "--burst-gap", "0.03",
                                   "--context-seconds", "600", "--window-policy", "complete", "--description", "a test model",
                                   "--decision", decision.path, "--card-file", card.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: host))) as! [String: Any]
        XCTAssertEqual(doc["classes"] as? [String], ["low", "mid", "high"])
        XCTAssertEqual(doc["description"] as? String, "a test model")
        let window = try XCTUnwrap(doc["window"] as? [String: Any])
        XCTAssertEqual(window["seconds"] as? Double, 3)
        XCTAssertEqual(window["min_packets"] as? Int, 15)
        XCTAssertEqual(window["burst_gap"] as? Double, 0.03)
        XCTAssertEqual(window["context_seconds"] as? Double, 600)
        XCTAssertEqual(window["policy"] as? String, "complete")
        let selection = try XCTUnwrap(doc["selection"] as? [String: Any])
        XCTAssertEqual(selection["service_patterns"] as? [String], ["audio*.example.net"])
        let rule = try XCTUnwrap(doc["decision"] as? [String: Any])
        XCTAssertEqual(rule["groups"] as? [String: [String]], ["edge": ["low", "high"]])
        XCTAssertEqual(rule["between_below"] as? Double, 0.4)
        XCTAssertNil(rule["report"])
        let cardDoc = try XCTUnwrap(doc["card"] as? [String: Any])
        XCTAssertEqual(cardDoc["summary"] as? String, "measured elsewhere")
        XCTAssertEqual(cardDoc["limits"] as? [String], ["one", "two"])
        XCTAssertEqual((cardDoc["held_out"] as? [String: Any])?["accuracy"] as? Double, 0.5)
        XCTAssertNotNil(cardDoc["hyper_parameters"], "the trainer's own members stay")

        // A stage: the host's own trees and settings kept, the new forest inside it without a window.
        let staged = dir.appendingPathComponent("staged.json").path
        let s = try CLIRunner.run(["train", table, "-o", staged, "--trees", "3", "--folds", "0", "--name", "stage", "--window", "60",
                                   "--stage-of", host])
        XCTAssertEqual(s.status, 0, s.stderr)
        let outer = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: staged))) as! [String: Any]
        XCTAssertEqual(outer["name"] as? String, "host")
        XCTAssertEqual((outer["ensemble"] as? [String: Any])?["trees"] as? NSArray, (doc["ensemble"] as? [String: Any])?["trees"] as? NSArray)
        let inner = try XCTUnwrap(outer["stream_model"] as? [String: Any])
        XCTAssertEqual(inner["name"] as? String, "stage")
        XCTAssertNil(inner["window"])
        XCTAssertEqual(((inner["ensemble"] as? [String: Any])?["trees"] as? [Any])?.count, 3)

        // Refused before training, one line each.
        let unknown = dir.appendingPathComponent("unknown.json")
        try #"{"version": 1, "groups": {"x": ["low", "loud"]}}"#.write(to: unknown, atomically: true, encoding: .utf8)
        let bad = try CLIRunner.run(["train", table, "-o", dir.appendingPathComponent("x.json").path, "--trees", "2", "--folds", "0",
                                     "--decision", unknown.path])
        XCTAssertEqual(bad.status, 65)
        XCTAssertTrue(bad.stderr.hasSuffix("unknown.json: decision.groups.x names \"loud\", which is not a class\n"), bad.stderr)
        let orphan = try CLIRunner.run(["train", table, "-o", dir.appendingPathComponent("x.json").path, "--min-packets", "15"])
        XCTAssertEqual(orphan.status, 64)
        XCTAssertTrue(orphan.stderr.contains("go with --window"), orphan.stderr)
    }
}
