import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A quick reader for well-formed model files: a small JSON parser whose arrays of numbers become
/// `[Double]` directly (the trees are nearly all of a large file). It only reports success or
/// failure; on failure the caller decodes with `JSONDecoder`, whose errors say what is wrong where.
enum FastModelReader {
    indirect enum Value {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case numbers([Double])
        case array([Value])
        case object([String: Value])
    }

    struct Parser {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        mutating func skip() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        mutating func value() -> Value? {
            skip()
            guard i < b.count else { return nil }
            switch b[i] {
            case UInt8(ascii: "{"): return object()
            case UInt8(ascii: "["): return array()
            case UInt8(ascii: "\""): return string().map { .string($0) }
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            default: return number().map { .number($0) }
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard i + n <= b.count else { return false }
            for k in 0..<n where b[i + k] != word.utf8Start[k] { return false }
            i += n
            return true
        }

        mutating func number() -> Double? {
            let start = i
            while i < b.count {
                let c = b[i]
                if (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2B || c == 0x2E || c == 0x65 || c == 0x45 { i += 1 } else { break }
            }
            let len = i - start
            guard len > 0, len < 64 else { return nil }
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf -> Double? in
                for k in 0..<len { buf[k] = CChar(bitPattern: b[start + k]) }
                buf[len] = 0
                var end: UnsafeMutablePointer<CChar>? = nil
                let v = strtod(buf.baseAddress!, &end)
                guard let end, end - buf.baseAddress! == len, v.isFinite else { return nil }
                return v
            }
        }

        mutating func string() -> String? {
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            var plain = true
            while i < b.count, b[i] != UInt8(ascii: "\"") {
                if b[i] == UInt8(ascii: "\\") { plain = false; i += 2 } else { i += 1 }
            }
            guard i < b.count else { return nil }
            let raw = UnsafeBufferPointer(rebasing: b[start..<i])
            i += 1
            if plain { return String(decoding: raw, as: UTF8.self) }
            // Escapes: let Foundation's JSON reader unescape this one string.
            var quoted = [UInt8(ascii: "\"")]
            quoted.append(contentsOf: raw)
            quoted.append(UInt8(ascii: "\""))
            return try? JSONDecoder().decode(String.self, from: Data(quoted))
        }

        mutating func array() -> Value? {
            i += 1
            skip()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .numbers([]) }
            // Numbers only: the fast path.
            let start = i
            var numbers: [Double] = []
            while true {
                skip()
                guard i < b.count else { return nil }
                let c = b[i]
                guard (c >= 0x30 && c <= 0x39) || c == 0x2D, let v = number() else { break }
                numbers.append(v)
                skip()
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .numbers(numbers) }
                return nil
            }
            i = start
            var items: [Value] = []
            while true {
                guard let v = value() else { return nil }
                items.append(v)
                skip()
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                return nil
            }
        }

        mutating func object() -> Value? {
            i += 1
            var members: [String: Value] = [:]
            skip()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skip()
                guard let key = string() else { return nil }
                skip()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                guard let v = value() else { return nil }
                members[key] = v
                skip()
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                return nil
            }
        }
    }

    /// The file's parts, or nil when anything is unusual (then JSONDecoder reports the problem).
    static func read(_ data: Data) -> ModelFileV1? {
        let root: Value? = data.withUnsafeBytes { raw in
            var p = Parser(b: raw.bindMemory(to: UInt8.self))
            let v = p.value()
            p.skip()
            return p.i == p.b.count ? v : nil
        }
        guard case .object(let o)? = root else { return nil }
        return file(o)
    }

    /// The parts of one model object (the file's root, or a nested `stream_model`).
    static func file(_ o: [String: Value]) -> ModelFileV1? {
        func string(_ v: Value?) -> String? { if case .string(let s)? = v { return s }; return nil }
        func strings(_ v: Value?) -> [String]? {
            if case .numbers(let n)? = v, n.isEmpty { return [] }
            guard case .array(let a)? = v else { return nil }
            var out: [String] = []
            for x in a { guard case .string(let s) = x else { return nil }; out.append(s) }
            return out
        }
        func numbers(_ v: Value?) -> [Double]? { if case .numbers(let n)? = v { return n }; return nil }
        func ints(_ v: Value?) -> [Int]? {
            guard let n = numbers(v) else { return nil }
            var out = [Int]()
            out.reserveCapacity(n.count)
            for x in n { guard x == x.rounded(), abs(x) < 1e15 else { return nil }; out.append(Int(x)) }
            return out
        }
        func int(_ v: Value?) -> Int? {
            guard case .number(let x)? = v, x == x.rounded(), abs(x) < 1e15 else { return nil }
            return Int(x)
        }
        func double(_ v: Value?) -> Double? { if case .number(let x)? = v { return x }; return nil }
        guard let format = string(o["format"]), let version = int(o["format_version"]), let name = string(o["name"]),
              let task = string(o["task"]), let classes = strings(o["classes"]), let featureSet = string(o["feature_set"]),
              let features = strings(o["features"]), case .object(let e)? = o["ensemble"],
              let kind = string(e["kind"]).flatMap(EnsembleKind.init(rawValue:)),
              let comparison = string(e["comparison"]).flatMap(SplitComparison.init(rawValue:)),
              let aggregation = string(e["aggregation"]).flatMap(Aggregation.init(rawValue:)),
              case .array(let treeValues)? = e["trees"] else { return nil }
        var description: String? = nil
        if let d = o["description"] { guard let s = string(d) else { return nil }; description = s }
        var precision: FeaturePrecision? = nil
        if let p = e["feature_precision"] { guard let s = string(p).flatMap(FeaturePrecision.init(rawValue:)) else { return nil }; precision = s }
        var baseScore: [Double]? = nil
        if let bs = e["base_score"] { guard let n = numbers(bs) else { return nil }; baseScore = n }
        var trees: [TreeFile] = []
        for tv in treeValues {
            guard case .object(let t) = tv, let feature = ints(t["feature"]), let threshold = numbers(t["threshold"]),
                  let left = ints(t["left"]), let right = ints(t["right"]), let missing = ints(t["missing_left"]),
                  let value = numbers(t["value"]) else { return nil }
            var outputClass: Int? = nil
            if let c = t["output_class"] { guard let ci = int(c) else { return nil }; outputClass = ci }
            trees.append(TreeFile(feature: feature, threshold: threshold, left: left, right: right, missingLeft: missing,
                                  value: value, outputClass: outputClass))
        }
        // The small optional parts go through JSONDecoder (their own bytes are tiny).
        func decodeSmall<T: Decodable>(_ key: String, _ type: T.Type) -> T?? {
            guard let v = o[key] else { return .some(nil) }
            guard let bytes = try? JSONEncoder().encode(Self.jsonValue(v)) else { return nil }
            return (try? JSONDecoder().decode(T.self, from: bytes)).map { .some($0) } ?? nil
        }
        guard let window = decodeSmall("window", WindowParameters.self),
              let scaler = decodeSmall("scaler", StandardScaler.self),
              let selection = decodeSmall("selection", ModelSelection.self),
              let decision = decodeSmall("decision", DecisionRule.self),
              let temporal = decodeSmall("temporal", TemporalSmoothing.self),
              let flowRules = decodeSmall("flow_rules", FlowRules.self) else { return nil }
        // A nested stage is read the same way (no round trip through JSON text).
        var nested: ModelFileV1?
        if let sm = o["stream_model"] {
            guard case .object(let so) = sm, let f = file(so) else { return nil }
            nested = f
        }
        let card = o["card"].map(Self.jsonValue)
        if let card, card.objectValue == nil, card != .null { return nil }
        return ModelFileV1(format: format, formatVersion: version, name: name, task: task, description: description,
                           classes: classes, featureSet: featureSet, features: features, window: window, scaler: scaler,
                           ensemble: EnsembleFile(kind: kind, comparison: comparison, featurePrecision: precision,
                                                  aggregation: aggregation, baseScore: baseScore, trees: trees),
                           selection: selection, card: card == .null ? nil : card, decision: decision, temporal: temporal, flowRules: flowRules, streamModel: nil,
                           streamFile: nested.map(NestedFile.init))
    }

    static func jsonValue(_ v: Value) -> JSONValue {
        switch v {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let d): return .number(d)
        case .string(let s): return .string(s)
        case .numbers(let n): return .array(n.map { .number($0) })
        case .array(let a): return .array(a.map(jsonValue))
        case .object(let o): return .object(o.keys.sorted().map { ($0, jsonValue(o[$0]!)) })
        }
    }
}
