/// A seeded, fast, splittable random number generator (xoshiro256**), the only source of
/// randomness in nrcc: every run is reproducible from its seed.
///
/// Independent streams come from `init(seed:stream:)`; e.g. the augmentation of sample `i` in
/// epoch `e` uses `SeededGenerator(seed: seed, stream: [e, i])`, so a resumed run sees the
/// same views whatever order the work happens in.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    @usableFromInline var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose whole state is derived from `seed` through SplitMix64.
    public init(seed: UInt64) {
        var mixer = seed
        state = (
            Self.splitMix(&mixer), Self.splitMix(&mixer),
            Self.splitMix(&mixer), Self.splitMix(&mixer))
    }

    /// A generator for one independent stream, keyed by `seed` and a path of integers.
    public init(seed: UInt64, stream: [UInt64]) {
        var key = seed
        for part in stream {
            var mixer = key ^ (part &* 0x9E37_79B9_7F4A_7C15)
            key = Self.splitMix(&mixer)
        }
        self.init(seed: key)
    }

    @usableFromInline
    static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    @inlinable
    func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform float in [0, 1), from the top 24 bits.
    @inlinable
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform float in [lower, upper).
    @inlinable
    public mutating func nextUniform(_ lower: Float, _ upper: Float) -> Float {
        lower + (upper - lower) * nextUniform()
    }

    /// A standard normal sample (Box-Muller; one of the pair is discarded for simplicity of
    /// state, which keeps the generator a plain value).
    @inlinable
    public mutating func nextGaussian() -> Float {
        let u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let radius = (-2.0 * log(max(u1, 1e-300))).squareRoot()
        return Float(radius * cos(2.0 * Double.pi * u2))
    }

    /// A uniform integer in `0..<bound`.
    @inlinable
    public mutating func nextInt(below bound: Int) -> Int {
        checkArgument(bound > 0, "nextInt(below:): bound must be positive, got \(bound)")
        return Int(next(upperBound: UInt64(bound)))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `count` distinct indices of `0..<n` in the order drawn: a partial Fisher-Yates shuffle
/// driven by `generator`.
public func sampledIndices(count: Int, from n: Int, using generator: inout SeededGenerator) -> [Int] {
    checkArgument(count >= 0 && count <= n, "sampledIndices: \(count) of \(n)")
    var indices = Array(0..<n)
    for position in 0..<count {
        indices.swapAt(position, position + generator.nextInt(below: n - position))
    }
    return Array(indices[..<count])
}

/// `sampledIndices` driven by `SeededGenerator(seed: seed)`.
public func sampledIndices(count: Int, from n: Int, seed: UInt64) -> [Int] {
    var generator = SeededGenerator(seed: seed)
    return sampledIndices(count: count, from: n, using: &generator)
}
