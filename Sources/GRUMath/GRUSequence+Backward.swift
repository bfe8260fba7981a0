import GRUTensor

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
    /// - Throws: ``TensorError`` when a gradient's shape does not fit.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func backward<S: TensorScalar>(
        _ tape: GRUSequenceTape<S>, weights: GRUWeights<S>, outputGradient: Tensor<S>,
        finalStateGradient: Tensor<S>?
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
        let recurrentMasks = tape.dropout.recurrent.map(\.scalars)
        let dY = outputGradient.scalars
        let maskValues = tape.mask?.scalars

        var dXP = [S](repeating: 0, count: rows * width)
        var dM = [S](repeating: 0, count: steps * batch * width)
        var dh = finalStateGradient?.scalars ?? [S](repeating: 0, count: block)
        var carry = [S](repeating: 0, count: block)
        var cell = [S](repeating: 0, count: block)       // the state gradient the cell sees
        var gate = [S](repeating: 0, count: 3 * block)   // dpreZ, dpreR, dpreH (or dmh)
        var propagated = [S](repeating: 0, count: block)

        try weights.recurrentKernel.withUnsafeBufferPointer { rk in
            let rk = rk.baseAddress!
            for s in stride(from: steps - 1, through: 0, by: -1) {
                let t = options.goBackwards ? steps - 1 - s : s
                let record = s * GRUStepRecord.count * block
                func recorded(_ kind: Int, _ b: Int, _ j: Int) -> S { tape.records[record + kind * block + b * u + j] }
                let hp = s * block
                // Output gradient of this step, then the mask's routing of it.
                for b in 0..<batch {
                    let keep = maskValues?[b * steps + t] ?? true
                    for j in 0..<u {
                        var g = carry[b * u + j]
                        if options.returnSequences { g += dY[row(b, s) * u + j] } else if s == steps - 1 { g += dY[b * u + j] }
                        if keep {
                            dh[b * u + j] += g
                            carry[b * u + j] = 0
                        } else {
                            carry[b * u + j] = options.zeroOutputForMask ? 0 : g
                        }
                        cell[b * u + j] = keep ? dh[b * u + j] : 0
                    }
                }
                // Through the blend h' = z h + (1 - z) hh.
                for b in 0..<batch {
                    for j in 0..<u {
                        let i = b * u + j, g = cell[i]
                        let z = recorded(GRUStepRecord.z, b, j), candidate = recorded(GRUStepRecord.candidate, b, j)
                        gate[i] = g * (tape.previousStates[hp + i] - candidate)       // dz
                        gate[2 * block + i] = g * (1 - z)                               // d candidate
                        propagated[i] = g * z
                    }
                }
                try tape.records.withUnsafeBufferPointer { records in
                    try gate.withUnsafeMutableBufferPointer { g in
                        let base = records.baseAddress! + record
                        // Candidate activation, row by row (a softmax candidate mixes its row).
                        for b in 0..<batch {
                            spec.activation.backward(
                                inPlace: UnsafeMutableBufferPointer(rebasing: g[(2 * block + b * u)..<(2 * block + b * u + u)]),
                                input: UnsafeBufferPointer(start: base + GRUStepRecord.preH * block + b * u, count: u),
                                output: UnsafeBufferPointer(start: base + GRUStepRecord.candidate * block + b * u, count: u),
                                rowLength: u)
                        }
                        guard g.count == 3 * block else { throw TensorError("GRU gradient buffers are inconsistent") }
                    }
                }
                // The reset gate's share, and the state's share through the candidate.
                if spec.resetAfter {
                    for i in 0..<block {
                        let b = i / u, j = i % u
                        let dPreH = gate[2 * block + i]
                        gate[block + i] = dPreH * recorded(GRUStepRecord.auxiliary, b, j)           // dr
                        gate[2 * block + i] = dPreH                                                 // kept for dXP
                    }
                } else {
                    // d(r * h_h) = dPreH @ R_h^T
                    var dResetState = [S](repeating: 0, count: block)
                    gate.withUnsafeBufferPointer { g in
                        dResetState.withUnsafeMutableBufferPointer { d in
                            S.gemm(
                                transposeA: false, transposeB: true, m: batch, n: u, k: u, alpha: 1,
                                a: g.baseAddress! + 2 * block, lda: u, b: rk + 2 * u, ldb: width,
                                beta: 0, c: d.baseAddress!, ldc: u)
                        }
                    }
                    for i in 0..<block {
                        let hMasked = tape.previousStates[hp + i] * (recurrentMasks.isEmpty ? 1 : recurrentMasks[2][i])
                        let r = recorded(GRUStepRecord.r, i / u, i % u)
                        gate[block + i] = dResetState[i] * hMasked                                   // dr
                        propagated[i] += dResetState[i] * r * (recurrentMasks.isEmpty ? 1 : recurrentMasks[2][i])
                    }
                }
                // Gate activations, each over its own u columns.
                tape.records.withUnsafeBufferPointer { records in
                    gate.withUnsafeMutableBufferPointer { g in
                        let base = records.baseAddress! + record
                        for (offset, pre, post) in [(0, GRUStepRecord.preZ, GRUStepRecord.z), (block, GRUStepRecord.preR, GRUStepRecord.r)] {
                            for b in 0..<batch {
                                spec.recurrentActivation.backward(
                                    inPlace: UnsafeMutableBufferPointer(rebasing: g[(offset + b * u)..<(offset + b * u + u)]),
                                    input: UnsafeBufferPointer(start: base + pre * block + b * u, count: u),
                                    output: UnsafeBufferPointer(start: base + post * block + b * u, count: u),
                                    rowLength: u)
                            }
                        }
                    }
                }
                // Scatter into the projection gradients and the recurrent pre-activation gradients.
                for b in 0..<batch {
                    let target = row(b, t) * width, m = (s * batch + b) * width
                    for j in 0..<u {
                        let dz = gate[b * u + j], dr = gate[block + b * u + j], dPreH = gate[2 * block + b * u + j]
                        dXP[target + j] = dz
                        dXP[target + u + j] = dr
                        dXP[target + 2 * u + j] = dPreH
                        dM[m + j] = dz
                        dM[m + u + j] = dr
                        // Reset-after: the candidate's recurrent part is r * mh; reset-before: dPreH itself.
                        dM[m + 2 * u + j] = spec.resetAfter ? dPreH * recorded(GRUStepRecord.r, b, j) : dPreH
                    }
                }
                // Back into the previous state through the recurrent products.
                let recurrentGates = spec.resetAfter ? 3 : 2
                dM.withUnsafeBufferPointer { dm in
                    propagated.withUnsafeMutableBufferPointer { p in
                        let dmStep = dm.baseAddress! + s * batch * width
                        if recurrentMasks.isEmpty {
                            S.gemm(
                                transposeA: false, transposeB: true, m: batch, n: u, k: recurrentGates * u, alpha: 1,
                                a: dmStep, lda: width, b: rk, ldb: width, beta: 1, c: p.baseAddress!, ldc: u)
                        } else {
                            var through = [S](repeating: 0, count: block)
                            for g in 0..<recurrentGates {
                                through.withUnsafeMutableBufferPointer { d in
                                    S.gemm(
                                        transposeA: false, transposeB: true, m: batch, n: u, k: u, alpha: 1,
                                        a: dmStep + g * u, lda: width, b: rk + g * u, ldb: width, beta: 0, c: d.baseAddress!, ldc: u)
                                }
                                for i in 0..<block { p[i] += through[i] * recurrentMasks[g][i] }
                            }
                        }
                    }
                }
                for b in 0..<batch {
                    let keep = maskValues?[b * steps + t] ?? true
                    guard keep else { continue }  // a masked step carries dh through unchanged
                    for j in 0..<u { dh[b * u + j] = propagated[b * u + j] }
                }
            }
        }
        return try weightGradients(
            tape, weights: weights, dXP: dXP, dM: dM, initialState: dh, rows: rows, row: row)
    }

    /// Forms the weight and input gradients with one matrix product per weight over all steps.
    private static func weightGradients<S: TensorScalar>(
        _ tape: GRUSequenceTape<S>, weights: GRUWeights<S>, dXP: [S], dM: [S], initialState: [S],
        rows: Int, row: (Int, Int) -> Int
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
                        var source = x
                        if let mask {
                            for r in 0..<rows { for i in 0..<f { source[r * f + i] *= mask[batchOf(r) * f + i] } }
                        }
                        source.withUnsafeBufferPointer { xs in
                            S.gemm(
                                transposeA: true, transposeB: false, m: f, n: columns.count, k: rows, alpha: 1,
                                a: xs.baseAddress!, lda: f, b: dxp.baseAddress! + columns.lowerBound, ldb: width,
                                beta: 0, c: dk.baseAddress! + columns.lowerBound, ldc: width)
                        }
                        var through = [S](repeating: 0, count: rows * f)
                        through.withUnsafeMutableBufferPointer { d in
                            S.gemm(
                                transposeA: false, transposeB: true, m: rows, n: f, k: columns.count, alpha: 1,
                                a: dxp.baseAddress! + columns.lowerBound, lda: width, b: w.baseAddress! + columns.lowerBound, ldb: width,
                                beta: 0, c: d.baseAddress!, ldc: f)
                        }
                        for r in 0..<rows {
                            for i in 0..<f { dInputs[r * f + i] += through[r * f + i] * (mask?[batchOf(r) * f + i] ?? 1) }
                        }
                    }
                }
            }
        }
        // Recurrent kernel: previous states (masked per gate) against the recurrent pre-activation gradients.
        var dRecurrent = [S](repeating: 0, count: u * width)
        let recurrentMasks = tape.dropout.recurrent.map(\.scalars)
        let states = steps * batch
        dM.withUnsafeBufferPointer { dm in
            dRecurrent.withUnsafeMutableBufferPointer { dr in
                for g in 0..<3 {
                    var source: [S]
                    if g == 2 && !spec.resetAfter {
                        // Reset-before: R_h multiplies the recorded reset states r * h.
                        source = []
                        source.reserveCapacity(states * u)
                        for s in 0..<steps {
                            let start: Int = (s * GRUStepRecord.count + GRUStepRecord.auxiliary) * block
                            source += tape.records[start..<(start + block)]
                        }
                    } else {
                        source = tape.previousStates
                        if !recurrentMasks.isEmpty {
                            for i in 0..<source.count { source[i] *= recurrentMasks[g][i % block] }
                        }
                    }
                    source.withUnsafeBufferPointer { h in
                        S.gemm(
                            transposeA: true, transposeB: false, m: u, n: u, k: states, alpha: 1,
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
