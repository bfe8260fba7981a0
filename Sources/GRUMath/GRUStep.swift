@_spi(GRUKernels) import GRUTensor

/// One step of the GRU recurrence on raw buffers, shared by the cell (one
/// step at a time) and the sequence loop (all steps of a call).
///
/// Gate order is Keras': z (update), r (reset), h (candidate).
package enum GRUStep {
    /// Computes `out[r, :] = (x[r, :] * mask[batch(r), :]) @ kernel + inputBias` for `rows` rows.
    ///
    /// - Parameters:
    ///   - x: `rows * inputSize` values.
    ///   - batchIndex: Maps a row to the batch entry whose dropout mask applies.
    ///   - inputMasks: Zero, one (all gates) or three (one per gate) masks of shape `(batch, inputSize)`.
    /// - Returns: `rows * 3 * units` values.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    package static func projectInputs<S: TensorScalar>(
        spec: GRUSpec, weights: GRUWeights<S>, x: UnsafeBufferPointer<S>, rows: Int,
        batchIndex: (Int) -> Int, inputMasks: [Tensor<S>]
    ) -> [S] {
        // Without dropout the kernel packed for these weights is kept for the next call.
        let projection = inputMasks.isEmpty
            ? weights.prepared.inputProjection(spec, weights)
            : GRUInputProjection(spec: spec, weights: weights, perGate: inputMasks.count > 1, rows: rows)
        return projection.projectAll(x, rows: rows, batchIndex: batchIndex, inputMasks: inputMasks)
    }

    /// Advances `batch` rows by one step.
    ///
    /// - Parameters:
    ///   - projected: Row `b` starts at `projected + b * projectedStride` and holds the
    ///     `3 * units` input projections (input bias included).
    ///   - state: `(batch, units)`, the state before the step.
    ///   - recurrent: The recurrent kernel, prepared once per sequence.
    ///   - recurrentMasks: `nil`, or the rows' `(batch, units)` recurrent masks of the three
    ///     gates, gate `g`'s at `recurrentMasks + g * recurrentMaskStride`.
    ///   - newState: `(batch, units)`, receives the state after the step; may not alias `state`.
    ///   - record: When given, receives what the backward pass needs: the ``GRUStepRecord``
    ///     blocks, `recordStride` scalars apart, each holding these rows' `(batch, units)` values.
    ///   - workspace: At least `4 * batch * units` scalars of scratch.
    ///   - everyRow: Each row's products on the same kernel however many rows the step has
    ///     (one to four included), as ``CompactedSequence`` needs.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    package static func forward<S: TensorScalar>(
        spec: GRUSpec, batch: Int, projected: UnsafePointer<S>, projectedStride: Int,
        state: UnsafePointer<S>, recurrent: GRURecurrentKernel<S>, recurrentMasks: UnsafePointer<S>?, recurrentMaskStride: Int,
        newState: UnsafeMutablePointer<S>, record: UnsafeMutablePointer<S>?, recordStride: Int,
        workspace: UnsafeMutablePointer<S>, everyRow: Bool = false
    ) {
        let u = spec.units, width = 3 * u
        guard batch > 0, u > 0 else { return }
        // hm: the recurrent projections, then the gate values z, r and candidate h, per row.
        let hm = workspace, scratch = workspace + batch * width
        // The gate's view of the state: h itself, or h times that gate's recurrent mask.
        func gateInput(_ gate: Int) -> UnsafePointer<S> {
            guard let recurrentMasks else { return state }
            let mask = recurrentMasks + gate * recurrentMaskStride
            for i in 0..<(batch * u) { scratch[i] = state[i] * mask[i] }
            return UnsafePointer(scratch)
        }
        if recurrentMasks == nil {
            recurrent.multiply(state, rows: batch, group: 0, into: hm, everyRow: everyRow)
            // Sigmoid gates and a tanh candidate: fused passes when the scalar type has them.
            let fusable = spec.recurrentActivation == .sigmoid && spec.activation == .tanh
            if fusable, spec.resetAfter,
               recurrent.fusedGates(rows: batch, hm: hm, x: projected, xStride: projectedStride, state: state, output: newState,
                                    record: record, recordStride: recordStride) {
                return
            }
            if fusable, !spec.resetAfter,
               S.fusedResetBeforeGates(
                rows: batch, units: u, hm: hm, x: projected, xStride: projectedStride, state: state, resetState: scratch,
                record: record, recordStride: recordStride,
                recordBlocks: (GRUStepRecord.z, GRUStepRecord.r, GRUStepRecord.auxiliary)) {
                recurrent.multiply(UnsafePointer(scratch), rows: batch, group: 1, into: hm, everyRow: everyRow)
                // Available whenever the first pass is.
                _ = S.fusedResetBeforeCandidate(
                    rows: batch, units: u, hm: hm, x: projected, xStride: projectedStride, state: state, output: newState,
                    record: record, recordStride: recordStride, candidateBlock: GRUStepRecord.candidate)
                return
            }
        } else {
            for gate in 0..<(spec.resetAfter ? 3 : 2) { recurrent.multiply(gateInput(gate), rows: batch, group: gate, into: hm, everyRow: everyRow) }
        }
        if let record, spec.resetAfter {
            for b in 0..<batch { (record + GRUStepRecord.auxiliary * recordStride + b * u).update(from: hm + b * width + 2 * u, count: u) }
        }
        // z and r, each activated over its own u columns (softmax gates normalise per gate).
        for b in 0..<batch {
            let x = projected + b * projectedStride, row = hm + b * width
            for j in 0..<(2 * u) { row[j] += x[j] }
            if let record, spec.recurrentActivation.derivativeNeedsInput {
                (record + GRUStepRecord.preZ * recordStride + b * u).update(from: row, count: u)
                (record + GRUStepRecord.preR * recordStride + b * u).update(from: row + u, count: u)
            }
        }
        applyGates(spec.recurrentActivation, hm, batch: batch, u: u, columns: 0..<(2 * u))
        if spec.resetAfter {
            for b in 0..<batch {
                let x = projected + b * projectedStride, row = hm + b * width
                for j in 0..<u { row[2 * u + j] = x[2 * u + j] + row[u + j] * row[2 * u + j] }
            }
        } else {
            // (r * h) @ R_h, where h carries the candidate gate's recurrent mask.
            let h = gateInput(2)
            for b in 0..<batch {
                for j in 0..<u { scratch[b * u + j] = hm[b * width + u + j] * h[b * u + j] }
            }
            if let record {
                for b in 0..<batch { (record + GRUStepRecord.auxiliary * recordStride + b * u).update(from: scratch + b * u, count: u) }
            }
            // The candidate block of hm is overwritten by the product, then the input part is added.
            recurrent.multiply(UnsafePointer(scratch), rows: batch, group: recurrentMasks == nil ? 1 : 2, into: hm, everyRow: everyRow)
            for b in 0..<batch {
                let x = projected + b * projectedStride, row = hm + b * width
                for j in 0..<u { row[2 * u + j] += x[2 * u + j] }
            }
        }
        if let record, spec.activation.derivativeNeedsInput {
            for b in 0..<batch { (record + GRUStepRecord.preH * recordStride + b * u).update(from: hm + b * width + 2 * u, count: u) }
        }
        applyGates(spec.activation, hm, batch: batch, u: u, columns: (2 * u)..<(3 * u))
        for b in 0..<batch {
            let row = hm + b * width
            if let record {
                (record + GRUStepRecord.z * recordStride + b * u).update(from: row, count: u)
                (record + GRUStepRecord.r * recordStride + b * u).update(from: row + u, count: u)
                (record + GRUStepRecord.candidate * recordStride + b * u).update(from: row + 2 * u, count: u)
            }
            let h = state + b * u, out = newState + b * u, z = row, candidate = row + 2 * u
            for j in 0..<u { out[j] = candidate[j] + z[j] * (h[j] - candidate[j]) }
        }
    }

    /// Applies an activation to the given columns of each row of hm, per gate of `u` columns.
    private static func applyGates<S: TensorScalar>(_ activation: Activation, _ hm: UnsafeMutablePointer<S>, batch: Int, u: Int, columns: Range<Int>) {
        let width = 3 * u
        if !activation.isRowwise {
            // Element-wise: one call per row segment (the segments of all rows are not contiguous).
            for b in 0..<batch {
                activation.apply(inPlace: UnsafeMutableBufferPointer(start: hm + b * width + columns.lowerBound, count: columns.count), rowLength: columns.count)
            }
            return
        }
        for b in 0..<batch {
            for start in stride(from: columns.lowerBound, to: columns.upperBound, by: u) {
                activation.apply(inPlace: UnsafeMutableBufferPointer(start: hm + b * width + start, count: u), rowLength: u)
            }
        }
    }
}

/// The recurrent kernel of a GRU prepared for many steps: packed once, in the
/// column groups the step multiplies by (all gates; z and r then h; or one gate at a time
/// when recurrent dropout gives each gate its own state).
package final class GRURecurrentKernel<S: TensorScalar>: Sendable {
    private let kernel: PackedGateKernel<S>
    private let units: Int
    /// The recurrent bias (reset-after), `3 * units` values, added by every product.
    private let bias: [S]?

    /// Prepares the recurrent kernel of `weights`.
    ///
    /// - Parameters:
    ///   - perGate: One group per gate (recurrent dropout).
    ///   - rows: The most rows one step will have, when known.
    package init(spec: GRUSpec, weights: GRUWeights<S>, perGate: Bool, rows: Int = .max) {
        units = spec.units
        bias = weights.recurrentBias(spec).map(Array.init)
        let groups: [Range<Int>] = perGate ? [0..<1, 1..<2, 2..<3] : (spec.resetAfter ? [0..<3] : [0..<2, 2..<3])
        kernel = PackedGateKernel(weights.recurrentKernel, units: spec.units, groups: groups, rows: rows, precision: spec.precision)
    }

    /// The recurrent kernel of `weights` without recurrent dropout, packed once and kept
    /// with the weights until one of them changes.
    package static func prepared(spec: GRUSpec, weights: GRUWeights<S>) -> GRURecurrentKernel {
        weights.prepared.recurrentKernel(spec, weights)
    }

    /// Runs the fused reset-after gates on `hm` from ``multiply(_:rows:group:into:)`` when the
    /// scalar type has them (sigmoid gates, tanh candidate).
    func fusedGates(
        rows: Int, hm: UnsafePointer<S>, x: UnsafePointer<S>, xStride: Int, state: UnsafePointer<S>,
        output: UnsafeMutablePointer<S>, record: UnsafeMutablePointer<S>?, recordStride: Int
    ) -> Bool {
        S.fusedResetAfterGates(
            rows: rows, units: units, hm: hm, x: x, xStride: xStride,
            state: state, output: output, record: record, recordStride: recordStride,
            recordBlocks: (GRUStepRecord.z, GRUStepRecord.r, GRUStepRecord.candidate, GRUStepRecord.auxiliary))
    }

    /// Writes `h @ R[:, group]` plus the group's recurrent bias (reset-after) for `rows` rows
    /// into the matching columns of `output` (rows of `3 * units`).
    ///
    /// - Parameter everyRow: See ``PackedGateKernel/multiply(_:rows:lda:group:bias:into:ldc:everyRow:)``.
    func multiply(_ h: UnsafePointer<S>, rows: Int, group: Int, into output: UnsafeMutablePointer<S>, everyRow: Bool = false) {
        bias.withBaseAddress {
            kernel.multiply(h, rows: rows, lda: units, group: group, bias: $0, into: output, ldc: 3 * units, everyRow: everyRow)
        }
    }
}

/// The layout of what ``GRUStep/forward(spec:batch:projected:projectedStride:state:recurrent:recurrentMasks:newState:record:recordStride:workspace:)``
/// records for the backward pass: seven consecutive `(batch, units)` blocks. The pre-activation
/// blocks are written only for activations whose derivative needs its input.
package enum GRUStepRecord {
    /// Pre-activations of the update and reset gates and of the candidate.
    package static let preZ = 0, preR = 1, preH = 2
    /// The gates and the candidate after their activations.
    package static let z = 3, r = 4, candidate = 5
    /// Reset-after: the recurrent candidate projection `h @ R_h + b_h` before the reset gate.
    /// Reset-before: the reset state `r * h` that multiplies `R_h`.
    package static let auxiliary = 6
    /// The number of blocks.
    package static let count = 7
}
