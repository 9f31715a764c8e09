import Foundation
import XCTest
@testable import Trees

/// The Swift evaluator reproduces scikit-learn's and XGBoost's predict_proba on committed inputs
/// (scripts/make_tree_fixtures.py): forests and trees to 1e-9, boosted trees to 1e-5.
final class ParityTests: XCTestCase {
    func check(_ name: String, tolerance: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try Fixtures.model(name)
        let expected = try Fixtures.expected(name)
        let f = model.featureCount, k = model.classCount
        let flat = expected.rows.flatMap { $0.map { $0 ?? .nan } }
        XCTAssertEqual(flat.count, expected.rows.count * f, file: file, line: line)
        XCTAssertGreaterThan(expected.rows.count, 0, file: file, line: line)
        XCTAssertEqual(expected.probabilities.count, expected.rows.count, file: file, line: line)
        for jobs in [1, 2] {
            let batch = model.predictProbabilities(rows: flat, jobs: jobs)
            XCTAssertEqual(batch.count, expected.rows.count * k, file: file, line: line)
            var worst = 0.0
            var notANumber = 0   // counted apart: `max` drops a NaN, and a later finite difference would overwrite one
            for (r, want) in expected.probabilities.enumerated() {
                XCTAssertEqual(want.count, k, file: file, line: line)
                for c in 0..<k {
                    let difference = abs(batch[r * k + c] - want[c])
                    if difference.isNaN { notANumber += 1 } else if difference > worst { worst = difference }
                }
            }
            XCTAssertEqual(notANumber, 0, "\(name) jobs \(jobs): NaN probabilities or expectations", file: file, line: line)
            XCTAssertLessThanOrEqual(worst, tolerance, "\(name) jobs \(jobs): largest difference \(worst)", file: file, line: line)
        }
        // Single-row API agrees with the batch API exactly.
        let batch = model.predictProbabilities(rows: flat)
        for r in 0..<expected.rows.count {
            let single = model.predict(Array(flat[(r * f)..<(r * f + f)]))
            XCTAssertEqual(single.probabilities, Array(batch[(r * k)..<(r * k + k)]), file: file, line: line)
            XCTAssertEqual(single.classIndex, TreeModel.argmax(expected.probabilities[r]), "row \(r)", file: file, line: line)
            XCTAssertEqual(single.confidence, single.probabilities[single.classIndex], file: file, line: line)
        }
    }

    /// The plain threshold walk (used when a feature has too many distinct thresholds for the rank
    /// form) gives the same numbers as the rank form.
    func testThresholdWalkMatchesRankWalk() throws {
        for name in ["dt_4class_nan", "rf_4class_scaled", "et_4class", "xgb_binary", "xgb_4class"] {
            let model = try Fixtures.model(name)
            let plain = EnsembleEvaluator(ensemble: model.ensemble, classCount: model.classCount,
                                          featureCount: model.featureCount, scaler: model.scaler, rankForm: false)
            XCTAssertNil(plain.rankNodes)
            XCTAssertNotNil(model.evaluator.rankNodes)
            let rows = try Fixtures.expected(name).rows.flatMap { $0.map { $0 ?? .nan } }
            XCTAssertEqual(plain.predictProbabilities(rows: rows), model.evaluator.predictProbabilities(rows: rows), name)
            let f = model.featureCount, k = model.classCount
            var one = [Double](repeating: 0, count: k)
            rows.withUnsafeBufferPointer { r in
                one.withUnsafeMutableBufferPointer { plain.probabilities(row: UnsafeBufferPointer(rebasing: r[0..<f]), into: $0) }
            }
            XCTAssertEqual(one, Array(model.evaluator.predictProbabilities(rows: Array(rows[0..<f]))), name)
        }
    }

    /// The evaluator is built at its first use, once, even when threads ask for it together.
    func testEvaluatorIsBuiltOnFirstUseOnce() throws {
        let model = try Fixtures.model("rf_4class_scaled")
        XCTAssertFalse(model.lazyEvaluator.isBuilt)
        XCTAssertEqual(model.nodeCount, model.ensemble.trees.reduce(0) { $0 + $1.nodeCount })
        XCTAssertFalse(model.lazyEvaluator.isBuilt, "reading the trees does not build it")
        let rows = try Fixtures.expected("rf_4class_scaled").rows.flatMap { $0.map { $0 ?? .nan } }
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var all: [[Double]] = []
            func add(_ p: [Double]) { lock.lock(); all.append(p); lock.unlock() }
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in results.add(model.predictProbabilities(rows: rows)) }
        XCTAssertTrue(model.lazyEvaluator.isBuilt)
        XCTAssertEqual(results.all.count, 8)
        let first = try XCTUnwrap(results.all.first)
        XCTAssertFalse(first.isEmpty)
        for p in results.all { XCTAssertEqual(p, first) }
        // A copy of the model shares the built evaluator.
        let copy = model
        XCTAssertTrue(copy.lazyEvaluator.isBuilt)
    }

    func testDecisionTreeBinary() throws { try check("dt_binary", tolerance: 1e-9) }
    func testDecisionTreeFourClassesWithMissingValues() throws { try check("dt_4class_nan", tolerance: 1e-9) }
    func testRandomForestBinary() throws { try check("rf_binary", tolerance: 1e-9) }
    func testRandomForestBehindScaler() throws {
        XCTAssertNotNil(try Fixtures.model("rf_4class_scaled").scaler)
        try check("rf_4class_scaled", tolerance: 1e-9)
    }
    func testExtraTrees() throws { try check("et_4class", tolerance: 1e-9) }
    func testXGBoostBinary() throws {
        XCTAssertEqual(try Fixtures.model("xgb_binary").ensemble.aggregation, .sigmoid)
        try check("xgb_binary", tolerance: 1e-5)
    }
    func testXGBoostFourClasses() throws {
        XCTAssertEqual(try Fixtures.model("xgb_4class").ensemble.aggregation, .softmax)
        try check("xgb_4class", tolerance: 1e-5)
    }

    func testImportedModelKeepsLabelEncoderOrderAndFeatures() throws {
        let model = try Fixtures.model("xgb_4class")
        XCTAssertEqual(model.classes, ["high", "low", "normal", "very_high"])
        XCTAssertEqual(model.featureNames.first, "bytes_per_second")
        XCTAssertEqual(model.ensemble.comparison, .less)
        XCTAssertEqual(model.ensemble.featurePrecision, .float32)
    }

    /// A model written by Swift and read back evaluates identically.
    func testRoundTripThroughJSONText() throws {
        for name in ["rf_4class_scaled", "xgb_4class", "dt_4class_nan"] {
            let model = try Fixtures.model(name)
            let again = try TreeModel.decode(json: model.jsonText(), source: "roundtrip")
            XCTAssertTrue(again.ensemble == model.ensemble, name)
            XCTAssertEqual(again.scaler, model.scaler, name)
            XCTAssertTrue(again.jsonText() == model.jsonText(), name)
        }
    }
}
