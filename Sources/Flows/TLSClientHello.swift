/// Finds the server name (SNI, RFC 6066 §3) in the first bytes a TLS client sends.
///
///     record:    TYPE = 0 (22 handshake)   VERSION = 1..<3   LENGTH = 3..<5   FRAGMENT = 5..<5+LENGTH
///     handshake: TYPE = 0 (1 client_hello) LENGTH = 1..<4    BODY
///     body:      VERSION (2) RANDOM (32) SESSION_ID (1+n) CIPHER_SUITES (2+n) COMPRESSION (1+n)
///                EXTENSIONS (2+n): TYPE (2) LENGTH (2) DATA; server_name = 0:
///                LIST_LENGTH (2) NAME_TYPE (1, 0 = host_name) NAME_LENGTH (2) NAME
///
/// The ClientHello may span several TCP segments (post-quantum key shares make it ~1.8 KB) and, more
/// rarely, several TLS records; the caller buffers the stream and asks again while `needMore`.
public enum TLSClientHello {
    public enum Result: Equatable, Sendable {
        /// The hello is complete and names this server.
        case serverName(String)
        /// The hello is complete and carries no server name.
        case noServerName
        /// The bytes so far are a valid beginning; at least `atLeast` bytes of stream are needed.
        case needMore(atLeast: Int)
        /// Not a TLS ClientHello (or malformed).
        case notClientHello
    }

    /// The largest hello the parser waits for (a TLS record is at most 16 KB + 5).
    public static let maximumLength = 16_384 + 5

    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result {
        let n = bytes.count
        guard n >= 1 else { return .needMore(atLeast: 5) }
        guard bytes[0] == 22 else { return .notClientHello }
        guard n >= 5 else { return .needMore(atLeast: 5) }
        guard bytes[1] == 3 else { return .notClientHello }
        let firstLength = Int(bytes[3]) << 8 | Int(bytes[4])
        guard firstLength >= 4, firstLength <= 16_384 + 2048 else { return .notClientHello }
        // Enough of the first record to read the handshake header?
        guard n >= 9 else { return .needMore(atLeast: 9) }
        guard bytes[5] == 1 else { return .notClientHello }
        let helloLength = Int(bytes[6]) << 16 | Int(bytes[7]) << 8 | Int(bytes[8])
        let handshakeTotal = 4 + helloLength
        guard helloLength >= 38, handshakeTotal <= 65_536 else { return .notClientHello }
        if handshakeTotal <= firstLength {
            // The common case: one record holds the hello; parse in place.
            guard n >= 5 + handshakeTotal else { return .needMore(atLeast: 5 + handshakeTotal) }
            return parseBody(UnsafeRawBufferPointer(rebasing: bytes[9..<(5 + handshakeTotal)]))
        }
        // The hello continues in further records: gather the fragments.
        var handshake: [UInt8] = []
        handshake.reserveCapacity(handshakeTotal)
        var cursor = 0
        while handshake.count < handshakeTotal {
            guard n >= cursor + 5 else { return .needMore(atLeast: cursor + 5) }
            guard bytes[cursor] == 22, bytes[cursor + 1] == 3 else { return .notClientHello }
            let length = Int(bytes[cursor + 3]) << 8 | Int(bytes[cursor + 4])
            guard length > 0 else { return .notClientHello }
            guard n >= cursor + 5 + length else { return .needMore(atLeast: cursor + 5 + length) }
            let take = min(length, handshakeTotal - handshake.count)
            handshake.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[(cursor + 5)..<(cursor + 5 + take)]))
            cursor += 5 + length
        }
        return handshake.withUnsafeBytes { parseBody(UnsafeRawBufferPointer(rebasing: $0[4...])) }
    }

    /// Parses a ClientHello body (after the 4-byte handshake header).
    static func parseBody(_ b: UnsafeRawBufferPointer) -> Result {
        let n = b.count
        var i = 2 + 32
        guard n >= i + 1 else { return .notClientHello }
        i += 1 + Int(b[i])                              // session id
        guard n >= i + 2 else { return .notClientHello }
        i += 2 + (Int(b[i]) << 8 | Int(b[i + 1]))       // cipher suites
        guard n >= i + 1 else { return .notClientHello }
        i += 1 + Int(b[i])                              // compression methods
        guard n >= i + 2 else { return i == n ? .noServerName : .notClientHello }
        let extensionsEnd = min(n, i + 2 + (Int(b[i]) << 8 | Int(b[i + 1])))
        i += 2
        while i + 4 <= extensionsEnd {
            let type = Int(b[i]) << 8 | Int(b[i + 1])
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            i += 4
            guard i + length <= extensionsEnd else { return .notClientHello }
            if type == 0 {
                // The list length needs two bytes: an empty extension at the end of the hello would
                // otherwise be read past (found by Fuzz/Targets/tls-client-hello.swift).
                guard length >= 2 else { return .notClientHello }
                var j = i + 2
                let listEnd = min(i + length, i + 2 + (Int(b[i]) << 8 | Int(b[i + 1])))
                while j + 3 <= listEnd {
                    let nameType = b[j]
                    let nameLength = Int(b[j + 1]) << 8 | Int(b[j + 2])
                    j += 3
                    guard j + nameLength <= listEnd else { return .notClientHello }
                    if nameType == 0 && nameLength > 0 {
                        let name = UnsafeRawBufferPointer(rebasing: b[j..<(j + nameLength)])
                        return .serverName(printableName(name))
                    }
                    j += nameLength
                }
                return .noServerName
            }
            i += length
        }
        return .noServerName
    }

    /// The name as text, with anything outside printable ASCII replaced by `?` (hostile input).
    static func printableName(_ bytes: UnsafeRawBufferPointer) -> String {
        // Written straight into the string's storage (the bytes are ASCII after the mapping): one
        // allocation, where mapping into an array first made two.
        String(unsafeUninitializedCapacity: bytes.count) { out in
            for (i, c) in bytes.enumerated() { out[i] = c >= 0x21 && c < 0x7F ? c : UInt8(ascii: "?") }
            return bytes.count
        }
    }
}
