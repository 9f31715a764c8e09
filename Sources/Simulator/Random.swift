#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import SplitMix

/// A seeded, platform-independent random generator: xoshiro256** (Blackman & Vigna) seeded through SplitMix64.
/// The same seed gives the same sequence on every machine; the simulator never uses the system generator.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        s0 = seeder.next(); s1 = seeder.next(); s2 = seeder.next(); s3 = seeder.next()
    }

    @inlinable
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = SeededRandom.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = SeededRandom.rotl(s3, 45)
        return result
    }

    /// A uniform double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A uniform double in the range.
    public mutating func uniform(_ r: ClosedRange<Double>) -> Double { r.lowerBound + (r.upperBound - r.lowerBound) * unit() }

    /// A uniform integer in the range.
    public mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.upperBound - r.lowerBound + 1)) }

    /// True with probability p.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// A standard normal deviate (Box–Muller).
    public mutating func normal(mean: Double = 0, sd: Double = 1) -> Double {
        let u1 = max(unit(), 1e-300), u2 = unit()
        return mean + sd * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// An exponential deviate with the given mean.
    public mutating func exponential(mean: Double) -> Double { -mean * log(max(1 - unit(), 1e-300)) }

    /// A log-normal deviate whose median is `median` and whose log has standard deviation `sigma`.
    public mutating func logNormal(median: Double, sigma: Double) -> Double { median * exp(normal(sd: sigma)) }

    /// An independent generator derived from this one and a label (for sub-streams that must not shift each other).
    public func derived(_ label: UInt64) -> SeededRandom {
        var copy = self
        return SeededRandom(seed: copy.next() ^ (label &* SplitMix64.golden))
    }

    /// Fills the buffer with random bytes.
    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var i = 0
        while i + 8 <= buffer.count { buffer.storeBytes(of: next(), toByteOffset: i, as: UInt64.self); i += 8 }
        if i < buffer.count {
            var v = next()
            while i < buffer.count { buffer[i] = UInt8(truncatingIfNeeded: v); v >>= 8; i += 1 }
        }
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { fill($0) }
        return out
    }
}
