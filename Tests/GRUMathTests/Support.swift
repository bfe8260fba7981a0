import GRUTensor

extension Tensor where Scalar: TensorScalar {
    /// A tensor of normal values times `scale`, drawn from `rng`.
    static func random(_ shape: [Int], scale: Double, _ rng: inout RandomGenerator) throws -> Tensor {
        try Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Scalar(rng.nextNormal() * scale) })
    }
}
