/// Removes steps from the start and the end of each sequence (Keras' `Cropping1D`).
public final class Cropping1D<Scalar: TensorScalar>: ShapeLayer<Scalar> {
    /// Steps removed from the start and from the end.
    public let cropping: (start: Int, end: Int)

    /// Creates the layer; Keras' default removes one step at each end.
    ///
    /// - Throws: ``LayerError`` for a negative count.
    public init(cropping: (Int, Int) = (1, 1), name: String? = nil) throws {
        self.cropping = try stepPair(cropping, "cropping", layer: "Cropping1D")
        super.init(name: name ?? "cropping1d")
    }

    public override func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        let steps = try stepsAxis(inputShape, layer: name)
        if let steps, steps <= cropping.start + cropping.end {
            throw LayerError(.invalidInputShape, "\(name): cropping (\(cropping.start), \(cropping.end)) leaves no step of \(steps)")
        }
        return [inputShape[0], steps.map { $0 - cropping.start - cropping.end }, inputShape[2]]
    }

    override func rearranged(_ input: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let shape = try outputShape(forInputShape: optionalShape(input.shape))
        return try rearrangeSteps(input, steps: shape[1] ?? 0, layer: name) { $0 + self.cropping.start }
    }

    override func inputGradient(_ outputGradient: Tensor<Scalar>, inputShape: [Int]) throws -> Tensor<Scalar> {
        try rearrangeStepsBackward(outputGradient, steps: inputShape[1], layer: name) { $0 + self.cropping.start }
    }
}
