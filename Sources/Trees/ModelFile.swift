import Foundation

// The on-disk form of a model (format "streamprobe-model", version 1). See models/README.md.

/// A model file's parts as read, before validation (`ModelReader.file`).
struct ModelFileV1 {
    var name: String
    var task: String
    var description: String?
    var classes: [String]
    var featureSet: String
    var features: [String]
    var window: WindowParameters?
    var scaler: StandardScaler?
    var ensemble: EnsemblePart
    var selection: ModelSelection?
    var card: JSONValue?
    var decision: DecisionRule?
    var temporal: TemporalSmoothing?
    var flowRules: FlowRules?
    /// A second model (its own complete object) that judges a whole stream from `summary-v1` features.
    var streamFile: NestedFile?
    /// Where this object sits in the document (`""` for the root, `stream_model` for the stage).
    var path: String
}

/// A model file's parts held inside another's (a struct cannot hold itself).
final class NestedFile {
    let file: ModelFileV1
    init(_ file: ModelFileV1) { self.file = file }
}

/// A model file's `ensemble`: read with the rest, or (an embedded compiled model) read at its first use.
enum EnsemblePart {
    case read(EnsembleFile)
    case deferred(@Sendable () throws(ModelError) -> EnsembleFile)
}

struct EnsembleFile {
    var kind: EnsembleKind
    var comparison: SplitComparison
    var featurePrecision: FeaturePrecision?
    var aggregation: Aggregation
    var baseScore: [Double]?
    var trees: [TreeFile]
}

struct TreeFile {
    var feature: [Int]
    var threshold: [Double]
    var left: [Int]
    var right: [Int]
    var missingLeft: [Int]
    var value: [Double]
    var outputClass: Int?
    /// `ensemble.trees[3]`, for messages.
    var place: String
}

extension TreeModel {
    /// Loads and validates a model file. Errors name the file and the place inside it.
    public static func load(path: String) throws(ModelError) -> TreeModel {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file"
            throw ModelError(source: path, problem: reason)
        }
        return try decode(json: data, source: path)
    }

    public static func decode(json: String, source: String) throws(ModelError) -> TreeModel {
        try decode(json: Data(json.utf8), source: source)
    }

    /// Reads and validates a model from JSON bytes; `source` names it in messages.
    public static func decode(json data: Data, source: String) throws(ModelError) -> TreeModel {
        if data.isEmpty { throw ModelError(source: source, problem: "is empty") }
        let root = try ModelReader.parse(data, source: source)
        return try build(try ModelReader.file(root, source: source), source: source)
    }

    /// A validated model from a file's parts.
    static func build(_ file: ModelFileV1, source: String) throws(ModelError) -> TreeModel {
        var trees: TreeEnsemble?
        if case .read(let e) = file.ensemble { trees = try treeEnsemble(e, source: source) }
        var stream: TreeModel?
        if let nested = file.streamFile?.file {
            do {
                stream = try build(nested, source: source + " stream_model")
            } catch {
                throw ModelError(source: source, location: error.location.isEmpty ? nested.path : "\(nested.path).\(error.location)",
                                 problem: error.problem)
            }
        }
        var model: TreeModel
        switch file.ensemble {
        case .read:
            model = try TreeModel(name: file.name, task: file.task, description: file.description, classes: file.classes,
                                  featureSet: file.featureSet, featureNames: file.features, window: file.window,
                                  scaler: file.scaler, ensemble: trees!, selection: file.selection,
                                  card: file.card ?? .object([]), source: source)
        case .deferred(let read):
            model = TreeModel(name: file.name, task: file.task, description: file.description, classes: file.classes,
                              featureSet: file.featureSet, featureNames: file.features, window: file.window,
                              scaler: file.scaler, deferredEnsemble: { () throws(ModelError) in try treeEnsemble(try read(), source: source) },
                              selection: file.selection, card: file.card ?? .object([]), source: source)
        }
        if let rule = file.decision {
            try rule.validate(classes: file.classes, source: source)
            model.decision = rule
        }
        if let t = file.temporal {
            try t.validate(source: source)
            model.temporal = t
        }
        if let r = file.flowRules {
            try r.validate(classes: file.classes, source: source)
            model.flowRules = r
        }
        model.streamModel = stream.map(NestedModel.init)
        return model
    }

    /// The trees of a file's `ensemble`, not yet validated.
    static func treeEnsemble(_ file: EnsembleFile, source: String) throws(ModelError) -> TreeEnsemble {
        let trees = file.trees.map { t in
            TreeArrays(feature: t.feature, threshold: t.threshold, left: t.left, right: t.right,
                       missingLeft: t.missingLeft.map { $0 != 0 }, value: t.value, outputClass: t.outputClass)
        }
        // missing_left must hold 0/1; checked here because the typed arrays hold Bool.
        for (ti, t) in file.trees.enumerated() {
            if let i = t.missingLeft.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw ModelError(source: source, location: "ensemble.trees[\(ti)].missing_left[\(i)]",
                                 problem: "= \(t.missingLeft[i]) is not 0 or 1")
            }
        }
        return TreeEnsemble(kind: file.kind, comparison: file.comparison, featurePrecision: file.featurePrecision ?? .float64,
                            aggregation: file.aggregation, baseScore: file.baseScore ?? [], trees: trees)
    }

    /// `a.b[3].c` from a coding path.
    static func path(_ codingPath: [CodingKey]) -> String {
        var out = ""
        for key in codingPath {
            if let i = key.intValue { out += "[\(i)]" } else {
                if !out.isEmpty { out += "." }
                out += key.stringValue
            }
        }
        return out
    }

    static func locate(_ error: DecodingError) -> (String, String) {
        switch error {
        case .typeMismatch(let type, let ctx):
            return (path(ctx.codingPath), "has the wrong type (expected \(Self.typeName(type)))")
        case .valueNotFound(let type, let ctx):
            return (path(ctx.codingPath), "is null (expected \(Self.typeName(type)))")
        case .keyNotFound(let key, let ctx):
            let place = path(ctx.codingPath + [key])
            return (place, "is missing")
        case .dataCorrupted(let ctx):
            let place = path(ctx.codingPath)
            return (place, place.isEmpty ? "is not valid JSON (\(ctx.debugDescription))" : "is invalid (\(ctx.debugDescription))")
        @unknown default:
            return ("", "cannot be decoded")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "an integer"
        case is Double.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default:
            let s = String(describing: type)
            if s.hasPrefix("Array") { return "an array" }
            if s.hasPrefix("Dictionary") { return "an object" }
            return s
        }
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? DecodingError {
            let (loc, problem) = locate(e)
            return loc.isEmpty ? problem : "\(loc) \(problem)"
        }
        return "\(error)"
    }
}

extension TreeModel {
    /// The model as format-v1 JSON text: fixed member order and number format, so the same model
    /// always gives the same bytes.
    public func jsonText() -> String {
        var out = "{\n"
        func member(_ key: String, _ value: JSONValue, last: Bool = false) {
            out += "  "
            JSONWriter.appendString(key, to: &out)
            out += ": "
            var w = JSONWriter()
            w.write(value, indent: 1)
            out += w.text
            out += last ? "\n" : ",\n"
        }
        func strings(_ xs: [String]) -> JSONValue { .array(xs.map { .string($0) }) }
        func numbers(_ xs: [Double]) -> JSONValue { .array(xs.map { .number($0) }) }
        member("format", .string(Self.formatName))
        member("format_version", .number(Double(Self.formatVersion)))
        member("name", .string(name))
        member("task", .string(task))
        if let description { member("description", .string(description)) }
        member("classes", strings(classes))
        member("feature_set", .string(featureSet))
        member("features", strings(featureNames))
        if let w = window {
            var m: [(String, JSONValue)] = [("seconds", .number(w.seconds))]
            if let v = w.step { m.append(("step", .number(v))) }
            if let v = w.minPackets { m.append(("min_packets", .number(Double(v)))) }
            if let v = w.burstGap { m.append(("burst_gap", .number(v))) }
            if let v = w.contextSeconds { m.append(("context_seconds", .number(v))) }
            if let v = w.policy { m.append(("policy", .string(v))) }
            member("window", .object(m))
        }
        if let s = scaler { member("scaler", .object([("mean", numbers(s.mean)), ("scale", numbers(s.scale))])) }
        if let s = selection {
            var m: [(String, JSONValue)] = []
            if let p = s.servicePatterns { m.append(("service_patterns", strings(p))) }
            if let u = s.unit { m.append(("unit", .string(u))) }
            member("selection", .object(m))
        }
        member("card", card)
        if let decision, let bytes = try? Self.sortedEncoder.encode(decision), let text = String(data: bytes, encoding: .utf8) {
            out += "  \"decision\": " + text + ",\n"
        }
        if let temporal, let bytes = try? Self.sortedEncoder.encode(temporal), let text = String(data: bytes, encoding: .utf8) {
            out += "  \"temporal\": " + text + ",\n"
        }
        if let flowRules, let bytes = try? Self.sortedEncoder.encode(flowRules), let text = String(data: bytes, encoding: .utf8) {
            out += "  \"flow_rules\": " + text + ",\n"
        }
        if let nested = streamModel?.model {
            out += "  \"stream_model\": " + nested.jsonText().trimmingCharacters(in: .whitespacesAndNewlines) + ",\n"
        }
        // The ensemble last, written directly: it is most of the file.
        out += "  \"ensemble\": {\n"
        out += "    \"kind\": \"\(ensemble.kind.rawValue)\",\n"
        out += "    \"comparison\": \"\(ensemble.comparison.rawValue)\",\n"
        out += "    \"feature_precision\": \"\(ensemble.featurePrecision.rawValue)\",\n"
        out += "    \"aggregation\": \"\(ensemble.aggregation.rawValue)\",\n"
        if !ensemble.baseScore.isEmpty {
            out += "    \"base_score\": [" + ensemble.baseScore.map(JSONWriter.number).joined(separator: ", ") + "],\n"
        }
        out += "    \"trees\": [\n"
        for (ti, t) in ensemble.trees.enumerated() {
            out += "      {"
            if let c = t.outputClass { out += "\"output_class\": \(c),\n       " }
            out += "\"feature\": [" + t.feature.map { String($0) }.joined(separator: ",") + "],\n"
            out += "       \"threshold\": [" + t.threshold.map(JSONWriter.number).joined(separator: ",") + "],\n"
            out += "       \"left\": [" + t.left.map { String($0) }.joined(separator: ",") + "],\n"
            out += "       \"right\": [" + t.right.map { String($0) }.joined(separator: ",") + "],\n"
            out += "       \"missing_left\": [" + t.missingLeft.map { $0 ? "1" : "0" }.joined(separator: ",") + "],\n"
            out += "       \"value\": [" + t.value.map(JSONWriter.number).joined(separator: ",") + "]}"
            out += ti + 1 < ensemble.trees.count ? ",\n" : "\n"
        }
        out += "    ]\n  }\n}\n"
        return out
    }

    static var sortedEncoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }

    /// Writes the model file (format v1).
    public func write(to path: String) throws {
        try Data(jsonText().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
