/// A projection applied to a weight after each optimizer update, as in
/// `keras.constraints`. Norms are taken over `axis` (Keras' `axis`: one axis or several; 0 is
/// per column of a matrix, `[0, 1]` per filter of a `Conv1D` kernel) with Keras' epsilon of 1e-7.
public enum Constraint: Sendable, Hashable {
    /// Rescales slices whose norm exceeds `maxValue`.
    case maxNorm(maxValue: Double = 2, axis: [Int] = [0])
    /// Sets negative weights to zero.
    case nonNeg
    /// Rescales every slice to norm 1.
    case unitNorm(axis: [Int] = [0])
    /// Moves slice norms into `[minValue, maxValue]` at the given `rate`.
    case minMaxNorm(minValue: Double = 0, maxValue: Double = 1, rate: Double = 1, axis: [Int] = [0])

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
    ///
    /// - Throws: ``LayerError`` when an axis of the constraint is not an axis of `weight`.
    public func apply<Scalar: TensorScalar>(to weight: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let epsilon = Scalar(1e-7)
        switch self {
        case .nonNeg:
            return weight.map { $0 < 0 ? 0 : $0 }
        case .maxNorm(let maxValue, let axis):
            return try Self.rescale(weight, axes: axis) { norm in
                let desired = Swift.min(Swift.max(norm, 0), Scalar(maxValue))
                return desired / (epsilon + norm)
            }
        case .unitNorm(let axis):
            return try Self.rescale(weight, axes: axis) { norm in 1 / (epsilon + norm) }
        case .minMaxNorm(let minValue, let maxValue, let rate, let axis):
            return try Self.rescale(weight, axes: axis) { norm in
                let clipped = Swift.min(Swift.max(norm, Scalar(minValue)), Scalar(maxValue))
                let desired = Scalar(rate) * clipped + (1 - Scalar(rate)) * norm
                return desired / (epsilon + norm)
            }
        }
    }

    /// Multiplies each slice over `axes` (the values that share every other index) by
    /// `factor(norm of the slice)`.
    private static func rescale<Scalar: TensorScalar>(
        _ weight: Tensor<Scalar>, axes: [Int], factor: (Scalar) -> Scalar
    ) throws -> Tensor<Scalar> {
        let shape = weight.shape
        guard !shape.isEmpty else { return weight.map { $0 * factor(abs($0)) } }
        let reduced = Set(try axes.map { axis in
            let resolved = axis < 0 ? axis + shape.count : axis
            guard resolved >= 0, resolved < shape.count else {
                throw LayerError(.invalidArgument, "constraint axis \(axis) does not fit a weight of shape \(shape)")
            }
            return resolved
        })
        // Each value's slice: its position over the axes that are not reduced.
        var sliceStride = [Int](repeating: 0, count: shape.count)
        var slices = 1
        for axis in shape.indices.reversed() where !reduced.contains(axis) {
            sliceStride[axis] = slices
            slices *= shape[axis]
        }
        var slice = [Int](repeating: 0, count: weight.scalarCount)
        var index = [Int](repeating: 0, count: shape.count)
        for flat in slice.indices {
            slice[flat] = zip(index, sliceStride).reduce(0) { $0 + $1.0 * $1.1 }
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        var squared = [Scalar](repeating: 0, count: slices)
        let values = weight.scalars
        for (flat, value) in values.enumerated() { squared[slice[flat]] += value * value }
        let factors = squared.map { factor($0.squareRoot()) }
        return try Tensor(shape: shape, scalars: values.enumerated().map { $0.element * factors[slice[$0.offset]] })
    }
}
