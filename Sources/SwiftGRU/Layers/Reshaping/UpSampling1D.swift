/// Repeats each step `size` times (Keras' `UpSampling1D`).
public final class UpSampling1D<Scalar: TensorScalar>: ShapeLayer<Scalar> {
    /// How many times each step is repeated.
    public let size: Int

    /// Creates the layer.
    ///
    /// - Throws: ``LayerError`` when `size` is not positive.
    public init(size: Int = 2, name: String? = nil) throws {
        guard size > 0, size <= 1 << 24 else { throw LayerError(.invalidArgument, "UpSampling1D: size must be a positive integer, got \(size)") }
        self.size = size
        super.init(name: name ?? "up_sampling1d")
    }

    public override func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        let steps = try stepsAxis(inputShape, layer: name)
        return [inputShape[0], steps.map { $0 * size }, inputShape[2]]
    }

    override func rearranged(_ input: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let steps = try stepsAxis(optionalShape(input.shape), layer: name) ?? 0
        return try rearrangeSteps(input, steps: try WeightLimits.scalarCount(of: [steps, size]), layer: name) { $0 / self.size }
    }

    override func inputGradient(_ outputGradient: Tensor<Scalar>, inputShape: [Int]) throws -> Tensor<Scalar> {
        try rearrangeStepsBackward(outputGradient, steps: inputShape[1], layer: name) { $0 / self.size }
    }
}
