import Wire

/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit words.
///
/// `sum` accumulates big-endian 16-bit words into a wide accumulator (two 32-bit halves of each 8-byte load,
/// which is the same sum modulo 0xFFFF); `finish` folds it and complements it.
public enum InternetChecksum {
    /// Adds the bytes to `initial`. The bytes start at an even offset of the checksummed data;
    /// an odd trailing byte is padded with a zero, as the RFC says.
    @inlinable
    public static func sum(_ bytes: UnsafeRawBufferPointer, initial: UInt64 = 0) -> UInt64 {
        var acc = initial
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            let w = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            acc &+= (w >> 32) &+ (w & 0xFFFF_FFFF)
            i += 8
        }
        while i + 2 <= n {
            acc &+= UInt64(UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt16.self)))
            i += 2
        }
        if i < n { acc &+= UInt64(bytes[i]) << 8 }
        return acc
    }

    /// Folds a sum to 16 bits (end-around carry) without complementing it.
    @inlinable
    public static func fold(_ sum: UInt64) -> UInt16 {
        var s = sum
        while s >> 16 != 0 { s = (s & 0xFFFF) &+ (s >> 16) }
        return UInt16(s)
    }

    /// The checksum field value for a sum.
    @inlinable
    public static func finish(_ sum: UInt64) -> UInt16 { ~fold(sum) }

    /// The checksum of a byte array (convenience for tests and small headers).
    public static func checksum(_ bytes: [UInt8]) -> UInt16 {
        bytes.withUnsafeBytes { finish(sum($0)) }
    }

    /// The sum of the TCP/UDP pseudo-header (RFC 793, RFC 768 for IPv4; RFC 8200 §8.1 for IPv6).
    @inlinable
    public static func pseudoHeaderSum(src: IPAddressBits, dst: IPAddressBits, protocolNumber: UInt8, length: Int) -> UInt64 {
        var acc: UInt64 = 0
        if src.isIPv4 {
            acc &+= UInt64(src.v4 >> 16) &+ UInt64(src.v4 & 0xFFFF)
            acc &+= UInt64(dst.v4 >> 16) &+ UInt64(dst.v4 & 0xFFFF)
            acc &+= UInt64(protocolNumber) &+ UInt64(length & 0xFFFF)
        } else {
            for w in [src.high, src.low, dst.high, dst.low] {
                acc &+= (w >> 48) &+ ((w >> 32) & 0xFFFF) &+ ((w >> 16) & 0xFFFF) &+ (w & 0xFFFF)
            }
            acc &+= UInt64(UInt32(truncatingIfNeeded: length) >> 16) &+ UInt64(length & 0xFFFF)
            acc &+= UInt64(protocolNumber)
        }
        return acc
    }
}

/// The bits of an `IPAddress` as the checksum needs them (kept apart so the hot path reads plain integers).
public struct IPAddressBits: Sendable {
    public var high: UInt64
    public var low: UInt64
    public var isIPv4: Bool
    @inlinable public var v4: UInt32 { UInt32(truncatingIfNeeded: low) }

    @inlinable
    public init(_ address: IPAddress) {
        high = address.high
        low = address.low
        isIPv4 = address.isIPv4
    }
}
