/// A projection applied to a weight after each optimizer update, as in
/// `keras.constraints`. Norms are taken along `axis` (0: per column of a
/// matrix) with Keras' epsilon of 1e-7.
public enum Constraint: Sendable, Hashable {
    /// Rescales slices whose norm exceeds `maxValue`.
    case maxNorm(maxValue: Double = 2, axis: Int = 0)
    /// Sets negative weights to zero.
    case nonNeg
    /// Rescales every slice to norm 1.
    case unitNorm(axis: Int = 0)
    /// Moves slice norms into `[minValue, maxValue]` at the given `rate`.
    case minMaxNorm(minValue: Double = 0, maxValue: Double = 1, rate: Double = 1, axis: Int = 0)

    /// Looks a constraint up by its Keras name, with Keras' default arguments.
    ///
    /// - Throws: ``LayerError`` with kind `.unknownName` for any other name.
    public init(named name: String) throws {
        switch String(name.filter { $0 != "_" }).lowercased() {
        case "maxnorm": self = .maxNorm()
        case "nonneg": self = .nonNeg
        case "unitnorm": self = .unitNorm()
        case "minmaxnorm": self = .minMaxNorm()
        default: throw LayerError(.unknownName, "unknown constraint '\(name)'; known constraints: max_norm, non_neg, unit_norm, min_max_norm")
        }
    }

    /// Returns `weight` projected by the constraint.
    public func apply<Scalar: TensorScalar>(to weight: Tensor<Scalar>) -> Tensor<Scalar> {
        let epsilon = Scalar(1e-7)
        switch self {
        case .nonNeg:
            return weight.map { $0 < 0 ? 0 : $0 }
        case .maxNorm(let maxValue, let axis):
            return Self.rescale(weight, axis: axis) { norm in
                let desired = Swift.min(Swift.max(norm, 0), Scalar(maxValue))
                return desired / (epsilon + norm)
            }
        case .unitNorm(let axis):
            return Self.rescale(weight, axis: axis) { norm in 1 / (epsilon + norm) }
        case .minMaxNorm(let minValue, let maxValue, let rate, let axis):
            return Self.rescale(weight, axis: axis) { norm in
                let clipped = Swift.min(Swift.max(norm, Scalar(minValue)), Scalar(maxValue))
                let desired = Scalar(rate) * clipped + (1 - Scalar(rate)) * norm
                return desired / (epsilon + norm)
            }
        }
    }

    /// Multiplies each slice along `axis` by `factor(norm of the slice)`.
    private static func rescale<Scalar: TensorScalar>(
        _ weight: Tensor<Scalar>, axis: Int, factor: (Scalar) -> Scalar
    ) -> Tensor<Scalar> {
        let shape = weight.shape
        guard !shape.isEmpty else { return weight.map { $0 * factor(abs($0)) } }
        let axis = axis < 0 ? axis + shape.count : axis
        guard axis >= 0, axis < shape.count else { return weight }
        let outer = shape[..<axis].reduce(1, *), extent = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        var values = weight.scalars
        for o in 0..<outer {
            for i in 0..<inner {
                var squared: Scalar = 0
                for k in 0..<extent { let v = values[(o * extent + k) * inner + i]; squared += v * v }
                let f = factor(squared.squareRoot())
                for k in 0..<extent { values[(o * extent + k) * inner + i] *= f }
            }
        }
        return (try? Tensor(shape: shape, scalars: values)) ?? weight
    }
}
