import Capture
import Features
import Foundation
import Simulator
import Trees
import XCTest
@testable import Analyzer

/// The library behind `features` and `evaluate`: which errors are thrown (the command's one error
/// path turns them into one line and an exit code), which are reported and counted, and what is written.
final class FeatureExportTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("streamprobe-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func export(_ captures: [String], output: String?, model: BoundModel? = nil, rows: FeatureExport.Rows = .windows) throws -> FeatureExport {
        let set = try FeatureSet.named("stream-v1")
        return FeatureExport(captures: captures, plan: FeaturePlan(featureSet: set, config: set.defaultConfig), options: AnalysisOptions(),
                             model: model, rows: rows, label: "high", format: .csv, leaveOutSkipped: false, output: output)
    }

    func testABatchReportsAFailedCaptureAndGoesOn() throws {
        let dir = try temporaryDirectory()
        let good = dir.appendingPathComponent("high.pcap").path, missing = dir.appendingPathComponent("nope.pcap").path
        let output = dir.appendingPathComponent("t.csv").path
        try Session(profile: .spotify(.high), link: .cable, download: .paced, duration: 30, seed: 71).write(to: good)
        let lines = CaptureBatchTests.Lines()
        let outcome = try export([missing, good], output: output).run(on: lines.console)
        XCTAssertEqual(outcome.failed, 1)
        XCTAssertEqual(outcome.exitStatus, ExitStatus.batchPartialFailure)
        XCTAssertEqual(lines.err, ["\(missing): no such file"])
        XCTAssertTrue(lines.out.isEmpty, "rows go to the output, not the console")
        let table = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(table.first.map(String.init), FeatureCSVWriter(featureNames: try FeatureSet.named("stream-v1").featureNames,
                                                                       includeLabel: true).header().trimmingCharacters(in: .newlines))
        XCTAssertGreaterThan(table.count, 2, "the good capture's windows")
        XCTAssertTrue(table.dropFirst().allSatisfy { $0.hasPrefix(good + ",") && $0.hasSuffix(",high") })
    }

    func testASingleCaptureFailureIsThrownAfterTheHeader() throws {
        let dir = try temporaryDirectory()
        let notes = dir.appendingPathComponent("notes.txt").path, output = dir.appendingPathComponent("t.csv").path
        try Data("not a capture\n".utf8).write(to: URL(fileURLWithPath: notes))
        let lines = CaptureBatchTests.Lines()
        XCTAssertThrowsError(try export([notes], output: output).run(on: lines.console)) { error in
            XCTAssertEqual(ExitStatus.code(for: error), ExitStatus.unreadableInput)
            XCTAssertTrue("\(error)".hasPrefix("\(notes): text, not a pcap or pcapng file"), "\(error)")
        }
        XCTAssertTrue(lines.err.isEmpty, "the caller reports a single capture's error, once: \(lines.err)")
        XCTAssertEqual(try String(contentsOfFile: output, encoding: .utf8).filter { $0 == "\n" }.count, 1, "the header only")
    }

    func testAnOutputThatCannotBeCreatedIsThrownBeforeAnyCapture() throws {
        let lines = CaptureBatchTests.Lines()
        XCTAssertThrowsError(try export(["nope.pcap"], output: "/nonexistent-folder/t.csv").run(on: lines.console)) { error in
            XCTAssertEqual(ExitStatus.code(for: error), ExitStatus.unreadableInput)
            XCTAssertEqual("\(error)", "/nonexistent-folder/t.csv: cannot create the output file")
        }
        XCTAssertTrue(lines.err.isEmpty, "no capture was read: \(lines.err)")
    }

    func testColumnsFollowTheModelAndTheRows() throws {
        let model = try BoundModel(try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.json))
        XCTAssertEqual(try export([], output: nil, model: model).featureNames, model.featureSet.featureNames)
        XCTAssertEqual(try export([], output: nil).featureNames, try FeatureSet.named("stream-v1").featureNames)
        XCTAssertEqual(try export([], output: nil, model: model, rows: .sessions).featureNames,
                       StreamSummary.featureNames + model.model.classes.map { "wm_p_\($0)" })
    }

    // MARK: - evaluate

    func testEvaluationRefusesATableThatDoesNotFitTheModel() throws {
        let model = try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.json)
        let lacking = TrainingTable(featureNames: ["x"], rows: [1], labels: ["high"], groups: ["g"])
        XCTAssertThrowsError(try ModelEvaluation(model: model, table: lacking, source: "t.csv", smoothing: nil, jobs: 1, measureTiming: false)) {
            XCTAssertEqual(ExitStatus.code(for: $0), ExitStatus.badModel)
            XCTAssertTrue("\($0)".hasPrefix("\(model.source): needs feature(s) the input lacks: "), "\($0)")
        }
        let zeros = [Double](repeating: 0, count: model.featureNames.count)
        let mislabelled = TrainingTable(featureNames: model.featureNames, rows: zeros, labels: ["loud"], groups: ["g"])
        XCTAssertThrowsError(try ModelEvaluation(model: model, table: mislabelled, source: "t.csv", smoothing: nil, jobs: 1, measureTiming: false)) {
            XCTAssertEqual(ExitStatus.code(for: $0), ExitStatus.unreadableInput)
            XCTAssertTrue("\($0)".hasPrefix("t.csv: label(s) loud are not classes of spotify-quality"), "\($0)")
        }
    }

    func testEvaluationCountsEveryRowOnce() throws {
        let model = try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.json)
        let n = 7
        let rows = [Double](repeating: 0, count: model.featureNames.count * n)
        let table = TrainingTable(featureNames: model.featureNames, rows: rows, labels: [String](repeating: "high", count: n),
                                  groups: [String](repeating: "g", count: n))
        let evaluation = try ModelEvaluation(model: model, table: table, source: "t.csv", smoothing: nil, jobs: 1, measureTiming: false)
        XCTAssertEqual(evaluation.rowCount, n)
        XCTAssertEqual(evaluation.groupCount, 1)
        XCTAssertTrue(evaluation.text(inputCount: 1).hasPrefix("spotify-quality on 7 rows (1 input)\ntemporal smoothing: none"),
                      evaluation.text(inputCount: 1))
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluation.json.utf8)) as? [String: Any])
        XCTAssertEqual(doc["model"] as? String, "spotify-quality")
        XCTAssertEqual(doc["schema_version"] as? Int, 1)
        XCTAssertTrue(doc["temporal"] is NSNull)
    }
}
