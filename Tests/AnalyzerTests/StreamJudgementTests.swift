import Foundation
import Trees
import XCTest
@testable import Analyzer

final class StreamJudgementTests: XCTestCase {
    /// A model with classes low, high, video, call and the given rule (the trees do not matter here).
    func model(_ rule: DecisionRule) throws -> TreeModel {
        var m = try TreeModel(
            name: "t", task: "t", classes: ["low", "high", "video", "call"], featureSet: "summary-v1", featureNames: ["ss_down_kbps"],
            ensemble: TreeEnsemble(kind: .decisionTree, comparison: .lessOrEqual, aggregation: .meanDistribution, trees: [
                TreeArrays(feature: [-2], threshold: [0], left: [-1], right: [-1], missingLeft: [false], value: [1, 1, 1, 1])]))
        m.decision = rule
        return m
    }

    let notAudio = ["not_audio": ["video", "call"]]

    func testGroupedClassesAddUpAndNameWhatTheyLookLike() throws {
        let m = try model(DecisionRule(groups: notAudio))
        let j = try XCTUnwrap(StreamJudge.judge([0.3, 0.1, 0.35, 0.25], model: m, selectedByName: false))
        XCTAssertEqual(j.label, "not_audio")
        XCTAssertEqual(j.confidence, 0.6, accuracy: 1e-12)
        XCTAssertEqual(j.looksLike, "video")
        XCTAssertEqual(j.probabilities.map(\.label), ["low", "high", "not_audio"])
        XCTAssertEqual(j.probabilities.map(\.probability).reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertFalse(j.isBetween)
    }

    func testAStreamSelectedByAServiceNameIsNeverNotAudio() throws {
        let m = try model(DecisionRule(groups: notAudio, namedExcludes: ["video", "call"]))
        let j = try XCTUnwrap(StreamJudge.judge([0.3, 0.1, 0.35, 0.25], model: m, selectedByName: true))
        XCTAssertEqual(j.label, "low")
        XCTAssertEqual(j.confidence, 0.75, accuracy: 1e-12)
        XCTAssertNil(j.looksLike)
    }

    func testCalibrationSetsTheConfidenceAndTheRestKeepsItsProportions() throws {
        let cal = Calibration(method: "isotonic", x: [0, 1], y: [0, 0.5])
        let m = try model(DecisionRule(groups: notAudio, calibration: cal))
        let j = try XCTUnwrap(StreamJudge.judge([0.8, 0.2, 0, 0], model: m, selectedByName: false))
        XCTAssertEqual(j.rawConfidence, 0.8, accuracy: 1e-12)
        XCTAssertEqual(j.confidence, 0.4, accuracy: 1e-12)
        XCTAssertEqual(j.probabilities[1].probability, 0.6, accuracy: 1e-12)
    }

    func testBelowTheThresholdTheAnswerNamesItsCandidates() throws {
        let m = try model(DecisionRule(groups: notAudio, betweenBelow: 0.6))
        let j = try XCTUnwrap(StreamJudge.judge([0.45, 0.4, 0.1, 0.05], model: m, selectedByName: false))
        XCTAssertTrue(j.isBetween)
        XCTAssertEqual(j.alternatives.map(\.label), ["low", "high"])
        XCTAssertEqual(j.text, "low or high")
        let sure = try XCTUnwrap(StreamJudge.judge([0.7, 0.2, 0.1, 0], model: m, selectedByName: false))
        XCTAssertFalse(sure.isBetween)
        XCTAssertNil(StreamJudge.judge([.nan, 0.4, 0.1, 0.05], model: m, selectedByName: false), "NaN gives no answer")
    }
}
