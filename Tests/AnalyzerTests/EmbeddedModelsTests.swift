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

    /// The compiled forms in the binary are the files in models/compiled/, and they are what the
    /// commands load (`EmbeddedModels.models`).
    func testEmbeddedCompiledModelsMatchTheirFilesAndAreLoaded() throws {
        XCTAssertEqual(Set(EmbeddedModels.compiled.keys), Set(EmbeddedModels.json.keys))
        XCTAssertEqual(Set(EmbeddedModels.models.keys), Set(EmbeddedModels.json.keys))
        for (name, bytes) in EmbeddedModels.compiled {
            let file = try Data(contentsOf: modelsDirectory.appendingPathComponent("compiled/\(name).spmodel"))
            XCTAssertTrue(bytes == file, "models/compiled/\(name).spmodel differs from its embedded copy")
            XCTAssertTrue(EmbeddedModels.models[name] == bytes, "\(name): the commands do not load its compiled form")
        }
    }

    /// A compiled form recording a JSON file of another length than the embedded JSON (compiled from
    /// an older JSON) is passed over for the JSON.
    func testAStaleCompiledFormIsPassedOver() throws {
        let json = try XCTUnwrap(EmbeddedModels.json["live-vs-vod"])
        let compiled = try XCTUnwrap(EmbeddedModels.compiled["live-vs-vod"])
        let newer = json + Data(" ".utf8)
        XCTAssertTrue(EmbeddedModels.preferred(json: ["m": json], compiled: ["m": compiled])["m"] == compiled)
        XCTAssertTrue(EmbeddedModels.preferred(json: ["m": newer], compiled: ["m": compiled])["m"] == newer)
        XCTAssertTrue(EmbeddedModels.preferred(json: ["m": json], compiled: ["m": json])["m"] == json)
    }

    /// Every embedded model loads, validates and binds to the feature engine it needs, from its JSON
    /// and from its compiled form, to the same trees.
    func testEveryEmbeddedModelLoads() throws {
        for name in EmbeddedModels.json.keys.sorted() {
            let model = try ModelLocator.resolve(nameOrPath: name, embedded: EmbeddedModels.json)
            XCTAssertEqual(model.name, name)
            XCTAssertFalse(model.card.objectValue?.isEmpty ?? true, "\(name) has a card")
            let compiled = try ModelLocator.resolve(nameOrPath: name, embedded: EmbeddedModels.models)
            XCTAssertEqual(compiled.source, "embedded:\(name)")
            XCTAssertTrue(compiled.ensemble == model.ensemble, name)
            XCTAssertTrue(compiled.streamModel?.model.ensemble == model.streamModel?.model.ensemble, name)
        }
    }

    func testTheDefaultModelLoadsAndBinds() throws {
        let model = try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.models)
        XCTAssertEqual(model.classes, ["low", "normal", "high", "very_high", "lossless"])
        let bound = try BoundModel(model)
        XCTAssertEqual(bound.featureSet.featureNames, model.featureNames)
        XCTAssertFalse(bound.patterns.isEmpty, "the default model declares its service names")
        XCTAssertTrue(bound.config.quietWindows)
        XCTAssertEqual(bound.config.window, 3)
    }
}
