import Wire

/// DNS record types the builder writes.
public struct DNSRecordType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let a = DNSRecordType(rawValue: 1)
    public static let cname = DNSRecordType(rawValue: 5)
    public static let aaaa = DNSRecordType(rawValue: 28)
    public static let https = DNSRecordType(rawValue: 65)
}

/// One answer record. The first answer's owner name must be the question name; it is then written as a
/// compression pointer to the question (offset 12), as servers do.
public enum DNSAnswer: Hashable, Sendable {
    case cname(String, target: String)
    case a(String, IPAddress)
    case aaaa(String, IPAddress)

    var owner: String {
        switch self { case .cname(let n, _), .a(let n, _), .aaaa(let n, _): return n }
    }
}

/// DNS messages (RFC 1035) for UDP payloads: queries and responses with name compression.
public enum DNSBuilder {
    /// A standard query with recursion desired for one name.
    public static func query(id: UInt16, name: String, type: DNSRecordType = .a) -> [UInt8] {
        var out: [UInt8] = be16(Int(id)) + [0x01, 0x00] + be16(1) + be16(0) + be16(0) + be16(0)
        out += encodeName(name)
        out += be16(Int(type.rawValue)) + be16(1)
        return out
    }

    /// A response (QR, RD, RA, NOERROR) to a query for `question`, with `answers` in order. An answer whose owner
    /// equals the question is written as a pointer to offset 12; a name equal to an earlier CNAME target is
    /// written as a pointer to that target.
    public static func response(id: UInt16, question: String, type: DNSRecordType = .a, answers: [DNSAnswer], ttl: UInt32 = 300) -> [UInt8] {
        var out: [UInt8] = be16(Int(id)) + [0x81, 0x80] + be16(1) + be16(answers.count) + be16(0) + be16(0)
        var known: [String: Int] = [normalized(question): 12]
        out += encodeName(question)
        out += be16(Int(type.rawValue)) + be16(1)
        func name(_ n: String) -> [UInt8] {
            if let p = known[normalized(n)] { return be16(0xC000 | p) }
            return encodeName(n)
        }
        for a in answers {
            out += name(a.owner)
            switch a {
            case .cname(_, let target):
                out += be16(Int(DNSRecordType.cname.rawValue)) + be16(1) + be32(ttl)
                let start = out.count + 2
                let rdata = name(target)
                out += be16(rdata.count) + rdata
                if known[normalized(target)] == nil { known[normalized(target)] = start }
            case .a(_, let addr):
                out += be16(Int(DNSRecordType.a.rawValue)) + be16(1) + be32(ttl) + be16(4) + (addr.ipv4Bytes ?? [0, 0, 0, 0])
            case .aaaa(_, let addr):
                out += be16(Int(DNSRecordType.aaaa.rawValue)) + be16(1) + be32(ttl) + be16(16) + addr.bytes
            }
        }
        return out
    }

    /// A name as length-prefixed labels ending in the root label.
    public static func encodeName(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in name.split(separator: ".") where !label.isEmpty {
            let b = Array(label.utf8.prefix(63))
            out.append(UInt8(b.count))
            out += b
        }
        out.append(0)
        return out
    }

    static func normalized(_ n: String) -> String {
        var s = n.lowercased()
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
    static func be16(_ v: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
}
