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

    /// The model reader and Foundation's JSON parser (an independent implementation) read the same
    /// numbers and strings from the committed parity fixtures and from escaped text. Foundation's
    /// number parsing on Linux is not correctly rounded (it differs from strtod by an ulp or two on
    /// long decimals), so numbers are compared within 4 ulps.
    func testReaderAgreesWithFoundation() throws {
        for name in ["dt_4class_nan", "rf_4class_scaled", "xgb_4class"] {
            let data = try Data(contentsOf: Fixtures.url("parity/\(name).model.json"))
            let model = try TreeModel.decode(json: data, source: name)
            let oracle = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            XCTAssertEqual(model.featureNames, oracle["features"] as? [String], name)
            XCTAssertEqual(model.classes, oracle["classes"] as? [String], name)
            let trees = try XCTUnwrap((oracle["ensemble"] as? [String: Any])?["trees"] as? [[String: Any]], name)
            let root = try ModelReader.parse(data, source: name)
            guard case .read(let ensemble) = try ModelReader.file(root, source: name).ensemble else {
                XCTFail("\(name): the trees of a JSON file are read with it")
                continue
            }
            XCTAssertEqual(ensemble.trees.count, trees.count, name)
            for (t, o) in zip(ensemble.trees, trees) {
                assertClose(t.threshold, (o["threshold"] as? [NSNumber])?.map(\.doubleValue), name)
                assertClose(t.value, (o["value"] as? [NSNumber])?.map(\.doubleValue), name)
                XCTAssertEqual(t.left, o["left"] as? [Int], name)
            }
        }
        var doc = document()
        doc["name"] = "caf\u{e9} \"quoted\" \\ name \u{1F3B5}\ttab"
        XCTAssertEqual(try load(doc).name, "caf\u{e9} \"quoted\" \\ name \u{1F3B5}\ttab")
        XCTAssertEqual(try load(doc).window, WindowParameters(seconds: 3, step: 3, minPackets: 15, burstGap: 0.03, policy: "tumbling"))
        // \u escapes, a surrogate pair included, as another writer would produce them.
        let escaped = String(data: try JSONSerialization.data(withJSONObject: document()), encoding: .utf8)!
            .replacingOccurrences(of: "\"tiny\"", with: "\"t\\u0069ny \\ud83c\\udfb5\"")
        XCTAssertEqual(try TreeModel.decode(json: escaped, source: "m.json").name, "tiny \u{1F3B5}")
    }

    func assertClose(_ a: [Double], _ b: [Double]?, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let b, a.count == b.count else { return XCTFail("\(name): lengths differ", file: file, line: line) }
        for (x, y) in zip(a, b) where !(abs(x - y) <= 4 * max(x.ulp, y.ulp)) {
            return XCTFail("\(name): \(x) vs \(y)", file: file, line: line)
        }
    }

    /// Broken JSON is named by line and column; hostile nesting is refused, not recursed into.
    func testSyntaxErrorsAndDepth() {
        let broken = "{\n  \"format\": \"streamprobe-model\",\n  \"name\" 3\n}"
        XCTAssertThrowsError(try TreeModel.decode(json: broken, source: "m.json")) {
            XCTAssertEqual("\($0)", "m.json: is not valid JSON (line 3, column 10: expected ':')")
        }
        XCTAssertThrowsError(try TreeModel.decode(json: "{\"a\": 01}", source: "m.json")) {
            XCTAssertTrue("\($0)".contains("a number may not start with 0"), "\($0)")
        }
        XCTAssertThrowsError(try TreeModel.decode(json: "{\"a\": \"x\\q\"}", source: "m.json")) {
            XCTAssertTrue("\($0)".contains("invalid escape"), "\($0)")
        }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try TreeModel.decode(json: deep, source: "m.json")) {
            XCTAssertTrue("\($0)".contains("nesting deeper than 256 levels"), "\($0)")
        }
        XCTAssertThrowsError(try TreeModel.decode(json: "[1, 2]", source: "m.json")) {
            XCTAssertEqual("\($0)", "m.json: is not a JSON object")
        }
        XCTAssertThrowsError(try TreeModel.decode(json: "{} x", source: "m.json")) {
            XCTAssertTrue("\($0)".contains("unexpected text after the document"), "\($0)")
        }
    }

    /// Errors inside the small typed parts and the nested stage carry their full path.
    func testPathsInPartsAndStage() {
        assertRejects(mutated { d, _, _ in d["window"] = ["seconds": "3"] }, "window.seconds has the wrong type (expected a number)")
        assertRejects(mutated { d, _, _ in d["temporal"] = ["kind": "moving_mean", "windows": 0, "alignment": "centred"] },
                      "temporal.windows = 0 is not in 1…10000")
        assertRejects(mutated { d, _, _ in
            d["flow_rules"] = ["positive_class": "a", "name_patterns": [], "ports": [["protocol": "sctp", "port": 1]]]
        }, "flow_rules.ports[0].protocol \"sctp\" is not tcp or udp")
        var stage = document()
        var e = stage["ensemble"] as! [String: Any]
        var t = (e["trees"] as! [[String: Any]])[0]
        t["threshold"] = [0.5, "x", 0]
        e["trees"] = [t]
        stage["ensemble"] = e
        assertRejects(mutated { d, _, _ in d["stream_model"] = stage }, "stream_model.ensemble.trees[0].threshold[1] has the wrong type")
    }

    func testStrictLessComparison() throws {
        let m = try load(mutated { _, e, _ in e["comparison"] = "<" })
        XCTAssertEqual(m.predict([0.5, 0]).label, "b")
    }

    func testNotAModel() {
        XCTAssertThrowsError(try TreeModel.decode(json: "<html>", source: "m.json")) { e in
            XCTAssertTrue("\(e)".contains("m.json: is not valid JSON (line 1, column 1: unexpected character '<')"), "\(e)")
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

    /// Leaf rows and leaf children; with problems at two nodes, the first node's is named, whatever its kind.
    func testLeafProblemsAndTheFirstProblemNamed() {
        assertRejects(mutated { _, _, t in t["value"] = [0, 0, 4, -1, 1, 3] },
                      "ensemble.trees[0].value[3] = -1.0 is negative (leaf 1 is a class distribution)")
        assertRejects(mutated { _, _, t in t["left"] = [1, 5, -1] }, "ensemble.trees[0].left[1] = 5 (right -1): a leaf's children must be -1")
        assertRejects(mutated { _, _, t in t["feature"] = [0, -3, -2] }, "ensemble.trees[0].feature[1] = -3 is neither a feature index nor a leaf")
        assertRejects(mutated { _, _, t in t["value"] = [0, 0, 4, -1, 1, 3]; t["left"] = [1, -1, 7] }, "ensemble.trees[0].value[3] = -1.0 is negative")
        assertRejects(mutated { _, _, t in t["value"] = [0, 0, 4, 1, -1, 3]; t["left"] = [1, 7, -1] }, "ensemble.trees[0].left[1] = 7 (right -1)")
        assertRejects(mutated { _, _, t in t["value"] = [0, 0, 0, 0, -1, 3]; t["feature"] = [2, -1, -2] },
                      "ensemble.trees[0].feature[0] = 2 is out of range (model has 2 features)")
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
        let embedded = ["tiny": good]
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
