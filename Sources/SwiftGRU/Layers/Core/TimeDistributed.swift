/// Applies a layer to every timestep of a sequence (Keras' `TimeDistributed`).
public final class TimeDistributed<Scalar: TensorScalar>: Layer {
    /// The layer applied at each step.
    public let layer: any Layer<Scalar>
    public var name: String
    public var trainable: Bool { get { layer.trainable } set { layer.trainable = newValue } }
    /// Recorded calls: the input shape.
    var records: [[Int]] = []

    /// Wraps `layer`.
    public init(_ layer: any Layer<Scalar>, name: String? = nil) {
        self.layer = layer
        self.name = name ?? "time_distributed"
    }

    public var isBuilt: Bool { layer.isBuilt }

    public func build(inputShape: [Int?]) throws {
        guard inputShape.count >= 3 else {
            throw LayerError(.invalidInputShape, "\(name): expects input of rank 3 or more (batch, steps, ...), got shape \(describe(inputShape))")
        }
        try layer.build(inputShape: [nil] + inputShape.dropFirst(2))
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        guard inputShape.count >= 3 else {
            throw LayerError(.invalidInputShape, "\(name): expects input of rank 3 or more, got shape \(describe(inputShape))")
        }
        let inner = try layer.outputShape(forInputShape: [nil] + inputShape.dropFirst(2))
        return Array(inputShape.prefix(2)) + inner.dropFirst()
    }

    public var weights: [Tensor<Scalar>] { layer.weights }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try layer.setWeights(weights) }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        guard input.rank >= 3 else {
            throw LayerError(.invalidInputShape, "\(name): expects input of rank 3 or more (batch, steps, ...), got shape \(input.shape)")
        }
        let (batch, steps) = (input.shape[0], input.shape[1])
        let flat = try input.reshaped(to: [batch * steps] + input.shape.dropFirst(2))
        let inner = try layer.forward(flat, mask: nil, training: training).output
        let output = try inner.reshaped(to: [batch, steps] + inner.shape.dropFirst())
        return LayerOutput(output, mask: mask)
    }
}

extension TimeDistributed {
    public var stepScope: StepScope { .eachStep }

    public var randomState: [UInt64] { layer.randomState }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        try layer.restoreRandomState(&state)
    }
}
