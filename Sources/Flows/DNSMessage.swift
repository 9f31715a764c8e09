import Wire

/// Reads a DNS response (RFC 1035 §4.1) for what the flow table needs: which addresses the queried
/// name resolved to, following CNAME chains.
///
///     header:   ID = 0..<2   FLAGS = 2..<4 (QR = 0x8000, RCODE = low 4 bits)   QDCOUNT = 4..<6
///               ANCOUNT = 6..<8   NSCOUNT = 8..<10   ARCOUNT = 10..<12
///     question: NAME  TYPE (2)  CLASS (2)
///     answer:   NAME  TYPE (2)  CLASS (2)  TTL (4)  RDLENGTH (2)  RDATA  (A = 1: 4 bytes, AAAA = 28: 16,
///               CNAME = 5: a name)
/// Names may be compressed (pointers, top two bits set); the reader follows at most 64 pointers.
public enum DNSMessage {
    public struct Answer: Equatable, Sendable {
        public var address: IPAddress
        /// The name the client asked for (the CNAME chain's start), lower case.
        public var queriedName: String
    }

    /// The address answers of a response, each mapped to the queried name. Empty for queries,
    /// malformed messages and responses without A/AAAA answers.
    public static func addressAnswers(_ b: UnsafeRawBufferPointer) -> [Answer] {
        var found: [Answer] = []
        forEachAddressAnswer(b) { found.append(Answer(address: $0, queriedName: $1)) }
        return found
    }

    /// Calls `body` with each address answer of a response and the name that was asked for, in answer
    /// order: what `addressAnswers` returns, without its allocations in the common case. Names are
    /// skipped and compared as decoded bytes on the stack; only the queried name becomes a `String`
    /// (once per response when every answer leads to the same name). Responses with more than
    /// `maximumInlineRecords` address and CNAME records take the general path (a dictionary of aliases).
    public static func forEachAddressAnswer(_ b: UnsafeRawBufferPointer, _ body: (IPAddress, String) -> Void) {
        guard b.count >= 12 else { return }
        let flags = be16(b, 2)
        guard flags & 0x8000 != 0, flags & 0x000F == 0 else { return }
        let questions = Int(be16(b, 4))
        let answers = Int(be16(b, 6))
        guard answers > 0 else { return }
        var i = 12
        for _ in 0..<questions {
            guard let next = skipName(b, at: i), next + 4 <= b.count else { return }
            i = next + 4
        }
        withUnsafeTemporaryAllocation(of: Record.self, capacity: maximumInlineRecords) { records in
            var count = 0
            for _ in 0..<answers {
                guard let next = skipName(b, at: i), next + 10 <= b.count else { break }
                let type = be16(b, next)
                let length = Int(be16(b, next + 8))
                let data = next + 10
                guard data + length <= b.count else { break }
                let kept = (type == 1 && length == 4) || (type == 28 && length == 16) || type == 5
                if kept {
                    guard count < maximumInlineRecords else { return generalAnswers(b, body) }
                    records[count] = Record(owner: i, data: data, type: type)
                    count += 1
                }
                i = data + length
            }
            var lastOwner = -1
            var lastName = ""
            // The previous address answer's owner when it was a compression pointer, and whether its
            // queried name was read: an answer whose owner is the same pointer names the same owner,
            // so it leads to the same queried name (the usual two A or AAAA answers of one name).
            var previousPointer = -1
            var previousRead = false
            for k in 0..<count where records[k].type != 5 {
                let data = records[k].data
                let ownerAt = records[k].owner
                if previousPointer >= 0 && b[ownerAt] == b[previousPointer] && b[ownerAt + 1] == b[previousPointer + 1] {
                    if previousRead {
                        body(records[k].type == 1 ? IPAddress(ipv4At: data, in: b) : IPAddress(ipv6At: data, in: b), lastName)
                    }
                    continue
                }
                previousPointer = b[ownerAt] & 0xC0 == 0xC0 ? ownerAt : -1
                previousRead = false
                let owner = queriedOwner(b, of: ownerAt, records: UnsafeBufferPointer(rebasing: records[..<count]))
                if owner != lastOwner {
                    guard let (name, _) = readName(b, at: owner) else { continue }
                    lastName = name
                    lastOwner = owner
                }
                previousRead = true
                body(records[k].type == 1 ? IPAddress(ipv4At: data, in: b) : IPAddress(ipv6At: data, in: b), lastName)
            }
        }
    }

    /// An address (A, AAAA) or CNAME answer: where its owner name and its data start.
    struct Record {
        var owner: Int
        var data: Int
        var type: UInt16
    }

    static let maximumInlineRecords = 32

    /// Walks back from an answer's owner name through the CNAMEs (the last CNAME naming a target wins,
    /// at most 16 steps) to the name that was asked for; returns where that name is written.
    static func queriedOwner(_ b: UnsafeRawBufferPointer, of owner: Int, records: UnsafeBufferPointer<Record>) -> Int {
        var owner = owner
        var steps = 0
        while steps < 16 {
            var previous: Int?
            for c in records.indices.reversed() where records[c].type == 5 {
                if sameName(b, records[c].data, owner) { previous = records[c].owner; break }
            }
            guard let previous else { break }
            owner = previous
            steps += 1
        }
        return owner
    }

    /// The names at `a` and `b` read the same (as `readName` would return them); false if either is malformed.
    static func sameName(_ message: UnsafeRawBufferPointer, _ a: Int, _ b: Int) -> Bool {
        if a == b { return decodeName(message, at: a, into: nil) != nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512) { buffer in
            let first = UnsafeMutableBufferPointer(rebasing: buffer[0..<256])
            let second = UnsafeMutableBufferPointer(rebasing: buffer[256..<512])
            guard let (n, _) = decodeName(message, at: a, into: first),
                  let (m, _) = decodeName(message, at: b, into: second), n == m else { return false }
            for k in 0..<n where first[k] != second[k] { return false }
            return true
        }
    }

    /// The answers the way the first version read them (a dictionary of CNAME targets): for responses
    /// with more records than the inline path keeps.
    static func generalAnswers(_ b: UnsafeRawBufferPointer, _ body: (IPAddress, String) -> Void) {
        let questions = Int(be16(b, 4))
        let answers = Int(be16(b, 6))
        var i = 12
        for _ in 0..<questions {
            guard let next = skipName(b, at: i), next + 4 <= b.count else { return }
            i = next + 4
        }
        var aliases: [String: String] = [:]   // CNAME target → owner
        var found: [(IPAddress, String)] = []
        for _ in 0..<answers {
            guard let (owner, next) = readName(b, at: i), next + 10 <= b.count else { break }
            let type = be16(b, next)
            let length = Int(be16(b, next + 8))
            let data = next + 10
            guard data + length <= b.count else { break }
            switch type {
            case 1 where length == 4: found.append((IPAddress(ipv4At: data, in: b), owner))
            case 28 where length == 16: found.append((IPAddress(ipv6At: data, in: b), owner))
            case 5:
                if let (target, _) = readName(b, at: data) { aliases[target] = owner }
            default: break
            }
            i = data + length
        }
        for (address, owner) in found {
            // Walk back from the owner through the CNAMEs to the name that was asked for.
            var name = owner
            var steps = 0
            while let previous = aliases[name], steps < 16 { name = previous; steps += 1 }
            body(address, name)
        }
    }

    /// A (possibly compressed) name at `offset`, lower case, without the final dot; and the offset
    /// after the name in the original position.
    static func readName(_ b: UnsafeRawBufferPointer, at offset: Int) -> (String, Int)? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
            guard let (n, end) = decodeName(b, at: offset, into: buffer) else { return nil }
            return (String(decoding: UnsafeBufferPointer(rebasing: buffer[..<n]), as: UTF8.self), end)
        }
    }

    /// The offset after the name at `offset`, if the name is well formed (the checks of `readName`).
    static func skipName(_ b: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        decodeName(b, at: offset, into: nil)?.end
    }

    /// Decodes the name at `offset` into `out` (at least 256 bytes; nil: only check it): lower case,
    /// labels joined by dots, bytes outside 0x21...0x7E as `?`. Returns the text's length and the offset
    /// after the name in the original position; nil for a malformed name (out of bounds, a label of 64
    /// or more, more than 64 pointers, a text of 256 bytes or more).
    static func decodeName(_ b: UnsafeRawBufferPointer, at offset: Int,
                           into out: UnsafeMutableBufferPointer<UInt8>?) -> (length: Int, end: Int)? {
        var n = 0
        var i = offset
        var end: Int?
        var jumps = 0
        while true {
            guard i < b.count else { return nil }
            let length = Int(b[i])
            if length == 0 {
                if end == nil { end = i + 1 }
                break
            }
            if length & 0xC0 == 0xC0 {
                guard i + 1 < b.count, jumps < 64 else { return nil }
                if end == nil { end = i + 2 }
                i = (length & 0x3F) << 8 | Int(b[i + 1])
                jumps += 1
                continue
            }
            guard length < 64, i + 1 + length <= b.count, n + length < 256 else { return nil }
            if n > 0 {
                out?[n] = UInt8(ascii: ".")
                n += 1
            }
            if let out {
                for k in (i + 1)...(i + length) {
                    let c = b[k]
                    out[n] = c >= 0x41 && c <= 0x5A ? c + 32 : (c >= 0x21 && c < 0x7F ? c : UInt8(ascii: "?"))
                    n += 1
                }
            } else {
                n += length
            }
            i += 1 + length
        }
        return (n, end!)
    }

    @inline(__always)
    static func be16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        UInt16(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt16.self))
    }
}
