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
    var ensemble: EnsembleFile
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
        let trees = file.ensemble.trees.map { t in
            TreeArrays(feature: t.feature, threshold: t.threshold, left: t.left, right: t.right,
                       missingLeft: t.missingLeft.map { $0 != 0 }, value: t.value, outputClass: t.outputClass)
        }
        // missing_left must hold 0/1; checked here because the typed arrays hold Bool.
        for (ti, t) in file.ensemble.trees.enumerated() {
            if let i = t.missingLeft.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw ModelError(source: source, location: "ensemble.trees[\(ti)].missing_left[\(i)]",
                                 problem: "= \(t.missingLeft[i]) is not 0 or 1")
            }
        }
        let ensemble = TreeEnsemble(kind: file.ensemble.kind, comparison: file.ensemble.comparison,
                                    featurePrecision: file.ensemble.featurePrecision ?? .float64,
                                    aggregation: file.ensemble.aggregation,
                                    baseScore: file.ensemble.baseScore ?? [], trees: trees)
        var stream: TreeModel?
        if let nested = file.streamFile?.file {
            do {
                stream = try build(nested, source: source + " stream_model")
            } catch {
                throw ModelError(source: source, location: error.location.isEmpty ? nested.path : "\(nested.path).\(error.location)",
                                 problem: error.problem)
            }
        }
        var model = try TreeModel(name: file.name, task: file.task, description: file.description, classes: file.classes,
                                  featureSet: file.featureSet, featureNames: file.features, window: file.window,
                                  scaler: file.scaler, ensemble: ensemble, selection: file.selection,
                                  card: file.card ?? .object([]), source: source)
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

/// Checks a model's parts against each other, and normalises forest leaves.
enum ModelValidator {
    static func validate(classes: [String], features: [String], scaler: StandardScaler?,
                         ensemble: inout TreeEnsemble, source: String) throws(ModelError) {
        func fail(_ location: String, _ problem: String) -> ModelError {
            ModelError(source: source, location: location, problem: problem)
        }
        if classes.count < 2 { throw fail("classes", "has \(classes.count) labels; a classifier needs at least 2") }
        if let dup = firstDuplicate(classes) { throw fail("classes", "lists \"\(dup)\" twice") }
        if let i = classes.firstIndex(of: "") { throw fail("classes[\(i)]", "is empty") }
        if features.isEmpty { throw fail("features", "is empty") }
        if features.count > Int(Int16.max) { throw fail("features", "has \(features.count) names; at most \(Int16.max) are supported") }
        if let dup = firstDuplicate(features) { throw fail("features", "lists \"\(dup)\" twice") }
        if let i = features.firstIndex(of: "") { throw fail("features[\(i)]", "is empty") }
        let f = features.count, k = classes.count
        if let scaler {
            if scaler.mean.count != f { throw fail("scaler.mean", "has \(scaler.mean.count) numbers for \(f) features") }
            if scaler.scale.count != f { throw fail("scaler.scale", "has \(scaler.scale.count) numbers for \(f) features") }
            if let i = scaler.mean.firstIndex(where: { !$0.isFinite }) { throw fail("scaler.mean[\(i)]", "is not finite") }
            if let i = scaler.scale.firstIndex(where: { !$0.isFinite || $0 <= 0 }) {
                throw fail("scaler.scale[\(i)]", "= \(scaler.scale[i]) must be a positive number")
            }
        }
        switch (ensemble.kind, ensemble.aggregation) {
        case (.gradientBoosting, .meanDistribution):
            throw fail("ensemble.aggregation", "is mean_distribution, but boosted trees sum margins (margin_softmax or margin_sigmoid)")
        case (.decisionTree, .softmax), (.decisionTree, .sigmoid), (.randomForest, .softmax), (.randomForest, .sigmoid),
             (.extraTrees, .softmax), (.extraTrees, .sigmoid):
            throw fail("ensemble.aggregation", "is \(ensemble.aggregation.rawValue), but a \(ensemble.kind.rawValue) averages class distributions (mean_distribution)")
        default: break
        }
        if ensemble.trees.isEmpty { throw fail("ensemble.trees", "is empty") }
        if ensemble.kind == .decisionTree && ensemble.trees.count != 1 {
            throw fail("ensemble.trees", "has \(ensemble.trees.count) trees; a decision_tree has one")
        }
        switch ensemble.aggregation {
        case .meanDistribution:
            if !ensemble.baseScore.isEmpty { throw fail("ensemble.base_score", "is set, but a forest has no base score") }
        case .softmax:
            if ensemble.baseScore.count != k {
                throw fail("ensemble.base_score", "has \(ensemble.baseScore.count) numbers; margin_softmax needs one per class (\(k))")
            }
        case .sigmoid:
            if k != 2 { throw fail("ensemble.aggregation", "is margin_sigmoid, which needs 2 classes (model has \(k))") }
            if ensemble.baseScore.count != 1 {
                throw fail("ensemble.base_score", "has \(ensemble.baseScore.count) numbers; margin_sigmoid needs one")
            }
        }
        if let i = ensemble.baseScore.firstIndex(where: { !$0.isFinite }) { throw fail("ensemble.base_score[\(i)]", "is not finite") }
        let width = ensemble.leafWidth(classCount: k)
        for ti in ensemble.trees.indices {
            try validateTree(&ensemble.trees[ti], at: "ensemble.trees[\(ti)]", featureCount: f, classCount: k,
                             width: width, aggregation: ensemble.aggregation, fail: fail)
        }
    }

    static func validateTree(_ tree: inout TreeArrays, at place: String, featureCount f: Int, classCount k: Int,
                             width: Int, aggregation: Aggregation,
                             fail: (String, String) -> ModelError) throws(ModelError) {
        let n = tree.feature.count
        if n == 0 { throw fail("\(place).feature", "is empty (a tree needs at least one node)") }
        for (name, count) in [("threshold", tree.threshold.count), ("left", tree.left.count),
                              ("right", tree.right.count), ("missing_left", tree.missingLeft.count)] where count != n {
            throw fail("\(place).\(name)", "has \(count) entries, but feature has \(n) (arrays must have equal length)")
        }
        if tree.value.count != n * width {
            throw fail("\(place).value", "has \(tree.value.count) numbers, expected \(n) nodes × \(width) = \(n * width)")
        }
        switch aggregation {
        case .softmax:
            guard let c = tree.outputClass else { throw fail("\(place).output_class", "is missing (margin_softmax trees add to one class)") }
            if c < 0 || c >= k { throw fail("\(place).output_class", "= \(c) is out of range (\(k) classes)") }
        case .meanDistribution, .sigmoid:
            if let c = tree.outputClass, c != 0 || aggregation == .meanDistribution {
                throw fail("\(place).output_class", "= \(c) is set, but only margin_softmax trees have one")
            }
        }
        for i in 0..<n {
            let feat = tree.feature[i]
            if feat >= 0 {
                if feat >= f { throw fail("\(place).feature[\(i)]", "= \(feat) is out of range (model has \(f) features)") }
                if !tree.threshold[i].isFinite { throw fail("\(place).threshold[\(i)]", "is not a finite number") }
                for (name, child) in [("left", tree.left[i]), ("right", tree.right[i])] where child < 1 || child >= n {
                    throw fail("\(place).\(name)[\(i)]", "= \(child) is out of range (tree has \(n) nodes)")
                }
            } else {
                if feat != -1 && feat != -2 { throw fail("\(place).feature[\(i)]", "= \(feat) is neither a feature index nor a leaf (-1 or -2)") }
                if tree.left[i] != -1 || tree.right[i] != -1 {
                    throw fail("\(place).left[\(i)]", "= \(tree.left[i]) (right \(tree.right[i])): a leaf's children must be -1")
                }
                let row = tree.value[(i * width)..<(i * width + width)]
                if let j = row.firstIndex(where: { !$0.isFinite }) {
                    throw fail("\(place).value[\(j)]", "is not finite (leaf \(i))")
                }
                if aggregation == .meanDistribution {
                    if let j = row.firstIndex(where: { $0 < 0 }) { throw fail("\(place).value[\(j)]", "= \(tree.value[j]) is negative (leaf \(i) is a class distribution)") }
                    let sum = row.reduce(0, +)
                    if !(sum > 0) { throw fail("\(place).value[\(i * width)]", "leaf \(i)'s class distribution sums to 0") }
                    // Counts or weights become a distribution; a distribution already summing to 1 (± rounding)
                    // is kept as written, so writing a loaded model gives the same numbers.
                    if abs(sum - 1) > 1e-9 { for j in (i * width)..<(i * width + width) { tree.value[j] /= sum } }
                }
            }
        }
        // Every node reached exactly once from the root: no cycles, no shared or orphaned nodes.
        var seen = [Bool](repeating: false, count: n)
        var stack = [0]
        seen[0] = true
        while let i = stack.popLast() {
            guard tree.feature[i] >= 0 else { continue }
            for (name, child) in [("left", tree.left[i]), ("right", tree.right[i])] {
                if seen[child] {
                    throw fail("\(place).\(name)[\(i)]", "= \(child) points to a node already reached (a cycle or a shared child)")
                }
                seen[child] = true
                stack.append(child)
            }
        }
        if let orphan = seen.firstIndex(of: false) {
            throw fail("\(place).feature[\(orphan)]", "node \(orphan) is not reachable from the root (node 0)")
        }
    }

    static func firstDuplicate(_ xs: [String]) -> String? {
        var seen = Set<String>()
        for x in xs where !seen.insert(x).inserted { return x }
        return nil
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
