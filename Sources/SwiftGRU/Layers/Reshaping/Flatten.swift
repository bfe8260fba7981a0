/// Flattens every axis after the batch into one (Keras' `Flatten`); with channels-first
/// data the channels are moved last first, as Keras does.
public final class Flatten<Scalar: TensorScalar>: ShapeLayer<Scalar> {
    public let dataFormat: DataFormat

    /// Creates the layer.
    public init(dataFormat: DataFormat = .channelsLast, name: String? = nil) {
        self.dataFormat = dataFormat
        super.init(name: name ?? "flatten")
    }

    public override func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        try requireRank(inputShape, atLeast: 1, "batch, ...")
        let rest = inputShape.dropFirst()
        let known = rest.allSatisfy { $0 != nil } ? try WeightLimits.scalarCount(of: rest.map { $0 ?? 0 }) : nil
        return [inputShape[0], known]
    }

    override func rearranged(_ input: Tensor<Scalar>) throws -> Tensor<Scalar> {
        try requireRank(optionalShape(input.shape), atLeast: 1, "batch, ...")
        var x = input
        if dataFormat == .channelsFirst, x.rank > 2 { x = try x.transposed([0] + Array(2..<x.rank) + [1]) }
        let batch = x.shape[0]
        return try x.reshaped(to: [batch, batch == 0 ? 0 : x.scalarCount / batch])
    }

    override func inputGradient(_ outputGradient: Tensor<Scalar>, inputShape: [Int]) throws -> Tensor<Scalar> {
        guard dataFormat == .channelsFirst, inputShape.count > 2 else { return try outputGradient.reshaped(to: inputShape) }
        let channelsLast = [inputShape[0]] + inputShape.dropFirst(2) + [inputShape[1]]
        return try outputGradient.reshaped(to: channelsLast).transposed([0, inputShape.count - 1] + Array(1..<(inputShape.count - 1)))
    }
}
