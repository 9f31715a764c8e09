/// A host-name pattern a model declares for its service, e.g. `audio*.scdn.co` or `*.spotifycdn.com`.
/// `*` matches any run of characters (dots included); matching ignores case and a trailing dot.
public struct ServicePattern: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let parts: [Substring]
    fileprivate let anchoredStart: Bool
    fileprivate let anchoredEnd: Bool

    /// `parts` as bytes, when every part is printable ASCII (the byte path of `matches`): their bytes
    /// one after another, and each part's start and length in them.
    fileprivate let ascii: (bytes: [UInt8], parts: [(start: Int, count: Int)])?

    public init(_ pattern: String) {
        let p = pattern.lowercased()
        self.pattern = p
        self.parts = p.split(separator: "*", omittingEmptySubsequences: true)
        self.anchoredStart = !p.hasPrefix("*")
        self.anchoredEnd = !p.hasSuffix("*")
        var ascii: (bytes: [UInt8], parts: [(start: Int, count: Int)])? = ([], [])
        for part in parts {
            guard part.utf8.allSatisfy(ServicePattern.isPrintableASCII) else { ascii = nil; break }
            ascii!.parts.append((ascii!.bytes.count, part.utf8.count))
            ascii!.bytes.append(contentsOf: part.utf8)
        }
        self.ascii = ascii
    }

    public var description: String { pattern }

    // Everything else is derived from the (lower-cased) pattern.
    public static func == (a: ServicePattern, b: ServicePattern) -> Bool { a.pattern == b.pattern }
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }

    /// Bytes that are each one `Character` and compare as `String` compares them: printable ASCII
    /// without the space (service names from SNI and DNS are nearly always such).
    @inline(__always)
    static func isPrintableASCII(_ b: UInt8) -> Bool { b >= 0x21 && b <= 0x7E }

    public func matches(_ name: String) -> Bool {
        ServicePattern.withLoweredHost(name) { host in
            guard let host else { return matchesByCharacters(name) }
            return matches(host: host, name: name)
        }
    }

    /// Calls `body` with the name lower-cased, without one trailing dot, as bytes; with nil when the
    /// name is not all printable ASCII (then only `String`'s Unicode rules give the answer).
    static func withLoweredHost<R>(_ name: String, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        var name = name
        let count = name.utf8.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(count, 1)) { buffer in
            let ascii: Bool = name.withUTF8 { utf8 in
                for i in 0..<count {
                    let b = utf8[i]
                    guard isPrintableASCII(b) else { return false }
                    buffer[i] = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
                }
                return true
            }
            guard ascii else { return body(nil) }
            let n = count > 0 && buffer[count - 1] == UInt8(ascii: ".") ? count - 1 : count
            return body(UnsafeBufferPointer(rebasing: buffer[..<n]))
        }
    }

    /// `matchesByCharacters` for a lowered printable-ASCII host, on bytes (one byte, one character).
    func matches(host: UnsafeBufferPointer<UInt8>, name: String) -> Bool {
        guard let ascii else { return matchesByCharacters(name) }
        return ascii.bytes.withUnsafeBufferPointer { bytes in
            ascii.parts.withUnsafeBufferPointer { parts in
                Self.matches(host: host, bytes: bytes, parts: parts[...], anchoredStart: anchoredStart,
                             anchoredEnd: anchoredEnd, emptyPattern: pattern.isEmpty)
            }
        }
    }

    /// The byte rule of one pattern whose parts are `parts` (ranges of `bytes`): the rule of
    /// `matchesByCharacters` for a lowered printable-ASCII host (one byte, one character).
    static func matches(host: UnsafeBufferPointer<UInt8>, bytes: UnsafeBufferPointer<UInt8>,
                        parts: UnsafeBufferPointer<(start: Int, count: Int)>.SubSequence,
                        anchoredStart: Bool, anchoredEnd: Bool, emptyPattern: Bool) -> Bool {
        if parts.isEmpty { return !emptyPattern || host.isEmpty }
        let n = host.count
        var start = 0
        func equal(_ part: (start: Int, count: Int), at offset: Int) -> Bool {
            for k in 0..<part.count where host[offset + k] != bytes[part.start + k] { return false }
            return true
        }
        for (i, part) in parts.enumerated() {
            let isFirst = i == 0, isLast = i == parts.count - 1
            if isFirst && anchoredStart {
                guard n - start >= part.count, equal(part, at: start) else { return false }
                start += part.count
                if isLast && anchoredEnd { return start == n }
                continue
            }
            if isLast && anchoredEnd {
                return n - start >= part.count && equal(part, at: n - part.count)
            }
            var found = -1
            if n - start >= part.count {
                for offset in start...(n - part.count) where equal(part, at: offset) {
                    found = offset
                    break
                }
            }
            guard found >= 0 else { return false }
            start = found + part.count
        }
        return true
    }

    /// The rule on `String`s (Unicode lower-casing and character comparison).
    func matchesByCharacters(_ name: String) -> Bool {
        var host = name.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        if parts.isEmpty { return !pattern.isEmpty || host.isEmpty }  // "*" matches anything
        var rest = Substring(host)
        for (i, part) in parts.enumerated() {
            let isFirst = i == 0, isLast = i == parts.count - 1
            if isFirst && anchoredStart {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
                if isLast && anchoredEnd { return rest.isEmpty }
                continue
            }
            if isLast && anchoredEnd {
                guard rest.hasSuffix(part) else { return false }
                return true
            }
            guard let r = rest.firstRange(of: part) else { return false }
            rest = rest[r.upperBound...]
        }
        return true
    }
}

/// A set of patterns; a name matches when any pattern does.
public struct ServicePatternSet: Sendable {
    public let patterns: [ServicePattern]
    /// Every pattern's byte parts in one array (nil when some pattern is not printable ASCII): the rule of
    /// `ServicePattern.matches(host:name:)` without copying each pattern (its arrays and strings) per name.
    private let flat: FlatPatterns?

    struct FlatPatterns: Sendable {
        /// The parts' bytes, one after another.
        var bytes: [UInt8] = []
        /// Each part: where its bytes start, how many.
        var parts: [(start: Int, count: Int)] = []
        /// Each pattern: its first part, how many parts, its anchors, whether the pattern text is empty.
        var entries: [(firstPart: Int, partCount: Int, anchoredStart: Bool, anchoredEnd: Bool, emptyPattern: Bool)] = []
    }

    public init(_ patterns: [String]) {
        self.patterns = patterns.map(ServicePattern.init)
        var flat: FlatPatterns? = FlatPatterns()
        for p in self.patterns {
            guard let ascii = p.ascii else { flat = nil; break }
            flat!.entries.append((flat!.parts.count, ascii.parts.count, p.anchoredStart, p.anchoredEnd, p.pattern.isEmpty))
            let shift = flat!.bytes.count
            flat!.parts.append(contentsOf: ascii.parts.map { ($0.start + shift, $0.count) })
            flat!.bytes.append(contentsOf: ascii.bytes)
        }
        self.flat = flat
    }

    public var isEmpty: Bool { patterns.isEmpty }
    public func matches(_ name: String?) -> Bool {
        guard let name, !name.isEmpty else { return false }
        // The name is lowered once for all the patterns.
        return ServicePattern.withLoweredHost(name) { host in
            guard let host else { return patterns.contains { $0.matchesByCharacters(name) } }
            guard let flat else { return patterns.contains { $0.matches(host: host, name: name) } }
            return flat.bytes.withUnsafeBufferPointer { bytes in
                flat.parts.withUnsafeBufferPointer { parts in
                    for e in flat.entries where ServicePattern.matches(
                        host: host, bytes: bytes, parts: parts[e.firstPart..<(e.firstPart + e.partCount)],
                        anchoredStart: e.anchoredStart, anchoredEnd: e.anchoredEnd, emptyPattern: e.emptyPattern) { return true }
                    return false
                }
            }
        }
    }
}
