import Foundation

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
        case .integers(let n): return Unkeyed(items: n.map { .number(Double($0)) }, codingPath: codingPath)
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
