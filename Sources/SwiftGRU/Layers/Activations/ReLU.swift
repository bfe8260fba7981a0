/// The rectified linear unit with Keras' options (Keras' `ReLU` layer):
/// `f(x) = min(x, maxValue)` for `x >= threshold`, else `negativeSlope * (x - threshold)`.
///
/// ``LeakyReLU`` is the same with only a negative slope.
public class ReLU<Scalar: TensorScalar>: Layer {
    /// The largest output; `nil` for none.
    public let maxValue: Scalar?
    /// The slope below the threshold.
    public let negativeSlope: Scalar
    /// Where the function turns from the slope to the identity.
    public let threshold: Scalar
    public var name: String
    public var trainable = true
    /// Recorded calls: the inputs.
    var records: [Tensor<Scalar>] = []

    /// Creates the layer with Keras' defaults (a plain ReLU).
    ///
    /// - Throws: ``LayerError`` for a negative `maxValue`, `negativeSlope` or `threshold` (as Keras).
    public init(maxValue: Scalar? = nil, negativeSlope: Scalar = 0, threshold: Scalar = 0, name: String? = nil) throws {
        if let maxValue, maxValue < 0 {
            throw LayerError(.invalidArgument, "ReLU: max_value must be non-negative, got \(maxValue)")
        }
        guard negativeSlope >= 0 else {
            throw LayerError(.invalidArgument, "ReLU: negative_slope must be non-negative, got \(negativeSlope)")
        }
        guard threshold >= 0 else {
            throw LayerError(.invalidArgument, "ReLU: threshold must be non-negative, got \(threshold)")
        }
        self.maxValue = maxValue
        self.negativeSlope = negativeSlope
        self.threshold = threshold
        self.name = name ?? "re_lu"
    }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws {}
    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    private func value(_ x: Scalar) -> Scalar {
        if x < threshold { return negativeSlope * (x - threshold) }
        if let maxValue, x > maxValue { return maxValue }
        return x
    }

    private func slope(_ x: Scalar) -> Scalar {
        if x < threshold { return negativeSlope }
        if let maxValue, x >= maxValue { return 0 }
        return 1
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        LayerOutput(input.map(value), mask: mask)
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        records.append(input)
        return try forward(input, mask: mask, training: training)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let input = try popRecord(&records, layer: name)
        let g = try gradient(outputGradients, 0, shape: input.shape)
        return LayerGradients(input: try g.combined(with: input.map(slope), *))
    }

    public func clearRecords() { records.removeAll() }
}

/// The leaky rectifier (Keras' `LeakyReLU`): `x` above zero, `negativeSlope * x` below.
public final class LeakyReLU<Scalar: TensorScalar>: ReLU<Scalar> {
    /// Creates the layer; Keras' default slope is 0.3.
    ///
    /// - Throws: ``LayerError`` for a negative slope.
    public init(negativeSlope: Scalar = 0.3, name: String? = nil) throws {
        try super.init(negativeSlope: negativeSlope, name: name ?? "leaky_re_lu")
    }
}

extension ReLU {
    public var stepScope: StepScope { .eachStep }
}
