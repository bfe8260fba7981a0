/// An activation function, named as in Keras (`keras.activations`).
///
/// Every name Keras resolves from a string is here, with Keras' default
/// parameters; ``legacyHardSigmoid`` is the piecewise-linear sigmoid of
/// Keras 2 (`clip(0.2x + 0.5, 0, 1)`), used when loading old files.
public enum Activation: String, CaseIterable, Sendable, Codable {
    case linear
    case tanh
    case sigmoid
    case hardSigmoid = "hard_sigmoid"
    case legacyHardSigmoid = "legacy_hard_sigmoid"
    case sparseSigmoid = "sparse_sigmoid"
    case logSigmoid = "log_sigmoid"
    case relu
    case relu6
    case leakyRelu = "leaky_relu"
    case elu
    case selu
    case celu
    case gelu
    case silu
    case hardSilu = "hard_silu"
    case mish
    case softplus
    case softsign
    case squareplus
    case sparsePlus = "sparse_plus"
    case exponential
    case hardTanh = "hard_tanh"
    case tanhShrink = "tanh_shrink"
    case softShrink = "soft_shrink"
    case hardShrink = "hard_shrink"
    case softmax
    case logSoftmax = "log_softmax"
    case sparsemax
    case glu

    /// Looks an activation up by its Keras name; `nil`, `"None"` and `"linear"` mean no
    /// activation. Accepts Keras' aliases `swish` and `hard_swish`. `nil` when unknown
    /// (`SwiftGRU`'s `Activation(named:)` throws then).
    package init?(kerasName name: String?) {
        guard let name, name != "None", !name.isEmpty else { self = .linear; return }
        switch name {
        case "swish": self = .silu
        case "hard_swish": self = .hardSilu
        default:
            guard let value = Activation(rawValue: name), value != .legacyHardSigmoid else { return nil }
            self = value
        }
    }

    /// The Keras names ``init(kerasName:)`` knows.
    package static var kerasNames: [String] { allCases.filter { $0 != .legacyHardSigmoid }.map(\.rawValue) }

    /// The Keras name of the activation.
    public var name: String { self == .legacyHardSigmoid ? "hard_sigmoid" : rawValue }

    /// Whether the function mixes the elements of a row (softmax and friends)
    /// rather than acting on each element alone.
    public var isRowwise: Bool {
        switch self {
        case .softmax, .logSoftmax, .sparsemax, .glu: return true
        default: return false
        }
    }

    /// Whether ``derivative(_:_:)`` needs the input, not only the output (all but
    /// linear, tanh, sigmoid and exponential); the GRU records inputs only then.
    public var derivativeNeedsInput: Bool {
        switch self {
        case .linear, .tanh, .sigmoid, .exponential: false
        default: true
        }
    }

    /// Whether the output of a row has as many elements as its input (all but ``glu``).
    public var preservesWidth: Bool { self != .glu }

    /// The output width for rows of `width` elements.
    public func outputWidth(for width: Int) -> Int { self == .glu ? width / 2 : width }
}
