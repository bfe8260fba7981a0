/// Multiplies inputs by Gaussian noise of mean 1 and deviation `sqrt(rate / (1 - rate))` in
/// training (Keras' `GaussianDropout`); the identity in inference.
public final class GaussianDropout<Scalar: TensorScalar>: ShapePreservingLayer {
    /// The dropout rate the noise stands for.
    public let rate: Double
    /// Seed of the noise; `nil` draws one from `GlobalRandom`.
    public let seed: UInt64?
    public var name: String
    public var trainable = true
    private var generator: RandomGenerator
    /// Recorded calls: the factor applied to each element.
    var records: [Tensor<Scalar>] = []

    /// Creates the layer.
    ///
    /// - Throws: ``LayerError`` when `rate` is outside `[0, 1)`.
    public init(rate: Double, seed: UInt64? = nil, name: String? = nil) throws {
        try checkRate(rate, "rate", layer: "GaussianDropout")
        self.rate = rate
        self.seed = seed
        self.name = name ?? "gaussian_dropout"
        generator = RandomGenerator(seed: seed ?? GlobalRandom.nextSeed())
    }

    public var randomState: [UInt64] { generator.state }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        generator = try .restored(from: &state, for: name)
    }

    private func noise(like input: Tensor<Scalar>) -> Tensor<Scalar> {
        let deviation = (rate / (1 - rate)).squareRoot()
        return randomTensor(shape: input.shape, generator: &generator) { Scalar(1 + deviation * $0.nextNormal()) }
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        guard training, rate > 0 else { return LayerOutput(input, mask: mask) }
        return LayerOutput(try input.combined(with: noise(like: input), *), mask: mask)
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let factor = training && rate > 0 ? noise(like: input) : Tensor(repeating: 1, shape: input.shape)
        records.append(factor)
        return LayerOutput(try input.combined(with: factor, *), mask: mask)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let factor = try popRecord(&records, layer: name)
        return LayerGradients(input: try gradient(outputGradients, 0, shape: factor.shape).combined(with: factor, *))
    }

    public func clearRecords() { records.removeAll() }
}

extension GaussianDropout {
    public var stepScope: StepScope { .eachStep }
}
