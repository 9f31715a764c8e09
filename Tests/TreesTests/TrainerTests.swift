import Foundation
import SplitMix
import XCTest
@testable import Trees

/// A learnable problem: class centres in `features` dimensions plus noise; a few features are pure noise.
func syntheticTable(rows n: Int, features f: Int = 8, classes k: Int = 3, noise: Double = 1.0, seed: UInt64,
                    missingShare: Double = 0) -> TrainingTable {
    var rng = SplitMix64(seed: seed)
    var centres: [[Double]] = []
    var centreRNG = SplitMix64(seed: 99)
    for _ in 0..<k { centres.append((0..<f).map { j in j < f - 2 ? centreRNG.normal() * 2 : 0 }) }
    var rows: [Double] = [], labels: [String] = [], groups: [String] = []
    for i in 0..<n {
        let c = Int(rng.next() % UInt64(k))
        for j in 0..<f {
            var v = centres[c][j] + rng.normal() * noise
            if missingShare > 0 && Double(rng.next() % 10_000) / 10_000 < missingShare { v = .nan }
            rows.append(v)
        }
        labels.append("class\(c)")
        groups.append("g\(i % 5)")
    }
    return TrainingTable(featureNames: (0..<f).map { "f\($0)" }, rows: rows, labels: labels, groups: groups)
}

final class TrainerTests: XCTestCase {
    func accuracy(_ model: TreeModel, on table: TrainingTable) -> Double {
        let predicted = model.predictClasses(rows: table.rows)
        let truth = table.labels.map { model.classes.firstIndex(of: $0)! }
        return ConfusionMatrix(classes: model.classes, truth: truth, predicted: predicted).accuracy
    }

    func testForestLearnsASyntheticProblem() throws {
        let train = syntheticTable(rows: 3000, seed: 1), test = syntheticTable(rows: 1000, seed: 2)
        var p = ForestParameters()
        p.trees = 30; p.seed = 7
        let out = try ForestTrainer.train(train, parameters: p)
        let acc = accuracy(out.model, on: test)
        XCTAssertGreaterThan(acc, 0.9, "held-out accuracy \(acc)")
        // The two noise features (last) matter least.
        XCTAssertEqual(out.importances.count, 8)
        XCTAssertEqual(out.importances.reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertLessThan(out.importances[6] + out.importances[7], out.importances[0..<6].max()!)
        XCTAssertEqual(out.model.ensemble.kind, .randomForest)
        XCTAssertEqual(out.model.ensemble.trees.count, 30)
    }

    func testSingleTreeFitsTrainingDataAndEntropyWorks() throws {
        let train = syntheticTable(rows: 1500, seed: 3)
        var p = ForestParameters.singleTree
        p.criterion = .entropy
        let out = try ForestTrainer.train(train, parameters: p)
        XCTAssertEqual(out.model.ensemble.kind, .decisionTree)
        XCTAssertEqual(accuracy(out.model, on: train), 1.0, accuracy: 1e-12)  // grown to purity on distinct rows
        p.maxDepth = 2
        let shallow = try ForestTrainer.train(train, parameters: p).model
        XCTAssertLessThanOrEqual(shallow.ensemble.trees[0].nodeCount, 7)
    }

    func testMinSamplesLeafIsRespected() throws {
        let train = syntheticTable(rows: 800, seed: 4)
        var p = ForestParameters.singleTree
        p.minSamplesLeaf = 25
        let tree = try ForestTrainer.train(train, parameters: p).model.ensemble.trees[0]
        // Route every training row and count rows per leaf.
        var perLeaf: [Int: Int] = [:]
        for r in 0..<train.rowCount {
            var i = 0
            while tree.feature[i] >= 0 {
                i = train.rows[r * 8 + tree.feature[i]] <= tree.threshold[i] ? tree.left[i] : tree.right[i]
            }
            perLeaf[i, default: 0] += 1
        }
        XCTAssertGreaterThanOrEqual(perLeaf.values.min()!, 25)
    }

    func testSameSeedGivesIdenticalBytesWhateverTheThreads() throws {
        let train = syntheticTable(rows: 1200, seed: 5, missingShare: 0.05)
        var p = ForestParameters()
        p.trees = 12; p.seed = 42; p.jobs = 1
        let one = try ForestTrainer.train(train, parameters: p).model.jsonText()
        p.jobs = 2
        let two = try ForestTrainer.train(train, parameters: p).model.jsonText()
        p.jobs = 4
        let four = try ForestTrainer.train(train, parameters: p).model.jsonText()
        XCTAssertTrue(one == two && two == four)
        p.seed = 43
        let other = try ForestTrainer.train(train, parameters: p).model.jsonText()
        XCTAssertFalse(one == other)
        // And it loads back as a valid model file.
        XCTAssertNoThrow(try TreeModel.decode(json: one, source: "trained"))
    }

    /// NaN rule: missing values have their own bin; a split sends them to the side that lowers impurity
    /// more, and stores that as the node's missing direction.
    func testMissingValuesGoToTheSideThatFitsThem() throws {
        // Feature 0 separates the classes; in class "b" half the values are missing.
        var rows: [Double] = [], labels: [String] = []
        for i in 0..<400 {
            let isB = i % 2 == 1
            rows.append(isB ? (i % 4 == 1 ? .nan : 10 + Double(i % 7)) : Double(i % 7))
            labels.append(isB ? "b" : "a")
        }
        let table = TrainingTable(featureNames: ["x"], rows: rows, labels: labels, groups: Array(repeating: "g", count: 400))
        let model = try ForestTrainer.train(table, parameters: .singleTree).model
        let tree = model.ensemble.trees[0]
        XCTAssertEqual(tree.feature[0], 0)
        XCTAssertFalse(tree.missingLeft[0], "NaN rows are class b, which sits right of the threshold")
        XCTAssertEqual(model.predict([.nan]).label, "b")
        XCTAssertEqual(model.predict([3]).label, "a")
        XCTAssertEqual(model.predict([12]).label, "b")
        // Thresholds are midpoints in raw feature space: between 6 and 10.
        XCTAssertEqual(tree.threshold[0], 8, accuracy: 2)
    }

    /// A split can separate missing from present values alone: every value left, NaN right.
    func testSplitOnMissingness() throws {
        var rows: [Double] = [], labels: [String] = []
        for i in 0..<200 { rows.append(i % 2 == 0 ? 5 : .nan); labels.append(i % 2 == 0 ? "present" : "absent") }
        let table = TrainingTable(featureNames: ["x"], rows: rows, labels: labels, groups: Array(repeating: "g", count: 200))
        let model = try ForestTrainer.train(table, parameters: .singleTree).model
        XCTAssertEqual(model.predict([5]).label, "present")
        XCTAssertEqual(model.predict([1e300]).label, "present")
        XCTAssertEqual(model.predict([.nan]).label, "absent")
        XCTAssertEqual(model.ensemble.trees[0].nodeCount, 3)
    }

    /// Batch prediction over several threads gives exactly the single-thread numbers and the single-row API's.
    func testParallelBatchEqualsSerial() throws {
        let train = syntheticTable(rows: 1500, seed: 12, missingShare: 0.02)
        var p = ForestParameters(); p.trees = 15; p.seed = 3
        let model = try ForestTrainer.train(train, parameters: p).model
        let test = syntheticTable(rows: 5000, seed: 13, missingShare: 0.02)
        let serial = model.predictProbabilities(rows: test.rows, jobs: 1)
        XCTAssertEqual(model.predictProbabilities(rows: test.rows, jobs: 2), serial)
        XCTAssertEqual(model.predictProbabilities(rows: test.rows, jobs: 3), serial)
        for r in stride(from: 0, to: 5000, by: 97) {
            XCTAssertEqual(model.predict(Array(test.rows[(r * 8)..<(r * 8 + 8)])).probabilities, Array(serial[(r * 3)..<(r * 3 + 3)]))
        }
    }

    func testThresholdsKeepLessOrEqualSemanticsOnTies() throws {
        // Values 1, 2, 3: class by value, so x <= threshold must reproduce the binned split exactly.
        var rows: [Double] = [], labels: [String] = []
        for i in 0..<300 { let v = Double(i % 3 + 1); rows.append(v); labels.append("c\(Int(v))") }
        let table = TrainingTable(featureNames: ["x"], rows: rows, labels: labels, groups: Array(repeating: "g", count: 300))
        let model = try ForestTrainer.train(table, parameters: .singleTree).model
        for v in [1.0, 2.0, 3.0] { XCTAssertEqual(model.predict([v]).label, "c\(Int(v))") }
        XCTAssertEqual(Set(model.ensemble.trees[0].threshold.filter { $0 != 0 }), [1.5, 2.5])
    }

    func testBalancedClassWeightsHelpTheRareClass() throws {
        var rows: [Double] = [], labels: [String] = []
        var rng = SplitMix64(seed: 11)
        for i in 0..<2000 {
            let rare = i % 20 == 0
            rows.append((rare ? 1.0 : 0.0) + rng.normal() * 0.8)
            labels.append(rare ? "rare" : "common")
        }
        let table = TrainingTable(featureNames: ["x"], rows: rows, labels: labels, groups: Array(repeating: "g", count: 2000))
        var p = ForestParameters()
        p.trees = 20; p.minSamplesLeaf = 20; p.seed = 1
        let plain = try ForestTrainer.train(table, parameters: p).model
        p.classWeight = .balanced
        let balanced = try ForestTrainer.train(table, parameters: p).model
        func rareRecall(_ m: TreeModel) -> Double {
            let pred = m.predictClasses(rows: table.rows)
            let truth = table.labels.map { m.classes.firstIndex(of: $0)! }
            return ConfusionMatrix(classes: m.classes, truth: truth, predicted: pred).perClass[1].recall
        }
        XCTAssertGreaterThan(rareRecall(balanced), rareRecall(plain) + 0.2)
    }

    func testMaxFeaturesParsing() {
        XCTAssertEqual(MaxFeatures(parsing: "sqrt")?.resolve(featureCount: 37), 6)
        XCTAssertEqual(MaxFeatures(parsing: "log2")?.resolve(featureCount: 37), 5)
        XCTAssertEqual(MaxFeatures(parsing: "all")?.resolve(featureCount: 37), 37)
        XCTAssertEqual(MaxFeatures(parsing: "10")?.resolve(featureCount: 37), 10)
        XCTAssertEqual(MaxFeatures(parsing: "0.5")?.resolve(featureCount: 37), 18)
        XCTAssertNil(MaxFeatures(parsing: "-3"))
        XCTAssertNil(MaxFeatures(parsing: "many"))
    }

    func testInvalidParametersAreRejected() {
        var p = ForestParameters()
        p.minSamplesSplit = 1
        XCTAssertThrowsError(try p.validated())
        p = ForestParameters(); p.trees = 0
        XCTAssertThrowsError(try p.validated())
    }
}
