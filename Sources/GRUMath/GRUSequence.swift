import CGRUKernels
@_spi(GRUKernels) import GRUTensor

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
    /// Whether right-padded batches skip the steps of sequences that have ended
    /// (``CompactedSequence``), and LSTM and SimpleRNN layers the masked rows of each step;
    /// tests turn it off to compare with the loops that compute them.
    @TaskLocal package static var compactsPaddedBatches = true

    /// The unmasked length of each sequence when every row of the `(batch, steps)` mask is
    /// right-padded and at least one sequence ends before the last step; `nil` otherwise.
    package static func rightPaddedLengths(_ mask: [Bool], batch: Int, steps: Int) -> [Int]? {
        CompactedSequence<Float>.rightPaddedLengths(mask, batch: batch, steps: steps)
    }

    /// The batch's rows over the workers of a call, forwards or backwards: each worker takes
    /// ``CompactedSequence``'s least rows or more, so that the products run every row on the
    /// tiles, as one worker with the whole batch and the compacted loop do. A step of a row
    /// counts its product and, as many multiply-adds, its gates.
    static func rowWorkers(batch: Int, steps: Int, units: Int) -> RowWorkers {
        RowWorkers(batch: batch, steps: steps, workPerRowStep: 3 * units * (units + 32), minimumRows: CompactedSequence<Float>.minimumRows)
    }

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
        guard let tape else {
            throw TensorError("a GRU call can be recorded for training only with at least one sequence and one step, got inputs of shape \(inputs.shape)")
        }
        return (output, tape)
    }

    static func run<S: TensorScalar>(
        spec requested: GRUSpec, weights: GRUWeights<S>, inputs: Tensor<S>, mask: Tensor<Bool>?,
        initialState: Tensor<S>, dropout: GRUDropoutMasks<S>, options: GRUSequenceOptions, recording: Bool
    ) throws -> (output: GRUSequenceOutput<S>, tape: GRUSequenceTape<S>?) {
        guard inputs.rank == 3, inputs.shape[2] == requested.inputSize else {
            throw TensorError("GRU inputs must have shape (batch, steps, \(requested.inputSize)), got \(inputs.shape)")
        }
        let (batch, steps) = options.timeMajor
            ? (inputs.shape[1], inputs.shape[0]) : (inputs.shape[0], inputs.shape[1])
        // One sequence is bound by the step's latency, not by its products: it keeps float32
        // (and the tape says so, for the backward pass).
        var spec = requested
        if batch == 1 { spec.precision = .float32 }
        let u = spec.units, width = 3 * u
        guard initialState.shape == [batch, u] else {
            throw TensorError("initial state must have shape [\(batch), \(u)], got \(initialState.shape)")
        }
        if let mask, mask.shape != [batch, steps] {
            throw TensorError("mask must have shape [\(batch), \(steps)], got \(mask.shape)")
        }
        guard [0, 1, 3].contains(dropout.input.count), [0, 3].contains(dropout.recurrent.count),
              dropout.input.allSatisfy({ $0.shape == [batch, requested.inputSize] }),
              dropout.recurrent.allSatisfy({ $0.shape == [batch, u] }) else {
            throw TensorError(
                "dropout masks must be 0, 1 or 3 input masks of shape [\(batch), \(requested.inputSize)] and 0 or 3 recurrent masks of shape [\(batch), \(u)], got \(dropout.input.map { $0.shape }) and \(dropout.recurrent.map { $0.shape })")
        }
        let rows = batch * steps
        guard rows > 0 else {
            let shape = options.returnSequences ? (options.timeMajor ? [steps, batch, u] : [batch, steps, u]) : [batch, u]
            return (GRUSequenceOutput(output: Tensor(zeros: shape), finalState: initialState), nil)
        }
        // Row of (b, t) in the inputs, the projections and the sequence output.
        let timeMajor = options.timeMajor
        func row(_ b: Int, _ t: Int) -> Int { timeMajor ? t * batch + b : b * steps + t }
        // Batch rows never interact: each worker runs the whole sequence for its rows.
        let rowWorkers = rowWorkers(batch: batch, steps: steps, units: u)
        let workers = rowWorkers.count, chunk = rowWorkers.chunk
        if compactsPaddedBatches, CompactedSequence<S>.applies(batch: batch, steps: steps),
           let mask, let lengths = CompactedSequence<S>.rightPaddedLengths(mask.scalars, batch: batch, steps: steps) {
            let sequence = CompactedSequence(
                spec: spec, weights: weights, lengths: lengths, steps: steps, options: options, workers: workers,
                dropout: dropout, recording: recording)
            return sequence.run(inputs: inputs, mask: mask, initialState: initialState)
        }
        // One sequence: two cores share each step by units, or else the second core computes
        // the input projections a chunk of steps ahead of the recurrence instead of all of
        // them up front.
        let split = UnitSplitSequence<S>.applies(spec: spec, batch: batch, steps: steps, dropout: dropout)
            ? initialState.withUnsafeBufferPointer { h0 in
                h0.baseAddress.map { UnitSplitSequence(halves: weights.prepared.unitHalves(spec, weights), steps: steps, initialState: $0) }
            }
            : nil
        let chunks = StepChunks(steps: steps)
        // Batch-major inputs: a chunk's projections are one product per sequence (its rows are
        // apart in the inputs), each a piece of its own, so that while one core computes a
        // piece the other takes the chunks' last pieces, and the last chunk is shared too.
        let piecesPerChunk = timeMajor ? 1 : batch
        let pipeline = split == nil && workers == 1 && activeCores > 1 && dropout.input.isEmpty && steps >= 2 * StepChunks.size
            ? TaskClaims(count: chunks.count * piecesPerChunk) : nil
        var projected: [S]
        let chunkProjection = pipeline.map { _ in weights.prepared.inputProjection(spec, weights) }
        if split != nil {
            projected = []  // each half projects its own columns
        } else if pipeline != nil {
            projected = uninitializedArray(count: rows * width)
        } else {
            projected = inputs.withUnsafeBufferPointer { x in
                GRUStep.projectInputs(
                    spec: spec, weights: weights, x: x, rows: rows,
                    batchIndex: { timeMajor ? $0 % batch : $0 / steps }, inputMasks: dropout.input)
            }
        }
        let projectedStride = timeMajor ? width : steps * width
        let kernel = split != nil ? nil : dropout.recurrent.isEmpty
            ? weights.prepared.recurrentKernel(spec, weights)
            : GRURecurrentKernel(spec: spec, weights: weights, perGate: true, rows: chunk)
        let block = batch * u
        var state = initialState.scalars
        var previousOutput = [S](repeating: 0, count: block)
        var sequence = [S](repeating: 0, count: options.returnSequences ? rows * u : 0)
        // Written in full before they are read (pre-activation blocks only when an activation needs them).
        var previousStates: [S] = uninitializedArray(count: recording ? steps * block : 0)
        var records: [S] = uninitializedArray(count: recording ? steps * GRUStepRecord.count * block : 0)
        let maskValues = mask?.scalars
        // The recurrent masks, contiguous: gate g at g * block.
        let maskStorage = UnsafeMutablePointer<S>.allocate(capacity: Swift.max(1, dropout.recurrent.count * block))
        defer { maskStorage.deallocate() }
        for (g, mask) in dropout.recurrent.enumerated() {
            mask.withUnsafeBufferPointer { if let base = $0.baseAddress { (maskStorage + g * block).update(from: base, count: block) } }
        }
        let maskCount = dropout.recurrent.count
        func makeOutput() -> GRUSequenceOutput<S> {
            let finalState = Tensor(uncheckedShape: [batch, u], scalars: state)
            guard options.returnSequences else {
                return GRUSequenceOutput(output: Tensor(uncheckedShape: [batch, u], scalars: previousOutput), finalState: finalState)
            }
            let shape = timeMajor ? [steps, batch, u] : [batch, steps, u]
            return GRUSequenceOutput(output: Tensor(uncheckedShape: shape, scalars: sequence), finalState: finalState)
        }
        func tape() -> GRUSequenceTape<S>? {
            guard recording else { return nil }
            return GRUSequenceTape(
                spec: spec, options: options, batch: batch, steps: steps, inputs: inputs, mask: mask,
                dropout: dropout, previousStates: previousStates, records: records)
        }
        inputs.withUnsafeBufferPointer { xBuffer in
        projected.withUnsafeMutableBufferPointer { projectedBuffer in
            let p = UnsafeBufferPointer(projectedBuffer)
            // Piece i of the projections: the processing steps of chunk i / piecesPerChunk, of
            // every sequence (time-major) or of sequence i % piecesPerChunk.
            func computePiece(_ i: Int) {
                let range = chunks.steps(of: i / piecesPerChunk), s0 = range.lowerBound, s1 = range.upperBound
                let t0 = options.goBackwards ? steps - s1 : s0, t1 = options.goBackwards ? steps - s0 : s1
                guard let x = xBuffer.baseAddress, let out = projectedBuffer.baseAddress, let chunkProjection else { return }
                if timeMajor {
                    chunkProjection.project(x, rows: (t0 * batch)..<(t1 * batch), into: out)
                } else {
                    let b = i % piecesPerChunk
                    chunkProjection.project(x, rows: (b * steps + t0)..<(b * steps + t1), into: out)
                }
            }
            state.withUnsafeMutableBufferPointer { stateBuffer in
                previousOutput.withUnsafeMutableBufferPointer { outputBuffer in
                    sequence.withUnsafeMutableBufferPointer { sequenceBuffer in
                        previousStates.withUnsafeMutableBufferPointer { previousBuffer in
                            records.withUnsafeMutableBufferPointer { recordBuffer in
                                parallelFor(pipeline == nil && split == nil ? (batch + chunk - 1) / chunk : 2) { worker in
                                    if let split, let x = xBuffer.baseAddress {
                                        split.work(
                                            thread: worker, options: options, mask: maskValues,
                                            buffers: .init(
                                                inputs: x, output: outputBuffer.baseAddress!,
                                                sequence: options.returnSequences ? sequenceBuffer.baseAddress : nil,
                                                previousStates: recording ? previousBuffer.baseAddress : nil,
                                                records: recording ? recordBuffer.baseAddress : nil))
                                        return
                                    }
                                    guard let kernel else { return }
                                    if let pipeline, worker == 1 {
                                        // The producer: claims pieces in processing order until none is left.
                                        for i in 0..<pipeline.count where pipeline.claim(i) {
                                            computePiece(i)
                                            pipeline.finish(i)
                                        }
                                        return
                                    }
                                    let b0 = worker * chunk, count = Swift.min(chunk, batch - b0)
                                    let workspace = UnsafeMutablePointer<S>.allocate(capacity: 4 * count * u + 2 * count * u)
                                    defer { workspace.deallocate() }
                                    var h = workspace + 4 * count * u, next = h + count * u
                                    h.update(from: stateBuffer.baseAddress! + b0 * u, count: count * u)
                                    let out = outputBuffer.baseAddress! + b0 * u
                                    for s in 0..<steps {
                                        if let pipeline, let c = chunks.chunk(startingAt: s) {
                                            for i in (c * piecesPerChunk)..<((c + 1) * piecesPerChunk) { pipeline.ensure(i, compute: computePiece) }
                                        }
                                        let t = options.goBackwards ? steps - 1 - s : s
                                        if recording { (previousBuffer.baseAddress! + s * block + b0 * u).update(from: h, count: count * u) }
                                        GRUStep.forward(
                                            spec: spec, batch: count, projected: p.baseAddress! + row(b0, t) * width,
                                            projectedStride: projectedStride, state: h, recurrent: kernel,
                                            recurrentMasks: maskCount == 0 ? nil : UnsafePointer(maskStorage + b0 * u), recurrentMaskStride: block,
                                            newState: next,
                                            record: recording ? recordBuffer.baseAddress! + s * GRUStepRecord.count * block + b0 * u : nil,
                                            recordStride: block, workspace: workspace)
                                        if let maskValues {
                                            for i in 0..<count {
                                                let b = b0 + i
                                                if maskValues[b * steps + t] {
                                                    (h + i * u).update(from: next + i * u, count: u)
                                                    (out + i * u).update(from: next + i * u, count: u)
                                                } else if options.zeroOutputForMask {
                                                    (out + i * u).update(repeating: 0, count: u)
                                                }
                                            }
                                        } else {
                                            swap(&h, &next)
                                            out.update(from: h, count: count * u)
                                        }
                                        if options.returnSequences {
                                            // Outputs are stored in processing order, as Keras returns them.
                                            for i in 0..<count {
                                                (sequenceBuffer.baseAddress! + row(b0 + i, s) * u).update(from: out + i * u, count: u)
                                            }
                                        }
                                    }
                                    (stateBuffer.baseAddress! + b0 * u).update(from: h, count: count * u)
                                }
                                if let split { stateBuffer.baseAddress!.update(from: split.finalState, count: u) }
                            }
                        }
                    }
                }
            }
        }
        }
        return (makeOutput(), tape())
    }
}
