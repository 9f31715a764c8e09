import Analyzer
import ArgumentParser
import Trees

/// `streamprobe models [NAME]`: the models this binary knows, or one model's card.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the available models (embedded, then $STREAMPROBE_MODELS, then share/streamprobe/models), or show one card.")

    @Argument(help: "A model name or file: show its card.") var name: String?

    func run() throws {
        if let name {
            print(ModelDescription.full(try TreesCLI.resolveModel(name)), terminator: "")
            return
        }
        let available = ModelLocator.available(embedded: EmbeddedModels.json)
        if available.isEmpty { print("no models found"); return }
        for (name, origin) in available {
            do {
                let model = try ModelLocator.load(origin, embedded: EmbeddedModels.json)
                print(ModelDescription.line(model))
            } catch {
                print("\(name)  (unusable: \(error.description))")
            }
        }
    }
}
