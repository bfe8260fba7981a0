/// Reorders the axes after the batch (Keras' `Permute`): `dims` numbers them from 1.
public final class Permute<Scalar: TensorScalar>: ShapeLayer<Scalar> {
    /// The new order of the axes after the batch, counted from 1.
    public let dims: [Int]

    /// Creates the layer.
    ///
    /// - Throws: ``LayerError`` unless `dims` is an ordering of `1...dims.count`.
    public init(dims: [Int], name: String? = nil) throws {
        guard dims.sorted() == Array(1...max(dims.count, 1)) || dims.isEmpty else {
            throw LayerError(.invalidArgument, "Permute: dims must be an ordering of 1...\(dims.count), got \(dims)")
        }
        self.dims = dims
        super.init(name: name ?? "permute")
    }

    public override func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        guard inputShape.count == dims.count + 1 else {
            throw LayerError(.invalidInputShape, "\(name): dims \(dims) need input of rank \(dims.count + 1), got shape \(describe(inputShape))")
        }
        return [inputShape[0]] + dims.map { inputShape[$0] }
    }

    override func rearranged(_ input: Tensor<Scalar>) throws -> Tensor<Scalar> {
        _ = try outputShape(forInputShape: optionalShape(input.shape))
        return try input.transposed([0] + dims)
    }

    override func inputGradient(_ outputGradient: Tensor<Scalar>, inputShape: [Int]) throws -> Tensor<Scalar> {
        var inverse = [Int](repeating: 0, count: dims.count + 1)
        for (i, axis) in ([0] + dims).enumerated() { inverse[axis] = i }
        return try outputGradient.transposed(inverse)
    }
}
