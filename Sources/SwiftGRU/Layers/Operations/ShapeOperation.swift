/// The shape operations of Keras 3 in a functional model (`ops.expand_dims`, `ops.squeeze`,
/// `ops.transpose`, `ops.reshape`) and `ops.cast`: each sample's values rearranged, the batch
/// axis in place, or converted. The output has no mask, as Keras' operations give none.
public final class ShapeOperation<Scalar: TensorScalar>: Layer, RecordsInputs {
    /// The rearrangement.
    public enum Kind: Sendable, Hashable {
        /// A new axis of extent 1 at `axis` of the output (negative ones count from its end).
        case expandDims(axis: Int)
        /// The axes of extent 1 removed: those listed, or all but the batch's.
        case squeeze(axes: [Int]?)
        /// The axes in the order given (the batch's first); reversed when `nil`, which Keras
        /// allows only without a batch, so refused.
        case transpose(axes: [Int])
        /// The shape given, the batch's first (`-1` or its extent; one other `-1` is inferred).
        case reshape(shape: [Int])
        /// To a Keras dtype: float16 and bfloat16 round to their precision, integer types
        /// truncate toward zero (a value outside the type's range is an error), bool gives 1 for
        /// any value but 0; values stay float32 here. As in TensorFlow, a cast to a float type
        /// passes the gradient back, one to an integer or bool none.
        case cast(DType)
    }

    public let kind: Kind
    public var name: String
    public var trainable = true
    var records: [Tensor<Scalar>] = []

    /// Creates the operation.
    public init(_ kind: Kind, name: String? = nil) {
        self.kind = kind
        self.name = name ?? "shape_operation"
    }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws { _ = try outputShape(forInputShape: inputShape) }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        let rank = shape.count
        switch kind {
        case .expandDims(let axis):
            let resolved = axis < 0 ? axis + rank + 1 : axis
            guard resolved >= 1, resolved <= rank else { throw LayerError(.invalidArgument, "\(name): axis \(axis) (the batch axis stays first)") }
            var out = shape
            out.insert(1, at: resolved)
            return out
        case .squeeze(let axes):
            let gone = try Set((axes ?? shape.indices.filter { $0 > 0 && shape[$0] == 1 }).map { a -> Int in
                let resolved = a < 0 ? a + rank : a
                guard resolved >= 1, resolved < rank, shape[resolved] == 1 else {
                    throw LayerError(.invalidArgument, "\(name): axis \(a) of \(describe(shape)) is not of extent 1 (or is the batch's)")
                }
                return resolved
            })
            return shape.indices.filter { !gone.contains($0) }.map { shape[$0] }
        case .transpose(let axes):
            guard axes.sorted() == Array(0..<rank), axes.first == 0 else {
                throw LayerError(.invalidArgument, "\(name): axes \(axes) must order \(rank) axes, the batch's first")
            }
            return axes.map { shape[$0] }
        case .reshape(let target):
            guard target.first == -1 || (target.first != nil && target.first == shape.first ?? nil) else {
                throw LayerError(.unsupported, "\(name): the new shape \(target) must keep the batch first (-1)")
            }
            let rest = Array(target.dropFirst())
            guard rest.filter({ $0 == -1 }).count <= 1, rest.allSatisfy({ $0 == -1 || $0 > 0 }) else {
                throw LayerError(.invalidArgument, "\(name): the new shape \(target) is not a shape")
            }
            guard let count = shape.dropFirst().reduce(Optional(1), { total, extent in total.flatMap { t in extent.map { t * $0 } } }) else {
                return [shape.first ?? nil] + rest.map { $0 == -1 ? nil : $0 }
            }
            let known = rest.filter { $0 != -1 }.reduce(1, *)
            guard known > 0, count % known == 0, rest.contains(-1) || known == count else {
                throw LayerError(.invalidInputShape, "\(name): \(describe(shape)) cannot take the shape \(target)")
            }
            return [shape.first ?? nil] + rest.map { $0 == -1 ? count / known : $0 }
        case .cast:
            return shape
        }
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        let shape = try outputShape(forInputShape: optionalShape(input.shape)).map { $0 ?? 0 }
        switch kind {
        case .transpose(let axes): return LayerOutput(try input.transposed(axes))
        case .cast(let dtype): return LayerOutput(try Tensor(shape: input.shape, scalars: try input.scalars.map { try converted($0, to: dtype) }))
        default: return LayerOutput(try input.reshaped(to: shape))
        }
    }

    /// `value` converted to `dtype` as TensorFlow converts it.
    private func converted(_ value: Scalar, to dtype: DType) throws -> Scalar {
        switch dtype {
        case .float32: return Scalar(Float(value))
        case .float64: return value
        case .float16: return Scalar(Self.roundedToHalf(Float(value)))
        case .bfloat16: return Scalar(Self.roundedToBFloat16(Float(value)))
        case .bool: return value != 0 ? 1 : 0
        default:
            let truncated = value.rounded(.towardZero)
            guard let range = dtype.integerRange, range.contains(Double(truncated)) else {
                throw LayerError(.invalidArgument, "\(name): the value \(value) does not fit \(dtype.rawValue)")
            }
            return truncated
        }
    }

    /// The nearest bfloat16 (ties to even), NaN kept.
    static func roundedToBFloat16(_ value: Float) -> Float {
        guard !value.isNaN else { return value }
        let bits = value.bitPattern
        return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
    }

    /// The nearest IEEE half-precision value (ties to even): infinity beyond its range, steps
    /// of 2^-24 below its smallest normal value.
    static func roundedToHalf(_ value: Float) -> Float {
        guard value.isFinite else { return value }
        let magnitude = abs(value)
        let rounded: Float
        if magnitude < 0x1p-14 {
            rounded = (magnitude * 0x1p24).rounded(.toNearestOrEven) * 0x1p-24
        } else {
            let bits = magnitude.bitPattern
            rounded = Float(bitPattern: (bits &+ 0xFFF &+ ((bits >> 13) & 1)) & ~UInt32(0x1FFF))
        }
        return (rounded > 65504 ? .infinity : rounded) * (value < 0 ? -1 : 1)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let input = try popRecord(&records, layer: name)
        let shape = try outputShape(forInputShape: optionalShape(input.shape)).map { $0 ?? 0 }
        let g = try gradient(outputGradients, 0, shape: shape)
        if case .cast(let dtype) = kind, !dtype.isFloatingPoint {
            return LayerGradients(input: Tensor(zeros: input.shape))
        }
        guard case .transpose(let axes) = kind else { return LayerGradients(input: try g.reshaped(to: input.shape)) }
        var inverse = [Int](repeating: 0, count: axes.count)
        for (i, axis) in axes.enumerated() { inverse[axis] = i }
        return LayerGradients(input: try g.transposed(inverse))
    }
}

extension ShapeOperation {
    /// Each step alone where the steps axis (axis 1) stays where it is, whole.
    public var stepScope: StepScope {
        switch kind {
        case .cast: .eachStep
        case .expandDims(let axis): axis >= 2 || axis == -1 ? .eachStep : .acrossSteps("moves the steps axis")
        case .squeeze(let axes): (axes ?? []).allSatisfy { $0 >= 2 || $0 == -1 } && axes != nil ? .eachStep : .acrossSteps("may remove the steps axis")
        case .transpose(let axes): axes.count > 1 && axes[1] == 1 ? .eachStep : .acrossSteps("moves the steps axis")
        case .reshape: .acrossSteps("reshapes across steps")
        }
    }
}
