/// What a layer returns: its outputs (the first is the main one) and the mask
/// that goes on with the main output.
public struct LayerOutput<Scalar: TensorScalar>: Sendable {
    /// The outputs; most layers have one. A recurrent layer with `returnState`
    /// adds its final states after the output.
    public var outputs: [Tensor<Scalar>]
    /// The mask for the main output, or `nil`.
    public var mask: Tensor<Bool>?

    /// Creates a layer result.
    public init(outputs: [Tensor<Scalar>], mask: Tensor<Bool>? = nil) {
        self.outputs = outputs
        self.mask = mask
    }

    /// Creates a result with one output.
    public init(_ output: Tensor<Scalar>, mask: Tensor<Bool>? = nil) {
        self.init(outputs: [output], mask: mask)
    }

    /// The main output.
    public var output: Tensor<Scalar> { outputs[0] }
}

/// A Keras layer: weights, a shape rule and a call.
///
/// Layers are reference types, as in Keras: a model holds its layers, and
/// training or a stateful call updates them in place. A layer is used from one
/// task at a time.
public protocol Layer<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar

    /// The layer's name, unique within a model.
    var name: String { get set }

    /// Whether the weights exist.
    var isBuilt: Bool { get }

    /// Creates the weights for inputs of the given shape (`nil` for an unknown batch or length).
    ///
    /// - Throws: ``LayerError`` when the shape does not suit the layer.
    func build(inputShape: [Int?]) throws

    /// The shape of the main output for an input shape (`nil` for unknown extents).
    ///
    /// - Throws: ``LayerError`` when the shape does not suit the layer.
    func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?]

    /// The shapes of all outputs (the main one first; recurrent layers with
    /// `returnState` add their states).
    ///
    /// - Throws: ``LayerError`` when the shape does not suit the layer.
    func outputShapes(forInputShape inputShape: [Int?]) throws -> [[Int?]]

    /// Whether training updates the layer's weights (Keras' `trainable`). A frozen layer
    /// still passes gradients to the layers before it; its weight penalties leave the loss and
    /// a frozen `BatchNormalization` normalizes with its moving statistics, as in Keras 3.
    var trainable: Bool { get set }

    /// The Keras class name of the layer (`GRU`, `Dense`, ...).
    var typeName: String { get }

    /// The weights in Keras' `get_weights()` order.
    var weights: [Tensor<Scalar>] { get }

    /// How many of ``weights``, from the first, training updates through the optimizer; the
    /// rest (a BatchNormalization's moving statistics) the layer updates itself. Backward
    /// passes give gradients for these only.
    var trainableWeightCount: Int { get }

    /// Which of ``weights`` training updates through the optimizer (Keras' `trainable_weights`),
    /// aligned with them: by default the first ``trainableWeightCount``; a ``ModelLayer``'s
    /// trainable weights sit among its inner layers' others.
    var trainableWeightMask: [Bool] { get }

    /// Replaces the weights, in Keras' `get_weights()` order; builds the layer first if needed
    /// and possible.
    ///
    /// - Throws: ``LayerError`` when the count or a shape does not fit.
    func setWeights(_ weights: [Tensor<Scalar>]) throws

    /// Runs the layer on one input and its optional mask.
    ///
    /// - Throws: ``LayerError`` for inputs or masks the layer cannot take.
    func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar>

    /// Runs the layer from initial states given by other layers (Keras' `initial_state`);
    /// layers without states take none.
    ///
    /// - Throws: ``LayerError`` for inputs or states the layer cannot take.
    func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar>

    /// Runs the layer and records what ``backward(_:)`` needs.
    ///
    /// Records stack up: each ``backward(_:)`` consumes the most recent one, so a layer
    /// called twice in a model is backpropagated in reverse call order.
    /// - Parameters:
    ///   - initialState: Initial states for recurrent layers (empty otherwise).
    ///   - training: Applies dropout when `true`.
    /// - Throws: ``LayerError`` for inputs the layer cannot take, or when it cannot be trained.
    func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar>

    /// Backpropagates through the most recent recorded call.
    ///
    /// - Parameter outputGradients: dL/d(output) for each output; `nil` for an unused one.
    /// - Throws: ``LayerError`` when there is no record or a gradient's shape does not fit.
    func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar>

    /// ``backward(_:)``, skipping the input gradient when the caller has no use for it
    /// (the layer reads a model input); layers that cannot skip it compute it anyway.
    func backward(_ outputGradients: [Tensor<Scalar>?], needsInputGradient: Bool) throws -> LayerGradients<Scalar>

    /// Forgets recorded calls that will not be backpropagated.
    func clearRecords()

    /// The regularizer of each weight, aligned with ``weights``.
    var weightRegularizers: [Regularizer?] { get }

    /// The constraint of each weight, aligned with ``weights``.
    var weightConstraints: [Constraint?] { get }

    /// The activity penalty of the most recent recorded call (already divided by the batch size).
    var activityLoss: Scalar { get }

    /// Creates the weights for a call on several inputs (merge layers); one-input layers
    /// take exactly one shape.
    ///
    /// - Throws: ``LayerError`` when the shapes do not suit the layer.
    func build(inputShapes: [[Int?]]) throws

    /// The shapes of all outputs for a call on several inputs (merge layers).
    ///
    /// - Throws: ``LayerError`` when the shapes do not suit the layer.
    func outputShapes(forInputShapes inputShapes: [[Int?]]) throws -> [[Int?]]

    /// Runs the layer on several inputs (merge layers such as `Add` or `Concatenate`); a
    /// one-input layer takes exactly one.
    ///
    /// - Throws: ``LayerError`` for inputs or masks the layer cannot take.
    func forward(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar>

    /// ``forward(_:masks:training:)`` recording what ``backward(_:)`` needs; the gradients of
    /// the inputs after the first come back in ``LayerGradients/otherInputs``.
    ///
    /// - Throws: ``LayerError`` for inputs the layer cannot take, or when it cannot be trained.
    func forwardRecording(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar>

    /// Whether the layer keeps state from one call to the next (Keras' `stateful`).
    var isStateful: Bool { get }

    /// Zeroes the kept state of a stateful layer (Keras' `reset_states()`); nothing otherwise.
    func resetStates()

    /// Where the layer's random draws (dropout masks, noise) stand, as words, its sublayers'
    /// included; empty for a layer that draws none. A training backup keeps it, so that a run
    /// resumed from the backup draws what the uninterrupted run would.
    var randomState: [UInt64] { get }

    /// Puts back a ``randomState``, taking the layer's words from the front of `state`.
    ///
    /// - Throws: ``LayerError`` when `state` runs out or holds a position no generator reaches.
    func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws

    /// How the layer treats the steps axis of `(batch, steps, ...)` inputs: whether a
    /// ``StreamingSession`` can run it on a chunk of steps at a time. The default,
    /// ``StepScope/acrossSteps(_:)``, is the safe one for a layer that says nothing.
    var stepScope: StepScope { get }
}

/// How a layer treats the steps axis, for running a model a chunk of steps at a time.
public enum StepScope: Sendable, Equatable {
    /// Each step's output depends on that step alone (Dense, activations, dropout).
    case eachStep
    /// The layer carries state from one step to the next (recurrent layers): a stream keeps
    /// it between chunks.
    case recurrent
    /// The layer reads across steps (a convolution, a backward reader): a stream refuses it
    /// where its input has steps, saying why.
    case acrossSteps(String)
}

extension Layer {
    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        guard initialState.isEmpty else { throw LayerError(.unsupported, "layer '\(name)' (\(typeName)) takes no initial state") }
        return try forward(input, mask: mask, training: training)
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        throw unsupportedTraining()
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        throw unsupportedTraining()
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?], needsInputGradient: Bool) throws -> LayerGradients<Scalar> {
        try backward(outputGradients)
    }

    public func clearRecords() {}

    public var weightRegularizers: [Regularizer?] { weights.map { _ in nil } }

    public var weightConstraints: [Constraint?] { weights.map { _ in nil } }

    public var activityLoss: Scalar { 0 }

    public var isStateful: Bool { false }

    public var trainableWeightCount: Int { weights.count }

    public var trainableWeightMask: [Bool] {
        let count = trainableWeightCount
        return weights.indices.map { $0 < count }
    }

    /// The indices of the weights the optimizer updates: none of a frozen layer.
    var updatedWeightIndices: [Int] {
        guard trainable else { return [] }
        return trainableWeightMask.indices.filter { trainableWeightMask[$0] }
    }

    /// The indices of the weights a trainable layer keeps up itself (moving statistics).
    var keptWeightIndices: [Int] {
        guard trainable else { return [] }
        return trainableWeightMask.indices.filter { !trainableWeightMask[$0] }
    }

    public func build(inputShapes: [[Int?]]) throws {
        try build(inputShape: try onlyInput(inputShapes))
    }

    public func outputShapes(forInputShapes inputShapes: [[Int?]]) throws -> [[Int?]] {
        try outputShapes(forInputShape: try onlyInput(inputShapes))
    }

    public func forward(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        try forward(try onlyInput(inputs), mask: masks.first ?? nil, training: training)
    }

    public func forwardRecording(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        try forwardRecording(try onlyInput(inputs), mask: masks.first ?? nil, initialState: [], training: training)
    }

    /// The one input of a one-input layer.
    func onlyInput<T>(_ inputs: [T]) throws -> T {
        guard inputs.count == 1, let input = inputs.first else {
            throw LayerError(.invalidArgument, "layer '\(name)' takes one input, got \(inputs.count)")
        }
        return input
    }

    /// Calls the layer on one input, as Keras' `layer(x)`: the main output (a recurrent layer's
    /// states aside; its own `callAsFunction` returns them too).
    ///
    /// - Throws: ``LayerError`` for an input the layer cannot take.
    public func callAsFunction(_ input: Tensor<Scalar>, training: Bool = false) throws -> Tensor<Scalar> {
        try forward(input, mask: nil, training: training).output
    }

    /// Calls a layer of several inputs (a merge or attention layer), as Keras' `layer([a, b])`.
    ///
    /// - Throws: ``LayerError`` for inputs the layer cannot take.
    public func callAsFunction(_ inputs: [Tensor<Scalar>], training: Bool = false) throws -> Tensor<Scalar> {
        try forward(inputs, masks: inputs.map { _ in nil }, training: training).output
    }

    public func resetStates() {}

    public var randomState: [UInt64] { [] }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {}

    public var stepScope: StepScope { .acrossSteps("reads across steps or is not known to act on each step alone") }

    public func outputShapes(forInputShape inputShape: [Int?]) throws -> [[Int?]] {
        [try outputShape(forInputShape: inputShape)]
    }

    /// The Swift type name without its generic argument: `GRU<Float>` is `GRU`.
    public var typeName: String {
        let full = String(describing: type(of: self))
        return String(full.prefix { $0 != "<" })
    }

    /// The number of scalars in the weights.
    public var parameterCount: Int { weights.reduce(0) { $0 + $1.scalarCount } }

    /// Checks a weight list against expected shapes, naming the first mismatch.
    func checkWeights(_ given: [Tensor<Scalar>], expected: [[Int]]) throws {
        guard given.count == expected.count else {
            throw LayerError(.invalidWeights, "layer '\(name)' expects \(expected.count) weights, got \(given.count)")
        }
        for (index, (tensor, shape)) in zip(given, expected).enumerated() where tensor.shape != shape {
            throw LayerError(.invalidWeights, "layer '\(name)' weight \(index) must have shape \(shape), got \(tensor.shape)")
        }
    }
}

/// Turns a concrete tensor shape into the optional form that ``Layer/build(inputShape:)`` takes.
func optionalShape(_ shape: [Int]) -> [Int?] { shape.map { Optional($0) } }

/// Checks a dropout-style rate.
func checkRate(_ rate: Double, _ argument: String, layer: String) throws {
    guard rate >= 0, rate < 1, rate.isFinite else {
        throw LayerError(.invalidArgument, "\(layer): \(argument) must be in [0, 1), got \(rate)")
    }
}

extension RandomGenerator {
    /// The generator whose ``state`` the first four words of `state` hold, which it takes.
    static func restored(from state: inout ArraySlice<UInt64>, for layer: String) throws -> RandomGenerator {
        guard let generator = RandomGenerator(state: state.prefix(4)) else {
            throw LayerError(.invalidArgument, "the saved random state has no valid position for '\(layer)': it was saved for another model")
        }
        state.removeFirst(4)
        return generator
    }
}

/// Draws an inverted-dropout mask: each entry is `0` with probability `rate`,
/// else `1 / (1 - rate)`.
func dropoutMask<Scalar: TensorScalar>(shape: [Int], rate: Double, generator: inout RandomGenerator) -> Tensor<Scalar> {
    let keep = Scalar(1 / (1 - rate))
    return randomTensor(shape: shape, generator: &generator) { $0.nextUniform() < rate ? 0 : keep }
}

/// The rows of a global batch this process computes in data-parallel training
/// (``Trainer/gradientReducer``): random masks and noise are drawn for the whole batch and
/// the share's rows kept, so that every process draws what one process would, and the
/// generators of all processes stay in step.
struct BatchShare: Sendable {
    /// The first row of the share, its rows, and the rows of the whole batch.
    let offset: Int, rows: Int, total: Int
    @TaskLocal static var current: BatchShare?

    /// Whether `rows` fits a model's or a stateful layer's declared batch size: equal to it,
    /// or this process's share of a batch of that size.
    static func fits(_ rows: Int, declared: Int) -> Bool {
        rows == declared || current.map { $0.total == declared && $0.rows == rows } ?? false
    }
}

/// A tensor of `shape` (batch first, or the batch's values flattened first) filled by `draw`
/// in order, for the rows of ``BatchShare/current`` when one is set.
func randomTensor<Scalar: TensorScalar>(
    shape: [Int], generator: inout RandomGenerator, draw: (inout RandomGenerator) -> Scalar
) -> Tensor<Scalar> {
    var tensor = Tensor<Scalar>(zeros: shape)
    let count = tensor.scalarCount
    let share = BatchShare.current.flatMap { $0.rows > 0 && count % $0.rows == 0 && $0.total > $0.rows ? $0 : nil }
    tensor.withUnsafeMutableBufferPointer { buffer in
        guard let share else {
            for i in buffer.indices { buffer[i] = draw(&generator) }
            return
        }
        let perRow = count / share.rows, first = share.offset * perRow
        for i in 0..<(share.total * perRow) {
            let value = draw(&generator)
            if i >= first, i < first + count { buffer[i - first] = value }
        }
    }
    return tensor
}
