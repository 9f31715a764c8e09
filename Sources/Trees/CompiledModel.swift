import Foundation

/// The compiled form of a model file: the document the JSON reader parses (`ModelReader.Value`),
/// written in binary, so loading skips JSON parsing (most of the start-up of a large model). The
/// document is kept whole (every member in file order, numbers bit for bit) and read back through
/// the same typed walk and validation as the JSON, so a compiled file gives exactly the model its
/// JSON gives. models/compiled/ holds the embedded models' compiled files (`scripts/compile-models.sh`).
///
/// Layout, little-endian: the 8 bytes `89 53 50 4D 4F 44 45 4C` (0x89 "SPMODEL": never the start of
/// JSON text), the format version (UInt32, 1), the JSON file's length and FNV-1a 64 hash (UInt64
/// each), then the document as one value:
///
/// | tag | value | then |
/// |---|---|---|
/// | 0, 1, 2 | null, false, true | — |
/// | 3 | number | 8 bytes (the double's bits) |
/// | 4 | string | length (varint), UTF-8 bytes |
/// | 5 | array of numbers | count (varint), packing byte, packed numbers |
/// | 6 | array | count (varint), values |
/// | 7 | object | count (varint), then per member: name length (varint), name bytes, value |
///
/// Packings of an array of numbers: 0 doubles (8 bytes each); 1, 2, 3 integers of 1, 2, 4 bytes
/// (signed; read back as `.integers`, so node indices need no conversion); 4, 5 a table (count as
/// varint, then doubles) and one index per number of 1 or 2 bytes. The compiler picks the smallest;
/// varints are unsigned LEB128.
public enum CompiledModel {
    static let magic: [UInt8] = [0x89, 0x53, 0x50, 0x4D, 0x4F, 0x44, 0x45, 0x4C]
    public static let formatVersion: UInt32 = 1
    static let headerSize = 28

    /// Whether `data` starts like a compiled model.
    public static func isCompiled(_ data: Data) -> Bool {
        data.count >= magic.count && data.prefix(magic.count).elementsEqual(magic)
    }

    /// The length and FNV-1a hash of the JSON file a compiled model was made from; nil when `data`
    /// is not a compiled model of this version.
    public static func source(of data: Data) -> (length: Int, hash: UInt64)? {
        guard isCompiled(data), data.count >= headerSize else { return nil }
        return data.withUnsafeBytes { raw in
            guard UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) == formatVersion else { return nil }
            let length = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt64.self))
            let hash = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 20, as: UInt64.self))
            return length <= UInt64(Int.max) ? (Int(length), hash) : nil
        }
    }

    /// FNV-1a, 64 bits: the hash a compiled model records of its JSON file.
    public static func fnv1a(_ data: Data) -> UInt64 {
        data.withUnsafeBytes { raw in
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            for byte in raw { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            return h
        }
    }

    /// Compiles a JSON model file. An invalid model is refused with the error loading it gives.
    public static func compile(json: Data, source: String) throws(ModelError) -> Data {
        if json.isEmpty { throw ModelError(source: source, problem: "is empty") }
        let root = try ModelReader.parse(json, source: source)
        _ = try TreeModel.build(try ModelReader.file(root, source: source), source: source)
        var w = CompiledWriter()
        w.bytes.append(contentsOf: magic)
        w.fixed(formatVersion)
        w.fixed(UInt64(json.count))
        w.fixed(fnv1a(json))
        w.value(root)
        return Data(w.bytes)
    }

    /// The document of a compiled model; a malformed one becomes a `ModelError` naming the byte.
    static func document(_ data: Data, source: String) throws(ModelError) -> ModelReader.Value {
        try document(data, source: source, deferring: false).root
    }

    /// The document, and with `deferring` each model object's `ensemble` left out of it and left to
    /// `DeferredEnsembles` to read.
    static func document(_ data: Data, source: String, deferring: Bool) throws(ModelError) -> (root: ModelReader.Value, deferred: DeferredEnsembles?) {
        guard isCompiled(data) else { throw ModelError(source: source, problem: "is not a compiled model") }
        let result: Result<(ModelReader.Value, [String: Range<Int>]?), CompiledReader.Failure> = data.withUnsafeBytes { raw in
            var r = CompiledReader(b: raw)
            if deferring { r.deferred = [:] }
            do throws(CompiledReader.Failure) { return .success((try r.document(), r.deferred)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let (root, ranges)): return (root, ranges.map { DeferredEnsembles(data: data, ranges: $0) })
        case .failure(let e): throw invalid(e, source: source)
        }
    }

    static func invalid(_ e: CompiledReader.Failure, source: String) -> ModelError {
        ModelError(source: source, problem: "is not a valid compiled model (byte \(e.offset): \(e.problem))")
    }
}

/// The `ensemble` members a compiled document was read without: where each model's lies in the
/// bytes (by the model's path: `""`, `stream_model`), read when asked for.
struct DeferredEnsembles: Sendable {
    let data: Data
    let ranges: [String: Range<Int>]

    /// The `ensemble` of the model at `path`, read as `ModelReader.file` reads it.
    func read(_ range: Range<Int>, path: String, source: String) throws(ModelError) -> EnsembleFile {
        let result: Result<ModelReader.Value, CompiledReader.Failure> = data.withUnsafeBytes { raw in
            var r = CompiledReader(b: raw)
            do throws(CompiledReader.Failure) { return .success(try r.value(at: range)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let value):
            let model = ModelReader.Fields(members: .object([("ensemble", value)]), path: path, source: source)
            return try ModelReader.ensembleFile(try model.object("ensemble"))
        case .failure(let e): throw CompiledModel.invalid(e, source: source)
        }
    }
}

extension TreeModel {
    /// Reads and validates a compiled model (`CompiledModel`); `source` names it in messages, which
    /// are those its JSON would give.
    public static func decode(compiled data: Data, source: String) throws(ModelError) -> TreeModel {
        let root = try CompiledModel.document(data, source: source)
        return try build(try ModelReader.file(root, source: source), source: source)
    }

    /// An embedded model (`ModelLocator`'s `embedded` bytes), JSON or compiled. A compiled one's
    /// trees (`ensemble`, the stream stage's too) are read and validated at their first use, not
    /// here: a command that never predicts does not pay for them. Only for the models built into
    /// the binary, which the tests load and validate in full, from both forms.
    public static func decode(embedded data: Data, source: String) throws(ModelError) -> TreeModel {
        guard CompiledModel.isCompiled(data) else { return try decode(json: data, source: source) }
        let (root, deferred) = try CompiledModel.document(data, source: source, deferring: true)
        return try build(try ModelReader.file(root, source: source, deferred: deferred), source: source)
    }

    /// A model from a file's bytes, JSON or compiled (told apart by the first bytes).
    public static func decode(bytes data: Data, source: String) throws(ModelError) -> TreeModel {
        CompiledModel.isCompiled(data) ? try decode(compiled: data, source: source) : try decode(json: data, source: source)
    }
}

/// Writes a document in the compiled form (`CompiledModel`).
struct CompiledWriter {
    var bytes: [UInt8] = []

    mutating func fixed<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func varint(_ v: Int) {
        var u = UInt64(v)
        while u >= 0x80 {
            bytes.append(UInt8(u & 0x7F) | 0x80)
            u >>= 7
        }
        bytes.append(UInt8(u))
    }

    mutating func text(_ s: String) {
        varint(s.utf8.count)
        bytes.append(contentsOf: s.utf8)
    }

    mutating func value(_ v: ModelReader.Value) {
        switch v {
        case .null: bytes.append(0)
        case .bool(let b): bytes.append(b ? 2 : 1)
        case .number(let x):
            bytes.append(3)
            fixed(x.bitPattern)
        case .string(let s):
            bytes.append(4)
            text(s)
        case .numbers(let xs):
            bytes.append(5)
            varint(xs.count)
            numbers(xs)
        case .integers(let xs):
            bytes.append(5)
            varint(xs.count)
            numbers(xs.map(Double.init))
        case .array(let items):
            bytes.append(6)
            varint(items.count)
            for item in items { value(item) }
        case .object(let members):
            bytes.append(7)
            varint(members.count)
            for (name, item) in members {
                text(name)
                value(item)
            }
        }
    }

    /// The smallest packing that keeps every number's bits.
    mutating func numbers(_ xs: [Double]) {
        // Integers: each must come back as the same bits (so not -0).
        var intWidth = 1
        for x in xs {
            guard abs(x) < 2_147_483_648, Double(Int64(x)).bitPattern == x.bitPattern else { intWidth = 0; break }
            let i = Int64(x)
            if i < -32_768 || i > 32_767 { intWidth = 4 } else if (i < -128 || i > 127) && intWidth < 2 { intWidth = 2 }
        }
        // A table of the distinct numbers, when there are at most 65,536.
        var table: [Double] = []
        var index: [UInt64: Int] = [:]
        for x in xs where index[x.bitPattern] == nil {
            guard table.count < 65_536 else { table = []; break }
            index[x.bitPattern] = table.count
            table.append(x)
        }
        let indexWidth = table.isEmpty ? 0 : table.count <= 256 ? 1 : 2
        let raw = xs.count * 8
        let asInts = intWidth == 0 ? Int.max : xs.count * intWidth
        let asTable = indexWidth == 0 ? Int.max : 5 + table.count * 8 + xs.count * indexWidth
        if asInts <= raw && asInts <= asTable {
            bytes.append(intWidth == 1 ? 1 : intWidth == 2 ? 2 : 3)
            for x in xs {
                switch intWidth {
                case 1: fixed(Int8(x))
                case 2: fixed(Int16(x))
                default: fixed(Int32(x))
                }
            }
        } else if asTable < raw {
            bytes.append(indexWidth == 1 ? 4 : 5)
            varint(table.count)
            for t in table { fixed(t.bitPattern) }
            for x in xs {
                if indexWidth == 1 { bytes.append(UInt8(index[x.bitPattern]!)) } else { fixed(UInt16(index[x.bitPattern]!)) }
            }
        } else {
            bytes.append(0)
            for x in xs { fixed(x.bitPattern) }
        }
    }
}
