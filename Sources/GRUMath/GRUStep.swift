import GRUTensor

/// One step of the GRU recurrence on raw buffers, shared by the cell (one
/// step at a time) and the sequence loop (all steps of a call).
///
/// Gate order is Keras': z (update), r (reset), h (candidate).
public enum GRUStep {
    /// Computes `out[r, :] = (x[r, :] * mask[batch(r), :]) @ kernel + inputBias` for `rows` rows.
    ///
    /// - Parameters:
    ///   - x: `rows * inputSize` values.
    ///   - batchIndex: Maps a row to the batch entry whose dropout mask applies.
    ///   - inputMasks: Zero, one (all gates) or three (one per gate) masks of shape `(batch, inputSize)`.
    /// - Returns: `rows * 3 * units` values.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func projectInputs<S: TensorScalar>(
        spec: GRUSpec, weights: GRUWeights<S>, x: UnsafeBufferPointer<S>, rows: Int,
        batchIndex: (Int) -> Int, inputMasks: [Tensor<S>]
    ) -> [S] {
        let f = spec.inputSize, width = 3 * spec.units
        var out = [S](repeating: 0, count: rows * width)
        guard rows > 0, width > 0 else { return out }
        if let bias = weights.inputBias(spec) {
            for r in 0..<rows { for (j, value) in bias.enumerated() { out[r * width + j] = value } }
        }
        weights.kernel.withUnsafeBufferPointer { kernel in
            out.withUnsafeMutableBufferPointer { out in
                func project(_ source: UnsafePointer<S>, column: Int, count: Int) {
                    guard f > 0 else { return }
                    S.gemm(
                        transposeA: false, transposeB: false, m: rows, n: count, k: f, alpha: 1,
                        a: source, lda: f, b: kernel.baseAddress! + column, ldb: width,
                        beta: 1, c: out.baseAddress! + column, ldc: width)
                }
                if inputMasks.isEmpty {
                    if let base = x.baseAddress { project(base, column: 0, count: width) }
                    return
                }
                var masked = [S](repeating: 0, count: rows * f)
                for (gate, mask) in inputMasks.enumerated() {
                    for r in 0..<rows {
                        let m = batchIndex(r) * f
                        for i in 0..<f { masked[r * f + i] = x[r * f + i] * mask.scalars[m + i] }
                    }
                    masked.withUnsafeBufferPointer { masked in
                        if inputMasks.count == 1 {
                            project(masked.baseAddress!, column: 0, count: width)
                        } else {
                            project(masked.baseAddress!, column: gate * spec.units, count: spec.units)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Advances `batch` rows by one step.
    ///
    /// - Parameters:
    ///   - projected: Row `b` starts at `projected + b * projectedStride` and holds the
    ///     `3 * units` input projections (input bias included).
    ///   - state: `(batch, units)`, the state before the step.
    ///   - recurrentMasks: Empty or three `(batch, units)` masks, one per gate.
    ///   - newState: `(batch, units)`, receives the state after the step; may not alias `state`.
    ///   - record: When given, receives what the backward pass needs: seven `(batch, units)`
    ///     blocks, see ``GRUStepRecord``.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func forward<S: TensorScalar>(
        spec: GRUSpec, weights: GRUWeights<S>, batch: Int,
        projected: UnsafePointer<S>, projectedStride: Int,
        state: UnsafePointer<S>, recurrentMasks: [Tensor<S>],
        newState: UnsafeMutablePointer<S>, record: UnsafeMutablePointer<S>? = nil
    ) {
        let u = spec.units, width = 3 * u
        guard batch > 0, u > 0 else { return }
        let recurrentBias = weights.recurrentBias(spec)
        // hm: the recurrent projections, then the gate values z, r and candidate h, per row.
        let hm = UnsafeMutablePointer<S>.allocate(capacity: batch * width)
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: batch * u)
        defer { hm.deallocate(); scratch.deallocate() }
        weights.recurrentKernel.withUnsafeBufferPointer { rk in
            let rk = rk.baseAddress!
            // The gate's view of the state: h itself, or h times that gate's recurrent mask.
            func gateInput(_ gate: Int) -> UnsafePointer<S> {
                guard !recurrentMasks.isEmpty else { return state }
                recurrentMasks[gate].withUnsafeBufferPointer { mask in
                    for i in 0..<(batch * u) { scratch[i] = state[i] * mask[i] }
                }
                return UnsafePointer(scratch)
            }
            func multiply(_ h: UnsafePointer<S>, gates: Range<Int>) {
                S.gemm(
                    transposeA: false, transposeB: false, m: batch, n: gates.count * u, k: u, alpha: 1,
                    a: h, lda: u, b: rk + gates.lowerBound * u, ldb: width,
                    beta: 0, c: hm + gates.lowerBound * u, ldc: width)
            }
            let recurrentGates = spec.resetAfter ? 3 : 2
            if recurrentMasks.isEmpty {
                multiply(state, gates: 0..<recurrentGates)
            } else {
                for gate in 0..<recurrentGates { multiply(gateInput(gate), gates: gate..<(gate + 1)) }
            }
            if let recurrentBias {
                for b in 0..<batch {
                    for (j, value) in zip(0..., recurrentBias) { hm[b * width + j] += value }
                }
            }
            let block = batch * u
            if let record, spec.resetAfter {
                for b in 0..<batch { (record + GRUStepRecord.auxiliary * block + b * u).update(from: hm + b * width + 2 * u, count: u) }
            }
            // z and r, each activated over its own u columns (softmax gates normalise per gate).
            for b in 0..<batch {
                let x = projected + b * projectedStride, row = hm + b * width
                for j in 0..<(2 * u) { row[j] += x[j] }
                if let record {
                    (record + GRUStepRecord.preZ * block + b * u).update(from: row, count: u)
                    (record + GRUStepRecord.preR * block + b * u).update(from: row + u, count: u)
                }
                spec.recurrentActivation.apply(inPlace: UnsafeMutableBufferPointer(start: row, count: u), rowLength: u)
                spec.recurrentActivation.apply(inPlace: UnsafeMutableBufferPointer(start: row + u, count: u), rowLength: u)
            }
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
                if let record { (record + GRUStepRecord.auxiliary * block).update(from: scratch, count: block) }
                multiply(scratch, gates: 2..<3)
                for b in 0..<batch {
                    let x = projected + b * projectedStride, row = hm + b * width
                    for j in 0..<u { row[2 * u + j] += x[2 * u + j] }
                }
            }
            for b in 0..<batch {
                let row = hm + b * width
                if let record {
                    (record + GRUStepRecord.preH * block + b * u).update(from: row + 2 * u, count: u)
                }
                spec.activation.apply(inPlace: UnsafeMutableBufferPointer(start: row + 2 * u, count: u), rowLength: u)
                if let record {
                    (record + GRUStepRecord.z * block + b * u).update(from: row, count: u)
                    (record + GRUStepRecord.r * block + b * u).update(from: row + u, count: u)
                    (record + GRUStepRecord.candidate * block + b * u).update(from: row + 2 * u, count: u)
                }
                for j in 0..<u {
                    let z = row[j]
                    newState[b * u + j] = z * state[b * u + j] + (1 - z) * row[2 * u + j]
                }
            }
        }
    }
}

/// The layout of what ``GRUStep/forward(spec:weights:batch:projected:projectedStride:state:recurrentMasks:newState:record:)``
/// records for the backward pass: seven consecutive `(batch, units)` blocks.
public enum GRUStepRecord {
    /// Pre-activations of the update and reset gates and of the candidate.
    public static let preZ = 0, preR = 1, preH = 2
    /// The gates and the candidate after their activations.
    public static let z = 3, r = 4, candidate = 5
    /// Reset-after: the recurrent candidate projection `h @ R_h + b_h` before the reset gate.
    /// Reset-before: the reset state `r * h` that multiplies `R_h`.
    public static let auxiliary = 6
    /// The number of blocks.
    public static let count = 7
}
