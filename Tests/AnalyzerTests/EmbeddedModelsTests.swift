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
                       "every models/*.json needs its #embed line in Sources/ModelData/models.c, and nothing else")
        for file in files {
            let bytes = try Data(contentsOf: modelsDirectory.appendingPathComponent(file))
            XCTAssertEqual(EmbeddedModels.json[String(file.dropLast(5))], bytes, "\(file) differs from its embedded copy")
        }
    }

    /// Every embedded model loads, validates and binds to the feature engine it needs.
    func testEveryEmbeddedModelLoads() throws {
        for name in EmbeddedModels.json.keys.sorted() {
            let model = try ModelLocator.resolve(nameOrPath: name, embedded: EmbeddedModels.json)
            XCTAssertEqual(model.name, name)
            XCTAssertFalse(model.card.objectValue?.isEmpty ?? true, "\(name) has a card")
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
