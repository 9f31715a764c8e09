import Foundation
import XCTest
@testable import Trees

final class DecisionRuleTests: XCTestCase {
    func testIsotonicMapInterpolatesAndClamps() {
        let c = Calibration(method: "isotonic", x: [0.2, 0.5, 0.9], y: [0.1, 0.4, 0.95])
        XCTAssertEqual(c.apply(0.0), 0.1)
        XCTAssertEqual(c.apply(0.35), 0.25, accuracy: 1e-12)
        XCTAssertEqual(c.apply(0.7), 0.675, accuracy: 1e-12)
        XCTAssertEqual(c.apply(1.0), 0.95)
        XCTAssertTrue(c.apply(.nan).isNaN)
        XCTAssertEqual(Calibration(method: "identity", x: [], y: []).apply(0.37), 0.37)
    }

    func testOutcomesPutGroupsAfterTheUngroupedClasses() {
        let rule = DecisionRule(groups: ["not_audio": ["video", "call"]])
        XCTAssertEqual(rule.outcomes(classes: ["low", "video", "high", "call"]), ["low", "high", "not_audio"])
    }

    func modelJSON(decision: String) -> String {
        """
        {"format": "streamprobe-model", "format_version": 1, "name": "t", "task": "t", "classes": ["a", "b", "v"],
         "feature_set": "summary-v1", "features": ["ss_down_kbps"], "decision": \(decision),
         "ensemble": {"kind": "decision_tree", "comparison": "<=", "aggregation": "mean_distribution",
          "trees": [{"feature": [-2], "threshold": [0], "left": [-1], "right": [-1], "missing_left": [0], "value": [1, 1, 2]}]}}
        """
    }

    func testTheRuleIsReadAndCheckedAgainstTheClasses() throws {
        let good = #"{"version": 1, "groups": {"other": ["v"]}, "named_excludes": ["v"], "between_below": 0.5, "calibration": {"method": "isotonic", "x": [0, 1], "y": [0.2, 0.9]}}"#
        let model = try TreeModel.decode(json: modelJSON(decision: good), source: "t.json")
        XCTAssertEqual(model.decision?.groups, ["other": ["v"]])
        XCTAssertEqual(model.decision?.betweenBelow, 0.5)
        XCTAssertEqual(model.decision?.calibration?.apply(0.5) ?? .nan, 0.55, accuracy: 1e-12)
        // Written back and read again: the same rule.
        let again = try TreeModel.decode(json: model.jsonText(), source: "again.json")
        XCTAssertEqual(again.decision, model.decision)

        for (bad, message) in [
            (#"{"version": 2}"#, "decision.version is 2"),
            (#"{"version": 1, "groups": {"other": ["x"]}}"#, "names \"x\", which is not a class"),
            (#"{"version": 1, "groups": {"a": ["v"]}}"#, "has the name of a class"),
            (#"{"version": 1, "calibration": {"method": "isotonic", "x": [0.5, 0.2], "y": [0.1, 0.2]}}"#, "ascending"),
            (#"{"version": 1, "between_below": 1.5}"#, "between_below = 1.5"),
        ] {
            XCTAssertThrowsError(try TreeModel.decode(json: modelJSON(decision: bad), source: "bad.json")) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error)")
                XCTAssertTrue("\(error)".hasPrefix("bad.json: "), "\(error)")
            }
        }
    }

    func testANestedStreamModelIsLoadedWithTheOuterOne() throws {
        let inner = modelJSON(decision: #"{"version": 1}"#)
        let outer = """
        {"format": "streamprobe-model", "format_version": 1, "name": "o", "task": "t", "classes": ["a", "b"],
         "feature_set": "custom", "features": ["bytes_total"], "stream_model": \(inner),
         "ensemble": {"kind": "decision_tree", "comparison": "<=", "aggregation": "mean_distribution",
          "trees": [{"feature": [-2], "threshold": [0], "left": [-1], "right": [-1], "missing_left": [0], "value": [1, 1]}]}}
        """
        let model = try TreeModel.decode(json: outer, source: "o.json")
        XCTAssertEqual(model.streamModel?.model.classes, ["a", "b", "v"])
        XCTAssertEqual(try TreeModel.decode(json: model.jsonText(), source: "o2.json").streamModel?.model.name, "t")
        let broken = outer.replacingOccurrences(of: #""classes": ["a", "b", "v"]"#, with: #""classes": ["a"]"#)
        XCTAssertThrowsError(try TreeModel.decode(json: broken, source: "o.json")) { error in
            XCTAssertTrue("\(error)".hasPrefix("o.json: stream_model.classes has 1 labels"), "\(error)")
        }
    }
}
