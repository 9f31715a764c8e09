import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The JSON half of the model reader: a small parser made for model files (the trees, nearly all of
// a large file, are arrays of numbers, which become `[Double]` directly). `ModelReader.swift` walks
// the parsed document; `CompiledModel.swift` reads the same document from its compiled form.
extension ModelReader {
    /// A parsed JSON value. Objects keep their members in file order (a card read and written again
    /// keeps its layout); a later duplicate key wins on lookup, as in most JSON readers.
    indirect enum Value {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        /// An array holding only numbers (and the empty array).
        case numbers([Double])
        /// An array of integers (none -0) held as `Int`: only a compiled model gives it, for an
        /// array it stored as integers. The same document as `.numbers` of the same values.
        case integers([Int])
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
            case .numbers, .integers, .array: return "an array"
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
}
