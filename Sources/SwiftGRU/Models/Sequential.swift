/// A stack of layers, each feeding the next (Keras' `keras_model_sequential()`).
///
/// ```swift
/// let model = try Sequential<Float>(inputShape: [10, 8])
/// try model.add(GRU(units: 16, returnSequences: true))
/// try model.add(GRU(units: 4))
/// try model.add(Dense(units: 1))
/// let y = try model(x)   // (batch, 1)
/// ```
public final class Sequential<Scalar: TensorScalar>: Model {
    /// The layers in order.
    public private(set) var layers: [any Layer<Scalar>] = []
    /// The input shape without the batch axis, if declared.
    public let inputShape: [Int?]?
    /// The Keras dtype the input is declared with (see ``Functional/Input/dtype``).
    public var inputDType = DType.float32
    /// The name of the model's input (Keras' `InputLayer`), kept so that a saved model names it as Keras did.
    public var inputName = "input_layer"
    /// The fixed batch size, if declared (needed by stateful layers).
    public let batchSize: Int?
    /// Layers Keras computes under another dtype policy, by name (see ``Model/dtypePolicies``).
    public var dtypePolicies: [String: String] = [:]
    public var name: String

    /// Creates a model.
    ///
    /// - Parameters:
    ///   - inputShape: The shape of one sample (Keras' `input_shape`); when given, layers
    ///     are built as they are added.
    ///   - batchSize: A fixed batch size (Keras' `batch_input_shape`), required by stateful layers.
    ///   - layers: Layers to add in order.
    /// - Throws: ``LayerError`` when a layer does not fit the shape before it.
    public init(inputShape: [Int?]? = nil, batchSize: Int? = nil, layers: [any Layer<Scalar>] = [], name: String = "sequential") throws {
        self.inputShape = inputShape
        self.batchSize = batchSize
        self.name = name
        for layer in layers { try add(layer) }
    }

    /// The output shape of the last layer, with the batch axis (`nil` where unknown).
    public var outputShape: [Int?]? {
        guard let inputShape else { return nil }
        var shape: [Int?] = [batchSize] + inputShape
        for layer in layers {
            guard let next = try? layer.outputShape(forInputShape: shape) else { return nil }
            shape = next
        }
        return shape
    }

    /// Appends a layer, naming it uniquely (`gru`, `gru_1`, ...) and building it when the
    /// input shape is known.
    ///
    /// - Throws: ``LayerError`` when the layer does not fit the shape before it.
    public func add(_ layer: any Layer<Scalar>) throws {
        var shape = outputShape
        if inputShape != nil, shape == nil {
            throw LayerError(.invalidInputShape, "\(name): the layers before '\(layer.name)' do not produce a known shape")
        }
        layer.name = UniqueName.make(layer.name, avoiding: Set(layers.map { $0.name }))
        if let known = shape {
            try layer.build(inputShape: known)
            shape = try layer.outputShape(forInputShape: known)
        }
        layers.append(layer)
    }

    /// Runs the model.
    ///
    /// - Parameters:
    ///   - input: A batch of samples.
    ///   - mask: An optional `(batch, steps)` mask for the first layer.
    ///   - training: Applies dropout when `true`.
    /// - Returns: The last layer's output.
    /// - Throws: ``LayerError`` when the input does not fit the model or a layer has several outputs.
    public func callAsFunction(_ input: Tensor<Scalar>, mask: Tensor<Bool>? = nil, training: Bool = false) throws -> Tensor<Scalar> {
        if let inputShape {
            let sample = Array(input.shape.dropFirst())
            let fits = sample.count == inputShape.count && zip(sample, inputShape).allSatisfy { $1 == nil || $0 == $1 }
            guard fits else {
                throw LayerError(.invalidInputShape, "\(name): expects input of shape \(describe([batchSize] + inputShape)), got \(input.shape)")
            }
        }
        if let batchSize, isStateful, input.shape.first != batchSize {
            throw LayerError(.invalidInputShape, "\(name): the model has a fixed batch size of \(batchSize); got input of shape \(input.shape)")
        }
        var value = LayerOutput(input, mask: mask)
        for layer in layers {
            value = try layer.forward(value.output, mask: value.mask, training: training)
            guard value.outputs.count == 1 else {
                throw LayerError(.unsupported, "\(name): layer '\(layer.name)' returns \(value.outputs.count) tensors; every layer of a Sequential model must return one (turn off return_state)")
            }
        }
        return value.output
    }

    /// All weights, layer by layer, in Keras' `get_weights()` order.
    public var weights: [Tensor<Scalar>] { layers.flatMap { $0.weights } }

    /// Replaces all weights, layer by layer.
    ///
    /// - Throws: ``LayerError`` when the count or a shape does not fit.
    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        var start = 0
        for layer in layers {
            let count = layer.weights.count
            guard start + count <= weights.count else {
                throw LayerError(.invalidWeights, "\(name): expects \(self.weights.count) weights, got \(weights.count)")
            }
            try layer.setWeights(Array(weights[start..<(start + count)]))
            start += count
        }
        guard start == weights.count else {
            throw LayerError(.invalidWeights, "\(name): expects \(start) weights, got \(weights.count)")
        }
    }

    public func resetStates() { resetRecurrentStates(layers) }

    public var inputShapes: [[Int?]] {
        guard let inputShape else { return [] }
        return [[batchSize] + inputShape]
    }

    public var outputNames: [String] { layers.last.map { [$0.name] } ?? [] }

    public func predictOnBatch(_ inputs: [Tensor<Scalar>], training: Bool = false) throws -> [Tensor<Scalar>] {
        guard inputs.count == 1 else {
            throw LayerError(.invalidInputShape, "\(name): a Sequential model takes one input, got \(inputs.count)")
        }
        return [try self(inputs[0], training: training)]
    }
}
