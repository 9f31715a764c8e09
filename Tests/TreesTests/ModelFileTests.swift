import Foundation
import XCTest
@testable import Trees

/// Loading rejects a bad file with a message that names the file, the place and the problem.
final class ModelFileTests: XCTestCase {
    /// A valid 3-node forest of one tree: x0 <= 0.5 → [1, 0], else [0.25, 0.75].
    func document() -> [String: Any] {
        [
            "format": "streamprobe-model", "format_version": 1, "name": "tiny", "task": "test",
            "classes": ["a", "b"], "feature_set": "test-v1", "features": ["x0", "x1"],
            "window": ["seconds": 3.0, "step": 3.0, "min_packets": 15, "burst_gap": 0.03, "policy": "tumbling"],
            "selection": ["service_patterns": ["*.scdn.co"], "unit": "session"],
            "card": ["summary": "a test model"],
            "ensemble": [
                "kind": "random_forest", "comparison": "<=", "aggregation": "mean_distribution",
                "trees": [[
                    "feature": [0, -1, -2], "threshold": [0.5, 0, 0], "left": [1, -1, -1], "right": [2, -1, -1],
                    "missing_left": [1, 0, 0], "value": [0, 0, 4, 0, 1, 3],
                ]],
            ],
        ]
    }

    func load(_ doc: [String: Any]) throws(ModelError) -> TreeModel {
        let data = try! JSONSerialization.data(withJSONObject: doc)
        return try TreeModel.decode(json: data, source: "m.json")
    }

    func mutated(_ change: (inout [String: Any], inout [String: Any], inout [String: Any]) -> Void) -> [String: Any] {
        var doc = document()
        var ensemble = doc["ensemble"] as! [String: Any]
        var tree = (ensemble["trees"] as! [[String: Any]])[0]
        change(&doc, &ensemble, &tree)
        ensemble["trees"] = [tree]
        doc["ensemble"] = ensemble
        return doc
    }

    func assertRejects(_ doc: [String: Any], _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try load(doc)
            XCTFail("accepted a bad model; expected \(expected)", file: file, line: line)
        } catch {
            XCTAssertTrue(error.description.hasPrefix("m.json: "), error.description, file: file, line: line)
            XCTAssertTrue(error.description.contains(expected), "\(error.description) lacks \(expected)", file: file, line: line)
        }
    }

    func testValidModelLoadsAndPredicts() throws {
        let m = try load(document())
        XCTAssertEqual(m.predict([0.2, 9]).probabilities, [1, 0])
        XCTAssertEqual(m.predict([0.5, 9]).label, "a")  // on the threshold: <= goes left
        XCTAssertEqual(m.predict([0.7, 9]).probabilities, [0.25, 0.75])  // counts normalised per leaf
        XCTAssertEqual(m.predict([.nan, 9]).label, "a")  // missing_left
        XCTAssertEqual(m.window?.minPackets, 15)
        XCTAssertEqual(m.selection?.servicePatterns, ["*.scdn.co"])
    }

    /// The quick reader (used for well-formed files) and the JSONDecoder path read the same model.
    func testQuickReaderMatchesCarefulDecoder() throws {
        for name in ["dt_4class_nan", "rf_4class_scaled", "xgb_4class"] {
            let data = try Data(contentsOf: Fixtures.url("parity/\(name).model.json"))
            let quick = try XCTUnwrap(FastModelReader.read(data), name)
            let careful = try TreeModel.decodeWithMessages(data, source: name)
            XCTAssertEqual(quick.features, careful.features)
            XCTAssertEqual(quick.classes, careful.classes)
            XCTAssertEqual(quick.scaler, careful.scaler)
            XCTAssertEqual(quick.card, careful.card)
            XCTAssertEqual(quick.ensemble.baseScore, careful.ensemble.baseScore)
            for (a, b) in zip(quick.ensemble.trees, careful.ensemble.trees) {
                XCTAssertTrue(a.feature == b.feature && a.threshold == b.threshold && a.left == b.left && a.right == b.right
                              && a.missingLeft == b.missingLeft && a.value == b.value && a.outputClass == b.outputClass, name)
            }
        }
        var doc = document()
        doc["name"] = "caf\u{e9} \"quoted\" \\ name"
        let data = try JSONSerialization.data(withJSONObject: doc)
        XCTAssertEqual(FastModelReader.read(data)?.name, "caf\u{e9} \"quoted\" \\ name")
        XCTAssertEqual(FastModelReader.read(data)?.window, WindowParameters(seconds: 3, step: 3, minPackets: 15, burstGap: 0.03, policy: "tumbling"))
        XCTAssertEqual(try load(doc).name, "caf\u{e9} \"quoted\" \\ name")
        XCTAssertNil(FastModelReader.read(Data("{\"format\": [1, \"x\"]".utf8)))
    }

    func testStrictLessComparison() throws {
        let m = try load(mutated { _, e, _ in e["comparison"] = "<" })
        XCTAssertEqual(m.predict([0.5, 0]).label, "b")
    }

    func testNotAModel() {
        XCTAssertThrowsError(try TreeModel.decode(json: "<html>", source: "m.json")) { e in
            XCTAssertTrue("\(e)".contains("m.json: is not a JSON object"), "\(e)")
        }
        assertRejects(mutated { d, _, _ in d["format"] = "something" }, "format is \"something\"")
        assertRejects(mutated { d, _, _ in d["format_version"] = 2 }, "format_version is 2")
        XCTAssertThrowsError(try TreeModel.decode(json: "", source: "m.json")) { XCTAssertEqual("\($0)", "m.json: is empty") }
    }

    func testMissingAndMistypedFields() {
        assertRejects(mutated { d, _, _ in d["classes"] = nil }, "classes is missing")
        assertRejects(mutated { _, _, t in t["threshold"] = ["x", 0, 0] }, "ensemble.trees[0].threshold[0] has the wrong type")
        assertRejects(mutated { _, e, _ in e["comparison"] = "=>" }, "ensemble.comparison")
    }

    func testIndexOutOfRange() {
        assertRejects(mutated { _, _, t in t["left"] = [99, -1, -1] },
                      "ensemble.trees[0].left[0] = 99 is out of range (tree has 3 nodes)")
        assertRejects(mutated { _, _, t in t["feature"] = [7, -1, -1] },
                      "ensemble.trees[0].feature[0] = 7 is out of range (model has 2 features)")
    }

    func testCyclesAndUnreachableNodes() {
        // Node 1 points back to node 1's parent chain: left of node 0 is 2, right is 2 → reached twice.
        assertRejects(mutated { _, _, t in t["left"] = [2, -1, -1] }, "points to a node already reached")
        // Four nodes, node 3 never reached.
        assertRejects(mutated { _, _, t in
            t["feature"] = [0, -1, -1, -1]; t["threshold"] = [0.5, 0, 0, 0]; t["left"] = [1, -1, -1, -1]
            t["right"] = [2, -1, -1, -1]; t["missing_left"] = [0, 0, 0, 0]; t["value"] = [0, 0, 1, 0, 0, 1, 1, 1]
        }, "node 3 is not reachable")
        // A cycle through an internal node: 0 → 1 → 0.
        assertRejects(mutated { _, _, t in
            t["feature"] = [0, 1, -1]; t["left"] = [1, 1, -1]; t["right"] = [2, 2, -1]
        }, "already reached")
    }

    func testArrayLengthsAndLeafWidth() {
        assertRejects(mutated { _, _, t in t["right"] = [2, -1] }, "ensemble.trees[0].right has 2 entries, but feature has 3")
        assertRejects(mutated { _, _, t in t["value"] = [0, 0, 4, 0, 1] }, "ensemble.trees[0].value has 5 numbers, expected 3 nodes × 2 = 6")
        assertRejects(mutated { _, _, t in t["missing_left"] = [2, 0, 0] }, "missing_left[0] = 2 is not 0 or 1")
        assertRejects(mutated { _, _, t in t["value"] = [0, 0, 0, 0, 1, 3] }, "sums to 0")
    }

    func testClassesFeaturesAndScaler() {
        assertRejects(mutated { d, _, _ in d["classes"] = ["a"] }, "classes has 1 labels")
        assertRejects(mutated { d, _, _ in d["classes"] = ["a", "a"] }, "classes lists \"a\" twice")
        assertRejects(mutated { d, _, _ in d["features"] = ["x0", "x0"] }, "features lists \"x0\" twice")
        assertRejects(mutated { d, _, _ in d["scaler"] = ["mean": [0.0], "scale": [1.0, 1.0]] }, "scaler.mean has 1 numbers for 2 features")
        assertRejects(mutated { d, _, _ in d["scaler"] = ["mean": [0.0, 0.0], "scale": [1.0, 0.0]] }, "scaler.scale[1] = 0.0 must be a positive number")
    }

    func testAggregationConsistency() {
        assertRejects(mutated { _, e, _ in e["kind"] = "gradient_boosting" }, "ensemble.aggregation is mean_distribution, but boosted trees")
        assertRejects(mutated { _, e, t in e["aggregation"] = "margin_softmax"; e["base_score"] = [0, 0] },
                      "ensemble.aggregation is margin_softmax, but a random_forest")
        assertRejects(mutated { _, e, t in
            e["kind"] = "gradient_boosting"; e["aggregation"] = "margin_softmax"; e["base_score"] = [0.5]
        }, "ensemble.base_score has 1 numbers; margin_softmax needs one per class (2)")
        assertRejects(mutated { _, e, t in
            e["kind"] = "gradient_boosting"; e["aggregation"] = "margin_softmax"; e["base_score"] = [0.5, 0.5]
            t["value"] = [0, 0.1, -0.2]; t["output_class"] = 5
        }, "ensemble.trees[0].output_class = 5 is out of range (2 classes)")
    }

    func testBoostedBinaryUsesSigmoid() throws {
        let m = try load(mutated { _, e, t in
            e["kind"] = "gradient_boosting"; e["aggregation"] = "margin_sigmoid"; e["base_score"] = [0.0]
            e["comparison"] = "<"; t["value"] = [0, -1.0, 2.0]
        })
        XCTAssertEqual(m.predict([0, 0]).probabilities[1], 1 / (1 + exp(1.0)), accuracy: 1e-15)
        XCTAssertEqual(m.predict([1, 0]).probabilities[1], 1 / (1 + exp(-2.0)), accuracy: 1e-15)
    }

    func testLoadFromMissingPathNamesIt() {
        XCTAssertThrowsError(try TreeModel.load(path: "/nonexistent/m.json")) {
            XCTAssertEqual("\($0)", "/nonexistent/m.json: no such file")
        }
    }

    func testLocatorOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("locator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try JSONSerialization.data(withJSONObject: document())
        var other = document(); other["name"] = "from-dir"
        try JSONSerialization.data(withJSONObject: other).write(to: dir.appendingPathComponent("tiny.json"))
        try JSONSerialization.data(withJSONObject: other).write(to: dir.appendingPathComponent("dironly.json"))
        let env = ["STREAMPROBE_MODELS": dir.path]
        let embedded = ["tiny": String(decoding: good, as: UTF8.self)]
        // Embedded names come before the directory.
        XCTAssertEqual(try ModelLocator.resolve(nameOrPath: "tiny", embedded: embedded, environment: env, executablePath: nil).name, "tiny")
        XCTAssertEqual(try ModelLocator.resolve(nameOrPath: "dironly", embedded: embedded, environment: env, executablePath: nil).name, "from-dir")
        // A path wins.
        XCTAssertEqual(try ModelLocator.resolve(nameOrPath: dir.appendingPathComponent("tiny.json").path, embedded: embedded,
                                                environment: env, executablePath: nil).name, "from-dir")
        XCTAssertThrowsError(try ModelLocator.resolve(nameOrPath: "nope", embedded: embedded, environment: env, executablePath: nil)) {
            XCTAssertTrue("\($0)".contains("known: tiny, dironly"), "\($0)")
        }
        XCTAssertEqual(ModelLocator.available(embedded: embedded, environment: env, executablePath: nil).map(\.name), ["tiny", "dironly"])
    }
}
