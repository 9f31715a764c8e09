import SplitMix
import XCTest
@testable import Trees

final class MetricsTests: XCTestCase {
    /// A 3-class matrix worked by hand.
    ///            predicted a  b  c
    /// true a              5  1  0      support 6
    /// true b              2  3  1      support 6
    /// true c              0  0  4      support 4
    func matrix() -> ConfusionMatrix {
        var m = ConfusionMatrix(classes: ["a", "b", "c"])
        m.add(truth: 0, predicted: 0, count: 5); m.add(truth: 0, predicted: 1)
        m.add(truth: 1, predicted: 0, count: 2); m.add(truth: 1, predicted: 1, count: 3); m.add(truth: 1, predicted: 2)
        m.add(truth: 2, predicted: 2, count: 4)
        return m
    }

    func testFiguresByHand() {
        let m = matrix()
        XCTAssertEqual(m.total, 16)
        XCTAssertEqual(m.accuracy, 12.0 / 16, accuracy: 1e-15)
        let p = m.perClass
        // a: precision 5/7, recall 5/6; b: 3/4, 3/6; c: 4/5, 4/4.
        XCTAssertEqual(p[0].precision, 5.0 / 7, accuracy: 1e-15)
        XCTAssertEqual(p[0].recall, 5.0 / 6, accuracy: 1e-15)
        XCTAssertEqual(p[0].f1, 2 * (5.0 / 7) * (5.0 / 6) / (5.0 / 7 + 5.0 / 6), accuracy: 1e-15)
        XCTAssertEqual(p[1].precision, 0.75, accuracy: 1e-15)
        XCTAssertEqual(p[1].recall, 0.5, accuracy: 1e-15)
        XCTAssertEqual(p[1].f1, 0.6, accuracy: 1e-15)
        XCTAssertEqual(p[2].precision, 0.8, accuracy: 1e-15)
        XCTAssertEqual(p[2].recall, 1, accuracy: 1e-15)
        XCTAssertEqual(p.map(\.support), [6, 6, 4])
        XCTAssertEqual(m.macroAverage.recall, (5.0 / 6 + 0.5 + 1) / 3, accuracy: 1e-15)
        XCTAssertEqual(m.weightedAverage.recall, m.accuracy, accuracy: 1e-15)  // weighted recall = accuracy
        XCTAssertEqual(m.weightedAverage.precision, (6 * 5.0 / 7 + 6 * 0.75 + 4 * 0.8) / 16, accuracy: 1e-15)
    }

    func testZeroDivisionCountsAsZero() {
        let m = ConfusionMatrix(classes: ["a", "b"], truth: [0, 0], predicted: [0, 0])
        XCTAssertEqual(m.perClass[1].precision, 0)
        XCTAssertEqual(m.perClass[1].recall, 0)
        XCTAssertEqual(m.perClass[1].f1, 0)
    }

    func testTextAndJSONReports() {
        let m = matrix()
        let text = m.textReport()
        XCTAssertTrue(text.contains("accuracy"))
        XCTAssertTrue(text.contains("confusion matrix"))
        let json = m.jsonValue
        XCTAssertEqual(json["accuracy"]?.numberValue, 0.75)
        XCTAssertEqual(json["confusion_matrix"]?.arrayValue?[1], .array([.number(2), .number(3), .number(1)]))
    }

    func testGroupedFoldsNeverSplitAGroup() {
        var rng = SplitMix64(seed: 3)
        let groups = (0..<500).map { _ in "capture\(rng.next() % 13)" }
        for k in [2, 3, 5, 13, 20] {
            let folds = CrossValidation.groupedFolds(groups: groups, folds: k)
            var foldOf: [String: Int] = [:]
            for (g, f) in zip(groups, folds) {
                if let seen = foldOf[g] { XCTAssertEqual(seen, f, "group \(g) split across folds") }
                foldOf[g] = f
            }
            XCTAssertEqual(Set(folds).count, min(k, 13))
        }
        // Two files → two folds, one file each.
        let two = CrossValidation.groupedFolds(groups: ["a", "a", "b", "b", "b"], folds: 5)
        XCTAssertEqual(two, [1, 1, 0, 0, 0])
    }

    func testStratifiedFoldsKeepTheClassMix() {
        let labels = (0..<300).map { $0 % 3 == 0 ? "x" : "y" }
        let folds = CrossValidation.stratifiedFolds(labels: labels, folds: 5, seed: 1)
        for f in 0..<5 {
            let inFold = labels.indices.filter { folds[$0] == f }
            XCTAssertEqual(inFold.count, 60)
            XCTAssertEqual(inFold.filter { labels[$0] == "x" }.count, 20)
        }
        XCTAssertEqual(folds, CrossValidation.stratifiedFolds(labels: labels, folds: 5, seed: 1))
    }

    func testCrossValidationPoolsEveryRowOnce() throws {
        let table = syntheticTable(rows: 600, seed: 8)
        var p = ForestParameters(); p.trees = 10
        let folds = CrossValidation.groupedFolds(groups: table.groups, folds: 5)
        let result = try CrossValidation.run(table, folds: folds, parameters: p)
        XCTAssertEqual(result.pooled.total, 600)
        XCTAssertEqual(result.foldCount, 5)
        XCTAssertGreaterThan(result.pooled.accuracy, 0.8)
    }
}
