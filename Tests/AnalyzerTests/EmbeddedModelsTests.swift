import Foundation
import Trees
import XCTest
@testable import Analyzer

/// The models in the binary are exactly the files in models/, and each one binds to the feature engine.
final class EmbeddedModelsTests: XCTestCase {
    var modelsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("models")
    }

    func testEmbeddedModelsMatchTheModelFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: modelsDirectory.path).filter { $0.hasSuffix(".json") }
        XCTAssertEqual(Set(files.map { String($0.dropLast(5)) }), Set(EmbeddedModels.json.keys),
                       "run scripts/embed-models.sh after changing models/")
        for file in files {
            let text = try String(contentsOf: modelsDirectory.appendingPathComponent(file), encoding: .utf8)
            let name = String(file.dropLast(5))
            XCTAssertEqual(EmbeddedModels.json[name]?.trimmingCharacters(in: .newlines), text.trimmingCharacters(in: .newlines),
                           "\(file) differs from its embedded copy: run scripts/embed-models.sh")
        }
    }

    func testTheDefaultModelLoadsAndBinds() throws {
        let model = try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.json)
        XCTAssertEqual(model.classes, ["low", "normal", "high", "very_high", "lossless"])
        let bound = try BoundModel(model)
        XCTAssertEqual(bound.featureSet.featureNames, model.featureNames)
        XCTAssertFalse(bound.patterns.isEmpty, "the default model declares its service names")
        XCTAssertTrue(bound.config.quietWindows)
        XCTAssertEqual(bound.config.window, 3)
    }
}
