import Foundation

/// `streamprobe evaluate`: a model scored on a labelled table: the confusion matrix with per-class
/// precision / recall / F1, the temporal smoothing it was scored with, and optionally prediction speed.
public struct ModelEvaluation: Sendable {
    public var model: TreeModel
    public var matrix: ConfusionMatrix
    /// The smoothing the rows were scored with; nil for none.
    public var smoothing: TemporalSmoothing?
    public var rowCount: Int
    /// The sequences smoothing runs within (the table's groups).
    public var groupCount: Int
    /// Prediction speed, when asked for.
    public var timing: PredictionTiming?

    /// Scores `model` on `table`, the probabilities smoothed within each group. Throws a `ModelError`
    /// (exit 65) when the table lacks a feature the model reads, and a `TableError` naming `source`
    /// (exit 66) when a label is not one of the model's classes.
    public init(model: TreeModel, table: TrainingTable, source: String, smoothing: TemporalSmoothing?, jobs: Int,
                measureTiming: Bool) throws {
        let (selected, missing) = table.selecting(model.featureNames)
        guard let data = selected else {
            throw ModelError(source: model.source, problem: "needs feature(s) the input lacks: \(missing.joined(separator: ", "))")
        }
        let unknown = Set(data.labels).subtracting(model.classes)
        if !unknown.isEmpty {
            throw TableError(source: source, problem: "label(s) \(unknown.sorted().joined(separator: ", ")) are not classes of "
                             + "\(model.name) (\(model.classes.joined(separator: ", ")))")
        }
        let predicted = model.predictClasses(rows: data.rows, groups: data.groups, smoothing: smoothing, jobs: jobs)
        let truth = data.labels.map { model.classes.firstIndex(of: $0)! }
        self.model = model
        self.matrix = ConfusionMatrix(classes: model.classes, truth: truth, predicted: predicted)
        self.smoothing = smoothing
        self.rowCount = data.rowCount
        self.groupCount = Set(data.groups).count
        self.timing = measureTiming ? PredictionTiming.measure(model, rows: data.rows, jobs: jobs) : nil
    }

    /// The text report: what was scored and how, then the matrix and its figures (`inputCount`: the inputs named).
    public func text(inputCount: Int) -> String {
        var out = "\(model.name) on \(rowCount) rows (\(inputCount) input\(inputCount == 1 ? "" : "s"))\n"
        if let s = smoothing, s.windows > 1 {
            out += "temporal smoothing applied: \(s.text) of the window probabilities, in row order, "
                + "within each group separately (\(groupCount) group\(groupCount == 1 ? "" : "s"))\n"
        } else {
            out += "temporal smoothing: none (each row scored on its own)\n"
        }
        out += "\n" + matrix.textReport()
        if let timing { out += "\n" + timing.text + "\n" }
        return out
    }

    /// The JSON document (schema_version 1; docs/json.md).
    public var json: String {
        var value = JSONValue.object([("schema_version", .number(1))])
        for (k, v) in matrix.jsonValue.objectValue ?? [] { value = value.setting(k, v) }
        value = value.setting("model", .string(model.name))
        value = value.setting("temporal", smoothing.map { s in
            JSONValue.object([("kind", .string(s.kind.rawValue)), ("windows", .number(Double(s.windows))),
                              ("alignment", .string(s.alignment.rawValue)), ("groups", .number(Double(groupCount)))])
        } ?? .null)
        if let timing { value = value.setting("timing", timing.jsonValue) }
        return JSONWriter.render(value)
    }
}
