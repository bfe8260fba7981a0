/// Adds zero-mean Gaussian noise of deviation `stddev` in training (Keras' `GaussianNoise`);
/// the identity in inference.
public final class GaussianNoise<Scalar: TensorScalar>: ShapePreservingLayer {
    /// The deviation of the noise.
    public let stddev: Double
    /// Seed of the noise; `nil` draws one from `GlobalRandom`.
    public let seed: UInt64?
    public var name: String
    public var trainable = true
    private var generator: RandomGenerator
    /// Recorded calls (the gradient passes through unchanged).
    var records = 0

    /// Creates the layer.
    ///
    /// - Throws: ``LayerError`` for a negative or non-finite `stddev`.
    public init(stddev: Double, seed: UInt64? = nil, name: String? = nil) throws {
        guard stddev >= 0, stddev.isFinite else {
            throw LayerError(.invalidArgument, "GaussianNoise: stddev must be non-negative, got \(stddev)")
        }
        self.stddev = stddev
        self.seed = seed
        self.name = name ?? "gaussian_noise"
        generator = RandomGenerator(seed: seed ?? GlobalRandom.nextSeed())
    }

    public var randomState: [UInt64] { generator.state }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        generator = try .restored(from: &state, for: name)
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        guard training, stddev > 0 else { return LayerOutput(input, mask: mask) }
        let noise: Tensor<Scalar> = randomTensor(shape: input.shape, generator: &generator) { Scalar(stddev * $0.nextNormal()) }
        return LayerOutput(try input.combined(with: noise, +), mask: mask)
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        records += 1
        return try forward(input, mask: mask, training: training)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        guard records > 0 else { throw LayerError(.unsupported, "layer '\(name)': backward without a recorded forward pass") }
        records -= 1
        guard let g = outputGradients.first ?? nil else { throw LayerError(.invalidInputShape, "\(name): no output gradient") }
        return LayerGradients(input: g)
    }

    public func clearRecords() { records = 0 }
}

extension GaussianNoise {
    public var stepScope: StepScope { .eachStep }
}
