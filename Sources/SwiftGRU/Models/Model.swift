/// A model: layers wired from inputs to outputs (``Sequential``, ``Functional``, or a type
/// of your own that describes itself as a ``ModelGraph``).
public protocol Model<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar

    var name: String { get }
    /// The layers, each once, in the order Keras lists them (inputs excluded).
    var layers: [any Layer<Scalar>] { get }
    /// The shape of each input, batch axis first (`nil` where any extent is accepted).
    var inputShapes: [[Int?]] { get }
    /// The name of each output, in output order.
    var outputNames: [String] { get }

    /// Runs the model on one batch (Keras' `predict_on_batch`).
    ///
    /// - Parameters:
    ///   - inputs: One tensor per input.
    ///   - training: Applies dropout when `true`.
    /// - Returns: One tensor per output.
    /// - Throws: ``LayerError`` when an input does not fit.
    func predictOnBatch(_ inputs: [Tensor<Scalar>], training: Bool) throws -> [Tensor<Scalar>]

    /// Zeroes the states of every stateful layer.
    func resetStates()

    /// The model as a graph of layer calls: how training, summaries and saving read it.
    ///
    /// - Throws: ``LayerError`` when the model cannot be described as one.
    var graph: ModelGraph<Scalar> { get throws }

    /// Layers that Keras computes under another dtype policy than `float32`
    /// (`mixed_float16`, `float64`), by layer name. They compute in `Scalar` here; the policy is
    /// kept so that a saved model declares it as Keras did.
    var dtypePolicies: [String: String] { get }
}

extension Model {
    public var dtypePolicies: [String: String] { [:] }

    /// The number of scalars in all weights.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// Whether some layer keeps state between calls.
    public var isStateful: Bool { layers.contains { $0.isStateful } }

    /// Where the random draws of every layer stand (``Layer/randomState``), in layer order.
    public var randomState: [UInt64] { layers.flatMap(\.randomState) }

    /// Puts back a ``randomState`` of this model.
    ///
    /// - Throws: ``LayerError`` when `state` was not saved for a model of these layers.
    public func restoreRandomState(_ state: [UInt64]) throws {
        var rest = state[...]
        for layer in layers { try layer.restoreRandomState(&rest) }
        guard rest.isEmpty else {
            throw LayerError(.invalidArgument, "the saved random state holds \(rest.count) more words than the model's layers draw with: it was saved for another model")
        }
    }

    /// The batch size every call must have: the declared one (Keras' `batch_shape`) of a
    /// stateful model. As in Keras, a stateless model takes batches of any size whatever
    /// its input declares.
    public var boundBatchSize: Int? { isStateful ? inputShapes.first?.first ?? nil : nil }

    /// Runs the model over all samples in batches, as Keras' `model.predict` does:
    /// a stateful model carries its state from one batch to the next.
    ///
    /// - Parameters:
    ///   - inputs: One tensor per input, samples along the first axis.
    ///   - batchSize: Samples per batch; defaults to 32, or to the model's fixed batch size.
    /// - Returns: One tensor per output, the batches joined again.
    /// - Throws: ``LayerError`` for inputs that do not fit or a batch size that
    ///   contradicts the model's fixed one.
    public func predict(_ inputs: [Tensor<Scalar>], batchSize: Int?) throws -> [Tensor<Scalar>] {
        var pieces = [[Tensor<Scalar>]]()
        try predict(inputs.map { $0 as any BatchSource<Scalar> }, batchSize: batchSize) { _, outputs in pieces.append(outputs) }
        return try (0..<(pieces.first?.count ?? 0)).map { k in
            try Tensor.concatenate(pieces.map { $0[k] }, alongAxis: 0)
        }
    }

    /// Runs a model of one input and one output over all samples in batches (Keras'
    /// `model.predict(x)`).
    ///
    /// - Parameters:
    ///   - input: The samples along the first axis.
    ///   - batchSize: Samples per batch; defaults to 32, or to the model's fixed batch size.
    /// - Returns: The output, the batches joined again.
    /// - Throws: ``LayerError`` for a model of several inputs or outputs (use the array form),
    ///   and as ``predict(_:batchSize:)->[Tensor<Self.Scalar>]``.
    public func predict(_ input: Tensor<Scalar>, batchSize: Int? = nil) throws -> Tensor<Scalar> {
        guard inputShapes.count == 1, outputNames.count == 1 else {
            throw LayerError(.invalidArgument, "model '\(name)' has \(inputShapes.count) inputs and \(outputNames.count) outputs; give and take arrays of tensors")
        }
        return try predict([input], batchSize: batchSize)[0]
    }

    /// Runs the model over samples read a batch at a time, handing each batch's outputs to
    /// `body` rather than keeping them, so that memory stays at the model and a few batches
    /// whatever the number of samples (a file larger than memory, read by a `NumPyFile`).
    ///
    /// - Parameters:
    ///   - inputs: One source per input, all with the same number of samples.
    ///   - batchSize: Samples per batch; defaults to 32, or to a stateful model's fixed batch size.
    ///   - body: Called with each batch's sample range and its outputs, in order.
    /// - Throws: ``LayerError`` for inputs that do not fit or a batch size that contradicts the
    ///   model's fixed one, and what reading a source or `body` throws.
    public func predict(
        _ inputs: [any BatchSource<Scalar>], batchSize: Int?, body: (_ samples: Range<Int>, _ outputs: [Tensor<Scalar>]) throws -> Void
    ) throws {
        guard let count = inputs.first?.sampleCount, inputs.allSatisfy({ $0.sampleCount == count }) else {
            throw LayerError(.invalidInputShape, "model '\(name)': every input needs the same number of samples (first axis)")
        }
        if let batchSize, batchSize <= 0 {
            throw LayerError(.invalidArgument, "model '\(name)': the batch size must be positive, got \(batchSize)")
        }
        let fixed = boundBatchSize
        if let fixed {
            if let batchSize, batchSize != fixed {
                throw LayerError(.invalidArgument, "model '\(name)' has a fixed batch size of \(fixed); a batch size of \(batchSize) does not fit")
            }
            guard count % fixed == 0 else {
                throw LayerError(.invalidInputShape, "model '\(name)' has a fixed batch size of \(fixed); \(count) samples are not a multiple of it")
            }
        }
        let batch = fixed ?? batchSize ?? 32
        for start in stride(from: 0, to: count, by: batch) {
            let range = start..<Swift.min(start + batch, count)
            try body(range, try predictOnBatch(inputs.map { try $0.samples(in: range) }, training: false))
        }
    }

    /// Checks `inputs` against ``inputShapes``, naming the first mismatch.
    func checkInputs(_ inputs: [Tensor<Scalar>]) throws {
        guard inputs.count == inputShapes.count else {
            throw LayerError(.invalidInputShape, "model '\(name)' expects \(inputShapes.count) input(s), got \(inputs.count)")
        }
        let bindsBatch = isStateful
        for (index, (input, expected)) in zip(inputs, inputShapes).enumerated() {
            // A declared batch size binds a stateful model only (as in Keras), and also takes this
            // process's share of such a batch (data-parallel training).
            let fits = input.rank == expected.count && zip(input.shape, expected).enumerated().allSatisfy { axis, pair in
                guard let declared = pair.1 else { return true }
                guard axis == 0 else { return pair.0 == declared }
                return !bindsBatch || BatchShare.fits(pair.0, declared: declared)
            }
            guard fits else {
                throw LayerError(.invalidInputShape, "model '\(name)' input \(index) must have shape \(describe(expected)), got \(input.shape)")
            }
        }
    }
}

/// Resets the states of the recurrent layers among `layers`.
func resetRecurrentStates<Scalar: TensorScalar>(_ layers: [any Layer<Scalar>]) {
    for layer in layers { layer.resetStates() }
}
