import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one reader of model files. A small JSON parser made for them (the trees, nearly all of a
/// large file, are arrays of numbers, which become `[Double]` directly), then a typed walk over the
/// document that names the place of anything wrong: `ensemble.trees[3].threshold[7] has the wrong
/// type (expected a number)`, or `line 12, column 8: expected ',' or '}'` for broken JSON.
enum ModelReader {
    /// A parsed JSON value. Objects keep their members in file order (a card read and written again
    /// keeps its layout); a later duplicate key wins on lookup, as in most JSON readers.
    indirect enum Value {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        /// An array holding only numbers (and the empty array).
        case numbers([Double])
        case array([Value])
        case object([(String, Value)])

        subscript(key: String) -> Value? {
            guard case .object(let members) = self else { return nil }
            return members.last { $0.0 == key }?.1
        }

        var typeName: String {
            switch self {
            case .null: return "null"
            case .bool: return "true or false"
            case .number: return "a number"
            case .string: return "a string"
            case .numbers, .array: return "an array"
            case .object: return "an object"
            }
        }
    }

    /// Broken JSON: the byte offset where reading stopped and what was expected there.
    struct SyntaxError: Error {
        var offset: Int
        var problem: String
    }

    // MARK: - Parsing

    /// Nesting deeper than this is refused: a hostile file must not exhaust the stack.
    static let maximumDepth = 256

    struct Parser {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0
        var depth = 0

        func fail(_ problem: String) -> SyntaxError { SyntaxError(offset: i, problem: problem) }

        mutating func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        mutating func document() throws(SyntaxError) -> Value {
            let v = try value()
            skipSpace()
            guard i == b.count else { throw fail("unexpected text after the document") }
            return v
        }

        mutating func value() throws(SyntaxError) -> Value {
            skipSpace()
            guard i < b.count else { throw fail("unexpected end of the document") }
            switch b[i] {
            case UInt8(ascii: "{"): return try nested { (p: inout Parser) throws(SyntaxError) in try p.object() }
            case UInt8(ascii: "["): return try nested { (p: inout Parser) throws(SyntaxError) in try p.array() }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw fail("unexpected character '\(Self.printable(b[i]))'")
            }
        }

        mutating func nested(_ body: (inout Parser) throws(SyntaxError) -> Value) throws(SyntaxError) -> Value {
            depth += 1
            guard depth <= ModelReader.maximumDepth else { throw fail("nesting deeper than \(ModelReader.maximumDepth) levels") }
            defer { depth -= 1 }
            return try body(&self)
        }

        static func printable(_ c: UInt8) -> String {
            c >= 0x20 && c < 0x7F ? String(UnicodeScalar(c)) : String(format: "\\x%02X", c)
        }

        mutating func literal(_ word: StaticString) throws(SyntaxError) {
            let n = word.utf8CodeUnitCount
            guard i + n <= b.count else { throw fail("unexpected end of the document") }
            for k in 0..<n where b[i + k] != word.utf8Start[k] { throw fail("unexpected character '\(Self.printable(b[i]))'") }
            i += n
        }

        /// A JSON number, read with `strtod` (correctly rounded, so numbers written with the
        /// shortest round-trip form read back to the same double).
        mutating func number() throws(SyntaxError) -> Double {
            let start = i
            if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
            let intStart = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            guard i > intStart else { throw fail("expected a digit") }
            if b[intStart] == 0x30, i - intStart > 1 { i = intStart + 1; throw fail("a number may not start with 0") }
            // Integers (node indices, feature numbers, 0/1 flags: most of a model file) need no strtod.
            if i - intStart <= 15, i >= b.count || (b[i] != UInt8(ascii: ".") && b[i] != UInt8(ascii: "e") && b[i] != UInt8(ascii: "E")) {
                var v: Int64 = 0
                for k in intStart..<i { v = v &* 10 &+ Int64(b[k] &- 0x30) }
                return b[start] == UInt8(ascii: "-") ? -Double(v) : Double(v)
            }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                let fracStart = i
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
                guard i > fracStart else { throw fail("expected a digit after '.'") }
            }
            if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                let expStart = i
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
                guard i > expStart else { throw fail("expected a digit in the exponent") }
            }
            let len = i - start
            guard len < 64 else { i = start; throw fail("number of more than 63 characters") }
            let v = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf -> Double in
                for k in 0..<len { buf[k] = CChar(bitPattern: b[start + k]) }
                buf[len] = 0
                return strtod(buf.baseAddress!, nil)
            }
            guard v.isFinite else { i = start; throw fail("number out of range") }
            return v
        }

        mutating func string() throws(SyntaxError) -> String {
            i += 1  // the opening quote
            let start = i
            while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 { i += 1 }
            guard i < b.count else { throw fail("unterminated string") }
            if b[i] == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            // Escapes or control characters: the slow path, byte by byte.
            var bytes = Array(b[start..<i])
            while true {
                guard i < b.count else { throw fail("unterminated string") }
                let c = b[i]
                if c == UInt8(ascii: "\"") { i += 1; break }
                guard c >= 0x20 else { throw fail("control character in a string") }
                guard c == UInt8(ascii: "\\") else { bytes.append(c); i += 1; continue }
                i += 1
                guard i < b.count else { throw fail("unterminated string") }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by an escaped low one.
                        guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                            throw fail("lone surrogate in \\u escape")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("lone surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw fail("lone surrogate in \\u escape")
                    }
                    bytes.append(contentsOf: Array(String(UnicodeScalar(scalar)!).utf8))
                default:
                    i -= 1
                    throw fail("invalid escape '\\\(Self.printable(e))'")
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard i + 4 <= b.count else { throw fail("unterminated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = b[i]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw fail("expected a hexadecimal digit in \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        mutating func array() throws(SyntaxError) -> Value {
            i += 1
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .numbers([]) }
            // Numbers only: the fast path (the trees).
            let start = i
            var numbers: [Double] = []
            while i < b.count, b[i] == UInt8(ascii: "-") || (b[i] >= 0x30 && b[i] <= 0x39) {
                numbers.append(try number())
                skipSpace()
                guard i < b.count else { throw fail("unterminated array") }
                if b[i] == UInt8(ascii: "]") { i += 1; return .numbers(numbers) }
                guard b[i] == UInt8(ascii: ",") else { throw fail("expected ',' or ']'") }
                i += 1
                skipSpace()
            }
            i = start
            var items: [Value] = []
            while true {
                items.append(try value())
                skipSpace()
                guard i < b.count else { throw fail("unterminated array") }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                guard b[i] == UInt8(ascii: ",") else { throw fail("expected ',' or ']'") }
                i += 1
            }
        }

        mutating func object() throws(SyntaxError) -> Value {
            i += 1
            var members: [(String, Value)] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a member name in quotes") }
                let key = try string()
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                members.append((key, try value()))
                skipSpace()
                guard i < b.count else { throw fail("unterminated object") }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                guard b[i] == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
                i += 1
            }
        }
    }

    /// Parses a whole document; broken JSON becomes a `ModelError` naming the line and column.
    static func parse(_ data: Data, source: String) throws(ModelError) -> Value {
        let result: Result<Value, SyntaxError> = data.withUnsafeBytes { raw in
            var p = Parser(b: raw.bindMemory(to: UInt8.self))
            do throws(SyntaxError) { return .success(try p.document()) } catch { return .failure(error) }
        }
        switch result {
        case .success(let v): return v
        case .failure(let e):
            let (line, column) = lineAndColumn(data, offset: e.offset)
            throw ModelError(source: source, problem: "is not valid JSON (line \(line), column \(column): \(e.problem))")
        }
    }

    static func lineAndColumn(_ data: Data, offset: Int) -> (Int, Int) {
        var line = 1, column = 1
        for byte in data.prefix(offset) {
            if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }

    // MARK: - The typed walk

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
            let n = try numbers(key)
            var out = [Int]()
            out.reserveCapacity(n.count)
            for (k, x) in n.enumerated() {
                guard x == x.rounded(), abs(x) < 1e15 else {
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
    static func file(_ root: Value, source: String, path: String = "") throws(ModelError) -> ModelFileV1 {
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
        let e = try f.object("ensemble")
        var trees: [TreeFile] = []
        for t in try e.array("trees") {
            trees.append(TreeFile(feature: try t.ints("feature"), threshold: try t.numbers("threshold"),
                                  left: try t.ints("left"), right: try t.ints("right"),
                                  missingLeft: try t.ints("missing_left"), value: try t.numbers("value"),
                                  outputClass: try t.optionalInt("output_class"), place: t.path))
        }
        let ensemble = EnsembleFile(kind: try e.choice("kind", EnsembleKind.self),
                                    comparison: try e.choice("comparison", SplitComparison.self),
                                    featurePrecision: e.has("feature_precision") ? try e.choice("feature_precision", FeaturePrecision.self) : nil,
                                    aggregation: try e.choice("aggregation", Aggregation.self),
                                    baseScore: try e.optionalNumbers("base_score"), trees: trees)
        var card: JSONValue? = nil
        if let c = root["card"] {
            guard case .object = c else { throw f.wrongType("card", c, expected: "an object") }
            card = jsonValue(c)
        }
        var nested: ModelFileV1? = nil
        if let sm = root["stream_model"] {
            nested = try file(sm, source: source, path: f.place("stream_model"))
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

    static func jsonValue(_ v: Value) -> JSONValue {
        switch v {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let d): return .number(d)
        case .string(let s): return .string(s)
        case .numbers(let n): return .array(n.map { .number($0) })
        case .array(let a): return .array(a.map(jsonValue))
        case .object(let o): return .object(o.map { ($0.0, jsonValue($0.1)) })
        }
    }
}

// MARK: - Decodable parts straight from a parsed value

/// A `Decoder` over `ModelReader.Value`, so the small typed parts of a model (window, scaler,
/// selection, decision, temporal, flow_rules) keep their `Codable` declarations without a second
/// JSON parser. Errors are `DecodingError`s with coding paths, as `JSONDecoder`'s are.
struct ValueDecoder: Decoder {
    typealias Value = ModelReader.Value
    let value: Value
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: codingPath, debugDescription: "expected an object"))
        }
        var dict: [String: Value] = [:]
        for (k, v) in members { dict[k] = v }
        return KeyedDecodingContainer(Keyed<Key>(members: dict, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        switch value {
        case .array(let items): return Unkeyed(items: items, codingPath: codingPath)
        case .numbers(let n): return Unkeyed(items: n.map { .number($0) }, codingPath: codingPath)
        default:
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "expected an array"))
        }
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { Single(value: value, codingPath: codingPath) }

    struct IndexKey: CodingKey {
        var intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(_ i: Int) { intValue = i }
        init?(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { return nil }
    }

    struct Single: SingleValueDecodingContainer {
        let value: Value
        let codingPath: [CodingKey]

        func mismatch<T>(_ type: T.Type) -> DecodingError {
            if case .null = value {
                return .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "null"))
            }
            return .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "found \(value.typeName)"))
        }
        func decodeNil() -> Bool { if case .null = value { return true }; return false }
        func decode(_ type: Bool.Type) throws -> Bool { if case .bool(let b) = value { return b }; throw mismatch(type) }
        func decode(_ type: String.Type) throws -> String { if case .string(let s) = value { return s }; throw mismatch(type) }
        func decode(_ type: Double.Type) throws -> Double { if case .number(let x) = value { return x }; throw mismatch(type) }
        func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
        func integer<T: BinaryInteger>(_ type: T.Type) throws -> T {
            guard case .number(let x) = value, x == x.rounded(), let v = T(exactly: x) else { throw mismatch(type) }
            return v
        }
        func decode(_ type: Int.Type) throws -> Int { try integer(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: ValueDecoder(value: value, codingPath: codingPath)) }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: Value]
        let codingPath: [CodingKey]
        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }
        func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }
        func child(_ key: Key) throws -> ValueDecoder {
            guard let v = members[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
            }
            return ValueDecoder(value: v, codingPath: codingPath + [key])
        }
        func decodeNil(forKey key: Key) throws -> Bool { if case .null? = members[key.stringValue] { return true }; return false }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try T(from: try child(key)) }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).singleValueContainer().decode(type) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).singleValueContainer().decode(type) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).singleValueContainer().decode(type) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).singleValueContainer().decode(type) }
        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
            try child(key).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
        func superDecoder() throws -> Decoder { ValueDecoder(value: .object(members.map { ($0.key, $0.value) }), codingPath: codingPath) }
        func superDecoder(forKey key: Key) throws -> Decoder { try child(key) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let items: [Value]
        let codingPath: [CodingKey]
        var currentIndex = 0
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        mutating func next() throws -> ValueDecoder {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "past the end"))
            }
            defer { currentIndex += 1 }
            return ValueDecoder(value: items[currentIndex], codingPath: codingPath + [IndexKey(currentIndex)])
        }
        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, case .null = items[currentIndex] else { return false }
            currentIndex += 1
            return true
        }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: try next()) }
        mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type) throws -> KeyedDecodingContainer<N> {
            try next().container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { try next().unkeyedContainer() }
        mutating func superDecoder() throws -> Decoder { try next() }
    }
}
