/// Dropout of whole channels of images or volumes (Keras' `SpatialDropout2D` and
/// `SpatialDropout3D`): in training each sample's channel is dropped at every position at once;
/// the identity in inference.
public class SpatialDropout<Scalar: TensorScalar>: Layer {
    public var rate: Double { dropout.rate }
    public var seed: UInt64? { dropout.seed }
    /// Where the channels are.
    public let dataFormat: DataFormat
    /// The number of spatial axes (2 or 3).
    public let spatialRank: Int
    public var name: String { get { dropout.name } set { dropout.name = newValue } }
    public var trainable: Bool { get { dropout.trainable } set { dropout.trainable = newValue } }
    private let dropout: Dropout<Scalar>

    public var randomState: [UInt64] { dropout.randomState }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        try dropout.restoreRandomState(&state)
    }

    init(rate: Double, spatialRank: Int, dataFormat: DataFormat, seed: UInt64?, name: String) throws {
        let ones = [Int?](repeating: 1, count: spatialRank)
        let noise: [Int?] = dataFormat == .channelsLast ? [nil] + ones + [nil] : [nil, nil] + ones
        dropout = try Dropout(rate: rate, noiseShape: noise, seed: seed, name: name)
        self.dataFormat = dataFormat
        self.spatialRank = spatialRank
    }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws { _ = try outputShape(forInputShape: inputShape) }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        guard inputShape.count == spatialRank + 2 else {
            throw LayerError(.invalidInputShape, "\(name): expects inputs of rank \(spatialRank + 2), got \(describe(inputShape))")
        }
        return inputShape
    }

    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        _ = try outputShape(forInputShape: optionalShape(input.shape))
        return try dropout.forward(input, mask: mask, training: training)
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        _ = try outputShape(forInputShape: optionalShape(input.shape))
        return try dropout.forwardRecording(input, mask: mask, initialState: initialState, training: training)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        try dropout.backward(outputGradients)
    }

    public func clearRecords() { dropout.clearRecords() }
}

extension SpatialDropout {
    public var stepScope: StepScope { .acrossSteps("drops channels of an image, not of one step") }
}

/// Keras' `SpatialDropout2D`: whole channels of `(batch, rows, columns, channels)` dropped.
public final class SpatialDropout2D<Scalar: TensorScalar>: SpatialDropout<Scalar> {
    /// Creates the layer.
    ///
    /// - Throws: ``LayerError`` when `rate` is outside `[0, 1)`.
    public init(rate: Double, dataFormat: DataFormat = .channelsLast, seed: UInt64? = nil, name: String? = nil) throws {
        try super.init(rate: rate, spatialRank: 2, dataFormat: dataFormat, seed: seed, name: name ?? "spatial_dropout2d")
    }
}

/// Keras' `SpatialDropout3D`: whole channels of `(batch, depth, rows, columns, channels)` dropped.
public final class SpatialDropout3D<Scalar: TensorScalar>: SpatialDropout<Scalar> {
    /// Creates the layer.
    ///
    /// - Throws: ``LayerError`` when `rate` is outside `[0, 1)`.
    public init(rate: Double, dataFormat: DataFormat = .channelsLast, seed: UInt64? = nil, name: String? = nil) throws {
        try super.init(rate: rate, spatialRank: 3, dataFormat: dataFormat, seed: seed, name: name ?? "spatial_dropout3d")
    }
}
