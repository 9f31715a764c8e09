import Capture
import Features
import Foundation
import Trees

/// Labelled captures as a training table: every window of every capture's streams becomes a row,
/// grouped by capture (so grouped cross-validation never splits one).
///
/// Labels come from the name of the folder that holds each capture (`corpus/high/x.pcap` → `high`;
/// a `--dir` corpus written by `streamprobe simulate --corpus` has exactly this shape), or from a CSV
/// file with the columns `path,label` (paths relative to that CSV file, or absolute).
public enum LabelledCaptures {
    public struct Loaded: Sendable {
        public var table: TrainingTable
        public var notes: [String]
    }

    /// True for a directory or a file that starts like a pcap / pcapng capture.
    public static func isCaptureInput(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return false }
        return isDirectory.boolValue || CaptureFileKind.detect(path: path) != nil
    }

    /// `evaluate`'s inputs as one labelled table: captures and folders of captures (when every input
    /// is one) as `model` extracts them, per client stream; else CSV tables. Errors name the input:
    /// `AnalysisError` or `TableError` (exit 66), or the model's (exit 65).
    public static func table(inputs: [String], labelsFile: String?, tableOptions: TableOptions, model: TreeModel,
                             jobs: Int) throws -> Loaded {
        guard inputs.allSatisfy(isCaptureInput) else {
            let loaded = try TableLoader.load(paths: inputs, options: tableOptions)
            return Loaded(table: loaded.table, notes: loaded.notes)
        }
        return try load(inputs: inputs, labelsFile: labelsFile, plan: try BoundModel(model).plan,
                        options: AnalysisOptions(scope: .streams), jobs: jobs)
    }

    /// `train`'s inputs as one labelled table. Captures and folders of captures (when every input is one):
    /// their windows as `featureSet` (default `stream-v1`) cuts them, from the streams `servicePatterns`
    /// select (else the flows with the most download bytes); the window settings used come back for the
    /// model. Else CSV tables, for which `featureSet` is only the name recorded (default `custom`).
    public static func trainingTable(inputs: [String], labelsFile: String?, tableOptions: TableOptions, featureSet: String?,
                                     servicePatterns: [String], jobs: Int) throws -> (loaded: Loaded, featureSet: String, window: WindowConfig?) {
        guard inputs.allSatisfy(isCaptureInput) else {
            let csv = try TableLoader.load(paths: inputs, options: tableOptions)
            return (Loaded(table: csv.table, notes: csv.notes), featureSet ?? "custom", nil)
        }
        let set = try FeatureSet.named(featureSet ?? "stream-v1")
        let plan = FeaturePlan(featureSet: set, config: set.defaultConfig, patterns: ServicePatternSet(servicePatterns))
        let loaded = try load(inputs: inputs, labelsFile: labelsFile, plan: plan, options: AnalysisOptions(scope: .streams), jobs: jobs)
        return (loaded, featureSet ?? "stream-v1", plan.config)
    }

    /// Reads a `path,label` CSV (a header line naming those two columns is optional).
    public static func readLabels(_ csvPath: String) throws -> [String: String] {
        let text: String
        do { text = try String(contentsOfFile: csvPath, encoding: .utf8) } catch {
            throw AnalysisError(source: csvPath, problem: "cannot read the labels file", exitCode: ExitStatus.unreadableInput)
        }
        let base = URL(fileURLWithPath: csvPath).deletingLastPathComponent()
        var labels: [String: String] = [:]
        for (n, raw) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = raw.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw AnalysisError(source: csvPath, problem: "line \(n + 1): expected 'path,label'", exitCode: ExitStatus.unreadableInput)
            }
            if n == 0 && fields[0].lowercased() == "path" { continue }
            let path = fields[0].hasPrefix("/") ? fields[0] : base.appendingPathComponent(fields[0]).path
            labels[URL(fileURLWithPath: path).standardized.path] = fields[1]
        }
        return labels
    }

    /// Extracts the plan's features from every capture below `inputs` (files or directories).
    public static func load(inputs: [String], labelsFile: String?, plan: FeaturePlan, options: AnalysisOptions,
                            includeSkipped: Bool = false, jobs: Int) throws -> Loaded {
        let labels = try labelsFile.map(readLabels)
        var captures: [(path: String, label: String)] = []
        var notes: [String] = []
        for input in inputs {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory)
            let paths = isDirectory.boolValue ? try CaptureDiscovery.captures(under: input) : [input]
            for path in paths {
                let key = URL(fileURLWithPath: path).standardized.path
                if let labels {
                    guard let label = labels[key] else { notes.append("\(path): not in the labels file, left out"); continue }
                    captures.append((path, label))
                } else {
                    let folder = URL(fileURLWithPath: key).deletingLastPathComponent().lastPathComponent
                    captures.append((path, folder))
                }
            }
        }
        guard !captures.isEmpty else {
            throw AnalysisError(source: inputs.joined(separator: " "), problem: "no capture found", exitCode: ExitStatus.unreadableInput)
        }
        let names = plan.featureSet.featureNames
        struct Rows: Sendable { var values: [Double] = []; var count = 0; var note: String? }
        var all: [Rows] = []
        OrderedBatch.run(captures, jobs: jobs, work: { item -> Rows in
            var rows = Rows()
            let analyzer = CaptureAnalyzer(plan: plan, options: options)
            nonisolated(unsafe) var collected: [Double] = []
            nonisolated(unsafe) var count = 0
            analyzer.onRow = { _, window in
                guard !window.skipped || includeSkipped else { return }
                collected += window.values.isEmpty ? [Double](repeating: .nan, count: names.count) : window.values
                count += 1
            }
            do {
                let report = try analyzer.analyze(path: item.path)
                if count == 0 { rows.note = "\(item.path): no analysable window (\(report.note ?? "all windows skipped"))" }
            } catch {
                rows.note = "\(error)"
            }
            rows.values = collected
            rows.count = count
            return rows
        }, deliver: { _, rows in all.append(rows) })
        var values: [Double] = [], labelsOut: [String] = [], groups: [String] = []
        for (i, rows) in all.enumerated() {
            if let note = rows.note { notes.append(note) }
            values += rows.values
            labelsOut += [String](repeating: captures[i].label, count: rows.count)
            groups += [String](repeating: captures[i].path, count: rows.count)
        }
        guard !labelsOut.isEmpty else {
            throw AnalysisError(source: inputs.joined(separator: " "), problem: "no capture gave an analysable window",
                                exitCode: ExitStatus.unreadableInput)
        }
        notes.append("\(captures.count) captures, \(labelsOut.count) windows of feature set \(plan.featureSet.name)")
        return Loaded(table: TrainingTable(featureNames: names, rows: values, labels: labelsOut, groups: groups), notes: notes)
    }
}
