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
        guard b.count >= 12 else { return [] }
        let flags = be16(b, 2)
        guard flags & 0x8000 != 0, flags & 0x000F == 0 else { return [] }
        let questions = Int(be16(b, 4))
        let answers = Int(be16(b, 6))
        guard answers > 0 else { return [] }
        var i = 12
        for _ in 0..<questions {
            guard let (_, next) = readName(b, at: i), next + 4 <= b.count else { return [] }
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
        return found.map { address, owner in
            // Walk back from the owner through the CNAMEs to the name that was asked for.
            var name = owner
            var steps = 0
            while let previous = aliases[name], steps < 16 { name = previous; steps += 1 }
            return Answer(address: address, queriedName: name)
        }
    }

    /// A (possibly compressed) name at `offset`, lower case, without the final dot; and the offset
    /// after the name in the original position.
    static func readName(_ b: UnsafeRawBufferPointer, at offset: Int) -> (String, Int)? {
        var labels: [UInt8] = []
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
            guard length < 64, i + 1 + length <= b.count, labels.count + length < 256 else { return nil }
            if !labels.isEmpty { labels.append(UInt8(ascii: ".")) }
            for k in (i + 1)...(i + length) {
                let c = b[k]
                labels.append(c >= 0x41 && c <= 0x5A ? c + 32 : (c >= 0x21 && c < 0x7F ? c : UInt8(ascii: "?")))
            }
            i += 1 + length
        }
        return (String(decoding: labels, as: UTF8.self), end!)
    }

    @inline(__always)
    static func be16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        UInt16(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt16.self))
    }
}
