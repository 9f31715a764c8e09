import Foundation
import JSONText

/// A JSON value kept as it is, for the free-form parts of a model file (the card).
/// Objects keep their key order, so a file written twice is the same bytes.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var numberValue: Double? { if case .number(let d) = self { return d }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [(String, JSONValue)]? { if case .object(let o) = self { return o }; return nil }

    /// An object with one member replaced or appended.
    public func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        var members = objectValue ?? []
        if let i = members.firstIndex(where: { $0.0 == key }) { members[i].1 = value } else { members.append((key, value)) }
        return .object(members)
    }
}

extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            let keys = object.allKeys.map(\.stringValue).sorted()
            self = .object(try keys.map { ($0, try object.decode(JSONValue.self, forKey: AnyKey($0))) })
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null }
        else if let b = try? single.decode(Bool.self) { self = .bool(b) }
        else if let d = try? single.decode(Double.self) { self = .number(d) }
        else { self = .string(try single.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var single = encoder.singleValueContainer()
        switch self {
        case .null: try single.encodeNil()
        case .bool(let b): try single.encode(b)
        case .number(let d): try single.encode(d)
        case .string(let s): try single.encode(s)
        case .array(let a): try single.encode(a)
        case .object(let o):
            try single.encode(Dictionary(o, uniquingKeysWith: { a, _ in a }))
        }
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

/// Writes JSON text with a fixed layout: objects one member per line, arrays of scalars on one line.
/// Numbers use Swift's shortest round-trip form, so reading the text back gives the same doubles.
public struct JSONWriter {
    public private(set) var text: String = ""

    public init() {}

    public static func render(_ value: JSONValue) -> String {
        var w = JSONWriter()
        w.write(value, indent: 0)
        w.text.append("\n")
        return w.text
    }

    mutating func write(_ value: JSONValue, indent: Int) {
        switch value {
        case .null: text.append("null")
        case .bool(let b): text.append(b ? "true" : "false")
        case .number(let d): text.append(Self.number(d))
        case .string(let s): Self.appendString(s, to: &text)
        case .array(let items):
            let flat = items.allSatisfy { if case .array = $0 { return false }; if case .object = $0 { return false }; return true }
            if flat || items.isEmpty {
                text.append("[")
                for (i, item) in items.enumerated() {
                    if i > 0 { text.append(", ") }
                    write(item, indent: indent)
                }
                text.append("]")
            } else {
                text.append("[\n")
                for (i, item) in items.enumerated() {
                    text.append(String(repeating: "  ", count: indent + 1))
                    write(item, indent: indent + 1)
                    text.append(i + 1 < items.count ? ",\n" : "\n")
                }
                text.append(String(repeating: "  ", count: indent) + "]")
            }
        case .object(let members):
            if members.isEmpty { text.append("{}"); return }
            text.append("{\n")
            for (i, (key, item)) in members.enumerated() {
                text.append(String(repeating: "  ", count: indent + 1))
                Self.appendString(key, to: &text)
                text.append(": ")
                write(item, indent: indent + 1)
                text.append(i + 1 < members.count ? ",\n" : "\n")
            }
            text.append(String(repeating: "  ", count: indent) + "}")
        }
    }

    /// Integers print without a fraction; other values in shortest round-trip form. Not finite → null.
    public static func number(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return d.description
    }

    /// The project's one JSON string escaping (the JSONText module, shared with Features' rows).
    static func appendString(_ s: String, to out: inout String) {
        JSONText.appendString(s, to: &out)
    }
}
