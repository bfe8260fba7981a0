/// What a layer's backward pass returns.
public struct LayerGradients<Scalar: TensorScalar>: Sendable {
    /// dL/d(input), or `nil` when the input is not differentiable (an Embedding's indices).
    public var input: Tensor<Scalar>?
    /// For layers called on several inputs (merge layers): dL/d(input) of the inputs after
    /// the first, in order.
    public var otherInputs: [Tensor<Scalar>?] = []
    /// dL/d(initial state) for recurrent layers that were given initial states.
    public var initialStates: [Tensor<Scalar>]
    /// Each weight's gradient, aligned with ``Layer/weights``: what ``weights``,
    /// ``sliceSquares`` and ``sliceAbsolutes`` read, kept as rows where only some are nonzero.
    package var weightGradients: [WeightGradient<Scalar>]

    /// dL/d(weight), aligned with ``Layer/weights``.
    public var weights: [Tensor<Scalar>] { weightGradients.map(\.dense) }
    /// For weights whose gradient TensorFlow keeps as one slice per lookup (an
    /// Embedding's table, `tf.IndexedSlices`): the sum over lookups of each slice's
    /// squares. Keras squares those slices before adding them up, in `clipnorm`,
    /// `global_clipnorm` and the second moments of Adam, RMSprop and Adagrad.
    /// Aligned with ``weights``; `nil` for ordinary dense gradients.
    public var sliceSquares: [Tensor<Scalar>?] { weightGradients.map(\.denseSliceSquares) }
    /// For the same weights: the sum over lookups of each slice's absolute values, which
    /// Adamax's infinity norm takes before the slices are added up. Aligned with ``weights``.
    public var sliceAbsolutes: [Tensor<Scalar>?] { weightGradients.map(\.denseSliceAbsolutes) }

    public init(
        input: Tensor<Scalar>?, initialStates: [Tensor<Scalar>] = [], weights: [Tensor<Scalar>] = [],
        sliceSquares: [Tensor<Scalar>?]? = nil, sliceAbsolutes: [Tensor<Scalar>?]? = nil
    ) {
        self.input = input
        self.initialStates = initialStates
        weightGradients = weights.enumerated().map { k, gradient in
            WeightGradient(
                gradient, sliceSquares: sliceSquares.flatMap { k < $0.count ? $0[k] : nil },
                sliceAbsolutes: sliceAbsolutes.flatMap { k < $0.count ? $0[k] : nil })
        }
    }

    /// Gradients kept as they are (rows where only some are nonzero).
    package init(input: Tensor<Scalar>?, initialStates: [Tensor<Scalar>] = [], weightGradients: [WeightGradient<Scalar>]) {
        self.input = input
        self.initialStates = initialStates
        self.weightGradients = weightGradients
    }
}

/// A layer whose output is an activation that a crossentropy loss can skip
/// (Keras computes crossentropy from the logits of a final sigmoid or softmax).
protocol LogitsProducing<Scalar> {
    associatedtype Scalar: TensorScalar
    /// The activation applied last.
    var outputActivation: Activation { get }
    /// The pre-activation values of the most recent recorded call.
    var recordedLogits: Tensor<Scalar>? { get }
    /// Backward from dL/d(logits), consuming the most recent record.
    func backward(logitsGradient: Tensor<Scalar>) throws -> LayerGradients<Scalar>
}

extension Layer {
    func unsupportedTraining() -> LayerError {
        LayerError(.unsupported, "layer '\(name)' (\(typeName)) does not support training")
    }

    /// The gradient for output `index`, zeros of `shape` when none was given.
    func gradient(_ gradients: [Tensor<Scalar>?], _ index: Int, shape: [Int]) throws -> Tensor<Scalar> {
        if index < gradients.count, let g = gradients[index] {
            guard g.shape == shape else {
                throw LayerError(.invalidInputShape, "layer '\(name)': output gradient \(index) must have shape \(shape), got \(g.shape)")
            }
            return g
        }
        return Tensor(zeros: shape)
    }
}

/// Pops the most recent record of a layer, naming the layer when there is none.
func popRecord<T>(_ records: inout [T], layer: String) throws -> T {
    guard let record = records.popLast() else {
        throw LayerError(.unsupported, "layer '\(layer)': backward without a recorded forward pass")
    }
    return record
}

/// A bias's gradient: the output gradient summed over every position but the last axis,
/// which has `width` entries.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func biasGradient<Scalar: TensorScalar>(_ outputGradient: Tensor<Scalar>, width: Int) throws -> Tensor<Scalar> {
    var sums = [Scalar](repeating: 0, count: width)
    guard width > 0 else { return try Tensor(shape: [width], scalars: sums) }
    sums.withUnsafeMutableBufferPointer { sums in
        outputGradient.withUnsafeBufferPointer { values in
            // Row by row, each column summed from the first row down.
            for row in 0..<(values.count / width) { for j in 0..<width { sums[j] += values[row * width + j] } }
            for i in (values.count / width * width)..<values.count { sums[i % width] += values[i] }
        }
    }
    return try Tensor(shape: [width], scalars: sums)
}

/// A layer whose backward pass needs only its input: it records the input of each call.
protocol RecordsInputs: Layer {
    /// The inputs of the recorded calls, the latest last.
    var records: [Tensor<Scalar>] { get set }
}

extension RecordsInputs {
    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let output = try forward(input, mask: mask, training: training)
        records.append(input)
        return output
    }

    public func clearRecords() { records.removeAll() }
}
