/// Gives the axes after the batch a new shape with the same number of values (Keras'
/// `Reshape`); one extent may be `-1`, inferred from the rest.
public final class Reshape<Scalar: TensorScalar>: ShapeLayer<Scalar> {
    /// The shape after the batch axis; one entry may be `-1`.
    public let targetShape: [Int]

    /// Creates the layer.
    ///
    /// - Throws: ``LayerError`` for more than one `-1` or other negative or zero extents.
    public init(targetShape: [Int], name: String? = nil) throws {
        guard targetShape.filter({ $0 == -1 }).count <= 1, targetShape.allSatisfy({ $0 == -1 || $0 > 0 }) else {
            throw LayerError(.invalidArgument, "Reshape: target_shape must have positive extents and at most one -1, got \(targetShape)")
        }
        self.targetShape = targetShape
        super.init(name: name ?? "reshape")
    }

    /// The target shape with its `-1` resolved for `count` values per sample.
    private func resolved(count: Int?) throws -> [Int?] {
        let known = try WeightLimits.scalarCount(of: targetShape.filter { $0 != -1 })
        guard let unknownAxis = targetShape.firstIndex(of: -1) else {
            if let count, count != known {
                throw LayerError(.invalidInputShape, "\(name): cannot reshape \(count) values per sample to \(targetShape)")
            }
            return targetShape.map(Optional.some)
        }
        var shape = targetShape.map(Optional.some)
        guard let count else { shape[unknownAxis] = nil; return shape }
        guard known > 0, count % known == 0 else {
            throw LayerError(.invalidInputShape, "\(name): cannot reshape \(count) values per sample to \(targetShape)")
        }
        shape[unknownAxis] = count / known
        return shape
    }

    public override func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        try requireRank(inputShape, atLeast: 1, "batch, ...")
        let rest = inputShape.dropFirst()
        let count = rest.allSatisfy { $0 != nil } ? try WeightLimits.scalarCount(of: rest.map { $0 ?? 0 }) : nil
        return [inputShape[0]] + (try resolved(count: count))
    }

    override func rearranged(_ input: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let shape = try outputShape(forInputShape: optionalShape(input.shape))
        return try input.reshaped(to: shape.map { $0 ?? 0 })
    }
}
