/// A recurrent layer over any cell (Keras' `RNN`): walks the sequence,
/// applies the mask, keeps state between calls when stateful.
///
/// ``GRU`` is this layer over a ``GRUCell``, with a faster sequence path.
public class RNN<Scalar: TensorScalar>: Layer {
    /// The cell run at each step.
    public let cell: any RecurrentCell<Scalar>
    /// Return the output of every step, not only the last one.
    public let returnSequences: Bool
    /// Also return the final states.
    public let returnState: Bool
    /// Process the steps last to first; the returned sequence stays in processing order.
    public let goBackwards: Bool
    /// Keep the final states of each call as the initial states of the next.
    public let stateful: Bool
    /// Accepted for Keras compatibility; the computation is the same either way.
    public let unroll: Bool
    /// Inputs and sequence outputs are `(steps, batch, features)` (tf.keras 2's `time_major`).
    public let timeMajor: Bool
    /// Masked steps output zeros instead of repeating the previous output.
    public var zeroOutputForMask: Bool
    /// A penalty on the layer's output, applied by training.
    public let activityRegularizer: Regularizer?
    public var name: String
    public var trainable = true

    /// The states kept by a stateful layer (`nil` until it is built).
    public internal(set) var states: [Tensor<Scalar>]?
    /// The batch size a stateful layer is fixed to.
    public private(set) var fixedBatchSize: Int?
    /// Recorded training calls, most recent last.
    var records: [RecurrentRecord<Scalar>] = []
    public internal(set) var activityLoss: Scalar = 0

    /// Creates a recurrent layer over `cell`.
    ///
    /// - Parameter name: Defaults to `"rnn"`.
    public init(
        cell: any RecurrentCell<Scalar>,
        returnSequences: Bool = false,
        returnState: Bool = false,
        goBackwards: Bool = false,
        stateful: Bool = false,
        unroll: Bool = false,
        timeMajor: Bool = false,
        zeroOutputForMask: Bool = false,
        activityRegularizer: Regularizer? = nil,
        name: String? = nil
    ) {
        self.cell = cell
        self.returnSequences = returnSequences
        self.returnState = returnState
        self.goBackwards = goBackwards
        self.stateful = stateful
        self.unroll = unroll
        self.timeMajor = timeMajor
        self.zeroOutputForMask = zeroOutputForMask
        self.activityRegularizer = activityRegularizer
        self.name = name ?? "rnn"
    }

    /// Creates a recurrent layer over a stack of cells (Keras' `RNN(list(cells))`).
    ///
    /// - Throws: ``LayerError`` when `cells` is empty.
    public convenience init(
        cells: [any RecurrentCell<Scalar>],
        returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false,
        stateful: Bool = false, unroll: Bool = false, timeMajor: Bool = false, name: String? = nil
    ) throws {
        self.init(
            cell: try StackedRNNCells(cells), returnSequences: returnSequences, returnState: returnState,
            goBackwards: goBackwards, stateful: stateful, unroll: unroll, timeMajor: timeMajor, name: name)
    }

    public var isBuilt: Bool { cell.isBuilt && (!stateful || states != nil) }

    public func build(inputShape: [Int?]) throws {
        guard inputShape.count == 3 else {
            throw LayerError(.invalidInputShape, "\(name): expects input of rank 3 \(timeMajor ? "(steps, batch, features)" : "(batch, steps, features)"), got shape \(describe(inputShape))")
        }
        guard let features = inputShape[2], features > 0 else {
            throw LayerError(.invalidInputShape, "\(name): the feature size (last axis) must be known and positive, got shape \(describe(inputShape))")
        }
        if let built = cell.inputSize {
            guard built == features else {
                throw LayerError(.invalidInputShape, "\(name): expects \(built) features per step, got shape \(describe(inputShape))")
            }
        } else {
            try cell.build(inputSize: features)
        }
        if stateful {
            guard let batch = inputShape[timeMajor ? 1 : 0] else {
                throw LayerError(.statefulBatch, "\(name): a stateful layer needs a fixed batch size; give the batch size in the input shape")
            }
            if fixedBatchSize != batch || states == nil {
                fixedBatchSize = batch
                states = cell.initialState(batchSize: batch)
            }
        }
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        guard inputShape.count == 3 else {
            throw LayerError(.invalidInputShape, "\(name): expects input of rank 3, got shape \(describe(inputShape))")
        }
        let (batch, steps) = timeMajor ? (inputShape[1], inputShape[0]) : (inputShape[0], inputShape[1])
        guard returnSequences else { return [batch, cell.outputSize] }
        return timeMajor ? [steps, batch, cell.outputSize] : [batch, steps, cell.outputSize]
    }

    public func outputShapes(forInputShape inputShape: [Int?]) throws -> [[Int?]] {
        let output = try outputShape(forInputShape: inputShape)
        guard returnState else { return [output] }
        let batch = timeMajor ? inputShape[1] : inputShape[0]
        return [output] + cell.stateSize.map { [batch, $0] }
    }

    public var weights: [Tensor<Scalar>] { cell.weights }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try cell.setWeights(weights) }

    public var isStateful: Bool { stateful }

    /// Zeroes the states of a stateful layer (Keras' `reset_states()`).
    public func resetStates() {
        if let fixedBatchSize { states = cell.initialState(batchSize: fixedBatchSize) }
    }

    public var randomState: [UInt64] { cell.randomState }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        try cell.restoreRandomState(&state)
    }

    /// Sets the states of a stateful layer (tf.keras 2's `reset_states(states)`).
    ///
    /// - Throws: ``LayerError`` when the layer is not stateful or a shape does not fit.
    public func resetStates(to newStates: [Tensor<Scalar>]) throws {
        guard stateful else {
            throw LayerError(.unsupported, "\(name): reset_states(states) needs a stateful layer")
        }
        let batch = fixedBatchSize ?? newStates.first?.shape.first ?? 0
        try checkStates(newStates, batch: batch, what: "states")
        fixedBatchSize = batch
        states = newStates
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try forward(input, mask: mask, initialState: [], training: training)
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let result = try callAsFunction(input, mask: mask, training: training, initialState: initialState.isEmpty ? nil : initialState)
        return LayerOutput(outputs: result.all, mask: returnSequences ? mask : nil)
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        try recordForward(input, mask: mask, initialState: initialState, training: training)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        try backward(outputGradients, needsInputGradient: true)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?], needsInputGradient: Bool) throws -> LayerGradients<Scalar> {
        try recordedBackward(outputGradients, needsInputGradient: needsInputGradient)
    }

    public func clearRecords() { records.removeAll() }

    public var stepScope: StepScope {
        if goBackwards { return .acrossSteps("reads the sequence backwards") }
        if timeMajor { return .acrossSteps("reads time-major inputs") }
        return .recurrent
    }

    /// Runs the layer over a sequence.
    ///
    /// - Parameters:
    ///   - inputs: `(batch, steps, features)`, or `(steps, batch, features)` when time-major.
    ///   - mask: `(batch, steps)`; `false` skips a step (the state is carried over).
    ///   - training: Applies dropout when `true`.
    ///   - initialState: One `(batch, size)` tensor per state; wins over stored states.
    ///   - constants: Per-call tensors passed to every step, for cells that accept them.
    /// - Returns: The output, and the final states when `returnState`.
    /// - Throws: ``LayerError`` naming the input, mask, state or batch that does not fit.
    public func callAsFunction(
        _ inputs: Tensor<Scalar>, mask: Tensor<Bool>? = nil, training: Bool = false,
        initialState: [Tensor<Scalar>]? = nil, constants: [Tensor<Scalar>] = []
    ) throws -> RecurrentOutput<Scalar> {
        let start = try prepare(inputs, mask: mask, initialState: initialState, constants: constants)
        try cell.beginSequence(batchSize: start.first?.shape.first ?? 0, training: training)
        defer { cell.endSequence() }
        let (output, finalStates) = try runSequence(
            inputs, mask: mask, initialStates: start, constants: constants, training: training)
        if stateful { states = finalStates }
        return RecurrentOutput(output: output, states: returnState ? finalStates : [])
    }

    /// Runs the layer over a chunk of steps from `initialState` (a ``StreamingSession``): the
    /// output and the final states whatever ``returnState`` says; a stateful layer's own
    /// states are left alone.
    func runChunk(_ inputs: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>]) throws -> (Tensor<Scalar>, [Tensor<Scalar>]) {
        let start = try prepare(inputs, mask: mask, initialState: initialState, constants: [])
        try cell.beginSequence(batchSize: start.first?.shape.first ?? 0, training: false)
        defer { cell.endSequence() }
        return try runSequence(inputs, mask: mask, initialStates: start, constants: [], training: false)
    }

    /// Checks a call's arguments, builds the layer if needed, and returns the initial states.
    func prepare(
        _ inputs: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>]?, constants: [Tensor<Scalar>]
    ) throws -> [Tensor<Scalar>] {
        guard inputs.rank == 3 else {
            throw LayerError(.invalidInputShape, "\(name): expects input of rank 3 \(timeMajor ? "(steps, batch, features)" : "(batch, steps, features)"), got shape \(inputs.shape)")
        }
        let (batch, steps) = timeMajor ? (inputs.shape[1], inputs.shape[0]) : (inputs.shape[0], inputs.shape[1])
        guard steps > 0 else {
            throw LayerError(.invalidInputShape, "\(name): the input has no timesteps (shape \(inputs.shape))")
        }
        if let mask, mask.shape != [batch, steps] {
            throw LayerError(.invalidMask, "\(name): mask must have shape [\(batch), \(steps)] (batch, steps) for input shape \(inputs.shape), got \(mask.shape)")
        }
        if !cell.isBuilt || (stateful && states == nil) {
            try build(inputShape: optionalShape(inputs.shape))
        } else if inputs.shape[2] != cell.inputSize {
            throw LayerError(.invalidInputShape, "\(name): expects \(cell.inputSize ?? 0) features per step, got input shape \(inputs.shape)")
        }
        if !constants.isEmpty, !cell.acceptsConstants {
            throw LayerError(.unsupported, "\(name): the cell does not accept constants")
        }
        if stateful, let fixedBatchSize, !BatchShare.fits(batch, declared: fixedBatchSize) {
            throw LayerError(.statefulBatch, "\(name): a stateful layer keeps the batch size it was built with (\(fixedBatchSize)); got a batch of \(batch)")
        }
        if let initialState {
            try checkStates(initialState, batch: batch, what: "initial_state")
            return initialState
        }
        // In data-parallel training a stateful layer keeps its share's rows of the batch's states.
        if stateful, let states, let share = BatchShare.current, states.first?.shape.first == share.total, batch == share.rows {
            return try states.map { try $0.slice(share.offset..<(share.offset + share.rows)) }
        }
        return (stateful ? states : nil) ?? cell.initialState(batchSize: batch)
    }

    /// Walks the sequence: the fused GRU path for GRU cells, else the cell step by step.
    func runSequence(
        _ inputs: Tensor<Scalar>, mask: Tensor<Bool>?, initialStates: [Tensor<Scalar>],
        constants: [Tensor<Scalar>], training: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>]) {
        if constants.isEmpty, let cells = gruCells {
            let result = try fusedSequence(cells, inputs, mask: mask, initialStates: initialStates, recording: false)
            return (result.output, result.states)
        }
        if constants.isEmpty, let cells = gateSequences {
            let result = try runGateSequences(cells, inputs, mask: mask, initialStates: initialStates, recording: false)
            return (result.output, result.states)
        }
        let stepMajor = timeMajor ? inputs : try inputs.swappingLeadingAxes()
        let steps = stepMajor.shape[0], batch = stepMajor.shape[1], features = stepMajor.shape[2]
        var states = initialStates
        var previous = Tensor<Scalar>(zeros: [batch, cell.outputSize])
        var outputs = [Tensor<Scalar>]()
        for s in 0..<steps {
            let t = goBackwards ? steps - 1 - s : s
            let x = try stepMajor.slice(t..<(t + 1)).reshaped(to: [batch, features])
            let (output, newStates) = try cell.step(x, states: states, constants: constants, training: training)
            guard output.shape == [batch, cell.outputSize], newStates.count == states.count else {
                throw LayerError(.invalidInputShape, "\(name): the cell returned output \(output.shape) and \(newStates.count) states; expected [\(batch), \(cell.outputSize)] and \(states.count)")
            }
            if let mask {
                let keep = (0..<batch).map { mask[$0, t] }
                let fallback = zeroOutputForMask ? Tensor(zeros: previous.shape) : previous
                previous = try select(keep, output, fallback)
                states = try zip(newStates, states).map { try select(keep, $0, $1) }
            } else {
                previous = output
                states = newStates
            }
            if returnSequences { outputs.append(previous) }
        }
        guard returnSequences else { return (previous, states) }
        let sequence = try Tensor.concatenate(outputs, alongAxis: 0).reshaped(to: [steps, batch, cell.outputSize])
        return (timeMajor ? sequence : try sequence.swappingLeadingAxes(), states)
    }

    /// Runs GRU cells over the sequence for training and records the call; ``GRU`` runs it
    /// on a GPU when it can.
    func recordSequence(
        _ cells: [GRUCell<Scalar>], _ inputs: Tensor<Scalar>, mask: Tensor<Bool>?, initialStates: [Tensor<Scalar>]
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>], record: RecurrentRecord<Scalar>) {
        let result = try fusedSequence(cells, inputs, mask: mask, initialStates: initialStates, recording: true)
        let outputs = [result.output] + (returnState ? result.states : [])
        return (result.output, result.states, RecurrentRecord(
            sequences: result.sequences, reversed: result.reversed, outputs: outputs, hadInitialState: false))
    }

    /// Row `b` of the result comes from `chosen` where `keep[b]`, else from `other`.
    func select(_ keep: [Bool], _ chosen: Tensor<Scalar>, _ other: Tensor<Scalar>) throws -> Tensor<Scalar> {
        guard chosen.shape == other.shape, let width = chosen.shape.last, chosen.shape.first == keep.count else {
            throw LayerError(.invalidInputShape, "\(name): state shapes \(chosen.shape) and \(other.shape) do not match")
        }
        var result = other
        result.withUnsafeMutableBufferPointer { buffer in
            for (b, use) in keep.enumerated() where use {
                for j in 0..<width { buffer[b * width + j] = chosen.scalars[b * width + j] }
            }
        }
        return result
    }

    private func checkStates(_ given: [Tensor<Scalar>], batch: Int, what: String) throws {
        let expected = cell.stateSize.map { [batch, $0] }
        guard given.map({ $0.shape }) == expected else {
            throw LayerError(.invalidInputShape, "\(name): \(what) must be \(expected.count) tensor(s) of shape \(expected.map { "\($0)" }.joined(separator: ", ")), got \(given.map { "\($0.shape)" }.joined(separator: ", "))")
        }
    }

    /// A layer with the same configuration reading the sequence the other way,
    /// with fresh weights (how ``Bidirectional`` builds its backward half).
    public func makeReversedCopy() throws -> RNN<Scalar> {
        RNN(
            cell: try cell.makeCopy(), returnSequences: returnSequences, returnState: returnState,
            goBackwards: !goBackwards, stateful: stateful, unroll: unroll, timeMajor: timeMajor,
            zeroOutputForMask: zeroOutputForMask, activityRegularizer: activityRegularizer,
            name: "backward_" + name)
    }
}

/// A shape with unknown extents written as Keras does: `(None, 10, 8)`.
func describe(_ shape: [Int?]) -> String {
    "(" + shape.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + ")"
}
