@_spi(GRUKernels) import GRUTensor

/// Variable-length batches: with right-padded masks (each sequence unmasked up to its
/// length and masked after it, as `pad_sequences(padding = "post")` with `mask_zero` makes
/// them) a sequence that has ended only carries its state, so nothing of it is computed.
/// The rows are ordered by length, longest first, and each step multiplies only the rows
/// still running, as cuDNN's packed sequences do; the input projections skip the padded
/// steps too. A training call records only the running rows (in the order of
/// ``CompactedRows``), and its backward pass
/// (``GRUSequence/backward(_:weights:outputGradient:finalStateGradient:computeInputGradient:)``)
/// computes only them too.
///
/// Results are identical to the uncompacted loop's, bit for bit: every product runs each row on
/// the tiles the whole batch's products use (`everyRow`), one to four rows included, so each
/// value is the same chain of additions.
final class CompactedSequence<S: TensorScalar> {
    /// The fewest sequences per thread and steps a call needs: the uncompacted loop then
    /// runs its rows on the tiles too (see ``PackedMatrix/isWorthPacking(rows:)``).
    static var minimumRows: Int { 5 }

    private let spec: GRUSpec
    private let options: GRUSequenceOptions
    private let rows: CompactedRows
    private var lengths: [Int] { rows.lengths }
    private var members: [[Int]] { rows.members }
    /// Worker w's i-th sequence's projection of step t is at `(firsts[w] + i) * steps + t`.
    private var firsts: [Int] { rows.firsts }
    private let batch: Int
    private let steps: Int
    private let projection: GRUInputProjection<S>
    private let kernel: GRURecurrentKernel<S>
    private let dropout: GRUDropoutMasks<S>
    /// The recurrent dropout masks in the order of ``CompactedRows``: gate g's at `g * batch * units`.
    private let recurrentMasks: [S]
    private let projected: UnsafeMutablePointer<S>
    /// When recording: the state before each processing step and the ``GRUStepRecord`` blocks
    /// of each step, of the running rows only, in the order of ``CompactedRows``.
    private var previousStates: [S]
    private var records: [S]
    private let recording: Bool
    /// One worker: the second core projects chunks of steps ahead of the recurrence.
    private let pipeline: TaskClaims?
    private let chunks: StepChunks

    /// The unmasked length of each sequence when every mask row is right-padded and at least
    /// one sequence ends before the last step; `nil` otherwise (the loop then reads the mask
    /// at every step, for any pattern).
    static func rightPaddedLengths(_ mask: [Bool], batch: Int, steps: Int) -> [Int]? {
        var lengths = [Int](repeating: 0, count: batch)
        var shorter = false
        for b in 0..<batch {
            let row = mask[(b * steps)..<((b + 1) * steps)]
            let length = (row.firstIndex(of: false) ?? row.endIndex) - row.startIndex
            guard !row[(row.startIndex + length)...].contains(true) else { return nil }
            lengths[b] = length
            shorter = shorter || length < steps
        }
        return shorter ? lengths : nil
    }

    /// Prepares a call over sequences of `lengths` (`steps` steps each, padding included).
    ///
    /// - Parameter workers: The threads the rows are dealt to; each gets at least
    ///   ``minimumRows`` rows when the batch has them.
    init(
        spec: GRUSpec, weights: GRUWeights<S>, lengths: [Int], steps: Int, options: GRUSequenceOptions, workers: Int,
        dropout: GRUDropoutMasks<S> = .none, recording: Bool = false
    ) {
        self.spec = spec
        self.options = options
        self.steps = steps
        self.recording = recording
        batch = lengths.count
        rows = CompactedRows(lengths: lengths, workers: Swift.max(1, Swift.min(workers, batch / Self.minimumRows)))
        let block = batch * spec.units
        // Written for the running rows before they are read; the others are never read.
        previousStates = uninitializedArray(count: recording ? steps * block : 0)
        records = uninitializedArray(count: recording ? steps * GRUStepRecord.count * block : 0)
        self.dropout = dropout
        projection = dropout.input.isEmpty
            ? weights.prepared.inputProjection(spec, weights)
            : GRUInputProjection(spec: spec, weights: weights, perGate: dropout.input.count > 1)
        kernel = dropout.recurrent.isEmpty
            ? weights.prepared.recurrentKernel(spec, weights)
            : GRURecurrentKernel(spec: spec, weights: weights, perGate: true)
        recurrentMasks = rows.ordered(dropout.recurrent, width: spec.units)
        projected = .allocate(capacity: batch * steps * 3 * spec.units)
        chunks = StepChunks(steps: steps)
        pipeline = workers == 1 && activeCores > 1 && steps >= 2 * StepChunks.size ? TaskClaims(count: chunks.count) : nil
    }

    deinit { projected.deallocate() }

    /// Whether a call of this shape may run compacted: at least ``minimumRows`` sequences and steps.
    static func applies(batch: Int, steps: Int) -> Bool {
        batch >= minimumRows && steps >= minimumRows
    }

    /// Row of sequence `b`, step `t` in the inputs and the sequence output.
    private func row(_ b: Int, _ t: Int) -> Int { options.timeMajor ? t * batch + b : b * steps + t }

    /// Runs the call.
    ///
    /// - Parameters:
    ///   - initialState: `(batch, units)`.
    ///   - mask: The call's mask, kept on the tape.
    /// - Returns: The outputs, and the tape when recording.
    func run(inputs: Tensor<S>, mask: Tensor<Bool>, initialState: Tensor<S>) -> (GRUSequenceOutput<S>, GRUSequenceTape<S>?) {
        let u = spec.units
        var state = initialState.scalars
        var lastOutput = [S](repeating: 0, count: batch * u)
        var sequence = [S](repeating: 0, count: options.returnSequences ? batch * steps * u : 0)
        inputs.withUnsafeBufferPointer { x in
          recurrentMasks.withUnsafeBufferPointer { recurrentMasks in
          previousStates.withUnsafeMutableBufferPointer { previousStates in
          records.withUnsafeMutableBufferPointer { records in
            state.withUnsafeMutableBufferPointer { state in
                lastOutput.withUnsafeMutableBufferPointer { lastOutput in
                    sequence.withUnsafeMutableBufferPointer { sequence in
                        guard let x = x.baseAddress, let state = state.baseAddress, let lastOutput = lastOutput.baseAddress else { return }
                        // An empty array's base address may point at shared storage: never write through it.
                        let buffers = Buffers(
                            inputs: x, state: state, lastOutput: lastOutput, sequence: options.returnSequences ? sequence.baseAddress : nil,
                            previousStates: recording ? previousStates.baseAddress : nil, records: recording ? records.baseAddress : nil,
                            recurrentMasks: recurrentMasks.isEmpty ? nil : recurrentMasks.baseAddress)
                        parallelFor(pipeline == nil ? members.count : 2) { worker in
                            if let pipeline, worker == 1 {
                                for c in 0..<pipeline.count where pipeline.claim(c) {
                                    project(chunk: c, inputs: x)
                                    pipeline.finish(c)
                                }
                            } else {
                                recur(worker: worker, buffers: buffers)
                            }
                        }
                    }
                }
            }
          }
          }
          }
        }
        let finalState = Tensor(uncheckedShape: [batch, u], scalars: state)
        let tape = recording
            ? GRUSequenceTape(
                spec: spec, options: options, batch: batch, steps: steps, inputs: inputs, mask: mask, dropout: dropout,
                previousStates: previousStates, records: records, compaction: rows)
            : nil
        guard options.returnSequences else {
            return (GRUSequenceOutput(output: Tensor(uncheckedShape: [batch, u], scalars: lastOutput), finalState: finalState), tape)
        }
        let shape = options.timeMajor ? [steps, batch, u] : [batch, steps, u]
        return (GRUSequenceOutput(output: Tensor(uncheckedShape: shape, scalars: sequence), finalState: finalState), tape)
    }

    private struct Buffers {
        var inputs: UnsafePointer<S>
        /// The initial state, then the final one, `(batch, units)`.
        var state: UnsafeMutablePointer<S>
        var lastOutput: UnsafeMutablePointer<S>
        /// Every step's output in processing order, or `nil`.
        var sequence: UnsafeMutablePointer<S>?
        /// The tape's buffers when recording.
        var previousStates: UnsafeMutablePointer<S>?
        var records: UnsafeMutablePointer<S>?
        /// The recurrent dropout masks in the order of ``CompactedRows``, or `nil`.
        var recurrentMasks: UnsafePointer<S>?
    }

    /// Projects steps `t0..<t1` (input time) of every sequence of `worker`, up to its length.
    private func project(worker w: Int, steps t0: Int, _ t1: Int, inputs x: UnsafePointer<S>) {
        let f = spec.inputSize, width = 3 * spec.units, lda = options.timeMajor ? batch * f : f
        // With input dropout: the rows times the sequence's mask of each gate group, as the
        // uncompacted loop multiplies them.
        let masked = dropout.input.isEmpty ? nil : UnsafeMutablePointer<S>.allocate(capacity: Swift.max(1, (t1 - t0) * f))
        defer { masked?.deallocate() }
        for (i, b) in members[w].enumerated() {
            let end = Swift.min(t1, lengths[b])
            guard end > t0 else { continue }
            let out = projected + ((firsts[w] + i) * steps + t0) * width
            guard let masked else {
                projection.project(x + row(b, t0) * f, rows: end - t0, lda: lda, into: out)
                continue
            }
            for (gate, mask) in dropout.input.enumerated() {
                mask.withUnsafeBufferPointer { mask in
                    for r in 0..<(end - t0) {
                        let source = x + row(b, t0) * f + r * lda, target = masked + r * f
                        for j in 0..<f { target[j] = source[j] * mask[b * f + j] }
                    }
                }
                projection.project(masked, rows: end - t0, lda: f, gate: dropout.input.count == 1 ? 0 : gate, into: out)
            }
        }
    }

    /// Projects the chunk of processing steps `c` (one worker).
    private func project(chunk c: Int, inputs: UnsafePointer<S>) {
        let range = chunks.steps(of: c), s0 = range.lowerBound, s1 = range.upperBound
        if options.goBackwards {
            project(worker: 0, steps: steps - s1, steps - s0, inputs: inputs)
        } else {
            project(worker: 0, steps: s0, s1, inputs: inputs)
        }
    }

    /// Runs the recurrence of `worker`'s sequences.
    private func recur(worker w: Int, buffers: Buffers) {
        let rows = members[w], count = rows.count, u = spec.units, width = 3 * u
        guard count > 0 else { return }
        if pipeline == nil { project(worker: w, steps: 0, steps, inputs: buffers.inputs) }
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: 7 * count * u)
        defer { scratch.deallocate() }
        let workspace = scratch, out = scratch + 4 * count * u
        var h = out + count * u, next = h + count * u
        for (i, b) in rows.enumerated() { (h + i * u).update(from: buffers.state + b * u, count: u) }
        out.update(repeating: 0, count: count * u)
        let projections = projected + firsts[w] * steps * width
        var running = count
        for s in 0..<steps {
            if let pipeline, let c = chunks.chunk(startingAt: s) {
                pipeline.ensure(c) { project(chunk: $0, inputs: buffers.inputs) }
            }
            let t = options.goBackwards ? steps - 1 - s : s
            // The sequences running at input step t: a prefix, as they go longest first.
            while running > 0, lengths[rows[running - 1]] <= t { running -= 1 }
            while running < count, lengths[rows[running]] > t { running += 1 }
            if running > 0 {
                let block = batch * u, first = firsts[w] * u
                buffers.previousStates?.advanced(by: s * block + first).update(from: h, count: running * u)
                GRUStep.forward(
                    spec: spec, batch: running,
                    projected: projections + t * width, projectedStride: steps * width,
                    state: h, recurrent: kernel,
                    recurrentMasks: buffers.recurrentMasks.map { $0 + first }, recurrentMaskStride: block, newState: next,
                    record: buffers.records?.advanced(by: s * GRUStepRecord.count * block + first), recordStride: block,
                    workspace: workspace, everyRow: true)
                if running == count {
                    swap(&h, &next)
                } else {
                    h.update(from: next, count: running * u)
                }
                out.update(from: h, count: running * u)
            }
            if options.zeroOutputForMask, running < count {
                (out + running * u).update(repeating: 0, count: (count - running) * u)
            }
            if let sequence = buffers.sequence {
                for (i, b) in rows.enumerated() { (sequence + row(b, s) * u).update(from: out + i * u, count: u) }
            }
        }
        for (i, b) in rows.enumerated() {
            (buffers.state + b * u).update(from: h + i * u, count: u)
            (buffers.lastOutput + b * u).update(from: out + i * u, count: u)
        }
    }
}

/// How a compacted call lays out its rows: the sequences ordered by length, longest first,
/// dealt to the workers in turn, so each has a share of long and short ones and its running
/// sequences at any step are a prefix of its own.
struct CompactedRows: Sendable {
    /// The unmasked length of each sequence.
    let lengths: [Int]
    /// The sequences of each worker, longest first.
    let members: [[Int]]
    /// Where each worker's rows start in the compacted order.
    let firsts: [Int]
    /// The position of each sequence in the compacted order.
    let positions: [Int]

    init(lengths: [Int], workers: Int) {
        self.lengths = lengths
        let order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        members = (0..<workers).map { w in stride(from: w, to: order.count, by: workers).map { order[$0] } }
        var firsts = [0]
        for rows in members { firsts.append(firsts[firsts.count - 1] + rows.count) }
        self.firsts = firsts
        var positions = [Int](repeating: 0, count: lengths.count)
        for (w, rows) in members.enumerated() { for (i, b) in rows.enumerated() { positions[b] = firsts[w] + i } }
        self.positions = positions
    }

    /// Per-sequence rows (`(batch, width)` each, as dropout masks are) in this order, one
    /// block after the other; empty for none.
    func ordered<S: TensorScalar>(_ blocks: [Tensor<S>], width: Int) -> [S] {
        let block = lengths.count * width
        var result: [S] = uninitializedArray(count: blocks.count * block)
        for (g, tensor) in blocks.enumerated() {
            let values = tensor.scalars
            for (b, p) in positions.enumerated() {
                result.replaceSubrange((g * block + p * width)..<(g * block + (p + 1) * width), with: values[(b * width)..<((b + 1) * width)])
            }
        }
        return result
    }
}
