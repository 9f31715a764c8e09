/// An IPv4 or IPv6 address as a fixed 16-byte value, so flow keys hash and compare without allocating.
///
/// IPv4 addresses are stored IPv4-mapped (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2); `isIPv4` tells them apart.
/// `high` holds bytes 0–7 and `low` bytes 8–15, both in network order read as big-endian integers,
/// so the natural integer order is the address order.
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public static let zero = IPAddress(high: 0, low: 0)
    private static let v4MappedHigh: UInt64 = 0
    private static let v4MappedLowPrefix: UInt64 = 0x0000_FFFF_0000_0000

    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An IPv4 address from its 32-bit value in host order (`0xC0A80001` is 192.168.0.1).
    @inlinable
    public init(ipv4 value: UInt32) {
        self.high = 0
        self.low = 0x0000_FFFF_0000_0000 | UInt64(value)
    }

    /// An IPv4 address from four octets.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.init(ipv4: UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
    }

    /// An IPv6 address from 16 bytes in network order.
    public init<C: Collection>(ipv6Bytes bytes: C) where C.Element == UInt8 {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        var h: UInt64 = 0
        var l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        self.init(high: h, low: l)
    }

    /// Reads an IPv4 address (4 bytes) at `offset`. The caller has checked the bounds.
    @inlinable
    public init(ipv4At offset: Int, in bytes: UnsafeRawBufferPointer) {
        self.init(ipv4: UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
    }

    /// Reads an IPv6 address (16 bytes) at `offset`. The caller has checked the bounds.
    @inlinable
    public init(ipv6At offset: Int, in bytes: UnsafeRawBufferPointer) {
        self.init(
            high: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
            low: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
    }

    @inlinable
    public var isIPv4: Bool { high == 0 && (low & 0xFFFF_FFFF_0000_0000) == 0x0000_FFFF_0000_0000 }

    /// The IPv4 value in host order, or nil for an IPv6 address.
    @inlinable
    public var ipv4Value: UInt32? { isIPv4 ? UInt32(truncatingIfNeeded: low) : nil }

    /// The 16 bytes in network order (IPv4 as IPv4-mapped).
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            out[i] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * i))
            out[8 + i] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * i))
        }
        return out
    }

    /// The 4 bytes of an IPv4 address in network order, or nil for IPv6.
    public var ipv4Bytes: [UInt8]? {
        guard let v = ipv4Value else { return nil }
        return [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }

    /// True for private, loopback, link-local and unique-local ranges (RFC 1918, RFC 4193, RFC 3927).
    public var isPrivateOrLocal: Bool {
        if let v = ipv4Value {
            let a = v >> 24, b = (v >> 16) & 0xFF
            return a == 10 || a == 127 || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168)
                || (a == 169 && b == 254) || (a == 100 && (64...127).contains(b))
        }
        let first16 = high >> 48
        return (first16 & 0xFE00) == 0xFC00 || (first16 & 0xFFC0) == 0xFE80 || (high == 0 && low == 1)
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    /// Dotted quad for IPv4; RFC 5952 text for IPv6 (lower case, longest zero run compressed).
    public var description: String {
        String(unsafeUninitializedCapacity: IPAddress.maximumTextLength) { writeText(into: $0) }
    }

    /// The most bytes `writeText(into:)` writes (a full IPv6 address, 8 groups of 4 hex digits).
    public static let maximumTextLength = 39

    /// Writes `description`'s UTF-8 bytes into `out` (at least `maximumTextLength` bytes) and returns
    /// how many: the `flows` report writes two addresses per flow without a string for each.
    @inlinable
    public func writeText(into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        precondition(out.count >= IPAddress.maximumTextLength, "IPAddress.writeText needs 39 bytes")
        var n = 0
        if isIPv4 {
            let v = UInt32(truncatingIfNeeded: low)
            var shift: UInt32 = 24
            while true {
                let octet = UInt8(truncatingIfNeeded: v >> shift)
                if octet >= 100 { out[n] = 0x30 + octet / 100; n += 1 }
                if octet >= 10 { out[n] = 0x30 + octet / 10 % 10; n += 1 }
                out[n] = 0x30 + octet % 10; n += 1
                if shift == 0 { return n }
                out[n] = UInt8(ascii: "."); n += 1
                shift -= 8
            }
        }
        let high = self.high, low = self.low
        func group(_ i: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> UInt64(48 - 16 * (i & 3)))
        }
        // Longest run of two or more zero groups, first one on a tie.
        var bestStart = -1, bestLength = 0, i = 0
        while i < 8 {
            if group(i) == 0 {
                var j = i
                while j < 8 && group(j) == 0 { j += 1 }
                if j - i > bestLength && j - i >= 2 { bestStart = i; bestLength = j - i }
                i = j
            } else { i += 1 }
        }
        var k = 0
        while k < 8 {
            if k == bestStart {
                out[n] = UInt8(ascii: ":"); out[n + 1] = UInt8(ascii: ":"); n += 2
                k += bestLength
                continue
            }
            if k > 0 && k != bestStart + bestLength { out[n] = UInt8(ascii: ":"); n += 1 }
            let g = group(k)
            var shift: UInt16 = 12
            while shift > 0 && g >> shift == 0 { shift -= 4 }   // no leading zeros; "0" for 0
            while true {
                let nibble = UInt8(truncatingIfNeeded: g >> shift) & 0xF
                out[n] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble; n += 1
                if shift == 0 { break }
                shift -= 4
            }
            k += 1
        }
        return n
    }

    /// Parses dotted-quad IPv4 or IPv6 text (with `::`, and an embedded dotted quad at the end).
    public init?(_ text: String) {
        if !text.contains(":") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var v: UInt32 = 0
            for p in parts {
                guard !p.isEmpty, p.count <= 3, let n = UInt32(p), n <= 255 else { return nil }
                v = v << 8 | n
            }
            self.init(ipv4: v)
            return
        }
        var head: [UInt16] = [], tail: [UInt16] = []
        // Split once at "::" (at most one is allowed).
        var halves: [String] = [text]
        let chars = Array(text)
        for k in 0..<max(0, chars.count - 1) where chars[k] == ":" && chars[k + 1] == ":" {
            halves = [String(chars[..<k]), String(chars[(k + 2)...])]
            if halves[1].contains("::") { return nil }
            break
        }
        guard halves.count <= 2 else { return nil }
        func parse(_ s: String, into out: inout [UInt16]) -> Bool {
            if s.isEmpty { return true }
            let items = s.split(separator: ":", omittingEmptySubsequences: false)
            for (k, item) in items.enumerated() {
                if item.contains("."), k == items.count - 1, let v4 = IPAddress(String(item)), let v = v4.ipv4Value {
                    out.append(UInt16(v >> 16)); out.append(UInt16(v & 0xFFFF))
                } else {
                    guard !item.isEmpty, item.count <= 4, let g = UInt16(item, radix: 16) else { return false }
                    out.append(g)
                }
            }
            return true
        }
        guard parse(halves[0], into: &head) else { return nil }
        if halves.count == 2 { guard parse(halves[1], into: &tail) else { return nil } }
        let fill = 8 - head.count - tail.count
        guard halves.count == 2 ? fill >= 1 : fill == 0 else { return nil }
        let groups = head + [UInt16](repeating: 0, count: halves.count == 2 ? fill : 0) + tail
        var h: UInt64 = 0, l: UInt64 = 0
        for k in 0..<4 { h = h << 16 | UInt64(groups[k]); l = l << 16 | UInt64(groups[4 + k]) }
        self.init(high: h, low: l)
    }
}
