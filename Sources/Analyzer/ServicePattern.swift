/// A host-name pattern a model declares for its service, e.g. `audio*.scdn.co` or `*.spotifycdn.com`.
/// `*` matches any run of characters (dots included); matching ignores case and a trailing dot.
public struct ServicePattern: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let parts: [Substring]
    private let anchoredStart: Bool
    private let anchoredEnd: Bool

    public init(_ pattern: String) {
        let p = pattern.lowercased()
        self.pattern = p
        self.parts = p.split(separator: "*", omittingEmptySubsequences: true)
        self.anchoredStart = !p.hasPrefix("*")
        self.anchoredEnd = !p.hasSuffix("*")
    }

    public var description: String { pattern }

    public func matches(_ name: String) -> Bool {
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
    public init(_ patterns: [String]) { self.patterns = patterns.map(ServicePattern.init) }
    public var isEmpty: Bool { patterns.isEmpty }
    public func matches(_ name: String?) -> Bool {
        guard let name, !name.isEmpty else { return false }
        return patterns.contains { $0.matches(name) }
    }
}
