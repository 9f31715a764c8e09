import Foundation

/// What `streamprobe train` asks for: a table, settings, and what to call the model.
public struct TrainingRequest: Sendable {
    public enum Validation: String, Sendable, CaseIterable {
        /// Folds by group (capture / file): a capture is never split between training and test.
        case grouped
        /// Folds by class mix, rows of one capture on both sides (optimistic).
        case stratified
    }

    public var table: TrainingTable
    public var parameters: ForestParameters
    /// Cross-validation folds; 0 or 1 skips cross-validation.
    public var folds: Int = 5
    public var validation: Validation = .grouped
    public var name: String
    public var task: String?
    public var description: String?
    public var featureSet: String = "custom"
    /// The model's classes in this order (they must be exactly the table's labels); nil: numeric
    /// order when every label is a number, else text order.
    public var classOrder: [String]?
    public var window: WindowParameters?
    public var selection: ModelSelection?
    /// Where the rows came from (file names), for the card.
    public var sources: [String] = []
    /// The card's `limits` text.
    public var limits: String?
    /// `YYYY-MM-DD` for the card; nil: `$SOURCE_DATE_EPOCH` if set, else today (UTC).
    public var date: String?

    public init(table: TrainingTable, parameters: ForestParameters, name: String) {
        self.table = table; self.parameters = parameters; self.name = name
    }
}

/// The trained model with its card filled in, and the figures printed by `train`.
public struct TrainingOutcome: Sendable {
    public var model: TreeModel
    public var importances: [(name: String, importance: Double)]
    public var crossValidation: CrossValidation.Result?
    /// e.g. `grouped 2-fold cross-validation (groups: 2 files)`.
    public var validationMethod: String?
    /// Remarks (e.g. grouped folds impossible with one group).
    public var notes: [String]

    /// The text `train` prints: cross-validation figures and the top importances.
    public func textSummary(topFeatures: Int = 10) -> String {
        var out = ""
        let m = model
        out += "\(m.name): \(m.ensemble.kind == .decisionTree ? "decision tree" : "random forest of \(m.ensemble.trees.count) trees"), "
        out += "\(m.nodeCount) nodes, \(m.classCount) classes (\(m.classes.joined(separator: ", "))), \(m.featureCount) features\n"
        if let cv = crossValidation, let method = validationMethod {
            out += "\n\(method): accuracy \(String(format: "%.3f", cv.pooled.accuracy))"
            out += " (per fold: \(cv.foldAccuracies.map { String(format: "%.3f", $0) }.joined(separator: ", ")))\n\n"
            out += cv.pooled.textReport()
        }
        out += "\ntop feature importances (mean decrease in impurity)\n"
        let width = (importances.prefix(topFeatures).map { $0.name.count }.max() ?? 0) + 2
        for (name, v) in importances.prefix(topFeatures) {
            out += "  " + name + String(repeating: " ", count: max(1, width - name.count)) + String(format: "%.4f", v) + "\n"
        }
        return out
    }
}

public enum ModelTraining {
    /// Cross-validates (when asked), trains on every row, and writes the card.
    public static func run(_ request: TrainingRequest) throws -> TrainingOutcome {
        let table = request.table
        var classes = table.classLabels
        if let order = request.classOrder {
            guard Set(order) == Set(classes), order.count == Set(order).count else {
                throw TableError(source: request.sources.first ?? request.name,
                                 problem: "--class-order \(order.joined(separator: ",")) must list each label of the table once (labels: \(classes.joined(separator: ", ")))")
            }
            classes = order
        }
        var notes: [String] = []
        var cv: CrossValidation.Result? = nil
        var method: String? = nil
        if request.folds >= 2 {
            let groupCount = Set(table.groups).count
            var validation = request.validation
            if validation == .grouped && groupCount < 2 {
                notes.append("only one group (capture/file): grouped cross-validation impossible, using stratified folds")
                validation = .stratified
            }
            let folds: [Int]
            switch validation {
            case .grouped:
                folds = CrossValidation.groupedFolds(groups: table.groups, folds: request.folds)
                let k = Set(folds).count
                method = "grouped \(k)-fold cross-validation (\(groupCount) groups; a group is never split)"
            case .stratified:
                folds = CrossValidation.stratifiedFolds(labels: table.labels, folds: request.folds, seed: request.parameters.seed)
                method = "stratified \(request.folds)-fold cross-validation"
            }
            cv = try CrossValidation.run(table, folds: folds, parameters: request.parameters, classes: classes)
        }
        let trained = try ForestTrainer.train(table, parameters: request.parameters, classes: classes, name: request.name,
                                              task: request.task, featureSet: request.featureSet, window: request.window)
        let importances = zip(table.featureNames, trained.importances).map { (name: $0, importance: $1) }
            .sorted { $0.importance != $1.importance ? $0.importance > $1.importance : $0.name < $1.name }

        var classCounts: [(String, JSONValue)] = []
        for c in classes { classCounts.append((c, .number(Double(table.labels.filter { $0 == c }.count)))) }
        let p = request.parameters
        let kind = trained.model.ensemble.kind == .decisionTree ? "decision tree" : "random forest of \(p.trees) trees"
        var card: [(String, JSONValue)] = [
            ("summary", .string("\(kind) trained by streamprobe on \(table.rowCount) rows from \(request.sources.count) source(s)"
                + (cv.map { String(format: "; %@ accuracy %.3f", method ?? "cross-validated", $0.pooled.accuracy) } ?? ""))),
            ("training_data", .object([
                ("sources", .array(request.sources.map { .string($0) })),
                ("rows", .number(Double(table.rowCount))),
                ("groups", .number(Double(Set(table.groups).count))),
                ("class_counts", .object(classCounts)),
            ])),
            ("provenance", .string("streamprobe train")),
            ("date", .string(request.date ?? Self.today())),
            ("algorithm", .string("CART (\(p.criterion.rawValue)), histogram split search over \(p.maxBins) quantile bins, thresholds at midpoints; NaN goes to the side that lowers impurity")),
            ("hyper_parameters", p.cardValue),
        ]
        if let cv, let method {
            var evaluation = cv.pooled.jsonValue.setting("method", .string(method))
            evaluation = evaluation.setting("fold_accuracy", .array(cv.foldAccuracies.map { .number($0) }))
            card.append(("evaluation", evaluation))
        }
        card.append(("feature_importances", .array(importances.map {
            .object([("feature", .string($0.name)), ("importance", .number($0.importance))])
        })))
        card.append(("limits", .string(request.limits ?? "Figures hold for data like the training data; captures from other networks, clients or codecs may score lower.")))
        var model = trained.model
        model.description = request.description
        model.selection = request.selection
        model.card = .object(card)
        return TrainingOutcome(model: model, importances: importances, crossValidation: cv, validationMethod: method, notes: notes)
    }

    /// `$SOURCE_DATE_EPOCH` as a UTC day when set (reproducible builds), else today.
    public static func today(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        var date = Date()
        if let s = environment["SOURCE_DATE_EPOCH"], let t = TimeInterval(s) { date = Date(timeIntervalSince1970: t) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f.string(from: date)
    }
}

/// Readable descriptions of a model and its card, for `streamprobe models`.
public enum ModelDescription {
    /// One line: name, task, classes, feature set + count, window, card summary.
    public static func line(_ m: TreeModel) -> String {
        var s = "\(m.name)  task: \(m.task)  classes: \(m.classes.joined(separator: ", "))  features: \(m.featureSet) (\(m.featureCount))"
        if let w = m.window { s += "  window: \(JSONWriter.number(w.seconds)) s" }
        if let summary = m.card["summary"]?.stringValue { s += "\n    \(summary)" }
        return s
    }

    /// Every field of the model and its card.
    public static func full(_ m: TreeModel) -> String {
        var s = "name:         \(m.name)\n"
        s += "task:         \(m.task)\n"
        if let d = m.description { s += "description:  \(d)\n" }
        s += "classes:      \(m.classes.joined(separator: ", "))\n"
        s += "feature set:  \(m.featureSet), \(m.featureCount) features: \(m.featureNames.joined(separator: ", "))\n"
        if let w = m.window {
            var parts = ["\(JSONWriter.number(w.seconds)) s"]
            if let v = w.step { parts.append("step \(JSONWriter.number(v)) s") }
            if let v = w.minPackets { parts.append("min \(v) packets") }
            if let v = w.burstGap { parts.append("burst gap \(JSONWriter.number(v)) s") }
            if let v = w.contextSeconds { parts.append("context \(JSONWriter.number(v)) s") }
            if let v = w.policy { parts.append(v) }
            s += "window:       \(parts.joined(separator: ", "))\n"
        }
        let e = m.ensemble
        s += "ensemble:     \(e.kind.rawValue), \(e.trees.count) trees, \(m.nodeCount) nodes, x \(e.comparison.rawValue) threshold goes left, \(e.aggregation.rawValue)\n"
        if m.scaler != nil { s += "scaler:       standard (mean, scale)\n" }
        if let sel = m.selection {
            if let p = sel.servicePatterns { s += "services:     \(p.joined(separator: ", "))\n" }
            if let u = sel.unit { s += "unit:         \(u)\n" }
        }
        if let d = m.decision {
            var parts: [String] = []
            for (name, members) in (d.groups ?? [:]).sorted(by: { $0.key < $1.key }) {
                parts.append("\(name) = \(members.joined(separator: " + "))")
            }
            if let x = d.namedExcludes, !x.isEmpty { parts.append("never \(x.joined(separator: ", ")) for a stream selected by a service name") }
            if let c = d.calibration { parts.append("\(c.method) calibration (\(c.x.count) points)") }
            if let b = d.betweenBelow { parts.append("between below \(JSONWriter.number(b))") }
            s += "decision:     \(parts.joined(separator: "; "))\n"
        }
        if let t = m.temporal {
            let how = t.alignment == .centred ? "centred: the window, \(t.reach.before) before and \(t.reach.after) after"
                : "trailing: the window and the \(t.reach.before) before"
            s += "temporal:     mean of the class probabilities over \(t.windows) classified windows (\(how))\n"
        }
        if let r = m.flowRules {
            let shown = r.namePatterns.prefix(6).joined(separator: ", ") + (r.namePatterns.count > 6 ? ", … (\(r.namePatterns.count) in all)" : "")
            s += "flow rules:   \(r.positiveClass) by name: \(shown)\n"
            for p in r.ports { s += "              \(r.positiveClass) by port: \(p.proto) \(p.port)\(p.note.map { " (\($0))" } ?? "")\n" }
            s += "              else the trees: \(r.modelThreshold.map { "\(r.positiveClass) when P(\(r.positiveClass)) >= \(JSONWriter.number($0))" } ?? "the top class")\n"
        }
        s += "source:       \(m.source)\n"
        if let members = m.card.objectValue, !members.isEmpty {
            s += "\ncard\n"
            for (key, value) in members { s += render(key: key, value: value, indent: 1) }
        }
        if let stage = m.streamModel?.model {
            s += "\nstream stage (judges each session of a stream; its answer is the stream's)\n"
            s += full(stage).split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n")
        }
        return s
    }

    static func render(key: String, value: JSONValue, indent: Int) -> String {
        let pad = String(repeating: "  ", count: indent)
        switch value {
        case .object(let members):
            return pad + key + ":\n" + members.map { render(key: $0.0, value: $0.1, indent: indent + 1) }.joined()
        case .array(let items) where items.contains(where: { $0.objectValue != nil || $0.arrayValue != nil }):
            var out = pad + key + ":\n"
            for item in items {
                if let o = item.objectValue {
                    out += pad + "  - " + o.map { "\($0.0): \(scalar($0.1))" }.joined(separator: ", ") + "\n"
                } else {
                    out += pad + "  - " + scalar(item) + "\n"
                }
            }
            return out
        default:
            return pad + key + ": " + scalar(value) + "\n"
        }
    }

    static func scalar(_ v: JSONValue) -> String {
        switch v {
        case .null: return "-"
        case .bool(let b): return b ? "yes" : "no"
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(format: "%.4g", d)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(scalar).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.map { "\($0.0): \(scalar($0.1))" }.joined(separator: ", ") + "}"
        }
    }
}
