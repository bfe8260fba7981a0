/// Adds zero steps before and after each sequence (Keras' `ZeroPadding1D`).
public final class ZeroPadding1D<Scalar: TensorScalar>: ShapeLayer<Scalar> {
    /// Zero steps added before and after.
    public let padding: (before: Int, after: Int)
    public let dataFormat: DataFormat

    /// Creates the layer; Keras' default adds one step on each side.
    ///
    /// - Throws: ``LayerError`` for a negative count.
    public init(padding: (Int, Int) = (1, 1), dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        self.padding = try stepPair(padding, "padding", layer: "ZeroPadding1D")
        self.dataFormat = dataFormat
        super.init(name: name ?? "zero_padding1d")
    }

    public override func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        var shape = inputShape
        let axis = dataFormat == .channelsLast ? 1 : 2
        _ = try stepsAxis(inputShape, layer: name)
        shape[axis] = inputShape[axis].map { $0 + padding.before + padding.after }
        return shape
    }

    override func rearranged(_ input: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let layout = SpatialLayout(dataFormat: dataFormat, spatialRank: 1)
        let x = try layout.channelsLast(input, layer: name)
        let padded = try rearrangeSteps(x, steps: x.shape[1] + padding.before + padding.after, layer: name) { $0 - self.padding.before }
        return try layout.restored(padded)
    }

    override func inputGradient(_ outputGradient: Tensor<Scalar>, inputShape: [Int]) throws -> Tensor<Scalar> {
        let layout = SpatialLayout(dataFormat: dataFormat, spatialRank: 1)
        let g = try layout.channelsLast(outputGradient, layer: name)
        let steps = dataFormat == .channelsLast ? inputShape[1] : inputShape[2]
        return try layout.restored(rearrangeStepsBackward(g, steps: steps, layer: name) { $0 - self.padding.before })
    }
}
