/// A weight penalty added to the training loss, as in `keras.regularizers`.
public enum Regularizer: Sendable, Hashable {
    /// `l1 * sum(|w|)`; Keras' default factor is 0.01.
    case l1(Double = 0.01)
    /// `l2 * sum(w^2)`; Keras' default factor is 0.01.
    case l2(Double = 0.01)
    /// `l1 * sum(|w|) + l2 * sum(w^2)`; Keras' defaults are 0.0 and 0.0.
    case l1l2(l1: Double = 0, l2: Double = 0)

    /// Looks a regularizer up by its Keras name, with Keras' default factors.
    ///
    /// - Throws: ``LayerError`` with kind `.unknownName` for any other name.
    public init(named name: String) throws {
        switch name.lowercased() {
        case "l1": self = .l1()
        case "l2": self = .l2()
        case "l1_l2", "l1l2": self = .l1l2(l1: 0.01, l2: 0.01)
        default: throw LayerError(.unknownName, "unknown regularizer '\(name)'; known regularizers: l1, l2, l1_l2")
        }
    }

    /// The factors `(l1, l2)`.
    public var factors: (l1: Double, l2: Double) {
        switch self {
        case .l1(let l1): (l1, 0)
        case .l2(let l2): (0, l2)
        case .l1l2(let l1, let l2): (l1, l2)
        }
    }

    /// The penalty for a weight tensor.
    public func penalty<Scalar: TensorScalar>(_ weight: Tensor<Scalar>) -> Scalar {
        let (l1, l2) = factors
        var absolute: Scalar = 0, squared: Scalar = 0
        for w in weight.scalars { absolute += abs(w); squared += w * w }
        return Scalar(l1) * absolute + Scalar(l2) * squared
    }

    /// The gradient of ``penalty(_:)`` with respect to each weight (`l1 * sign(w) + 2 * l2 * w`).
    public func gradient<Scalar: TensorScalar>(_ weight: Tensor<Scalar>) -> Tensor<Scalar> {
        let (l1, l2) = factors
        return weight.map { w in
            Scalar(l1) * (w > 0 ? 1 : (w < 0 ? -1 : 0)) + 2 * Scalar(l2) * w
        }
    }
}
