/// Looks up a vector for each integer index (Keras' `Embedding`).
///
/// Indices arrive as floating-point values holding whole numbers. With
/// `maskZero`, index 0 is padding and the layer emits a mask.
public final class Embedding<Scalar: TensorScalar>: Layer {
    /// The number of distinct indices.
    public let inputDim: Int
    /// The size of each vector.
    public let outputDim: Int
    /// Whether index 0 marks padding.
    public let maskZero: Bool
    public let embeddingsInitializer: Initializer
    public let embeddingsRegularizer: Regularizer?
    public let embeddingsConstraint: Constraint?
    /// The penalty of the looked-up vectors, per sample (Keras' `activity_regularizer`).
    public var activityRegularizer: Regularizer?
    /// The activity penalty of the most recent recorded call.
    public internal(set) var activityLoss: Scalar = 0
    public var name: String
    public var trainable = true
    /// The table `(inputDim, outputDim)`, once built.
    public private(set) var embeddings: Tensor<Scalar>?
    /// Recorded calls: the indices.
    var records: [Tensor<Scalar>] = []

    /// Creates an embedding layer.
    ///
    /// - Throws: ``LayerError`` when `inputDim` or `outputDim` is not positive.
    public init(
        inputDim: Int, outputDim: Int, embeddingsInitializer: Initializer = .randomUniform(),
        embeddingsRegularizer: Regularizer? = nil, embeddingsConstraint: Constraint? = nil,
        maskZero: Bool = false, name: String? = nil
    ) throws {
        guard inputDim > 0, outputDim > 0 else {
            throw LayerError(.invalidArgument, "Embedding: input_dim and output_dim must be positive, got \(inputDim) and \(outputDim)")
        }
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.maskZero = maskZero
        self.embeddingsInitializer = embeddingsInitializer
        self.embeddingsRegularizer = embeddingsRegularizer
        self.embeddingsConstraint = embeddingsConstraint
        self.name = name ?? "embedding"
    }

    public var isBuilt: Bool { embeddings != nil }

    public func build(inputShape: [Int?]) throws {
        if embeddings == nil { embeddings = try embeddingsInitializer.makeTensor(shape: [inputDim, outputDim]) }
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape + [outputDim] }

    public var weights: [Tensor<Scalar>] { embeddings.map { [$0] } ?? [] }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        try checkWeights(weights, expected: [[inputDim, outputDim]])
        embeddings = weights[0]
    }

    // Specialized: the layer is called through its protocol, which would run generic code.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try build(inputShape: optionalShape(input.shape))
        guard let table = embeddings?.scalars else { return LayerOutput(input) }
        let indices = input.scalars, width = outputDim
        if let value = indices.first(where: { !($0.rounded() == $0 && $0 >= 0 && $0 < Scalar(inputDim)) }) {
            throw LayerError(.invalidInputShape, "\(name): index \(value) is not a whole number in [0, \(inputDim))")
        }
        let values = [Scalar](unsafeUninitializedCapacity: indices.count * width) { buffer, initialized in
            table.withUnsafeBufferPointer { table in
                guard let rows = table.baseAddress, let target = buffer.baseAddress else { return }
                for (position, index) in indices.enumerated() {
                    (target + position * width).initialize(from: rows + Int(index) * width, count: width)
                }
            }
            initialized = indices.count * width
        }
        let output = try Tensor(shape: input.shape + [outputDim], scalars: values)
        return LayerOutput(output, mask: maskZero ? input.map { $0 != 0 } : mask)
    }
}

extension Embedding {
    public var stepScope: StepScope { .eachStep }
}
