import Features
import Foundation

/// `streamprobe features`: one row of features per window (or per session, `summary-v1`) of each
/// capture's units, written as CSV or JSON Lines to one output, the captures in order. With a model,
/// its own features, windows and service names (unless the plan names other services); session rows
/// then carry its window means. In a batch a capture that fails is reported and the others go on;
/// one capture alone that fails is the run's error.
public struct FeatureExport {
    public enum Format: String, Sendable { case csv, jsonl }

    /// What one row stands for.
    public enum Rows: Sendable {
        /// A window: the model's features when there is a model, else the plan's.
        case windows
        /// A session of a unit: its `summary-v1` values, then the model's window means (if any).
        case sessions
    }

    public var captures: [String]
    /// The features, window settings and service names asked for (without a model, what is extracted).
    public var plan: FeaturePlan
    public var options: AnalysisOptions
    public var model: BoundModel?
    public var rows: Rows
    /// A label column with this value (for training).
    public var label: String?
    public var format: Format
    /// Leave out the rows of skipped windows.
    public var leaveOutSkipped: Bool
    /// The output file; nil or "-" for standard output.
    public var output: String?

    public init(captures: [String], plan: FeaturePlan, options: AnalysisOptions, model: BoundModel?, rows: Rows,
                label: String?, format: Format, leaveOutSkipped: Bool, output: String?) {
        self.captures = captures; self.plan = plan; self.options = options; self.model = model; self.rows = rows
        self.label = label; self.format = format; self.leaveOutSkipped = leaveOutSkipped; self.output = output
    }

    /// What an export came to.
    public struct Outcome: Sendable, Equatable {
        public var failed: Int
        /// 0, or 2 (`ExitStatus.batchPartialFailure`) when a capture of a batch failed.
        public var exitStatus: Int32 { failed > 0 ? ExitStatus.batchPartialFailure : ExitStatus.success }
    }

    /// The feature columns, after the metadata ones.
    public var featureNames: [String] {
        switch rows {
        case .sessions: return StreamSummary.featureNames + windowMeanFeatureNames(classes: model?.model.classes ?? [])
        case .windows: return model?.featureSet.featureNames ?? plan.featureSet.featureNames
        }
    }

    /// Opens the output (its error is thrown), writes the header and every capture's rows. Warnings,
    /// notes and a batch's failed captures go to `console`; a single capture's failure is thrown.
    public func run(on console: Console = .standard) throws -> Outcome {
        let sink = try OutputSink(path: output)
        defer { sink.close() }
        let text = RowText(featureNames: featureNames, label: label, format: format)
        if format == .csv { sink.write(text.csv.header()) }
        var failed = 0
        for path in captures {
            do {
                let report = try export(path, as: text, to: sink)
                for w in report.warnings { console.err("warning: \(w)") }
                if report.streams.isEmpty, let note = report.note { console.err("\(path): \(note)") }
            } catch where captures.count > 1 {
                failed += 1
                console.err("\(error)")
            }
        }
        return Outcome(failed: failed)
    }

    /// The analyzer of one capture: with a model, its own windows and service names unless the plan
    /// names other services.
    func analyzer() -> CaptureAnalyzer {
        guard let model else { return CaptureAnalyzer(plan: plan, options: options) }
        let modelPlan = plan.patterns.isEmpty ? model.plan : FeaturePlan(featureSet: model.featureSet, config: model.config, patterns: plan.patterns)
        return CaptureAnalyzer(model: model, plan: modelPlan, options: options)
    }

    /// Analyses one capture, writing its rows as they come.
    func export(_ path: String, as text: RowText, to sink: OutputSink) throws -> CaptureReport {
        let analyzer = analyzer()
        analyzer.estimatesPlays = false  // rows never carry plays
        var origin: Double?
        let label = self.label, leaveOutSkipped = self.leaveOutSkipped
        switch rows {
        case .sessions:
            analyzer.onSession = { unit, index, start, end, packets, values in
                let row = WindowResult(index: index, start: start, end: end, packetCount: packets, skipReason: nil, values: values)
                sink.write(text.row(row, source: RowSource(capture: path, unit: unit, origin: origin ?? start, label: label)))
            }
        case .windows:
            analyzer.onRow = { unit, window in
                if leaveOutSkipped && window.skipped { return }
                sink.write(text.row(window, source: RowSource(capture: path, unit: unit, origin: origin ?? window.start, label: label)))
            }
        }
        analyzer.onCaptureStart = { origin = $0 }
        return try analyzer.analyze(path: path)
    }
}

/// One row as text, in the export's format.
struct RowText {
    let csv: FeatureCSVWriter
    let jsonl: FeatureJSONLWriter
    let format: FeatureExport.Format

    init(featureNames: [String], label: String?, format: FeatureExport.Format) {
        csv = FeatureCSVWriter(featureNames: featureNames, includeLabel: label != nil)
        jsonl = FeatureJSONLWriter(featureNames: featureNames)
        self.format = format
    }

    func row(_ window: WindowResult, source: RowSource) -> String {
        format == .csv ? csv.row(window, source: source) : jsonl.row(window, source: source)
    }
}
