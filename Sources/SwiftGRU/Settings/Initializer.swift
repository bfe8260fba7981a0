/// How a weight tensor is filled when a layer is built, named as in Keras
/// (`keras.initializers`).
///
/// Random initializers with a `seed` give the same values every time they are
/// used; without one they draw a seed from `GlobalRandom`, so
/// `GlobalRandom/setSeed(_:)` makes a whole program reproducible.
public enum Initializer: Sendable, Hashable {
    /// How variance scaling counts the units of a weight.
    public enum FanMode: String, Sendable, Hashable, Codable {
        case fanIn = "fan_in", fanOut = "fan_out", fanAvg = "fan_avg"
    }

    /// The distribution variance scaling samples from.
    public enum Distribution: String, Sendable, Hashable, Codable {
        case truncatedNormal = "truncated_normal", untruncatedNormal = "untruncated_normal", uniform
    }

    case zeros
    case ones
    case constant(Double)
    case randomNormal(mean: Double = 0, stddev: Double = 0.05, seed: UInt64? = nil)
    case randomUniform(minval: Double = -0.05, maxval: Double = 0.05, seed: UInt64? = nil)
    /// A normal distribution with values beyond two standard deviations redrawn.
    case truncatedNormal(mean: Double = 0, stddev: Double = 0.05, seed: UInt64? = nil)
    case varianceScaling(scale: Double = 1, mode: FanMode = .fanIn, distribution: Distribution = .truncatedNormal, seed: UInt64? = nil)
    case glorotUniform(seed: UInt64? = nil)
    case glorotNormal(seed: UInt64? = nil)
    case heUniform(seed: UInt64? = nil)
    case heNormal(seed: UInt64? = nil)
    case lecunUniform(seed: UInt64? = nil)
    case lecunNormal(seed: UInt64? = nil)
    /// A random orthogonal matrix (QR of a normal matrix), times `gain`.
    case orthogonal(gain: Double = 1, seed: UInt64? = nil)
    /// `gain` times the identity matrix (2-D weights only; need not be square).
    case identity(gain: Double = 1)

    /// Looks an initializer up by its Keras name, with Keras' default arguments.
    ///
    /// Accepts snake case (`"glorot_uniform"`) and Keras' class names (`"GlorotUniform"`).
    /// - Throws: ``LayerError`` with kind `.unknownName` for a name Keras does not know.
    public init(named name: String) throws {
        let key = String(name.filter { $0 != "_" }).lowercased()
        switch key {
        case "zeros", "zero": self = .zeros
        case "ones", "one": self = .ones
        case "constant": self = .constant(0)
        case "randomnormal", "normal": self = .randomNormal()
        case "randomuniform", "uniform": self = .randomUniform()
        case "truncatednormal": self = .truncatedNormal()
        case "variancescaling": self = .varianceScaling()
        case "glorotuniform": self = .glorotUniform()
        case "glorotnormal": self = .glorotNormal()
        case "heuniform": self = .heUniform()
        case "henormal": self = .heNormal()
        case "lecununiform": self = .lecunUniform()
        case "lecunnormal": self = .lecunNormal()
        case "orthogonal": self = .orthogonal()
        case "identity": self = .identity()
        default:
            throw LayerError(.unknownName, "unknown initializer '\(name)'; known initializers: zeros, ones, constant, random_normal, random_uniform, truncated_normal, variance_scaling, glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, orthogonal, identity")
        }
    }

    /// The Keras name of the initializer (snake case).
    public var name: String {
        switch self {
        case .zeros: "zeros"
        case .ones: "ones"
        case .constant: "constant"
        case .randomNormal: "random_normal"
        case .randomUniform: "random_uniform"
        case .truncatedNormal: "truncated_normal"
        case .varianceScaling: "variance_scaling"
        case .glorotUniform: "glorot_uniform"
        case .glorotNormal: "glorot_normal"
        case .heUniform: "he_uniform"
        case .heNormal: "he_normal"
        case .lecunUniform: "lecun_uniform"
        case .lecunNormal: "lecun_normal"
        case .orthogonal: "orthogonal"
        case .identity: "identity"
        }
    }
}
