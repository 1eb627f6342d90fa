// A seedable, platform-independent PRNG (xoshiro256** seeded through SplitMix64). Swift's default
// generator cannot be seeded, and a recorded seed must reproduce the same shuffle on every machine.
import Foundation

public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    /// Expands a 64-bit seed into the 256-bit state with SplitMix64, as the xoshiro authors advise.
    public init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        s0 = mixer.next(); s1 = mixer.next(); s2 = mixer.next(); s3 = mixer.next()
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// Uniform in 0..<bound without modulo bias (Lemire's multiply-and-reject), written out here
    /// so the sequence never depends on the standard library's algorithm.
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// Uniform double in [0, 1) from the top 53 bits.
    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

public enum SeededShuffle {
    /// A Fisher–Yates permutation of 0..<count: result[newPosition] = originalIndex.
    public static func permutation(count: Int, seed: UInt64) -> [Int] {
        var order = Array(0..<count)
        guard count > 1 else { return order }
        var rng = Xoshiro256StarStar(seed: seed)
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = rng.nextIndex(below: i + 1)
            order.swapAt(i, j)
        }
        return order
    }

    /// A per-sample seed from the run's seed and the sample id (FNV-1a over the id, then mixed), so
    /// each sample has its own shuffle and adding samples does not change the others'.
    public static func sampleSeed(runSeed: UInt64, sampleID: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in sampleID.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var mixer = SplitMix64(seed: runSeed ^ hash)
        return mixer.next()
    }
}
