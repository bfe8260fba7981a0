/// The convolutional LSTM layers Keras' `ConvLSTM1D`, `ConvLSTM2D` and `ConvLSTM3D` share: a
/// ``ConvLSTMCell`` run over a sequence of 1D, 2D or 3D frames, with masks, `go_backwards`,
/// `return_sequences`, `return_state` (output, then the states h and c), stateful calls and
/// ``Bidirectional``; it trains by backpropagation through time.
///
/// Input `(batch, steps, spatial..., channels)`, or `(batch, steps, channels, spatial...)` for
/// `.channelsFirst`; outputs and states in the same format with `filters` channels. A stateful
/// layer keeps its ``RNN/states`` as the cell holds them: channels last, positions flattened,
/// `(batch, outputSpatial... * filters)`.
public class ConvLSTM<Scalar: TensorScalar>: RNN<Scalar> {
    /// The cell that holds the weights.
    public let convLSTMCell: ConvLSTMCell<Scalar>
    /// Where the channels of each frame are.
    public let dataFormat: DataFormat
    /// The input spatial extents of recorded calls, most recent last.
    private var recordedExtents: [[Int]] = []

    /// Creates the layer around an existing cell.
    public required init(
        cell: ConvLSTMCell<Scalar>, dataFormat: DataFormat = .channelsLast, activityRegularizer: Regularizer? = nil,
        returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false, stateful: Bool = false,
        unroll: Bool = false, name: String? = nil
    ) {
        convLSTMCell = cell
        self.dataFormat = dataFormat
        super.init(
            cell: cell, returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
            stateful: stateful, unroll: unroll, activityRegularizer: activityRegularizer,
            name: name ?? "conv_lstm\(cell.spatialRank)d")
    }

    /// The number of spatial axes of each frame.
    public var spatialRank: Int { convLSTMCell.spatialRank }
    /// The number of output channels.
    public var filters: Int { convLSTMCell.filters }

    private var layout: SpatialLayout { SpatialLayout(dataFormat: dataFormat, spatialRank: spatialRank) }
    private var kind: String { "ConvLSTM\(spatialRank)D" }

    /// The spatial extents and channels of an input shape `(batch, steps, frame...)`.
    private func frame(_ shape: [Int?]) throws -> (spatial: [Int?], channels: Int?) {
        guard shape.count == spatialRank + 3 else {
            throw LayerError(.invalidInputShape, "\(name): \(kind) expects input of rank \(spatialRank + 3) (batch, steps, \(dataFormat == .channelsLast ? "spatial..., channels" : "channels, spatial...")), got shape \(describe(shape))")
        }
        return try layout.split([shape[0]] + shape[2...], layer: name)
    }

    public override var isBuilt: Bool { convLSTMCell.isBuilt && (!stateful || states != nil) }

    public override func build(inputShape: [Int?]) throws {
        let (spatial, channels) = try frame(inputShape)
        guard let channels else {
            throw LayerError(.invalidInputShape, "\(name): the channel axis must be known, got shape \(describe(inputShape))")
        }
        try convLSTMCell.build(channels: channels)
        let known = spatial.compactMap { $0 }
        guard known.count == spatial.count else {
            if stateful { throw LayerError(.statefulBatch, "\(name): a stateful \(kind) needs known spatial extents, got shape \(describe(inputShape))") }
            return
        }
        _ = try convLSTMCell.outputExtents(spatial, layer: name)
        convLSTMCell.spatialExtents = known
        try super.build(inputShape: [inputShape[0], inputShape[1], known.reduce(channels, *)])
    }

    public override func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        try outputShapes(forInputShape: inputShape)[0]
    }

    public override func outputShapes(forInputShape inputShape: [Int?]) throws -> [[Int?]] {
        let (spatial, _) = try frame(inputShape)
        let out = try convLSTMCell.outputExtents(spatial, layer: name)
        let state = layout.join(batch: inputShape[0], spatial: out, channels: filters)
        let output = returnSequences ? [state[0], inputShape[1]] + state.dropFirst() : state
        return [output] + (returnState ? [state, state] : [])
    }

    // MARK: Between the layer's shapes and the cell's flattened steps

    /// `(batch, steps, spatial... * channels)` channels last, with the input's spatial extents.
    private func flattened(_ inputs: Tensor<Scalar>) throws -> (Tensor<Scalar>, [Int]) {
        _ = try frame(optionalShape(inputs.shape))
        var x = inputs
        if dataFormat == .channelsFirst {
            x = try inputs.transposed([0, 1] + Array(3..<inputs.rank) + [2])
        }
        let spatial = Array(x.shape[2..<(x.rank - 1)])
        try convLSTMCell.build(channels: x.shape[x.rank - 1])
        if let extents = convLSTMCell.spatialExtents, extents != spatial, stateful, states != nil {
            throw LayerError(.statefulBatch, "\(name): a stateful layer keeps the spatial extents it was built with (\(extents)); got \(spatial)")
        }
        _ = try convLSTMCell.outputExtents(spatial.map { $0 }, layer: name)
        convLSTMCell.spatialExtents = spatial
        return (try x.reshaped(to: [x.shape[0], x.shape[1], x.scalarCount / max(x.shape[0] * x.shape[1], 1)]), spatial)
    }

    private func outputSpatial(_ spatial: [Int]) throws -> [Int] {
        try convLSTMCell.geometry.plan(spatial, layer: name).extents
    }

    /// A flattened state `(batch, positions * filters)` in the layer's format.
    private func unflattenedState(_ state: Tensor<Scalar>, spatial: [Int]) throws -> Tensor<Scalar> {
        try layout.restored(state.reshaped(to: [state.shape[0]] + outputSpatial(spatial) + [filters]))
    }

    /// A state in the layer's format, flattened as the cell holds it.
    private func flattenedState(_ state: Tensor<Scalar>, spatial: [Int]) throws -> Tensor<Scalar> {
        let expected = layout.join(batch: state.shape.first, spatial: try outputSpatial(spatial), channels: filters)
        guard optionalShape(state.shape) == expected else {
            throw LayerError(.invalidInputShape, "\(name): a state must have shape \(describe(expected)), got \(state.shape)")
        }
        let channelsLast = try layout.channelsLast(state, layer: name)
        return try channelsLast.reshaped(to: [state.shape[0], channelsLast.scalarCount / max(state.shape[0], 1)])
    }

    /// The cell's output, `(batch, [steps,] positions * filters)`, in the layer's shape.
    private func unflattenedOutput(_ output: Tensor<Scalar>, spatial: [Int]) throws -> Tensor<Scalar> {
        guard returnSequences else { return try unflattenedState(output, spatial: spatial) }
        let batch = output.shape[0], steps = output.shape[1]
        let frames = try unflattenedState(output.reshaped(to: [batch * steps, output.shape[2]]), spatial: spatial)
        return try frames.reshaped(to: [batch, steps] + frames.shape.dropFirst())
    }

    /// A gradient in the layer's output shape, flattened as the cell's.
    private func flattenedOutput(_ gradient: Tensor<Scalar>, spatial: [Int]) throws -> Tensor<Scalar> {
        guard returnSequences else { return try flattenedState(gradient, spatial: spatial) }
        let batch = gradient.shape[0], steps = gradient.shape[1]
        let frames = try flattenedState(gradient.reshaped(to: [batch * steps] + gradient.shape.dropFirst(2)), spatial: spatial)
        return try frames.reshaped(to: [batch, steps, frames.shape[1]])
    }

    /// The flattened input's gradient in the layer's input shape.
    private func unflattenedInput(_ gradient: Tensor<Scalar>, spatial: [Int]) throws -> Tensor<Scalar> {
        let channels = convLSTMCell.channels ?? 0
        let x = try gradient.reshaped(to: [gradient.shape[0], gradient.shape[1]] + spatial + [channels])
        guard dataFormat == .channelsFirst else { return x }
        return try x.transposed([0, 1, x.rank - 1] + Array(2..<(x.rank - 1)))
    }

    // MARK: Calls

    public override func callAsFunction(
        _ inputs: Tensor<Scalar>, mask: Tensor<Bool>? = nil, training: Bool = false,
        initialState: [Tensor<Scalar>]? = nil, constants: [Tensor<Scalar>] = []
    ) throws -> RecurrentOutput<Scalar> {
        let (x, spatial) = try flattened(inputs)
        let start = try initialState.map { try $0.map { try flattenedState($0, spatial: spatial) } }
        let result = try super.callAsFunction(x, mask: mask, training: training, initialState: start, constants: constants)
        return RecurrentOutput(
            output: try unflattenedOutput(result.output, spatial: spatial),
            states: try result.states.map { try unflattenedState($0, spatial: spatial) })
    }

    override func runChunk(_ inputs: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>]) throws -> (Tensor<Scalar>, [Tensor<Scalar>]) {
        let (x, spatial) = try flattened(inputs)
        let (output, states) = try super.runChunk(x, mask: mask, initialState: initialState)
        return (try unflattenedOutput(output, spatial: spatial), states)
    }

    public override func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let (x, spatial) = try flattened(input)
        let start = try initialState.map { try flattenedState($0, spatial: spatial) }
        let result = try super.forwardRecording(x, mask: mask, initialState: start, training: training)
        recordedExtents.append(spatial)
        let outputs = try result.outputs.enumerated().map { index, output in
            index == 0 ? try unflattenedOutput(output, spatial: spatial) : try unflattenedState(output, spatial: spatial)
        }
        return LayerOutput(outputs: outputs, mask: result.mask)
    }

    public override func backward(_ outputGradients: [Tensor<Scalar>?], needsInputGradient: Bool) throws -> LayerGradients<Scalar> {
        guard let spatial = recordedExtents.popLast() else {
            throw LayerError(.unsupported, "\(name): backward without a recorded call")
        }
        convLSTMCell.spatialExtents = spatial
        let flat = try outputGradients.enumerated().map { index, gradient in
            try gradient.map { index == 0 ? try flattenedOutput($0, spatial: spatial) : try flattenedState($0, spatial: spatial) }
        }
        let result = try super.backward(flat, needsInputGradient: needsInputGradient)
        return LayerGradients(
            input: try result.input.map { try unflattenedInput($0, spatial: spatial) },
            initialStates: try result.initialStates.map { try unflattenedState($0, spatial: spatial) }, weights: result.weights)
    }

    public override func clearRecords() {
        super.clearRecords()
        recordedExtents.removeAll()
    }

    /// Sets the states of a stateful layer, each in the layer's output format.
    public override func resetStates(to newStates: [Tensor<Scalar>]) throws {
        guard let spatial = convLSTMCell.spatialExtents else {
            throw LayerError(.unsupported, "\(name): reset_states(states) needs a layer built for known spatial extents")
        }
        try super.resetStates(to: newStates.map { try flattenedState($0, spatial: spatial) })
    }

    public override func makeReversedCopy() throws -> RNN<Scalar> {
        guard let cell = try convLSTMCell.makeCopy() as? ConvLSTMCell<Scalar> else {
            throw LayerError(.unsupported, "\(name): the cell could not be copied")
        }
        let copy = type(of: self).init(
            cell: cell, dataFormat: dataFormat, activityRegularizer: activityRegularizer, returnSequences: returnSequences,
            returnState: returnState, goBackwards: !goBackwards, stateful: stateful, unroll: unroll, name: "backward_" + name)
        copy.zeroOutputForMask = zeroOutputForMask
        return copy
    }

    public override var stepScope: StepScope {
        .acrossSteps("is a ConvLSTM, whose spatial states a stream does not carry")
    }
}
