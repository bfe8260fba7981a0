/// Dropout of whole feature channels (Keras' `SpatialDropout1D`): in training each sample's
/// channel is dropped at every step at once; the identity in inference.
public final class SpatialDropout1D<Scalar: TensorScalar>: Layer {
    public var rate: Double { dropout.rate }
    public var seed: UInt64? { dropout.seed }
    public var name: String { get { dropout.name } set { dropout.name = newValue } }
    public var trainable: Bool { get { dropout.trainable } set { dropout.trainable = newValue } }
    private let dropout: Dropout<Scalar>

    public var randomState: [UInt64] { dropout.randomState }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        try dropout.restoreRandomState(&state)
    }

    /// Creates the layer.
    ///
    /// - Throws: ``LayerError`` when `rate` is outside `[0, 1)`.
    public init(rate: Double, seed: UInt64? = nil, name: String? = nil) throws {
        dropout = try Dropout(rate: rate, noiseShape: [nil, 1, nil], seed: seed, name: name ?? "spatial_dropout1d")
    }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws { _ = try stepsAxis(inputShape, layer: name) }
    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try dropout.forward(input, mask: mask, training: training)
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        try dropout.forwardRecording(input, mask: mask, initialState: initialState, training: training)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        try dropout.backward(outputGradients)
    }

    public func clearRecords() { dropout.clearRecords() }
}

extension SpatialDropout1D {
    public var stepScope: StepScope { .eachStep }
}
