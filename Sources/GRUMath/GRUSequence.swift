import GRUTensor

/// How a GRU walks a sequence and what it returns (Keras' RNN arguments).
public struct GRUSequenceOptions: Sendable, Hashable {
    /// Process the steps last to first; outputs stay in processing order.
    public var goBackwards: Bool
    /// Inputs and sequence outputs are `(steps, batch, features)`.
    public var timeMajor: Bool
    /// Masked steps output zeros instead of the previous output.
    public var zeroOutputForMask: Bool
    /// Return every step's output instead of the last one.
    public var returnSequences: Bool

    /// Creates the options; all default to `false` as in Keras.
    public init(goBackwards: Bool = false, timeMajor: Bool = false, zeroOutputForMask: Bool = false, returnSequences: Bool = false) {
        self.goBackwards = goBackwards
        self.timeMajor = timeMajor
        self.zeroOutputForMask = zeroOutputForMask
        self.returnSequences = returnSequences
    }
}

/// What a GRU call over a sequence produces.
public struct GRUSequenceOutput<Scalar: TensorScalar>: Sendable {
    /// `(batch, steps, units)` (or time-major) with `returnSequences`, else `(batch, units)`.
    public var output: Tensor<Scalar>
    /// The state after the last processed (unmasked) step, `(batch, units)`.
    public var finalState: Tensor<Scalar>
}

/// The forward pass of a GRU over a whole sequence: one matrix product for the
/// input projections of all steps, then the recurrence step by step.
public enum GRUSequence {
    /// Runs the GRU over `inputs`.
    ///
    /// Masked steps (`mask[b, t] == false`) carry the state unchanged; their output is the
    /// previous output (zeros before the first unmasked step) or zeros with
    /// `zeroOutputForMask`, exactly as Keras' RNN loop does.
    ///
    /// - Parameters:
    ///   - inputs: `(batch, steps, inputSize)`, or `(steps, batch, inputSize)` when time-major.
    ///   - mask: `(batch, steps)`, or `nil` for no masking.
    ///   - initialState: `(batch, units)`.
    /// - Throws: ``TensorError`` when a shape does not fit.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func forward<S: TensorScalar>(
        spec: GRUSpec, weights: GRUWeights<S>, inputs: Tensor<S>, mask: Tensor<Bool>?,
        initialState: Tensor<S>, dropout: GRUDropoutMasks<S>, options: GRUSequenceOptions
    ) throws -> GRUSequenceOutput<S> {
        try run(
            spec: spec, weights: weights, inputs: inputs, mask: mask, initialState: initialState,
            dropout: dropout, options: options, recording: false).output
    }

    /// Runs the GRU like ``forward(spec:weights:inputs:mask:initialState:dropout:options:)`` and
    /// keeps what ``backward(_:weights:outputGradient:finalStateGradient:)`` needs.
    ///
    /// - Throws: ``TensorError`` when a shape does not fit.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func forwardRecording<S: TensorScalar>(
        spec: GRUSpec, weights: GRUWeights<S>, inputs: Tensor<S>, mask: Tensor<Bool>?,
        initialState: Tensor<S>, dropout: GRUDropoutMasks<S>, options: GRUSequenceOptions
    ) throws -> (output: GRUSequenceOutput<S>, tape: GRUSequenceTape<S>) {
        let (output, tape) = try run(
            spec: spec, weights: weights, inputs: inputs, mask: mask, initialState: initialState,
            dropout: dropout, options: options, recording: true)
        guard let tape else { throw TensorError("the GRU recorded nothing") }
        return (output, tape)
    }

    static func run<S: TensorScalar>(
        spec: GRUSpec, weights: GRUWeights<S>, inputs: Tensor<S>, mask: Tensor<Bool>?,
        initialState: Tensor<S>, dropout: GRUDropoutMasks<S>, options: GRUSequenceOptions, recording: Bool
    ) throws -> (output: GRUSequenceOutput<S>, tape: GRUSequenceTape<S>?) {
        guard inputs.rank == 3, inputs.shape[2] == spec.inputSize else {
            throw TensorError("GRU inputs must have shape (batch, steps, \(spec.inputSize)), got \(inputs.shape)")
        }
        let (batch, steps) = options.timeMajor
            ? (inputs.shape[1], inputs.shape[0]) : (inputs.shape[0], inputs.shape[1])
        let u = spec.units, width = 3 * u
        guard initialState.shape == [batch, u] else {
            throw TensorError("initial state must have shape [\(batch), \(u)], got \(initialState.shape)")
        }
        if let mask, mask.shape != [batch, steps] {
            throw TensorError("mask must have shape [\(batch), \(steps)], got \(mask.shape)")
        }
        let rows = batch * steps
        guard rows > 0 else {
            let shape = options.returnSequences ? (options.timeMajor ? [steps, batch, u] : [batch, steps, u]) : [batch, u]
            return (GRUSequenceOutput(output: Tensor(zeros: shape), finalState: initialState), nil)
        }
        // Row of (b, t) in the inputs, the projections and the sequence output.
        let timeMajor = options.timeMajor
        func row(_ b: Int, _ t: Int) -> Int { timeMajor ? t * batch + b : b * steps + t }
        let projected = inputs.withUnsafeBufferPointer { x in
            GRUStep.projectInputs(
                spec: spec, weights: weights, x: x, rows: rows,
                batchIndex: { timeMajor ? $0 % batch : $0 / steps }, inputMasks: dropout.input)
        }
        let projectedStride = timeMajor ? width : steps * width

        var state = initialState.scalars
        var next = [S](repeating: 0, count: batch * u)
        var previousOutput = [S](repeating: 0, count: batch * u)
        var sequence = [S](repeating: 0, count: options.returnSequences ? rows * u : 0)
        let maskValues = mask?.scalars
        let block = batch * u
        var previousStates = [S](repeating: 0, count: recording ? steps * block : 0)
        var records = [S](repeating: 0, count: recording ? steps * GRUStepRecord.count * block : 0)

        for s in 0..<steps {
            let t = options.goBackwards ? steps - 1 - s : s
            if recording { previousStates.replaceSubrange((s * block)..<((s + 1) * block), with: state) }
            projected.withUnsafeBufferPointer { p in
                state.withUnsafeBufferPointer { h in
                    next.withUnsafeMutableBufferPointer { n in
                        records.withUnsafeMutableBufferPointer { record in
                            GRUStep.forward(
                                spec: spec, weights: weights, batch: batch,
                                projected: p.baseAddress! + row(0, t) * width, projectedStride: projectedStride,
                                state: h.baseAddress!, recurrentMasks: dropout.recurrent, newState: n.baseAddress!,
                                record: recording ? record.baseAddress! + s * GRUStepRecord.count * block : nil)
                        }
                    }
                }
            }
            if let maskValues {
                for b in 0..<batch {
                    let range = (b * u)..<((b + 1) * u)
                    if maskValues[b * steps + t] {
                        state[range] = next[range]
                        previousOutput[range] = next[range]
                    } else if options.zeroOutputForMask {
                        for i in range { previousOutput[i] = 0 }
                    }
                }
            } else {
                swap(&state, &next)
                previousOutput = state
            }
            if options.returnSequences {
                // Outputs are stored in processing order, as Keras returns them.
                for b in 0..<batch {
                    let target = row(b, s) * u
                    sequence[target..<(target + u)] = previousOutput[(b * u)..<((b + 1) * u)]
                }
            }
        }
        let finalState = Tensor(uncheckedShape: [batch, u], scalars: state)
        let output: GRUSequenceOutput<S>
        if options.returnSequences {
            let shape = timeMajor ? [steps, batch, u] : [batch, steps, u]
            output = GRUSequenceOutput(output: Tensor(uncheckedShape: shape, scalars: sequence), finalState: finalState)
        } else {
            output = GRUSequenceOutput(output: Tensor(uncheckedShape: [batch, u], scalars: previousOutput), finalState: finalState)
        }
        guard recording else { return (output, nil) }
        let tape = GRUSequenceTape(
            spec: spec, options: options, batch: batch, steps: steps, inputs: inputs, mask: mask,
            dropout: dropout, previousStates: previousStates, records: records)
        return (output, tape)
    }
}
