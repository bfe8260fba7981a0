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
                    // Rows are independent: split them over the cores when the product is large.
                    let workers = parallelWorkers(total: rows * count * f, minimumPerWorker: 1 << 22)
                    let chunk = (rows + workers - 1) / workers
                    parallelFor((rows + chunk - 1) / chunk) { worker in
                        let r0 = worker * chunk, n = Swift.min(chunk, rows - r0)
                        S.gemm(
                            transposeA: false, transposeB: false, m: n, n: count, k: f, alpha: 1,
                            a: source + r0 * f, lda: f, b: kernel.baseAddress! + column, ldb: width,
                            beta: 1, c: out.baseAddress! + r0 * width + column, ldc: width)
                    }
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

    /// Computes `out[r, :] = x[r, :] @ kernel + inputBias` for rows `rows` of `x` (no dropout),
    /// writing row `r` at `out + r * 3 * units`.
    static func project<S: TensorScalar>(
        spec: GRUSpec, weights: GRUWeights<S>, x: UnsafePointer<S>, rows: Range<Int>, into out: UnsafeMutablePointer<S>
    ) {
        let f = spec.inputSize, width = 3 * spec.units
        guard !rows.isEmpty else { return }
        let target = out + rows.lowerBound * width
        if let bias = weights.inputBias(spec) {
            for r in 0..<rows.count { for (j, value) in zip(0..., bias) { target[r * width + j] = value } }
        } else {
            target.update(repeating: 0, count: rows.count * width)
        }
        weights.kernel.withUnsafeBufferPointer { kernel in
            guard let base = kernel.baseAddress else { return }
            S.gemm(
                transposeA: false, transposeB: false, m: rows.count, n: width, k: f, alpha: 1,
                a: x + rows.lowerBound * f, lda: f, b: base, ldb: width, beta: 1, c: target, ldc: width)
        }
    }

    /// Advances `batch` rows by one step.
    ///
    /// - Parameters:
    ///   - projected: Row `b` starts at `projected + b * projectedStride` and holds the
    ///     `3 * units` input projections (input bias included).
    ///   - state: `(batch, units)`, the state before the step.
    ///   - recurrent: The recurrent kernel, prepared once per sequence.
    ///   - recurrentMasks: Empty or three pointers to the rows' `(batch, units)` recurrent masks.
    ///   - newState: `(batch, units)`, receives the state after the step; may not alias `state`.
    ///   - record: When given, receives what the backward pass needs: the ``GRUStepRecord``
    ///     blocks, `recordStride` scalars apart, each holding these rows' `(batch, units)` values.
    ///   - workspace: At least `4 * batch * units` scalars of scratch.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func forward<S: TensorScalar>(
        spec: GRUSpec, batch: Int, projected: UnsafePointer<S>, projectedStride: Int,
        state: UnsafePointer<S>, recurrent: GRURecurrentKernel<S>, recurrentMasks: [UnsafePointer<S>],
        newState: UnsafeMutablePointer<S>, record: UnsafeMutablePointer<S>?, recordStride: Int,
        workspace: UnsafeMutablePointer<S>
    ) {
        let u = spec.units, width = 3 * u
        guard batch > 0, u > 0 else { return }
        // hm: the recurrent projections, then the gate values z, r and candidate h, per row.
        let hm = workspace, scratch = workspace + batch * width
        // The gate's view of the state: h itself, or h times that gate's recurrent mask.
        func gateInput(_ gate: Int) -> UnsafePointer<S> {
            guard !recurrentMasks.isEmpty else { return state }
            let mask = recurrentMasks[gate]
            for i in 0..<(batch * u) { scratch[i] = state[i] * mask[i] }
            return UnsafePointer(scratch)
        }
        if recurrentMasks.isEmpty {
            recurrent.multiply(state, rows: batch, group: 0, into: hm)
            if spec.resetAfter, spec.recurrentActivation == .sigmoid, spec.activation == .tanh,
               recurrent.fusedGates(rows: batch, hm: hm, x: projected, xStride: projectedStride, state: state, output: newState,
                                    record: record, recordStride: recordStride) {
                return
            }
        } else {
            for gate in 0..<(spec.resetAfter ? 3 : 2) { recurrent.multiply(gateInput(gate), rows: batch, group: gate, into: hm) }
        }
        if let recurrentBias = recurrent.recurrentBias {
            for b in 0..<batch {
                let row = hm + b * width
                for j in 0..<width { row[j] += recurrentBias[j] }
            }
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
            recurrent.multiply(UnsafePointer(scratch), rows: batch, group: recurrentMasks.isEmpty ? 1 : 2, into: hm)
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
public final class GRURecurrentKernel<S: TensorScalar> {
    private let kernel: Tensor<S>
    private let units: Int
    /// Column ranges of the groups, in units of gates.
    private let groups: [Range<Int>]
    private var packed: [UnsafeMutablePointer<S>?] = []
    /// The recurrent bias (reset-after), `3 * units` values.
    let recurrentBias: [S]?
    private let biasStorage: UnsafeMutablePointer<S>?

    /// Prepares the recurrent kernel of `weights`.
    ///
    /// - Parameter perGate: One group per gate (recurrent dropout).
    public init(spec: GRUSpec, weights: GRUWeights<S>, perGate: Bool) {
        kernel = weights.recurrentKernel
        units = spec.units
        recurrentBias = weights.recurrentBias(spec).map(Array.init)
        if let recurrentBias {
            let storage = UnsafeMutablePointer<S>.allocate(capacity: recurrentBias.count)
            storage.initialize(from: recurrentBias, count: recurrentBias.count)
            biasStorage = storage
        } else {
            biasStorage = nil
        }
        if perGate {
            groups = [0..<1, 1..<2, 2..<3]
        } else {
            groups = spec.resetAfter ? [0..<3] : [0..<2, 2..<3]
        }
        let u = spec.units
        kernel.withUnsafeBufferPointer { r in
            for group in groups {
                let size = S.packedSize(k: u, n: group.count * u)
                guard size > 0, let base = r.baseAddress else { packed.append(nil); continue }
                let buffer = UnsafeMutablePointer<S>.allocate(capacity: size)
                S.pack(transposeB: false, k: u, n: group.count * u, b: base + group.lowerBound * u, ldb: 3 * u, into: buffer)
                packed.append(buffer)
            }
        }
    }

    deinit {
        for buffer in packed { buffer?.deallocate() }
        biasStorage?.deallocate()
    }

    /// Runs the fused reset-after gates when the scalar type has them (sigmoid gates, tanh candidate).
    func fusedGates(
        rows: Int, hm: UnsafeMutablePointer<S>, x: UnsafePointer<S>, xStride: Int, state: UnsafePointer<S>,
        output: UnsafeMutablePointer<S>, record: UnsafeMutablePointer<S>?, recordStride: Int
    ) -> Bool {
        S.fusedResetAfterGates(
            rows: rows, units: units, hm: hm, x: x, xStride: xStride, recurrentBias: biasStorage.map { UnsafePointer($0) },
            state: state, output: output, record: record, recordStride: recordStride,
            recordBlocks: (GRUStepRecord.z, GRUStepRecord.r, GRUStepRecord.candidate, GRUStepRecord.auxiliary))
    }

    /// Writes `h @ R[:, group]` for `rows` rows into the matching columns of `output` (rows of `3 * units`).
    func multiply(_ h: UnsafePointer<S>, rows: Int, group index: Int, into output: UnsafeMutablePointer<S>) {
        let u = units, group = groups[index], width = 3 * u
        if rows > 4 || rows == 1, let packed = packed[index] {
            S.gemmPacked(m: rows, n: group.count * u, k: u, a: h, lda: u, packed: packed, beta: 0, c: output + group.lowerBound * u, ldc: width)
            return
        }
        kernel.withUnsafeBufferPointer { r in
            guard let base = r.baseAddress else { return }
            S.gemm(
                transposeA: false, transposeB: false, m: rows, n: group.count * u, k: u, alpha: 1,
                a: h, lda: u, b: base + group.lowerBound * u, ldb: width, beta: 0, c: output + group.lowerBound * u, ldc: width)
        }
    }
}

/// The layout of what ``GRUStep/forward(spec:batch:projected:projectedStride:state:recurrent:recurrentMasks:newState:record:recordStride:workspace:)``
/// records for the backward pass: seven consecutive `(batch, units)` blocks. The pre-activation
/// blocks are written only for activations whose derivative needs its input.
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
