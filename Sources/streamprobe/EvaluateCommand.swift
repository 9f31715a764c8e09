import Analyzer
import ArgumentParser
import Foundation
import Trees

/// `streamprobe evaluate -m MODEL TABLE…`: accuracy, per-class figures and the confusion matrix.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a model on labelled tables: accuracy, per-class precision / recall / F1, confusion matrix.",
        discussion: """
            Inputs are labelled CSV tables, or captures / folders of captures labelled by their folder name \
            (or --labels FILE, CSV path,label): their windows are extracted as the model's feature set, \
            window settings and service names say, and scored one row per window. \
            --timing adds prediction speed: batch rows per second (over --jobs threads) and microseconds \
            per single-row call.

            A model with temporal smoothing (`temporal` in the file) is scored as `analyze` uses it: the \
            window probabilities are averaged over the model's N windows in table order, within each group \
            separately (the --group-column, else a `capture` column, else each input file is one sequence), \
            so rows must be one capture's windows in time order. --temporal none scores single windows; \
            --temporal N:centred or N:trailing tries another smoothing.

            The model to score is given with -m (required).
            """)

    @OptionGroup var modelOption: ModelOption
    var model: String { modelOption.model ?? "" }
    @Argument(help: "Labelled CSV tables, or captures / folders of captures.") var inputs: [String]
    @Option(help: "For capture inputs: a CSV of capture path,label (default: the folder name).") var labels: String?
    @OptionGroup var table: TableInputOptions
    @OptionGroup var output: TextOrJSONFormat
    @OptionGroup var jobs: JobsOption
    @Flag(help: "Also measure prediction speed.") var timing = false
    @Option(help: "Temporal smoothing: model (the model's own, default), none, or N:centred / N:trailing.")
    var temporal = "model"

    /// The smoothing to score with: nil for none.
    func smoothing(of model: TreeModel) -> TemporalSmoothing? {
        switch temporal {
        case "model": return model.temporal
        case "none": return nil
        default: return TemporalSmoothing(spec: temporal)
        }
    }

    func validate() throws {
        if modelOption.model == nil { throw ValidationError("give the model to score: -m NAME|PATH") }
        if !["model", "none"].contains(temporal) && TemporalSmoothing(spec: temporal) == nil {
            throw ValidationError("--temporal must be model, none, or N:centred / N:trailing with N in 1…10000 (got \(temporal))")
        }
    }

    /// Flags into library calls; every error goes out one way (`reportingErrors`).
    func run() throws {
        try reportingErrors {
            let model = try ModelLocator.resolve(nameOrPath: self.model, embedded: EmbeddedModels.models)
            let loaded = try LabelledCaptures.table(inputs: inputs, labelsFile: labels, tableOptions: table.options(), model: model,
                                                    jobs: jobs.count)
            for note in loaded.notes { printError("note: \(note)") }
            let evaluation = try ModelEvaluation(model: model, table: loaded.table, source: inputs[0], smoothing: smoothing(of: model),
                                                 jobs: jobs.count, measureTiming: timing)
            print(output.json ? evaluation.json : evaluation.text(inputCount: inputs.count), terminator: "")
        }
    }
}
