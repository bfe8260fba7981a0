@_spi(GRUKernels) import GRUTensor

extension GRUSequence {
    /// Backpropagation through time for a recorded forward pass.
    ///
    /// The reverse sweep computes, step by step, the gradients of the gate
    /// pre-activations and of the state; the weight gradients are then formed
    /// with one matrix product over all steps per weight. Masked steps add nothing to the
    /// weight gradients, so the products run over the unmasked steps only; a compacted call
    /// (``CompactedSequence``) sweeps only its running rows too, with the same bits as the
    /// sweep over every row.
    ///
    /// - Parameters:
    ///   - tape: From ``forwardRecording(spec:weights:inputs:mask:initialState:dropout:options:)``.
    ///   - outputGradient: dL/d(output), the shape of the forward output.
    ///   - finalStateGradient: dL/d(final state) `(batch, units)`, if the state is used.
    ///   - computeInputGradient: When `false`, the input gradient (a third of the weight-sized
    ///     products) is skipped and returned as zeros.
    /// - Throws: ``TensorError`` when a gradient's shape does not fit.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func backward<S: TensorScalar>(
        _ tape: GRUSequenceTape<S>, weights: GRUWeights<S>, outputGradient: Tensor<S>,
        finalStateGradient: Tensor<S>?, computeInputGradient: Bool = true
    ) throws -> GRUSequenceGradients<S> {
        let spec = tape.spec, options = tape.options
        let batch = tape.batch, steps = tape.steps, u = spec.units, width = 3 * u
        let expectedOutput = options.returnSequences ? (options.timeMajor ? [steps, batch, u] : [batch, steps, u]) : [batch, u]
        guard outputGradient.shape == expectedOutput else {
            throw TensorError("GRU output gradient must have shape \(expectedOutput), got \(outputGradient.shape)")
        }
        if let finalStateGradient, finalStateGradient.shape != [batch, u] {
            throw TensorError("GRU state gradient must have shape [\(batch), \(u)], got \(finalStateGradient.shape)")
        }
        let unmasked = tape.mask.flatMap { UnmaskedRows(mask: $0.scalars, batch: batch, steps: steps, options: options) }
        var dh = finalStateGradient?.scalars ?? [S](repeating: 0, count: batch * u)
        // R^T (3u x u), so that the per-step products need no transposition.
        var transposed = [S](repeating: 0, count: width * u)
        weights.recurrentKernel.withUnsafeBufferPointer { r in
            for i in 0..<u { for j in 0..<width { transposed[j * u + i] = r[i * width + j] } }
        }
        let (dXP, dM) = transposed.withUnsafeBufferPointer { rt in
            let step = GRUBackwardStep<S>(spec: spec, transposed: rt.baseAddress!, masked: !tape.dropout.recurrent.isEmpty)
            if let compaction = tape.compaction, let unmasked {
                return compactedSweep(tape, step: step, compaction: compaction, unmasked: unmasked, outputGradient: outputGradient, dh: &dh)
            }
            let (dXP, dM) = fullSweep(tape, step: step, outputGradient: outputGradient, dh: &dh)
            guard let unmasked else { return (dXP, dM) }
            return (gather(dXP, rows: unmasked.inputs, width: width), gather(dM, rows: unmasked.states, width: width))
        }
        return try weightGradients(
            tape, weights: weights, dXP: dXP, dM: dM, initialState: dh, unmasked: unmasked, computeInputGradient: computeInputGradient)
    }

    /// The rows `rows` of `values` (rows of `width`), in that order.
    private static func gather<S: TensorScalar>(_ values: [S], rows: [Int], width: Int) -> [S] {
        rowsOf(values, count: rows.count, width: width) { i, target, source in target.update(from: source + rows[i] * width, count: width) }
    }

    /// The reverse sweep over every row of every step.
    ///
    /// - Returns: The gradients of the input projections (the inputs' rows) and of the
    ///   recurrent pre-activations (`(steps, batch)` rows, processing order), `3 * units` each.
    private static func fullSweep<S: TensorScalar>(
        _ tape: GRUSequenceTape<S>, step: GRUBackwardStep<S>, outputGradient: Tensor<S>, dh: inout [S]
    ) -> (dXP: [S], dM: [S]) {
        let spec = tape.spec, options = tape.options
        let batch = tape.batch, steps = tape.steps, u = spec.units
        let width = 3 * u, block = batch * u, rows = batch * steps
        let timeMajor = options.timeMajor
        func row(_ b: Int, _ t: Int) -> Int { timeMajor ? t * batch + b : b * steps + t }
        let maskValues = tape.mask?.scalars
        // Every row of both is written by the sweep.
        var dXP: [S] = uninitializedArray(count: rows * width)
        var dM: [S] = uninitializedArray(count: steps * batch * width)
        // The recurrent masks, contiguous: gate g at g * block.
        var masks = [S](repeating: 0, count: tape.dropout.recurrent.count * block)
        for (g, mask) in tape.dropout.recurrent.enumerated() { masks.replaceSubrange((g * block)..<((g + 1) * block), with: mask.scalars) }
        // Distance between the projection rows of consecutive batch entries.
        let rowStride = timeMajor ? 1 : steps
        // Batch rows are independent in the reverse sweep too: split them over the cores.
        let chunk = GRUSequence.rowWorkers(batch: batch, steps: steps, units: u).chunk
        outputGradient.withUnsafeBufferPointer { dYBuffer in
        tape.records.withUnsafeBufferPointer { recordBuffer in
        tape.previousStates.withUnsafeBufferPointer { previousBuffer in
        masks.withUnsafeBufferPointer { maskBuffer in
        dXP.withUnsafeMutableBufferPointer { dXPBuffer in
        dM.withUnsafeMutableBufferPointer { dMBuffer in
        dh.withUnsafeMutableBufferPointer { dhBuffer in
            let dYBase = dYBuffer.baseAddress!, records = recordBuffer.baseAddress!, previous = previousBuffer.baseAddress!
            parallelFor((batch + chunk - 1) / chunk) { worker in
                let b0 = worker * chunk, n = Swift.min(chunk, batch - b0), nb = n * u
                let scratch = UnsafeMutablePointer<S>.allocate(capacity: (3 + GRUBackwardStep<S>.scratchRows) * nb)
                scratch.initialize(repeating: 0, count: (3 + GRUBackwardStep<S>.scratchRows) * nb)
                defer { scratch.deallocate() }
                // carry: output gradient carried over masked steps; cell: the gradient the cell sees;
                // propagated: gradient for the previous state.
                let carry = scratch, cell = scratch + nb, propagated = scratch + 2 * nb, stepScratch = scratch + 3 * nb
                let dh = dhBuffer.baseAddress! + b0 * u
                for s in stride(from: steps - 1, through: 0, by: -1) {
                    let t = options.goBackwards ? steps - 1 - s : s
                    // Output gradient of this step, then the mask's routing of it.
                    for i in 0..<n {
                        let b = b0 + i
                        let keep = maskValues?[b * steps + t] ?? true
                        let source: UnsafePointer<S>? = options.returnSequences
                            ? dYBase + row(b, s) * u : (s == steps - 1 ? dYBase + b * u : nil)
                        route(source, units: u, keep: keep, zeroOutputForMask: options.zeroOutputForMask,
                              carry: carry + i * u, state: dh + i * u, cell: cell + i * u)
                    }
                    step.run(
                        GRUBackwardStep.Rows(
                            count: n, cell: cell, state: previous + s * block + b0 * u,
                            record: records + s * GRUStepRecord.count * block + b0 * u, recordStride: block,
                            projected: dXPBuffer.baseAddress! + row(b0, t) * width, projectedStride: rowStride * width,
                            recurrent: dMBuffer.baseAddress! + (s * batch + b0) * width, propagated: propagated,
                            masks: step.masked ? maskBuffer.baseAddress! + b0 * u : nil, maskStride: block, scratch: stepScratch),
                        everyRow: false)
                    // A masked step carries dh through unchanged.
                    for i in 0..<n where maskValues?[(b0 + i) * steps + t] ?? true {
                        (dh + i * u).update(from: propagated + i * u, count: u)
                    }
                }
            }
        }
        }
        }
        }
        }
        }
        }
        return (dXP, dM)
    }

    /// Routes one row's output gradient of a step through the mask: an unmasked step's cell
    /// sees the state gradient plus the output gradient carried to it; a masked step's output
    /// is the previous one (or zeros), so the gradient is carried on (or dropped) and the
    /// cell sees none.
    ///
    /// - Parameters:
    ///   - source: The gradient of this step's output, or `nil`.
    ///   - carry: The output gradient carried over masked steps.
    ///   - state: The gradient of the state after the step.
    ///   - cell: Receives the gradient the cell sees.
    private static func route<S: TensorScalar>(
        _ source: UnsafePointer<S>?, units u: Int, keep: Bool, zeroOutputForMask: Bool,
        carry c: UnsafeMutablePointer<S>, state d: UnsafeMutablePointer<S>, cell g: UnsafeMutablePointer<S>
    ) {
        if let source { for j in 0..<u { c[j] += source[j] } }
        if keep {
            for j in 0..<u { d[j] += c[j]; g[j] = d[j] }
            c.update(repeating: 0, count: u)
        } else {
            g.update(repeating: 0, count: u)
            if zeroOutputForMask { c.update(repeating: 0, count: u) }
        }
    }

    /// The reverse sweep of a compacted call: each step only over the rows running at it,
    /// each worker over the rows it ran forward, every row's values those of ``fullSweep``.
    ///
    /// - Returns: The gradients of the unmasked rows, in the order of `unmasked`.
    private static func compactedSweep<S: TensorScalar>(
        _ tape: GRUSequenceTape<S>, step: GRUBackwardStep<S>, compaction: CompactedRows, unmasked: UnmaskedRows,
        outputGradient: Tensor<S>, dh: inout [S]
    ) -> (dXP: [S], dM: [S]) {
        let spec = tape.spec, options = tape.options
        let batch = tape.batch, steps = tape.steps, u = spec.units, width = 3 * u, block = batch * u
        let timeMajor = options.timeMajor
        func row(_ b: Int, _ t: Int) -> Int { timeMajor ? t * batch + b : b * steps + t }
        // Every row of both is written by the sweep.
        var dXP: [S] = uninitializedArray(count: unmasked.inputs.count * width)
        var dM: [S] = uninitializedArray(count: unmasked.states.count * width)
        let lengths = compaction.lengths
        let masks = compaction.ordered(tape.dropout.recurrent, width: u)
        outputGradient.withUnsafeBufferPointer { dYBuffer in
        masks.withUnsafeBufferPointer { maskBuffer in
        tape.records.withUnsafeBufferPointer { recordBuffer in
        tape.previousStates.withUnsafeBufferPointer { previousBuffer in
        dXP.withUnsafeMutableBufferPointer { dXPBuffer in
        dM.withUnsafeMutableBufferPointer { dMBuffer in
        dh.withUnsafeMutableBufferPointer { dhBuffer in
            let dYBase = dYBuffer.baseAddress!, records = recordBuffer.baseAddress!, previous = previousBuffer.baseAddress!
            parallelFor(compaction.members.count) { w in
                let members = compaction.members[w], count = members.count, nb = count * u
                guard count > 0 else { return }
                let scratchCount = (4 + GRUBackwardStep<S>.scratchRows + 6) * nb
                let scratch = UnsafeMutablePointer<S>.allocate(capacity: scratchCount)
                scratch.initialize(repeating: 0, count: scratchCount)
                defer { scratch.deallocate() }
                // As in fullSweep, each row's in the compacted order; dxp and dm: the step's
                // gradients of the running rows, before they go to their places.
                let carry = scratch, cell = scratch + nb, propagated = scratch + 2 * nb, dh = scratch + 3 * nb
                let stepScratch = scratch + 4 * nb, dxp = stepScratch + GRUBackwardStep<S>.scratchRows * nb, dm = dxp + 3 * nb
                for (i, b) in members.enumerated() { (dh + i * u).update(from: dhBuffer.baseAddress! + b * u, count: u) }
                let first = compaction.firsts[w] * u
                var running = 0
                for s in stride(from: steps - 1, through: 0, by: -1) {
                    let t = options.goBackwards ? steps - 1 - s : s
                    // The sequences running at input step t: a prefix, as they go longest first.
                    while running > 0, lengths[members[running - 1]] <= t { running -= 1 }
                    while running < count, lengths[members[running]] > t { running += 1 }
                    for (i, b) in members.enumerated() {
                        let source: UnsafePointer<S>? = options.returnSequences
                            ? dYBase + row(b, s) * u : (s == steps - 1 ? dYBase + b * u : nil)
                        route(source, units: u, keep: i < running, zeroOutputForMask: options.zeroOutputForMask,
                              carry: carry + i * u, state: dh + i * u, cell: cell + i * u)
                    }
                    guard running > 0 else { continue }
                    step.run(
                        GRUBackwardStep.Rows(
                            count: running, cell: cell, state: previous + s * block + first,
                            record: records + s * GRUStepRecord.count * block + first, recordStride: block,
                            projected: dxp, projectedStride: width, recurrent: dm, propagated: propagated,
                            masks: masks.isEmpty ? nil : maskBuffer.baseAddress.map { $0 + first }, maskStride: block, scratch: stepScratch),
                        everyRow: true)
                    dh.update(from: propagated, count: running * u)
                    for i in 0..<running {
                        let b = members[i]
                        (dXPBuffer.baseAddress! + unmasked.inputIndex[row(b, t)] * width).update(from: dxp + i * width, count: width)
                        (dMBuffer.baseAddress! + unmasked.stateIndex[s * batch + b] * width).update(from: dm + i * width, count: width)
                    }
                }
                for (i, b) in members.enumerated() { (dhBuffer.baseAddress! + b * u).update(from: dh + i * u, count: u) }
            }
        }
        }
        }
        }
        }
        }
        }
        return (dXP, dM)
    }

    /// Forms the weight and input gradients with one matrix product per weight over the
    /// unmasked steps (all of them without a mask).
    ///
    /// - Parameters:
    ///   - dXP: The projection gradients of the inputs' rows, or of `unmasked.inputs`.
    ///   - dM: The recurrent pre-activation gradients of every `(step, batch)` row, or of `unmasked.states`.
    private static func weightGradients<S: TensorScalar>(
        _ tape: GRUSequenceTape<S>, weights: GRUWeights<S>, dXP: [S], dM: [S], initialState: [S],
        unmasked: UnmaskedRows?, computeInputGradient: Bool
    ) throws -> GRUSequenceGradients<S> {
        let spec = tape.spec, u = spec.units, f = spec.inputSize, width = 3 * u
        let batch = tape.batch, steps = tape.steps, block = batch * u, rows = batch * steps
        let timeMajor = tape.options.timeMajor
        func batchOf(_ r: Int) -> Int { timeMajor ? r % batch : r / steps }
        // The input rows the products sum over, and the states.
        let inputRows = unmasked?.inputs.count ?? rows
        func inputRow(_ i: Int) -> Int { unmasked?.inputs[i] ?? i }
        let states = unmasked?.states.count ?? steps * batch
        var dKernel = [S](repeating: 0, count: f * width)
        var dInputs = [S](repeating: 0, count: rows * f)
        let inputMasks = tape.dropout.input.map(\.scalars)
        let x = tape.inputs.scalars
        // Gates that share one input mask are handled together.
        let groups: [(columns: Range<Int>, mask: [S]?)] = inputMasks.isEmpty
            ? [(0..<width, nil)]
            : inputMasks.count == 1 ? [(0..<width, inputMasks[0])]
            : (0..<3).map { ((($0 * u)..<(($0 + 1) * u)), inputMasks[$0]) }
        if inputRows > 0 {
            weights.kernel.withUnsafeBufferPointer { w in
                dXP.withUnsafeBufferPointer { dxp in
                    dKernel.withUnsafeMutableBufferPointer { dk in
                        for (columns, mask) in groups {
                            // The inputs of the rows summed over, times the group's dropout mask.
                            let source = mask == nil && unmasked == nil ? [] : rowsOf(x, count: inputRows, width: f) { i, target, x in
                                let r = inputRow(i)
                                guard let mask else { target.update(from: x + r * f, count: f); return }
                                let m = batchOf(r) * f
                                for j in 0..<f { target[j] = x[r * f + j] * mask[m + j] }
                            }
                            (source.isEmpty ? x : source).withUnsafeBufferPointer { xs in
                                S.parallelGEMM(
                                    precision: spec.precision, transposeA: true, transposeB: false, m: f, n: columns.count, k: inputRows, alpha: 1,
                                    a: xs.baseAddress!, lda: f, b: dxp.baseAddress! + columns.lowerBound, ldb: width,
                                    beta: 0, c: dk.baseAddress! + columns.lowerBound, ldc: width)
                            }
                            guard computeInputGradient else { continue }
                            if mask == nil, unmasked == nil {
                                // No dropout, every row: the product is the input gradient itself.
                                dInputs.withUnsafeMutableBufferPointer { d in
                                    S.parallelGEMM(
                                        precision: spec.precision, transposeA: false, transposeB: true, m: rows, n: f, k: columns.count, alpha: 1,
                                        a: dxp.baseAddress! + columns.lowerBound, lda: width, b: w.baseAddress! + columns.lowerBound, ldb: width,
                                        beta: 0, c: d.baseAddress!, ldc: f)
                                }
                                continue
                            }
                            var through: [S] = uninitializedArray(count: inputRows * f)
                            through.withUnsafeMutableBufferPointer { d in
                                S.parallelGEMM(
                                    precision: spec.precision, transposeA: false, transposeB: true, m: inputRows, n: f, k: columns.count, alpha: 1,
                                    a: dxp.baseAddress! + columns.lowerBound, lda: width, b: w.baseAddress! + columns.lowerBound, ldb: width,
                                    beta: 0, c: d.baseAddress!, ldc: f)
                            }
                            dInputs.withUnsafeMutableBufferPointer { d in
                                through.withUnsafeBufferPointer { through in
                                    for i in 0..<inputRows {
                                        let r = inputRow(i), m = batchOf(r) * f
                                        if let mask {
                                            for j in 0..<f { d[r * f + j] += through[i * f + j] * mask[m + j] }
                                        } else {
                                            for j in 0..<f { d[r * f + j] += through[i * f + j] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // Recurrent kernel: previous states (masked per gate) against the recurrent pre-activation gradients.
        var dRecurrent = [S](repeating: 0, count: u * width)
        let recurrentMasks = tape.dropout.recurrent.map(\.scalars)
        // Gates whose recurrent product reads the same states share one product: all three
        // without recurrent dropout (z and r only, reset-before), else one gate at a time.
        let gateGroups: [Range<Int>] = !recurrentMasks.isEmpty ? [0..<1, 1..<2, 2..<3] : spec.resetAfter ? [0..<3] : [0..<2, 2..<3]
        // Where the state of row i of the products is in a tape block of step s, and its
        // sequence's recurrent masks.
        let positions = tape.compaction?.positions
        func stateRow(_ i: Int) -> (step: Int, offset: Int, mask: Int) {
            let st = unmasked?.states[i] ?? i, b = st % batch
            return (st / batch, (positions?[b] ?? b) * u, b * u)
        }
        if states > 0 {
            dM.withUnsafeBufferPointer { dm in
                dRecurrent.withUnsafeMutableBufferPointer { dr in
                    for gates in gateGroups {
                        let g = gates.lowerBound
                        // Reset-before: R_h multiplies the recorded reset states r * h.
                        let resetStates = g == 2 && !spec.resetAfter
                        let mask = resetStates || recurrentMasks.isEmpty ? nil : recurrentMasks[g]
                        let source = !resetStates && mask == nil && unmasked == nil
                            ? [] : rowsOf(resetStates ? tape.records : tape.previousStates, count: states, width: u) { i, target, values in
                                let (s, offset, m) = stateRow(i)
                                let start = resetStates ? (s * GRUStepRecord.count + GRUStepRecord.auxiliary) * block + offset : s * block + offset
                                guard let mask else { target.update(from: values + start, count: u); return }
                                for j in 0..<u { target[j] = values[start + j] * mask[m + j] }
                            }
                        (source.isEmpty ? tape.previousStates : source).withUnsafeBufferPointer { h in
                            S.parallelGEMM(
                                precision: spec.precision, transposeA: true, transposeB: false, m: u, n: gates.count * u, k: states, alpha: 1,
                                a: h.baseAddress!, lda: u, b: dm.baseAddress! + g * u, ldb: width,
                                beta: 0, c: dr.baseAddress! + g * u, ldc: width)
                        }
                    }
                }
            }
        }
        var dBias: Tensor<S>?
        if spec.useBias {
            let inputBias = columnSums(dXP, rows: inputRows, width: width)
            dBias = spec.resetAfter
                ? try Tensor(shape: [2, width], scalars: inputBias + columnSums(dM, rows: states, width: width))
                : try Tensor(shape: [width], scalars: inputBias)
        }
        return GRUSequenceGradients(
            inputs: try Tensor(shape: tape.inputs.shape, scalars: dInputs),
            initialState: try Tensor(shape: [batch, u], scalars: initialState),
            kernel: try Tensor(shape: [f, width], scalars: dKernel),
            recurrentKernel: try Tensor(shape: [u, width], scalars: dRecurrent),
            bias: dBias)
    }
}

/// `count` rows of `width` values, row `i` written by `fill(i, row, source)`.
private func rowsOf<S: TensorScalar>(
    _ values: [S], count: Int, width: Int, _ fill: (Int, UnsafeMutablePointer<S>, UnsafePointer<S>) -> Void
) -> [S] {
    var rows: [S] = uninitializedArray(count: count * width)
    values.withUnsafeBufferPointer { source in
        rows.withUnsafeMutableBufferPointer { target in
            guard let source = source.baseAddress, let target = target.baseAddress else { return }
            for i in 0..<count { fill(i, target + i * width, source) }
        }
    }
    return rows
}

/// The sums of the columns of the first `rows` rows of `values` (rows of `width`), each summed
/// from the first row down.
private func columnSums<S: TensorScalar>(_ values: [S], rows: Int, width: Int) -> [S] {
    var sums = [S](repeating: 0, count: width)
    values.withUnsafeBufferPointer { v in
        sums.withUnsafeMutableBufferPointer { sums in
            for r in 0..<rows { for j in 0..<width { sums[j] += v[r * width + j] } }
        }
    }
    return sums
}

/// The rows of a masked call whose gradients can be other than zero: the unmasked steps.
/// A masked step's gate gradients are zero, so the weight-gradient products sum over these
/// rows only, in this order, whichever sweep computed them.
struct UnmaskedRows {
    /// The input rows of the unmasked steps (`b * steps + t`, or `t * batch + b` time-major), ascending.
    let inputs: [Int]
    /// Each input row's index in ``inputs``, or -1 when masked.
    let inputIndex: [Int]
    /// `s * batch + b` of the unmasked processing steps `s`, ascending.
    let states: [Int]
    /// Each `s * batch + b`'s index in ``states``, or -1 when masked.
    let stateIndex: [Int]

    /// `nil` when no step is masked.
    init?(mask: [Bool], batch: Int, steps: Int, options: GRUSequenceOptions) {
        guard mask.contains(false) else { return nil }
        let rows = batch * steps
        var inputs = [Int](), inputIndex = [Int](repeating: -1, count: rows)
        inputs.reserveCapacity(rows)
        for r in 0..<rows {
            let (b, t) = options.timeMajor ? (r % batch, r / batch) : (r / steps, r % steps)
            if mask[b * steps + t] {
                inputIndex[r] = inputs.count
                inputs.append(r)
            }
        }
        var states = [Int](), stateIndex = [Int](repeating: -1, count: rows)
        states.reserveCapacity(inputs.count)
        for s in 0..<steps {
            let t = options.goBackwards ? steps - 1 - s : s
            for b in 0..<batch where mask[b * steps + t] {
                stateIndex[s * batch + b] = states.count
                states.append(s * batch + b)
            }
        }
        self.inputs = inputs
        self.inputIndex = inputIndex
        self.states = states
        self.stateIndex = stateIndex
    }
}

/// One step of the reverse sweep over a run of rows: from the gradient reaching the step's
/// output to the gradients of its gate pre-activations and of the state before it. Shared
/// by the sweep over every row and the compacted one, so that a row's values are the same.
struct GRUBackwardStep<S: TensorScalar> {
    /// Scratch rows (of `units`) a step needs per row.
    static var scratchRows: Int { 5 }

    let spec: GRUSpec
    /// With recurrent dropout masks.
    let masked: Bool
    /// R^T for all recurrent gates, and per gate.
    private let allGates: PackedMatrix<S>
    private let perGate: [PackedMatrix<S>]

    /// - Parameter transposed: R^T, `(3 * units, units)`; must stay valid while the step is used.
    init(spec: GRUSpec, transposed rt: UnsafePointer<S>, masked: Bool) {
        let u = spec.units
        self.spec = spec
        self.masked = masked
        allGates = PackedMatrix(rt, k: (spec.resetAfter ? 3 : 2) * u, n: u, ldb: u, precision: spec.precision)
        perGate = (0..<3).map { PackedMatrix(rt + $0 * u * u, k: u, n: u, ldb: u, precision: spec.precision) }
    }

    struct Rows {
        var count: Int
        /// The gradient reaching the step's output, `(count, units)`.
        var cell: UnsafePointer<S>
        /// The state before the step.
        var state: UnsafePointer<S>
        /// The step's ``GRUStepRecord`` blocks, `recordStride` apart.
        var record: UnsafePointer<S>
        var recordStride: Int
        /// Receives the gradients of the input projections, rows `projectedStride` apart.
        var projected: UnsafeMutablePointer<S>
        var projectedStride: Int
        /// Receives the gradients of the recurrent pre-activations, rows `3 * units` apart.
        var recurrent: UnsafeMutablePointer<S>
        /// Receives the gradient of the state before the step.
        var propagated: UnsafeMutablePointer<S>
        /// Gate g's recurrent dropout masks of these rows at `masks + g * maskStride`, or `nil`.
        var masks: UnsafePointer<S>?
        var maskStride: Int
        /// ``scratchRows`` rows of scratch per row.
        var scratch: UnsafeMutablePointer<S>
    }

    /// Runs the step.
    ///
    /// - Parameter everyRow: Each row's products on the same kernel however many rows there are.
    func run(_ rows: Rows, everyRow: Bool) {
        let u = spec.units, width = 3 * u, n = rows.count, nb = n * u
        let cell = rows.cell, hp = rows.state, propagated = rows.propagated
        let dxpStep = rows.projected, dmStep = rows.recurrent, rowStride = rows.projectedStride
        // gate: dz, dr, d(candidate pre-activation).
        let gate = rows.scratch, through = rows.scratch + 3 * nb, dResetState = rows.scratch + 4 * nb
        func recorded(_ kind: Int) -> UnsafePointer<S> { rows.record + kind * rows.recordStride }
        func gateMask(_ g: Int) -> UnsafePointer<S>? { rows.masks.map { $0 + g * rows.maskStride } }
        let recurrentGates = spec.resetAfter ? 3 : 2
        // Sigmoid gates and a tanh candidate without recurrent dropout: fused passes.
        let fused = spec.recurrentActivation == .sigmoid && spec.activation == .tanh && rows.masks == nil
        let z = recorded(GRUStepRecord.z), candidate = recorded(GRUStepRecord.candidate)
        let r = recorded(GRUStepRecord.r), auxiliary = recorded(GRUStepRecord.auxiliary)
        // Back into the previous state through the recurrent products.
        func finish() {
            guard let masks = rows.masks else {
                allGates.multiply(dmStep, rows: n, lda: width, beta: 1, into: propagated, ldc: u, everyRow: everyRow)
                return
            }
            for g in 0..<recurrentGates {
                perGate[g].multiply(dmStep + g * u, rows: n, lda: width, beta: 0, into: through, ldc: u, everyRow: everyRow)
                let mask = masks + g * rows.maskStride
                for k in 0..<nb { propagated[k] += through[k] * mask[k] }
            }
        }
        // Reset-before: the blend and candidate, d(r * h) = dc @ R_h^T, then the reset gate.
        if fused, !spec.resetAfter, S.fusedResetBeforeCandidateBackward(
            rows: n, units: u, gradient: cell, state: hp, z: z, candidate: candidate,
            projected: dxpStep, projectedStride: rowStride, recurrent: dmStep, recurrentStride: width,
            propagated: propagated) {
            perGate[2].multiply(dmStep + 2 * u, rows: n, lda: width, beta: 0, into: dResetState, ldc: u, everyRow: everyRow)
            // Available whenever the candidate's pass is.
            _ = S.fusedResetBeforeResetGateBackward(
                rows: n, units: u, resetStateGradient: dResetState, state: hp, r: r,
                projected: dxpStep, projectedStride: rowStride, recurrent: dmStep, recurrentStride: width,
                propagated: propagated)
            finish()
            return
        }
        if fused, spec.resetAfter, S.fusedResetAfterGatesBackward(
            rows: n, units: u, gradient: cell, state: hp, z: z, r: r, candidate: candidate, auxiliary: auxiliary,
            projected: dxpStep, projectedStride: rowStride,
            recurrent: dmStep, recurrentStride: width, propagated: propagated) {
            finish()
            return
        }
        // Through the blend h' = z h + (1 - z) hh.
        for k in 0..<nb {
            let g = cell[k]
            gate[k] = g * (hp[k] - candidate[k])
            gate[2 * nb + k] = g * (1 - z[k])
            propagated[k] = g * z[k]
        }
        // Candidate activation, row by row (a softmax candidate mixes its row).
        for i in 0..<n {
            spec.activation.backward(
                inPlace: UnsafeMutableBufferPointer(start: gate + 2 * nb + i * u, count: u),
                input: UnsafeBufferPointer(start: recorded(spec.activation.derivativeNeedsInput ? GRUStepRecord.preH : GRUStepRecord.candidate) + i * u, count: u),
                output: UnsafeBufferPointer(start: candidate + i * u, count: u), rowLength: u)
        }
        if spec.resetAfter {
            for k in 0..<nb { gate[nb + k] = gate[2 * nb + k] * auxiliary[k] }
        } else {
            // d(r * h_h) = dPreH @ R_h^T
            perGate[2].multiply(gate + 2 * nb, rows: n, lda: u, beta: 0, into: dResetState, ldc: u, everyRow: everyRow)
            let candidateMask = gateMask(2)
            for k in 0..<nb {
                let m = candidateMask?[k] ?? 1
                gate[nb + k] = dResetState[k] * hp[k] * m
                propagated[k] += dResetState[k] * r[k] * m
            }
        }
        // Gate activations, each over its own u columns.
        let gatesNeedInput = spec.recurrentActivation.derivativeNeedsInput
        for i in 0..<n {
            spec.recurrentActivation.backward(
                inPlace: UnsafeMutableBufferPointer(start: gate + i * u, count: u),
                input: UnsafeBufferPointer(start: recorded(gatesNeedInput ? GRUStepRecord.preZ : GRUStepRecord.z) + i * u, count: u),
                output: UnsafeBufferPointer(start: z + i * u, count: u), rowLength: u)
            spec.recurrentActivation.backward(
                inPlace: UnsafeMutableBufferPointer(start: gate + nb + i * u, count: u),
                input: UnsafeBufferPointer(start: recorded(gatesNeedInput ? GRUStepRecord.preR : GRUStepRecord.r) + i * u, count: u),
                output: UnsafeBufferPointer(start: r + i * u, count: u), rowLength: u)
        }
        // Scatter into the projection gradients and the recurrent pre-activation gradients.
        for i in 0..<n {
            let target = dxpStep + i * rowStride, m = dmStep + i * width
            for j in 0..<u {
                let k = i * u + j
                let dz = gate[k], dr = gate[nb + k], dPreH = gate[2 * nb + k]
                target[j] = dz
                target[u + j] = dr
                target[2 * u + j] = dPreH
                m[j] = dz
                m[u + j] = dr
                // Reset-after: the candidate's recurrent part is r * mh; reset-before: dPreH itself.
                m[2 * u + j] = spec.resetAfter ? dPreH * r[k] : dPreH
            }
        }
        finish()
    }
}
