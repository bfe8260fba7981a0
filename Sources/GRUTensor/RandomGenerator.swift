import RealModule
import Synchronization

/// A small, fast, seedable random number generator (xoshiro256**).
///
/// The same seed gives the same sequence on every platform, which is what
/// makes seeded initializers and dropout masks reproducible.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Hashable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Creates a generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) {
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = nextSplitMix(); s1 = nextSplitMix(); s2 = nextSplitMix(); s3 = nextSplitMix()
    }

    /// The generator's position in its sequence, as four words: a generator made from them
    /// (``init(state:)``) goes on drawing what this one would.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// A generator at the position ``state`` gave; `nil` unless `state` holds four words, not
    /// all zero (a state the generator never reaches).
    public init?(state: some Collection<UInt64>) {
        let words = Array(state)
        guard words.count == 4, words.contains(where: { $0 != 0 }) else { return nil }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A uniform sample from `[0, 1)` with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A sample from the standard normal distribution (Box-Muller).
    public mutating func nextNormal() -> Double {
        var u1 = nextUniform()
        while u1 <= .leastNormalMagnitude { u1 = nextUniform() }
        let u2 = nextUniform()
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * .pi * u2)
    }

    /// A new generator for a sub-task, derived from this one's next output.
    public mutating func split() -> RandomGenerator { RandomGenerator(seed: next()) }
}

/// The library-wide seed, the counterpart of `keras.utils.set_random_seed`.
///
/// Unseeded initializers and dropout draw their seeds from here, so setting
/// it once makes a whole program reproducible.
public enum GlobalRandom {
    private static let generator = Mutex(RandomGenerator(seed: UInt64.random(in: .min ... .max)))

    /// Resets the library-wide generator to a fixed seed.
    public static func setSeed(_ seed: UInt64) {
        generator.withLock { $0 = RandomGenerator(seed: seed) }
    }

    /// Draws a fresh seed from the library-wide generator.
    public static func nextSeed() -> UInt64 {
        generator.withLock { $0.next() }
    }
}
