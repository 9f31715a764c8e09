/// TLS records as they appear on the wire: a syntactically valid TLS 1.3 ClientHello, a ServerHello, a
/// ChangeCipherSpec, and application-data records whose contents are random (they stand for ciphertext).
public enum TLSBuilder {
    public enum ContentType {
        public static let changeCipherSpec: UInt8 = 20
        public static let alert: UInt8 = 21
        public static let handshake: UInt8 = 22
        public static let applicationData: UInt8 = 23
    }

    /// AES-GCM TLS 1.3 record overhead: 5-byte header + 1 inner content type + 16-byte tag (RFC 8446 §5.2).
    public static let recordOverhead = 22

    /// A TLS 1.3 ClientHello in one record (RFC 8446 §4.1.2): random and session id from `seed`, cipher suites,
    /// null compression, and the extensions server_name (0), supported_groups (10), signature_algorithms (13),
    /// ALPN (16, when `alpn` is not empty), supported_versions (43), psk_key_exchange_modes (45), key_share (51),
    /// and padding (21) of `extraPadding` bytes when it is positive. `postQuantum` adds an X25519MLKEM768 share
    /// (1,216 B), making the record ≈1.45 KB, two TCP segments, like Chrome's since 2024.
    public static func clientHello(serverName: String, seed: UInt64, alpn: [String] = ["h2", "http/1.1"],
                                   extraPadding: Int = 0, postQuantum: Bool = false) -> [UInt8] {
        var rng = SeededRandom(seed: seed)
        var body: [UInt8] = [0x03, 0x03]
        body += rng.bytes(32)
        body.append(32)
        body += rng.bytes(32)
        let suites: [UInt16] = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8]
        body += be16(suites.count * 2)
        for s in suites { body += be16(Int(s)) }
        body += [0x01, 0x00]

        var ext: [UInt8] = []
        let name = Array(serverName.utf8)
        ext += extensionBlock(0, be16(name.count + 3) + [0] + be16(name.count) + name)
        let groups: [UInt16] = (postQuantum ? [0x11EC] : []) + [0x001D, 0x0017, 0x0018]
        ext += extensionBlock(10, be16(groups.count * 2) + groups.flatMap { be16(Int($0)) })
        let sigs: [UInt16] = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
        ext += extensionBlock(13, be16(sigs.count * 2) + sigs.flatMap { be16(Int($0)) })
        if !alpn.isEmpty {
            var list: [UInt8] = []
            for p in alpn { let b = Array(p.utf8); list.append(UInt8(b.count)); list += b }
            ext += extensionBlock(16, be16(list.count) + list)
        }
        ext += extensionBlock(43, [4, 0x03, 0x04, 0x03, 0x03])
        ext += extensionBlock(45, [1, 1])
        var shares: [UInt8] = []
        if postQuantum { shares += be16(0x11EC) + be16(1216) + rng.bytes(1216) }
        shares += be16(0x001D) + be16(32) + rng.bytes(32)
        ext += extensionBlock(51, be16(shares.count) + shares)
        if extraPadding > 0 { ext += extensionBlock(21, [UInt8](repeating: 0, count: extraPadding)) }
        body += be16(ext.count) + ext

        let handshake: [UInt8] = [1] + be24(body.count) + body
        return [ContentType.handshake, 0x03, 0x01] + be16(handshake.count) + handshake
    }

    /// A TLS 1.3 ServerHello record (≈ 90 B on the wire): version 0x0303, random, echoed session id, TLS_AES_128_GCM_SHA256,
    /// supported_versions = TLS 1.3 and an X25519 key share.
    public static func serverHello(seed: UInt64) -> [UInt8] {
        var rng = SeededRandom(seed: seed)
        var body: [UInt8] = [0x03, 0x03] + rng.bytes(32)
        body.append(32)
        body += rng.bytes(32)
        body += [0x13, 0x01, 0x00]
        var ext = extensionBlock(43, [0x03, 0x04])
        ext += extensionBlock(51, be16(0x001D) + be16(32) + rng.bytes(32))
        body += be16(ext.count) + ext
        let handshake: [UInt8] = [2] + be24(body.count) + body
        return [ContentType.handshake, 0x03, 0x03] + be16(handshake.count) + handshake
    }

    /// The middlebox-compatibility ChangeCipherSpec record (6 B).
    public static func changeCipherSpec() -> [UInt8] { [ContentType.changeCipherSpec, 0x03, 0x03, 0x00, 0x01, 0x01] }

    /// One application-data record whose body (ciphertext) is `length` random bytes (at most 2^14 + 256).
    public static func applicationData(length: Int, seed: UInt64 = 0) -> [UInt8] {
        precondition(length >= 0 && length <= 16_640, "a TLS record carries at most 2^14 + 256 bytes")
        var rng = SeededRandom(seed: seed)
        return recordHeader(type: ContentType.applicationData, length: length) + rng.bytes(length)
    }

    /// The 5-byte record header for a TLS 1.2/1.3 record of the given body length.
    public static func recordHeader(type: UInt8, length: Int) -> [UInt8] {
        [type, 0x03, 0x03, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
    }

    /// A server's first flight: ServerHello, ChangeCipherSpec, then the encrypted EncryptedExtensions + Certificate +
    /// CertificateVerify + Finished as application-data records totalling about `certificateBytes`
    /// (≈ 2.5–4.5 KB for a CDN's certificate chain).
    public static func serverFlight(seed: UInt64, certificateBytes: Int = 3_200) -> [UInt8] {
        var out = serverHello(seed: seed) + changeCipherSpec()
        var rng = SeededRandom(seed: seed ^ 0x5EED)
        var left = certificateBytes
        while left > 0 {
            let n = min(left, 16_384)
            out += recordHeader(type: ContentType.applicationData, length: n + 17) + rng.bytes(n + 17)
            left -= n
        }
        return out
    }

    /// The client's second flight: ChangeCipherSpec + encrypted Finished (a 53-byte record body), 64 B in total.
    public static func clientFinished(seed: UInt64) -> [UInt8] {
        var rng = SeededRandom(seed: seed)
        return changeCipherSpec() + recordHeader(type: ContentType.applicationData, length: 53) + rng.bytes(53)
    }

    static func be16(_ v: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
    static func be24(_ v: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
    static func extensionBlock(_ type: Int, _ data: [UInt8]) -> [UInt8] { be16(type) + be16(data.count) + data }
}
