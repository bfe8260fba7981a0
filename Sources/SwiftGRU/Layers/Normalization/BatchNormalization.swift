/// Normalizes features with learned statistics (Keras' `BatchNormalization`), as a model
/// does when it predicts: `gamma * (x - movingMean) / sqrt(movingVariance + epsilon) + beta`
/// along the last axis.
///
/// Training it (batch statistics, moving-average updates) is not written yet: a recorded
/// call is refused with an error that says so.
public final class BatchNormalization<Scalar: TensorScalar>: Layer {
    /// The feature axis; only the last one is supported (`-1`, or its index).
    public let axis: Int
    /// Added to the variance before its square root.
    public let epsilon: Double
    /// The moving averages' decay in training (Keras' `momentum`), kept for the file.
    public let momentum: Double
    /// Whether `beta` is added.
    public let center: Bool
    /// Whether `gamma` multiplies.
    public let scale: Bool
    public var name: String
    private var gamma: Tensor<Scalar>?
    private var beta: Tensor<Scalar>?
    private var movingMean: Tensor<Scalar>?
    private var movingVariance: Tensor<Scalar>?

    /// Creates the layer with Keras' defaults (normalizing the last axis).
    ///
    /// - Throws: ``LayerError`` for a negative `epsilon`.
    public init(
        axis: Int = -1, momentum: Double = 0.99, epsilon: Double = 0.001, center: Bool = true, scale: Bool = true,
        name: String? = nil
    ) throws {
        guard epsilon >= 0, epsilon.isFinite else {
            throw LayerError(.invalidArgument, "BatchNormalization: epsilon must be non-negative, got \(epsilon)")
        }
        self.axis = axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.name = name ?? "batch_normalization"
    }

    public var isBuilt: Bool { movingMean != nil }

    public func build(inputShape: [Int?]) throws {
        guard axis == -1 || axis == inputShape.count - 1 else {
            throw LayerError(.unsupported, "\(name): axis \(axis) is not the last axis of shape \(describe(inputShape)); only the last axis is supported")
        }
        guard let last = inputShape.last, let features = last, features > 0 else {
            throw LayerError(.invalidInputShape, "\(name): the last axis must be known, got shape \(describe(inputShape))")
        }
        if let built = movingMean?.scalarCount {
            guard built == features else {
                throw LayerError(.invalidInputShape, "\(name): built for \(built) features, got shape \(describe(inputShape))")
            }
            return
        }
        _ = try WeightLimits.scalarCount(of: [features])
        gamma = scale ? Tensor(repeating: 1, shape: [features]) : nil
        beta = center ? Tensor(zeros: [features]) : nil
        movingMean = Tensor(zeros: [features])
        movingVariance = Tensor(repeating: 1, shape: [features])
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }

    /// Keras' `get_weights()` order: gamma, beta (each when used), moving mean, moving variance.
    public var weights: [Tensor<Scalar>] {
        [gamma, beta, movingMean, movingVariance].compactMap { $0 }
    }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        guard let features = weights.last?.scalarCount ?? movingMean?.scalarCount else {
            throw LayerError(.invalidWeights, "\(name): expects \((scale ? 1 : 0) + (center ? 1 : 0) + 2) weights, got none")
        }
        let expected = [[Int]](repeating: [features], count: (scale ? 1 : 0) + (center ? 1 : 0) + 2)
        try checkWeights(weights, expected: expected)
        var rest = weights[...]
        gamma = scale ? rest.popFirst() : nil
        beta = center ? rest.popFirst() : nil
        movingMean = rest.popFirst()
        movingVariance = rest.popFirst()
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        if !isBuilt { try build(inputShape: input.shape.map(Optional.some)) }
        guard let mean = movingMean?.scalars, let variance = movingVariance?.scalars,
              input.shape.last == mean.count else {
            throw LayerError(.invalidInputShape, "\(name): expects \(movingMean?.scalarCount ?? 0) features on the last axis, got shape \(input.shape)")
        }
        let features = mean.count
        var factor = [Scalar](repeating: 0, count: features), shift = [Scalar](repeating: 0, count: features)
        for j in 0..<features {
            let g = gamma?.scalars[j] ?? 1, b = beta?.scalars[j] ?? 0
            factor[j] = g / Scalar.sqrt(variance[j] + Scalar(epsilon))
            shift[j] = b - mean[j] * factor[j]
        }
        var output = input
        output.withUnsafeMutableBufferPointer { values in
            for i in 0..<values.count { values[i] = values[i] * factor[i % features] + shift[i % features] }
        }
        return LayerOutput(output, mask: mask)
    }

    /// Evaluation runs as prediction; training is refused (not written yet).
    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        guard !training else {
            throw LayerError(.unsupported, "layer '\(name)' (BatchNormalization) cannot be trained yet; it runs in predict and evaluate")
        }
        return try forward(input, mask: mask, training: false)
    }
}
