import Analyzer
import ArgumentParser
import Foundation
import Trees

/// `streamprobe models [NAME]`: the models this binary knows, or one model's card.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the available models (embedded, then $STREAMPROBE_MODELS, then share/streamprobe/models), or show one card.",
        discussion: "With --format json: the list as one document, or for one model the same members and its card as stored.")

    @Argument(help: "A model name or file: show its card.", completion: Completions.models) var name: String?

    @OptionGroup var output: TextOrJSONFormat
    var json: Bool { output.json }

    func run() throws {
        if let name {
            let model = try TreesCLI.resolveModel(name)
            if json {
                print(JSONWriter.render(.object([("schema_version", .number(1))] + entry(model).objectValue!
                                                  + [("card", model.card)])), terminator: "")
            } else {
                print(ModelDescription.full(model), terminator: "")
            }
            return
        }
        let available = ModelLocator.available(embedded: EmbeddedModels.models)
        var entries: [JSONValue] = []
        if available.isEmpty && !json { print("no models found"); return }
        for (name, origin) in available {
            do {
                let model = try ModelLocator.load(origin, embedded: EmbeddedModels.models)
                if json { entries.append(entry(model, origin: origin)) } else { print(ModelDescription.line(model)) }
            } catch {
                if json {
                    entries.append(.object([("name", .string(name)), ("error", .string(error.description))]))
                } else {
                    print("\(name)  (unusable: \(error.description))")
                }
            }
        }
        if json { print(JSONWriter.render(.object([("schema_version", .number(1)), ("models", .array(entries))])), terminator: "") }
    }

    /// What `models --format json` says of one model.
    func entry(_ m: TreeModel, origin: ModelLocator.Origin? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(m.name)), ("task", .string(m.task)), ("classes", .array(m.classes.map { .string($0) })),
            ("feature_set", .string(m.featureSet)), ("features", .number(Double(m.featureCount))),
            ("window_s", m.window.map { .number($0.seconds) } ?? .null),
            ("trees", .number(Double(m.ensemble.trees.count))), ("nodes", .number(Double(m.nodeCount))),
            ("summary", m.card["summary"] ?? .null),
        ]
        switch origin {
        case .embedded?: members.append(("origin", .string("embedded")))
        case .file(let path)?: members.append(("origin", .string(path)))
        case nil: break
        }
        return .object(members)
    }
}
