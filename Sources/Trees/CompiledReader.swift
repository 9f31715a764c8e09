/// Reads a document in the compiled form (`CompiledModel`). Every count is checked against the bytes
/// left before anything is allocated, and nesting is bounded as in JSON: a damaged or hostile file is
/// refused with the byte where reading stopped, never read past its end.
struct CompiledReader {
    struct Failure: Error {
        var offset: Int
        var problem: String
    }

    let b: UnsafeRawBufferPointer
    var i = 0
    var depth = 0
    /// When set, each model object's `ensemble` (the root's, a `stream_model`'s) is skipped and its
    /// bytes recorded here under the model's path (`""`, `stream_model`), to be read at first use.
    var deferred: [String: Range<Int>]?

    func fail(_ problem: String) -> Failure { Failure(offset: i, problem: problem) }

    mutating func document() throws(Failure) -> ModelReader.Value {
        guard b.count >= CompiledModel.headerSize else { throw fail("shorter than the header") }
        i = CompiledModel.magic.count
        let version = UInt32(littleEndian: try fixed(UInt32.self))
        guard version == CompiledModel.formatVersion else {
            i -= 4
            throw fail("format version \(version); this streamprobe reads version \(CompiledModel.formatVersion)")
        }
        i = CompiledModel.headerSize
        let root = try value(model: "")
        guard i == b.count else { throw fail("unexpected bytes after the document") }
        return root
    }

    mutating func need(_ n: Int) throws(Failure) {
        guard n >= 0, n <= b.count - i else { throw fail("unexpected end of the data") }
    }

    mutating func byte() throws(Failure) -> UInt8 {
        try need(1)
        defer { i += 1 }
        return b[i]
    }

    mutating func fixed<T: FixedWidthInteger>(_ type: T.Type) throws(Failure) -> T {
        try need(MemoryLayout<T>.size)
        defer { i += MemoryLayout<T>.size }
        return b.loadUnaligned(fromByteOffset: i, as: T.self)
    }

    /// An unsigned LEB128 number, at most the bytes left (every count is one).
    mutating func count() throws(Failure) -> Int {
        let start = i
        var v = 0, shift = 0
        while true {
            let c = try byte()
            guard shift < 63 else { i = start; throw fail("a count too large") }
            v |= Int(c & 0x7F) << shift
            if c & 0x80 == 0 { break }
            shift += 7
        }
        guard v >= 0, v <= b.count - i else { i = start; throw fail("a count of \(v) beyond the end of the data") }
        return v
    }

    mutating func text() throws(Failure) -> String {
        let n = try count()
        defer { i += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: b[i..<(i + n)]), as: UTF8.self)
    }

    /// JSON has no NaN or infinity, so neither can the compiled form of a JSON document (found by
    /// Fuzz/Targets/model-reader.swift: a NaN leaf value read, then written as `null`).
    static let notFinite = "a number that is not finite (NaN or infinity: JSON has none)"

    /// The value at `range`, which holds exactly one.
    mutating func value(at range: Range<Int>) throws(Failure) -> ModelReader.Value {
        i = range.lowerBound
        let v = try value()
        guard i == range.upperBound else { throw fail("a value that does not end where it was skipped to") }
        return v
    }

    /// `model`: the path of the model object this value is (`""` for the root), when it is one.
    mutating func value(model: String? = nil) throws(Failure) -> ModelReader.Value {
        let tag = try byte()
        switch tag {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3:
            let x = Double(bitPattern: UInt64(littleEndian: try fixed(UInt64.self)))
            guard x.isFinite else { i -= 8; throw fail(Self.notFinite) }
            return .number(x)
        case 4: return .string(try text())
        case 5: return try numbers()
        case 6, 7:
            depth += 1
            defer { depth -= 1 }
            guard depth <= ModelReader.maximumDepth else { throw fail("nesting deeper than \(ModelReader.maximumDepth) levels") }
            let n = try count()
            if tag == 6 {
                var items: [ModelReader.Value] = []
                items.reserveCapacity(n)
                for _ in 0..<n { items.append(try value()) }
                return .array(items)
            }
            var members: [(String, ModelReader.Value)] = []
            members.reserveCapacity(n)
            guard let model, deferred != nil else {
                for _ in 0..<n { members.append((try text(), try value())) }
                return .object(members)
            }
            for _ in 0..<n {
                let name = try text()
                switch name {
                case "ensemble":
                    let start = i
                    try skip()
                    deferred?[model] = start..<i
                case "stream_model":
                    members.append((name, try value(model: model.isEmpty ? name : "\(model).\(name)")))
                default:
                    members.append((name, try value()))
                }
            }
            return .object(members)
        default:
            i -= 1
            throw fail("unknown tag \(tag)")
        }
    }

    /// Moves past one value without making it (its numbers are checked when it is read).
    mutating func skip() throws(Failure) {
        let tag = try byte()
        switch tag {
        case 0, 1, 2: return
        case 3: try skip(1, 8)
        case 4: i += try count()
        case 5:
            let n = try count()
            let packing = try byte()
            switch packing {
            case 0: try skip(n, 8)
            case 1, 2: try skip(n, Int(packing))
            case 3: try skip(n, 4)
            case 4, 5:
                try skip(try count(), 8)
                try skip(n, Int(packing) - 3)
            default:
                i -= 1
                throw fail("unknown packing \(packing) of an array of numbers")
            }
        case 6, 7:
            depth += 1
            defer { depth -= 1 }
            guard depth <= ModelReader.maximumDepth else { throw fail("nesting deeper than \(ModelReader.maximumDepth) levels") }
            for _ in 0..<(try count()) {
                if tag == 7 { i += try count() }
                try skip()
            }
        default:
            i -= 1
            throw fail("unknown tag \(tag)")
        }
    }

    mutating func skip(_ n: Int, _ width: Int) throws(Failure) {
        guard n <= (b.count - i) / width else { throw fail("\(n) numbers beyond the end of the data") }
        i += n * width
    }

    /// An array of numbers in one of its packings: integers as `.integers`, others as `.numbers`.
    mutating func numbers() throws(Failure) -> ModelReader.Value {
        let n = try count()
        let packing = try byte()
        switch packing {
        case 0:
            let xs = try unpack(n, 8) { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8 * $1, as: UInt64.self))) }
            guard xs.allSatisfy(\.isFinite) else { throw fail(Self.notFinite) }
            return .numbers(xs)
        case 1, 2, 3:
            if n == 0 { return .numbers([]) }
            switch packing {
            case 1: return .integers(try unpack(n, 1) { Int(Int8(bitPattern: $0.load(fromByteOffset: $1, as: UInt8.self))) })
            case 2: return .integers(try unpack(n, 2) { Int(Int16(littleEndian: $0.loadUnaligned(fromByteOffset: 2 * $1, as: Int16.self))) })
            default: return .integers(try unpack(n, 4) { Int(Int32(littleEndian: $0.loadUnaligned(fromByteOffset: 4 * $1, as: Int32.self))) })
            }
        case 4, 5:
            let size = try count()
            guard size > 0, size <= (packing == 4 ? 256 : 65_536) else {
                throw fail("a table of \(size) numbers for \(packing == 4 ? 1 : 2)-byte indices")
            }
            let table = try unpack(size, 8) { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8 * $1, as: UInt64.self))) }
            guard table.allSatisfy(\.isFinite) else { throw fail(Self.notFinite) }
            return .numbers(packing == 4 ? try lookUp(n, in: table, UInt8.self) : try lookUp(n, in: table, UInt16.self))
        default:
            i -= 1
            throw fail("unknown packing \(packing) of an array of numbers")
        }
    }

    /// `n` indices of type `Index` into `table`, each checked (the largest first: one pass the
    /// compiler vectorises) before any is used.
    @inline(__always)
    mutating func lookUp<Index: FixedWidthInteger & UnsignedInteger>(_ n: Int, in table: [Double], _: Index.Type) throws(Failure) -> [Double] {
        let width = MemoryLayout<Index>.size
        try need(n * width)
        guard n > 0, let start = b.baseAddress.map({ $0 + i }) else { return [] }
        @inline(__always) func index(_ k: Int) -> Int { Int(Index(littleEndian: start.loadUnaligned(fromByteOffset: width * k, as: Index.self))) }
        var largest = 0
        for k in 0..<n { largest = max(largest, index(k)) }
        if largest >= table.count, let bad = (0..<n).first(where: { index($0) >= table.count }) {
            i += bad * width
            throw fail("index \(index(bad)) beyond a table of \(table.count) numbers")
        }
        return try table.withUnsafeBufferPointer { t throws(Failure) in try unpack(n, width) { _, k in t[index(k)] } }
    }

    /// `n` numbers of `width` bytes each; `read(start, k)` reads the k-th from the first one's address.
    @inline(__always)
    mutating func unpack<T>(_ n: Int, _ width: Int, _ read: (UnsafeRawPointer, Int) -> T) throws(Failure) -> [T] {
        guard n <= (b.count - i) / width else { throw fail("\(n) numbers beyond the end of the data") }
        guard n > 0, let start = b.baseAddress.map({ $0 + i }) else { return [] }
        i += n * width
        return [T](unsafeUninitializedCapacity: n) { out, filled in
            for k in 0..<n { out[k] = read(start, k) }
            filled = n
        }
    }
}
