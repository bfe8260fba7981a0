@_spi(GRUKernels) import GRUTensor

extension GRUSequence {
    /// Backpropagation through time for a recorded forward pass.
    ///
    /// The reverse sweep computes, step by step, the gradients of the gate
    /// pre-activations and of the state; the weight gradients are then formed
    /// with one matrix product over all steps per weight.
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
        let batch = tape.batch, steps = tape.steps, u = spec.units
        let width = 3 * u, block = batch * u, rows = batch * steps
        let expectedOutput = options.returnSequences ? (options.timeMajor ? [steps, batch, u] : [batch, steps, u]) : [batch, u]
        guard outputGradient.shape == expectedOutput else {
            throw TensorError("GRU output gradient must have shape \(expectedOutput), got \(outputGradient.shape)")
        }
        if let finalStateGradient, finalStateGradient.shape != [batch, u] {
            throw TensorError("GRU state gradient must have shape [\(batch), \(u)], got \(finalStateGradient.shape)")
        }
        let timeMajor = options.timeMajor
        func row(_ b: Int, _ t: Int) -> Int { timeMajor ? t * batch + b : b * steps + t }
        let dY = outputGradient.scalars
        let maskValues = tape.mask?.scalars

        // Every row of both is written by the sweep.
        var dXP: [S] = uninitializedArray(count: rows * width)
        var dM: [S] = uninitializedArray(count: steps * batch * width)
        var dh = finalStateGradient?.scalars ?? [S](repeating: 0, count: block)
        // R^T (3u x u), so that the per-step products need no transposition.
        var transposed = [S](repeating: 0, count: width * u)
        weights.recurrentKernel.withUnsafeBufferPointer { r in
            for i in 0..<u { for j in 0..<width { transposed[j * u + i] = r[i * width + j] } }
        }
        // The recurrent masks, contiguous: gate g at g * block.
        let maskCount = tape.dropout.recurrent.count
        var masks = [S](repeating: 0, count: maskCount * block)
        for (g, mask) in tape.dropout.recurrent.enumerated() { masks.replaceSubrange((g * block)..<((g + 1) * block), with: mask.scalars) }
        let recurrentGates = spec.resetAfter ? 3 : 2
        let gatesNeedInput = spec.recurrentActivation.derivativeNeedsInput
        // Sigmoid gates and a tanh candidate without recurrent dropout: fused passes.
        let fused = spec.recurrentActivation == .sigmoid && spec.activation == .tanh && maskCount == 0
        // Distance between the projection rows of consecutive batch entries.
        let rowStride = timeMajor ? 1 : steps
        // Batch rows are independent in the reverse sweep too: split them over the cores.
        let workers = parallelWorkers(total: batch * u * 3 * u, minimumPerWorker: 16 * 128 * 384)
        let chunk = (batch + workers - 1) / workers
        dY.withUnsafeBufferPointer { dYBuffer in
        tape.records.withUnsafeBufferPointer { recordBuffer in
        tape.previousStates.withUnsafeBufferPointer { previousBuffer in
        transposed.withUnsafeBufferPointer { rtBuffer in
        masks.withUnsafeBufferPointer { maskBuffer in
        dXP.withUnsafeMutableBufferPointer { dXPBuffer in
        dM.withUnsafeMutableBufferPointer { dMBuffer in
        dh.withUnsafeMutableBufferPointer { dhBuffer in
            let rt = rtBuffer.baseAddress!, dYBase = dYBuffer.baseAddress!
            // Packed once, shared by the workers: R^T for all recurrent gates, and per gate.
            let allGates = PackedMatrix(rt, k: recurrentGates * u, n: u, ldb: u, precision: spec.precision)
            let perGate = (0..<3).map { PackedMatrix(rt + $0 * u * u, k: u, n: u, ldb: u, precision: spec.precision) }
            let records = recordBuffer.baseAddress!, previous = previousBuffer.baseAddress!
            parallelFor((batch + chunk - 1) / chunk) { worker in
                let b0 = worker * chunk, n = Swift.min(chunk, batch - b0), nb = n * u
                let scratch = UnsafeMutablePointer<S>.allocate(capacity: 8 * nb)
                scratch.initialize(repeating: 0, count: 8 * nb)
                defer { scratch.deallocate() }
                // carry: output gradient carried over masked steps; cell: the gradient the cell sees;
                // gate: dz, dr, d(candidate pre-activation); propagated: gradient for the previous state.
                let carry = scratch, cell = scratch + nb, gate = scratch + 2 * nb, propagated = scratch + 5 * nb
                let through = scratch + 6 * nb, dResetState = scratch + 7 * nb
                let dh = dhBuffer.baseAddress! + b0 * u
                let gateMask = { (g: Int) -> UnsafePointer<S>? in maskCount == 0 ? nil : maskBuffer.baseAddress! + g * block + b0 * u }
                for s in stride(from: steps - 1, through: 0, by: -1) {
                    let t = options.goBackwards ? steps - 1 - s : s
                    let record = records + s * GRUStepRecord.count * block + b0 * u
                    func recorded(_ kind: Int) -> UnsafePointer<S> { record + kind * block }
                    let hp = previous + s * block + b0 * u
                    // Output gradient of this step, then the mask's routing of it.
                    for i in 0..<n {
                        let b = b0 + i
                        let keep = maskValues?[b * steps + t] ?? true
                        let source: UnsafePointer<S>? = options.returnSequences
                            ? dYBase + row(b, s) * u : (s == steps - 1 ? dYBase + b * u : nil)
                        let c = carry + i * u, d = dh + i * u, g = cell + i * u
                        if let source { for j in 0..<u { c[j] += source[j] } }
                        if keep {
                            for j in 0..<u { d[j] += c[j]; g[j] = d[j] }
                            c.update(repeating: 0, count: u)
                        } else {
                            g.update(repeating: 0, count: u)
                            if options.zeroOutputForMask { c.update(repeating: 0, count: u) }
                        }
                    }
                    let z = recorded(GRUStepRecord.z), candidate = recorded(GRUStepRecord.candidate)
                    let r = recorded(GRUStepRecord.r), auxiliary = recorded(GRUStepRecord.auxiliary)
                    let dmStep = dMBuffer.baseAddress! + (s * batch + b0) * width
                    let dxpStep = dXPBuffer.baseAddress! + row(b0, t) * width
                    // Back into the previous state through the recurrent products; a masked step
                    // carries dh through unchanged.
                    func finishStep() {
                        if maskCount == 0 {
                            allGates.multiply(dmStep, rows: n, lda: width, beta: 1, into: propagated, ldc: u)
                        } else {
                            for g in 0..<recurrentGates {
                                perGate[g].multiply(dmStep + g * u, rows: n, lda: width, beta: 0, into: through, ldc: u)
                                let mask = gateMask(g)!
                                for k in 0..<nb { propagated[k] += through[k] * mask[k] }
                            }
                        }
                        for i in 0..<n where maskValues?[(b0 + i) * steps + t] ?? true {
                            (dh + i * u).update(from: propagated + i * u, count: u)
                        }
                    }
                    // Reset-before: the blend and candidate, d(r * h) = dc @ R_h^T, then the reset gate.
                    if fused, !spec.resetAfter, S.fusedResetBeforeCandidateBackward(
                        rows: n, units: u, gradient: cell, state: hp, z: z, candidate: candidate,
                        projected: dxpStep, projectedStride: rowStride * width, recurrent: dmStep, recurrentStride: width,
                        propagated: propagated) {
                        perGate[2].multiply(dmStep + 2 * u, rows: n, lda: width, beta: 0, into: dResetState, ldc: u)
                        // Available whenever the candidate's pass is.
                        _ = S.fusedResetBeforeResetGateBackward(
                            rows: n, units: u, resetStateGradient: dResetState, state: hp, r: r,
                            projected: dxpStep, projectedStride: rowStride * width, recurrent: dmStep, recurrentStride: width,
                            propagated: propagated)
                        finishStep()
                        continue
                    }
                    if fused, spec.resetAfter, S.fusedResetAfterGatesBackward(
                        rows: n, units: u, gradient: cell, state: hp, z: z, r: r, candidate: candidate, auxiliary: auxiliary,
                        projected: dxpStep, projectedStride: rowStride * width,
                        recurrent: dmStep, recurrentStride: width, propagated: propagated) {
                        finishStep()
                        continue
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
                        perGate[2].multiply(gate + 2 * nb, rows: n, lda: u, beta: 0, into: dResetState, ldc: u)
                        let candidateMask = gateMask(2)
                        for k in 0..<nb {
                            let m = candidateMask?[k] ?? 1
                            gate[nb + k] = dResetState[k] * hp[k] * m
                            propagated[k] += dResetState[k] * r[k] * m
                        }
                    }
                    // Gate activations, each over its own u columns.
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
                        let target = dxpStep + i * rowStride * width, m = dmStep + i * width
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
                    finishStep()
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
        return try weightGradients(
            tape, weights: weights, dXP: dXP, dM: dM, initialState: dh, rows: rows, row: row,
            computeInputGradient: computeInputGradient)
    }

    /// Forms the weight and input gradients with one matrix product per weight over all steps.
    private static func weightGradients<S: TensorScalar>(
        _ tape: GRUSequenceTape<S>, weights: GRUWeights<S>, dXP: [S], dM: [S], initialState: [S],
        rows: Int, row: (Int, Int) -> Int, computeInputGradient: Bool
    ) throws -> GRUSequenceGradients<S> {
        let spec = tape.spec, u = spec.units, f = spec.inputSize, width = 3 * u
        let batch = tape.batch, steps = tape.steps, block = batch * u
        var dKernel = [S](repeating: 0, count: f * width)
        var dInputs = [S](repeating: 0, count: rows * f)
        let inputMasks = tape.dropout.input.map(\.scalars)
        let x = tape.inputs.scalars
        let timeMajor = tape.options.timeMajor
        func batchOf(_ r: Int) -> Int { timeMajor ? r % batch : r / steps }
        // Gates that share one input mask are handled together.
        let groups: [(columns: Range<Int>, mask: [S]?)] = inputMasks.isEmpty
            ? [(0..<width, nil)]
            : inputMasks.count == 1 ? [(0..<width, inputMasks[0])]
            : (0..<3).map { ((($0 * u)..<(($0 + 1) * u)), inputMasks[$0]) }
        weights.kernel.withUnsafeBufferPointer { w in
            dXP.withUnsafeBufferPointer { dxp in
                dKernel.withUnsafeMutableBufferPointer { dk in
                    for (columns, mask) in groups {
                        var masked = [S]()
                        if let mask {
                            masked = x
                            for r in 0..<rows { for i in 0..<f { masked[r * f + i] *= mask[batchOf(r) * f + i] } }
                        }
                        (mask == nil ? x : masked).withUnsafeBufferPointer { xs in
                            S.parallelGEMM(
                                precision: spec.precision, transposeA: true, transposeB: false, m: f, n: columns.count, k: rows, alpha: 1,
                                a: xs.baseAddress!, lda: f, b: dxp.baseAddress! + columns.lowerBound, ldb: width,
                                beta: 0, c: dk.baseAddress! + columns.lowerBound, ldc: width)
                        }
                        guard computeInputGradient else { continue }
                        guard let mask else {
                            // No dropout: the product is the input gradient itself.
                            dInputs.withUnsafeMutableBufferPointer { d in
                                S.parallelGEMM(
                                    precision: spec.precision, transposeA: false, transposeB: true, m: rows, n: f, k: columns.count, alpha: 1,
                                    a: dxp.baseAddress! + columns.lowerBound, lda: width, b: w.baseAddress! + columns.lowerBound, ldb: width,
                                    beta: 0, c: d.baseAddress!, ldc: f)
                            }
                            continue
                        }
                        var through: [S] = uninitializedArray(count: rows * f)
                        through.withUnsafeMutableBufferPointer { d in
                            S.parallelGEMM(
                                precision: spec.precision, transposeA: false, transposeB: true, m: rows, n: f, k: columns.count, alpha: 1,
                                a: dxp.baseAddress! + columns.lowerBound, lda: width, b: w.baseAddress! + columns.lowerBound, ldb: width,
                                beta: 0, c: d.baseAddress!, ldc: f)
                        }
                        for r in 0..<rows {
                            let m = batchOf(r) * f
                            for i in 0..<f { dInputs[r * f + i] += through[r * f + i] * mask[m + i] }
                        }
                    }
                }
            }
        }
        // Recurrent kernel: previous states (masked per gate) against the recurrent pre-activation gradients.
        var dRecurrent = [S](repeating: 0, count: u * width)
        let recurrentMasks = tape.dropout.recurrent.map(\.scalars)
        let states = steps * batch
        // Gates whose recurrent product reads the same states share one product: all three
        // without recurrent dropout (z and r only, reset-before), else one gate at a time.
        let gateGroups: [Range<Int>] = !recurrentMasks.isEmpty ? [0..<1, 1..<2, 2..<3] : spec.resetAfter ? [0..<3] : [0..<2, 2..<3]
        dM.withUnsafeBufferPointer { dm in
            dRecurrent.withUnsafeMutableBufferPointer { dr in
                for gates in gateGroups {
                    let g = gates.lowerBound
                    var source = [S]()
                    if g == 2 && !spec.resetAfter {
                        // Reset-before: R_h multiplies the recorded reset states r * h.
                        source = []
                        source.reserveCapacity(states * u)
                        for s in 0..<steps {
                            let start: Int = (s * GRUStepRecord.count + GRUStepRecord.auxiliary) * block
                            source += tape.records[start..<(start + block)]
                        }
                    } else if !recurrentMasks.isEmpty {
                        source = tape.previousStates
                        for i in 0..<source.count { source[i] *= recurrentMasks[g][i % block] }
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
        var dBias: Tensor<S>?
        if spec.useBias {
            var inputBias = [S](repeating: 0, count: width)
            for r in 0..<rows { for j in 0..<width { inputBias[j] += dXP[r * width + j] } }
            if spec.resetAfter {
                var recurrentBias = [S](repeating: 0, count: width)
                for r in 0..<states { for j in 0..<width { recurrentBias[j] += dM[r * width + j] } }
                dBias = try Tensor(shape: [2, width], scalars: inputBias + recurrentBias)
            } else {
                dBias = try Tensor(shape: [width], scalars: inputBias)
            }
        }
        return GRUSequenceGradients(
            inputs: try Tensor(shape: tape.inputs.shape, scalars: dInputs),
            initialState: try Tensor(shape: [batch, u], scalars: initialState),
            kernel: try Tensor(shape: [f, width], scalars: dKernel),
            recurrentKernel: try Tensor(shape: [u, width], scalars: dRecurrent),
            bias: dBias)
    }
}
