import Analyzer
import ArgumentParser
import Dispatch
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

    func run() throws {
        let model = try TreesCLI.resolveModel(self.model)
        let table: TrainingTable
        if inputs.allSatisfy(LabelledCaptures.isCaptureInput) {
            do {
                let bound = try BoundModel(model)
                let captures = try LabelledCaptures.load(
                    inputs: inputs, labelsFile: labels, plan: bound.plan, options: AnalysisOptions(scope: .streams),
                    jobs: jobs.count)
                for n in captures.notes { TreesCLI.note(n) }
                table = captures.table
            } catch {
                throw exitError(error)
            }
        } else {
            table = try TreesCLI.loadTable(inputs, self.table.options()).table
        }
        let (selected, missing) = table.selecting(model.featureNames)
        guard let data = selected else {
            throw TreesCLI.fail("\(model.source): needs feature(s) the input lacks: \(missing.joined(separator: ", "))", ModelError.exitStatus)
        }
        let unknown = Set(data.labels).subtracting(model.classes)
        if !unknown.isEmpty {
            throw TreesCLI.fail("\(inputs[0]): label(s) \(unknown.sorted().joined(separator: ", ")) are not classes of \(model.name) (\(model.classes.joined(separator: ", ")))", TableError.exitStatus)
        }
        let threads = jobs.count
        let smoothing = smoothing(of: model)
        let predicted = model.predictClasses(rows: data.rows, groups: data.groups, smoothing: smoothing, jobs: threads)
        let groupCount = Set(data.groups).count
        let truth = data.labels.map { model.classes.firstIndex(of: $0)! }
        let matrix = ConfusionMatrix(classes: model.classes, truth: truth, predicted: predicted)
        let speed = timing ? PredictionTiming.measure(model, rows: data.rows, jobs: threads) : nil
        if output.json {
            var value = JSONValue.object([("schema_version", .number(1))])
            for (k, v) in matrix.jsonValue.objectValue ?? [] { value = value.setting(k, v) }
            value = value.setting("model", .string(model.name))
            value = value.setting("temporal", smoothing.map { s in
                JSONValue.object([("kind", .string(s.kind.rawValue)), ("windows", .number(Double(s.windows))),
                                  ("alignment", .string(s.alignment.rawValue)), ("groups", .number(Double(groupCount)))])
            } ?? .null)
            if let s = speed { value = value.setting("timing", s.jsonValue) }
            print(JSONWriter.render(value), terminator: "")
        } else {
            print("\(model.name) on \(data.rowCount) rows (\(inputs.count) input\(inputs.count == 1 ? "" : "s"))")
            if let s = smoothing, s.windows > 1 {
                print("temporal smoothing applied: \(s.text) of the window probabilities, in row order, "
                      + "within each group separately (\(groupCount) group\(groupCount == 1 ? "" : "s"))")
            } else {
                print("temporal smoothing: none (each row scored on its own)")
            }
            print("")
            print(matrix.textReport(), terminator: "")
            if let s = speed { print("\n" + s.text) }
        }
    }
}
