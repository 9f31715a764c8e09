/// SplitMix64: a small, fast, seeded generator. The trainer derives one per tree from
/// (seed, tree index), so results do not depend on thread scheduling.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for stream `index` of `seed`, independent of the others.
    public init(seed: UInt64, stream index: UInt64) {
        var mixer = SeededRandom(seed: seed ^ 0xD1B5_4A32_D192_ED03)
        for _ in 0...(index % 4) { _ = mixer.next() }
        state = mixer.next() &+ index &* 0x9E37_79B9_7F4A_7C15
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<n (multiply-shift; the tiny bias is irrelevant here, the sequence is fixed).
    @inline(__always)
    public mutating func below(_ n: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }
}
