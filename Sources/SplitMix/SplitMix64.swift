/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", 2014, with
/// Vigna's mixing constants): a 64-bit state advanced by a fixed odd step and scrambled on output.
/// The project's one implementation: the trainer draws from it directly (one stream per tree), the
/// simulator seeds its xoshiro256** generator with it, and the tests make their seeded data with it.
/// The same seed gives the same sequence on every machine.
///
/// Everything is `@inlinable`: the trainer calls `below(_:)` in its innermost loop, and a call across
/// the module boundary there would cost time.
@frozen
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The odd step added to the state before each output (2^64 / φ).
    public static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    @usableFromInline var state: UInt64

    @inlinable
    public init(seed: UInt64) { state = seed }

    /// A generator for stream `index` of `seed`, independent of the others: the trainer derives one
    /// per tree from (seed, tree index), so its results do not depend on thread scheduling.
    @inlinable
    public init(seed: UInt64, stream index: UInt64) {
        var mixer = SplitMix64(seed: seed ^ 0xD1B5_4A32_D192_ED03)
        for _ in 0...(index % 4) { _ = mixer.next() }
        state = mixer.next() &+ index &* Self.golden
    }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= Self.golden
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<n by multiply-shift (the high word of next() × n). The bias is below n / 2^64,
    /// and the sequence is what the committed models were trained with: it must not change.
    @inline(__always) @inlinable
    public mutating func below(_ n: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }
}
