import Foundation

/// The one reader of model files. A small JSON parser made for them (`ModelJSON.swift`), then a
/// typed walk over the document that names the place of anything wrong: `ensemble.trees[3].threshold[7]
/// has the wrong type (expected a number)`, or `line 12, column 8: expected ',' or '}'` for broken JSON.
/// A compiled model (`CompiledModel.swift`) is the same document in binary, walked the same way.
enum ModelReader {
    /// One object of the document and its place, whose accessors throw errors naming the member.
    struct Fields {
        let members: Value
        let path: String
        let source: String

        func place(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
        func fail(_ key: String, _ problem: String) -> ModelError {
            ModelError(source: source, location: place(key), problem: problem)
        }
        func wrongType(_ key: String, _ v: Value, expected: String) -> ModelError {
            fail(key, "has the wrong type (expected \(expected), found \(v.typeName))")
        }

        func has(_ key: String) -> Bool { members[key] != nil }

        func required(_ key: String) throws(ModelError) -> Value {
            guard let v = members[key] else { throw fail(key, "is missing") }
            return v
        }

        func string(_ key: String) throws(ModelError) -> String {
            let v = try required(key)
            guard case .string(let s) = v else { throw wrongType(key, v, expected: "a string") }
            return s
        }

        func optionalString(_ key: String) throws(ModelError) -> String? {
            guard let v = members[key] else { return nil }
            guard case .string(let s) = v else { throw wrongType(key, v, expected: "a string") }
            return s
        }

        func int(_ key: String) throws(ModelError) -> Int {
            let v = try required(key)
            guard case .number(let x) = v, x == x.rounded(), abs(x) < 1e15 else { throw wrongType(key, v, expected: "an integer") }
            return Int(x)
        }

        func optionalInt(_ key: String) throws(ModelError) -> Int? { has(key) ? try int(key) : nil }

        /// A string member that must be one of an enumeration's raw values.
        func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws(ModelError) -> T where T.RawValue == String {
            let s = try string(key)
            guard let v = T(rawValue: s) else {
                throw fail(key, "is \"\(s)\", expected one of \(T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
            }
            return v
        }

        func strings(_ key: String) throws(ModelError) -> [String] {
            let v = try required(key)
            switch v {
            case .numbers(let n) where n.isEmpty: return []
            case .array(let items):
                var out: [String] = []
                out.reserveCapacity(items.count)
                for (k, item) in items.enumerated() {
                    guard case .string(let s) = item else {
                        throw fail("\(key)[\(k)]".self, "has the wrong type (expected a string, found \(item.typeName))")
                    }
                    out.append(s)
                }
                return out
            default: throw wrongType(key, v, expected: "an array of strings")
            }
        }

        func numbers(_ key: String) throws(ModelError) -> [Double] {
            let v = try required(key)
            switch v {
            case .numbers(let n): return n
            case .integers(let n): return n.map(Double.init)
            case .array(let items):
                // Not all numbers (the fast path gave up): name the first that is not.
                let k = items.firstIndex { if case .number = $0 { return false }; return true } ?? 0
                throw ModelError(source: source, location: "\(place(key))[\(k)]",
                                 problem: "has the wrong type (expected a number, found \(items[k].typeName))")
            default: throw wrongType(key, v, expected: "an array of numbers")
            }
        }

        func optionalNumbers(_ key: String) throws(ModelError) -> [Double]? { has(key) ? try numbers(key) : nil }

        func ints(_ key: String) throws(ModelError) -> [Int] {
            if case .integers(let n)? = members[key] { return n }
            let n = try numbers(key)
            var out = [Int]()
            out.reserveCapacity(n.count)
            for (k, x) in n.enumerated() {
                // |x| < 1e15 first (Int(x) needs it), then integral: the same test as x == x.rounded(),
                // without a call to round() per node.
                guard abs(x) < 1e15, Double(Int(x)) == x else {
                    throw ModelError(source: source, location: "\(place(key))[\(k)]", problem: "= \(JSONWriter.number(x)) is not an integer")
                }
                out.append(Int(x))
            }
            return out
        }

        func object(_ key: String) throws(ModelError) -> Fields {
            let v = try required(key)
            guard case .object = v else { throw wrongType(key, v, expected: "an object") }
            return Fields(members: v, path: place(key), source: source)
        }

        func optionalObject(_ key: String) throws(ModelError) -> Fields? { has(key) ? try object(key) : nil }

        func array(_ key: String) throws(ModelError) -> [Fields] {
            let v = try required(key)
            let items: [Value]
            switch v {
            case .array(let a): items = a
            case .numbers(let n) where n.isEmpty: items = []
            default: throw wrongType(key, v, expected: "an array of objects")
            }
            var out: [Fields] = []
            out.reserveCapacity(items.count)
            for (k, item) in items.enumerated() {
                guard case .object = item else {
                    throw ModelError(source: source, location: "\(place(key))[\(k)]",
                                     problem: "has the wrong type (expected an object, found \(item.typeName))")
                }
                out.append(Fields(members: item, path: "\(place(key))[\(k)]", source: source))
            }
            return out
        }

        /// A small optional part described by a `Decodable` type (window, scaler, decision, …),
        /// decoded straight from the parsed value; its errors carry the full path.
        func decoded<T: Decodable>(_ key: String, _ type: T.Type) throws(ModelError) -> T? {
            guard let v = members[key] else { return nil }
            do {
                return try T(from: ValueDecoder(value: v, codingPath: []))
            } catch let error as DecodingError {
                let (location, problem) = TreeModel.locate(error)
                throw ModelError(source: source, location: location.isEmpty ? place(key)
                                 : location.hasPrefix("[") ? place(key) + location : "\(place(key)).\(location)",
                                 problem: problem)
            } catch {
                throw fail(key, "cannot be decoded (\(error))")
            }
        }
    }

    /// The parts of a model file (or of a nested `stream_model`).
    /// `deferred`: the `ensemble` members a compiled document was read without, read at first use.
    static func file(_ root: Value, source: String, path: String = "", deferred: DeferredEnsembles? = nil) throws(ModelError) -> ModelFileV1 {
        guard case .object = root else {
            throw ModelError(source: source, location: path, problem: path.isEmpty ? "is not a JSON object" : "is not a model object")
        }
        let f = Fields(members: root, path: path, source: source)
        // Format and version first: any other problem in a file of another kind would mislead.
        guard case .string(let format)? = root["format"], format == TreeModel.formatName else {
            let found: String
            switch root["format"] {
            case .string(let s)?: found = "\"\(s)\""
            case nil: found = "missing"
            case let v?: found = v.typeName
            }
            throw f.fail("format", "is \(found), expected \"\(TreeModel.formatName)\" (not a streamprobe model file)")
        }
        guard case .number(let version)? = root["format_version"], version == Double(TreeModel.formatVersion) else {
            let found: String
            switch root["format_version"] {
            case .number(let x)?: found = JSONWriter.number(x)
            case nil: found = "missing"
            case let v?: found = v.typeName
            }
            throw f.fail("format_version", "is \(found); this streamprobe reads version \(TreeModel.formatVersion)")
        }
        let ensemble: EnsemblePart
        if let deferred, let range = deferred.ranges[path] {
            ensemble = .deferred { () throws(ModelError) in try deferred.read(range, path: path, source: source) }
        } else {
            ensemble = .read(try ensembleFile(try f.object("ensemble")))
        }
        var card: JSONValue? = nil
        if let c = root["card"] {
            guard case .object = c else { throw f.wrongType("card", c, expected: "an object") }
            card = jsonValue(c)
        }
        var nested: ModelFileV1? = nil
        if let sm = root["stream_model"] {
            nested = try file(sm, source: source, path: f.place("stream_model"), deferred: deferred)
        }
        return ModelFileV1(name: try f.string("name"), task: try f.string("task"),
                           description: try f.optionalString("description"),
                           classes: try f.strings("classes"), featureSet: try f.string("feature_set"),
                           features: try f.strings("features"),
                           window: try f.decoded("window", WindowParameters.self),
                           scaler: try f.decoded("scaler", StandardScaler.self),
                           ensemble: ensemble,
                           selection: try f.decoded("selection", ModelSelection.self),
                           card: card,
                           decision: try f.decoded("decision", DecisionRule.self),
                           temporal: try f.decoded("temporal", TemporalSmoothing.self),
                           flowRules: try f.decoded("flow_rules", FlowRules.self),
                           streamFile: nested.map(NestedFile.init), path: path)
    }

    /// A model's `ensemble` object.
    static func ensembleFile(_ e: Fields) throws(ModelError) -> EnsembleFile {
        var trees: [TreeFile] = []
        for t in try e.array("trees") {
            trees.append(TreeFile(feature: try t.ints("feature"), threshold: try t.numbers("threshold"),
                                  left: try t.ints("left"), right: try t.ints("right"),
                                  missingLeft: try t.ints("missing_left"), value: try t.numbers("value"),
                                  outputClass: try t.optionalInt("output_class"), place: t.path))
        }
        return EnsembleFile(kind: try e.choice("kind", EnsembleKind.self),
                            comparison: try e.choice("comparison", SplitComparison.self),
                            featurePrecision: e.has("feature_precision") ? try e.choice("feature_precision", FeaturePrecision.self) : nil,
                            aggregation: try e.choice("aggregation", Aggregation.self),
                            baseScore: try e.optionalNumbers("base_score"), trees: trees)
    }

    static func jsonValue(_ v: Value) -> JSONValue {
        switch v {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let d): return .number(d)
        case .string(let s): return .string(s)
        case .numbers(let n): return .array(n.map { .number($0) })
        case .integers(let n): return .array(n.map { .number(Double($0)) })
        case .array(let a): return .array(a.map(jsonValue))
        case .object(let o): return .object(o.map { ($0.0, jsonValue($0.1)) })
        }
    }
}
