internal import GRUMath

/// An LSTM or SimpleRNN cell over a whole sequence on the CPU, as ``GRUSequence`` runs the GRU:
/// the input projections of every step in one matrix product, then, step by step, the state's
/// product with the recurrent kernel (packed once) and the gates, for the rows the mask keeps
/// at that step only. Every row of a batch goes through the same kernels whichever rows come
/// with it (the tiles; one sequence alone, the one-row kernel), so skipping the masked rows
/// gives the bits of computing them and selecting (``everyRow`` computes them, for the
/// tests), and the rows split over threads the same way for any count.
/// Training keeps each step's gates and sums the weight gradients over the whole sequence in
/// single products.
///
/// Each step computes `z = x̃·W + h̃·U + b` (`x̃`, `h̃`: after the dropout masks), then for the
/// LSTM `c' = f ⊙ c + i ⊙ act(z_c)`, `h' = o ⊙ act(c')` with `i, f, o = σ(z_i, z_f, z_o)`, and
/// for the SimpleRNN `h' = act(z)`, as ``LSTMCell`` and ``SimpleRNNCell`` step them.
struct GateSequence<Scalar: TensorScalar> {
    enum Gates {
        case lstm(activation: Activation, recurrentActivation: Activation)
        case simple(Activation)
    }

    let gates: Gates
    let units: Int
    let kernel: Tensor<Scalar>
    let recurrentKernel: Tensor<Scalar>
    let bias: Tensor<Scalar>?
    /// The input and the recurrent dropout masks of the sequence, `(batch, features)` and `(batch, units)`.
    let inputMask: Tensor<Scalar>?
    let recurrentMask: Tensor<Scalar>?
    let goBackwards: Bool
    let timeMajor: Bool
    let returnSequences: Bool
    let zeroOutputForMask: Bool
    /// Computes every row at every step and selects the kept ones (the reference for skipping).
    let everyRow: Bool

    var isLSTM: Bool { if case .lstm = gates { true } else { false } }

    /// Whether the backward pass needs the gates' values before their activations: not for
    /// tanh, sigmoid and linear, whose derivatives follow from their results.
    var keepsPreactivations: Bool {
        let functions: [Activation] = switch gates {
        case .lstm(let activation, let recurrentActivation): [activation, recurrentActivation]
        case .simple(let activation): [activation]
        }
        return !functions.allSatisfy { [.tanh, .sigmoid, .linear].contains($0) }
    }
    /// Columns of `z`: four gates for the LSTM, one for the SimpleRNN.
    var width: Int { (isLSTM ? 4 : 1) * units }

    /// What a recorded call keeps for its backward pass, rows in the inputs' order.
    struct Record {
        let batch: Int
        let steps: Int
        let features: Int
        /// The inputs after the input dropout mask `(batch * steps, features)`.
        let inputs: [Scalar]
        let mask: [Bool]?
        /// Each kept step's `z` (when ``keepsPreactivations``) and its gates after their
        /// activations `(batch * steps, width)`.
        let preactivations: [Scalar]
        let activations: [Scalar]
        /// The state before each step after the recurrent dropout mask, every row `(batch * steps, units)`.
        let previousStates: [Scalar]
        /// The LSTM's carry before and after each kept step `(batch * steps, units)`.
        let previousCarries: [Scalar]
        let carries: [Scalar]
    }

    struct Gradients {
        let input: Tensor<Scalar>?
        let initialStates: [Tensor<Scalar>]
        let weights: [Tensor<Scalar>]
    }

    /// The shapes of a call: batch, steps, features, and the row of `(b, t)` in the inputs.
    private struct Layout {
        let batch: Int, steps: Int, features: Int, timeMajor: Bool
        func row(_ b: Int, _ t: Int) -> Int { timeMajor ? t * batch + b : b * steps + t }
        func batchOf(_ r: Int) -> Int { timeMajor ? r % batch : r / steps }
    }

    private func layout(_ inputs: Tensor<Scalar>) throws -> Layout {
        guard inputs.rank == 3, inputs.shape[2] == kernel.shape[0] else {
            throw LayerError(.invalidInputShape, "expects inputs (batch, steps, \(kernel.shape[0])), got \(inputs.shape)")
        }
        let (batch, steps) = timeMajor ? (inputs.shape[1], inputs.shape[0]) : (inputs.shape[0], inputs.shape[1])
        guard kernel.shape == [inputs.shape[2], width], recurrentKernel.shape == [units, width],
              bias.map({ $0.shape == [width] }) ?? true else {
            throw LayerError(.invalidWeights, "weights \([kernel.shape, recurrentKernel.shape] + (bias.map { [$0.shape] } ?? [])) do not fit \(units) units")
        }
        if let inputMask, inputMask.shape != [batch, inputs.shape[2]] {
            throw LayerError(.invalidInputShape, "a dropout mask of shape \(inputMask.shape) was drawn for the sequence; the steps have \([batch, inputs.shape[2]])")
        }
        if let recurrentMask, recurrentMask.shape != [batch, units] {
            throw LayerError(.invalidInputShape, "a recurrent_dropout mask of shape \(recurrentMask.shape) was drawn for the sequence; the state has \([batch, units])")
        }
        return Layout(batch: batch, steps: steps, features: inputs.shape[2], timeMajor: timeMajor)
    }

    /// Rows per worker: whole rows over the threads, as many workers as the sequence's work
    /// pays for (a step of a row: its product and its gates). Every row runs on the tiles
    /// however many come with it, so any split gives the same bits.
    private func workerRows(batch: Int, steps: Int) -> Int {
        RowWorkers(batch: batch, steps: steps, workPerRowStep: width * (units + 32), minimumRows: 1).chunk
    }

    /// The output (the sequence, or the last output) and the final states over `inputs`,
    /// and the record of the call when `recording`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func forward(
        _ inputs: Tensor<Scalar>, mask: Tensor<Bool>?, initialStates: [Tensor<Scalar>], recording: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>], record: Record?) {
        let shape = try layout(inputs)
        let batch = shape.batch, steps = shape.steps, f = shape.features, u = units, w = width
        let stateCount = isLSTM ? 2 : 1
        guard initialStates.count == stateCount, initialStates.allSatisfy({ $0.shape == [batch, u] }) else {
            throw LayerError(.invalidInputShape, "expects \(stateCount) initial state(s) of shape \([batch, u]), got \(initialStates.map(\.shape))")
        }
        if let mask, mask.shape != [batch, steps] {
            throw LayerError(.invalidInputShape, "the mask must have shape \([batch, steps]), got \(mask.shape)")
        }
        let rows = batch * steps
        var x = inputs.scalars
        if let inputMask {
            inputMask.withUnsafeBufferPointer { m in
                x.withUnsafeMutableBufferPointer { x in
                    for r in 0..<rows {
                        let b = shape.batchOf(r)
                        for j in 0..<f { x[r * f + j] *= m[b * f + j] }
                    }
                }
            }
        }
        // Written whole by the product (zeros without features).
        var projected: [Scalar] = f > 0 ? uninitializedArray(count: rows * w) : [Scalar](repeating: 0, count: rows * w)
        if rows > 0, f > 0 {
            x.withUnsafeBufferPointer { a in
                kernel.withUnsafeBufferPointer { b in
                    projected.withUnsafeMutableBufferPointer { c in
                        guard let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress else { return }
                        Scalar.parallelGEMM(
                            transposeA: false, transposeB: false, m: rows, n: w, k: f, alpha: 1,
                            a: a, lda: f, b: b, ldb: w, beta: 0, c: c, ldc: w)
                    }
                }
            }
        }
        var h = initialStates[0].scalars
        var carry = isLSTM ? initialStates[1].scalars : []
        var last = [Scalar](repeating: 0, count: batch * u)
        // Every step writes every row of these; the gates are kept for the rows computed only.
        var sequence: [Scalar] = uninitializedArray(count: returnSequences ? rows * u : 0)
        let recordCount = recording ? rows : 0
        let keepsPreactivations = recording && self.keepsPreactivations
        var preactivations = [Scalar](repeating: 0, count: keepsPreactivations ? recordCount * w : 0)
        var activations = [Scalar](repeating: 0, count: recordCount * w)
        var previousStates: [Scalar] = uninitializedArray(count: recordCount * u)
        var previousCarries: [Scalar] = uninitializedArray(count: isLSTM ? recordCount * u : 0)
        var carries = [Scalar](repeating: 0, count: isLSTM ? recordCount * u : 0)
        let keep = mask?.scalars
        let chunk = workerRows(batch: batch, steps: steps)
        let recurrentValues = recurrentKernel.scalars, biasValues = bias?.scalars
        let recurrentMaskValues = recurrentMask?.scalars
        try recurrentValues.withUnsafeBufferPointer { recurrentBuffer in
            guard let recurrentBase = recurrentBuffer.baseAddress else {
                throw LayerError(.invalidWeights, "the recurrent kernel is empty")
            }
            let packed = PackedMatrix(recurrentBase, k: u, n: w, ldb: w)
            projected.withUnsafeBufferPointer { projected in
            h.withUnsafeMutableBufferPointer { h in
            carry.withUnsafeMutableBufferPointer { carry in
            last.withUnsafeMutableBufferPointer { last in
            sequence.withUnsafeMutableBufferPointer { sequence in
            preactivations.withUnsafeMutableBufferPointer { preactivations in
            activations.withUnsafeMutableBufferPointer { activations in
            previousStates.withUnsafeMutableBufferPointer { previousStates in
            previousCarries.withUnsafeMutableBufferPointer { previousCarries in
            carries.withUnsafeMutableBufferPointer { carries in
                // Each worker runs whole rows through every step: rows never interact.
                parallelFor((batch + chunk - 1) / chunk) { worker in
                    let b0 = worker * chunk, n = Swift.min(chunk, batch - b0)
                    let scratch = UnsafeMutablePointer<Scalar>.allocate(capacity: n * (2 * u + w))
                    scratch.initialize(repeating: 0, count: n * (2 * u + w))
                    defer { scratch.deallocate() }
                    let stateRows = scratch, cellRows = scratch + n * u, z = scratch + 2 * n * u
                    var computed = [Int]()
                    computed.reserveCapacity(n)
                    for s in 0..<steps {
                        let t = goBackwards ? steps - 1 - s : s
                        computed.removeAll(keepingCapacity: true)
                        for b in b0..<(b0 + n) where everyRow || keep.map({ $0[b * steps + t] }) ?? true { computed.append(b) }
                        // The state each row's product reads, after the recurrent dropout mask.
                        func droppedState(_ b: Int, into target: UnsafeMutablePointer<Scalar>) {
                            guard let m = recurrentMaskValues else {
                                for j in 0..<u { target[j] = h[b * u + j] }
                                return
                            }
                            for j in 0..<u { target[j] = h[b * u + j] * m[b * u + j] }
                        }
                        for b in b0..<(b0 + n) where recording {
                            let r = shape.row(b, t)
                            if let target = previousStates.baseAddress { droppedState(b, into: target + r * u) }
                            if isLSTM { for j in 0..<u { previousCarries[r * u + j] = carry[b * u + j] } }
                        }
                        for (i, b) in computed.enumerated() {
                            let r = shape.row(b, t)
                            droppedState(b, into: stateRows + i * u)
                            for j in 0..<w { z[i * w + j] = projected[r * w + j] }
                        }
                        if !computed.isEmpty {
                            packed.multiply(stateRows, rows: computed.count, lda: u, beta: 1, into: z, ldc: w, everyRow: batch > 1)
                        }
                        for (i, b) in computed.enumerated() {
                            let zi = z + i * w, r = shape.row(b, t)
                            if let biasValues { for j in 0..<w { zi[j] += biasValues[j] } }
                            if keepsPreactivations { for j in 0..<w { preactivations[r * w + j] = zi[j] } }
                            let kept = keep.map { $0[b * steps + t] } ?? true
                            let hNew = cellRows + i * u
                            switch gates {
                            case .lstm(let activation, let recurrentActivation):
                                for g in 0..<4 {
                                    let block = UnsafeMutableBufferPointer(start: zi + g * u, count: u)
                                    (g == 2 ? activation : recurrentActivation).apply(inPlace: block, rowLength: u)
                                }
                                // c' = f ⊙ c + i ⊙ g, h' = o ⊙ act(c').
                                for j in 0..<u {
                                    let c = zi[u + j] * carry[b * u + j] + zi[j] * zi[2 * u + j]
                                    hNew[j] = c
                                    if kept {
                                        carry[b * u + j] = c
                                        if recording { carries[r * u + j] = c }
                                    }
                                }
                                activation.apply(inPlace: UnsafeMutableBufferPointer(start: hNew, count: u), rowLength: u)
                                for j in 0..<u { hNew[j] = zi[3 * u + j] * hNew[j] }
                            case .simple(let activation):
                                activation.apply(inPlace: UnsafeMutableBufferPointer(start: zi, count: u), rowLength: u)
                                for j in 0..<u { hNew[j] = zi[j] }
                            }
                            if recording, kept { for j in 0..<w { activations[r * w + j] = zi[j] } }
                            guard kept else { continue }
                            for j in 0..<u {
                                h[b * u + j] = hNew[j]
                                last[b * u + j] = hNew[j]
                            }
                        }
                        for b in b0..<(b0 + n) {
                            if zeroOutputForMask, let keep, !keep[b * steps + t] {
                                for j in 0..<u { last[b * u + j] = 0 }
                            }
                            guard returnSequences else { continue }
                            let p = shape.row(b, s)
                            for j in 0..<u { sequence[p * u + j] = last[b * u + j] }
                        }
                    }
                }
            }}}}}}}}}}
        }
        let outputShape = returnSequences ? inputs.shape.dropLast() + [u] : [batch, u]
        let output = Tensor(uncheckedShape: Array(outputShape), scalars: returnSequences ? sequence : last)
        let states = [Tensor(uncheckedShape: [batch, u], scalars: h)]
            + (isLSTM ? [Tensor(uncheckedShape: [batch, u], scalars: carry)] : [])
        let record = recording
            ? Record(
                batch: batch, steps: steps, features: f, inputs: x, mask: keep, preactivations: preactivations,
                activations: activations, previousStates: previousStates, previousCarries: previousCarries, carries: carries)
            : nil
        return (output, states, record)
    }

    /// The gradients of a recorded call's inputs, initial states and weights (kernel,
    /// recurrent kernel, bias) from those of its output (the sequence or the last output) and
    /// final states (zeros where nil).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backward(
        _ record: Record, outputGradient: Tensor<Scalar>?, stateGradients: [Tensor<Scalar>?], computeInputGradient: Bool
    ) throws -> Gradients {
        let batch = record.batch, steps = record.steps, f = record.features, u = units, w = width
        let shape = Layout(batch: batch, steps: steps, features: f, timeMajor: timeMajor)
        let rows = batch * steps
        let outputShape = returnSequences ? (timeMajor ? [steps, batch, u] : [batch, steps, u]) : [batch, u]
        if let outputGradient, outputGradient.shape != outputShape {
            throw LayerError(.invalidInputShape, "the output gradient has shape \(outputGradient.shape), expected \(outputShape)")
        }
        let stateCount = isLSTM ? 2 : 1
        guard stateGradients.count == stateCount, stateGradients.allSatisfy({ $0 == nil || $0?.shape == [batch, u] }) else {
            throw LayerError(.invalidInputShape, "expects \(stateCount) state gradient(s) of shape \([batch, u]), got \(stateGradients.map { $0?.shape ?? [] })")
        }
        var dz = [Scalar](repeating: 0, count: rows * w)
        var dh = stateGradients[0]?.scalars ?? [Scalar](repeating: 0, count: batch * u)
        var dCarry = isLSTM ? stateGradients[1]?.scalars ?? [Scalar](repeating: 0, count: batch * u) : []
        let upstream = outputGradient?.scalars
        let keep = record.mask
        let transposed = try recurrentKernel.transposed([1, 0]).scalars
        let recurrentMaskValues = recurrentMask?.scalars
        let chunk = workerRows(batch: batch, steps: steps)
        try transposed.withUnsafeBufferPointer { transposedBuffer in
            guard let transposedBase = transposedBuffer.baseAddress else {
                throw LayerError(.invalidWeights, "the recurrent kernel is empty")
            }
            let packed = PackedMatrix(transposedBase, k: w, n: u, ldb: u)
            record.preactivations.withUnsafeBufferPointer { preactivations in
            record.activations.withUnsafeBufferPointer { activations in
            record.previousCarries.withUnsafeBufferPointer { previousCarries in
            record.carries.withUnsafeBufferPointer { carries in
            dz.withUnsafeMutableBufferPointer { dz in
            dh.withUnsafeMutableBufferPointer { dh in
            dCarry.withUnsafeMutableBufferPointer { dCarry in
                parallelFor((batch + chunk - 1) / chunk) { worker in
                    let b0 = worker * chunk, n = Swift.min(chunk, batch - b0)
                    let scratchCount = n * (w + 4 * u)
                    let scratch = UnsafeMutablePointer<Scalar>.allocate(capacity: scratchCount)
                    scratch.initialize(repeating: 0, count: scratchCount)
                    defer { scratch.deallocate() }
                    // carried: the gradient of the output carried to earlier steps (its rows b0...);
                    // dzRows, propagated: the kept rows' dz and their state gradient.
                    let carried = scratch, dzRows = scratch + n * u, propagated = dzRows + n * w
                    let work = propagated + n * u, actC = work + n * u
                    if !returnSequences, let upstream {
                        for j in 0..<(n * u) { carried[j] = upstream[b0 * u + j] }
                    }
                    var kept = [Int]()
                    kept.reserveCapacity(n)
                    for s in stride(from: steps - 1, through: 0, by: -1) {
                        let t = goBackwards ? steps - 1 - s : s
                        if returnSequences, let upstream {
                            for b in b0..<(b0 + n) {
                                let p = shape.row(b, s)
                                for j in 0..<u { carried[(b - b0) * u + j] += upstream[p * u + j] }
                            }
                        }
                        kept.removeAll(keepingCapacity: true)
                        for b in b0..<(b0 + n) where keep.map({ $0[b * steps + t] }) ?? true { kept.append(b) }
                        for (i, b) in kept.enumerated() {
                            let r = shape.row(b, t), o = (b - b0) * u
                            // Without the values before the activations, their derivatives read the results only.
                            let ar = activations.baseAddress.map { $0 + r * w }
                            let d = dzRows + i * w, zr = preactivations.isEmpty ? ar : preactivations.baseAddress.map { $0 + r * w }
                            guard let zr, let ar else { continue }
                            // The gradient of h': the output's and the state's.
                            for j in 0..<u { work[(b - b0) * u + j] = carried[o + j] + dh[b * u + j] }
                            let dhNew = work + (b - b0) * u
                            switch gates {
                            case .lstm(let activation, let recurrentActivation):
                                let c = UnsafeBufferPointer(start: carries.baseAddress.map { $0 + r * u }, count: u)
                                let ca = actC + (b - b0) * u
                                for j in 0..<u { ca[j] = c[j] }
                                activation.apply(inPlace: UnsafeMutableBufferPointer(start: ca, count: u), rowLength: u)
                                // dc' = dL/dc' + act'(c') (dh' ⊙ o), in dz_i's place until that is written;
                                // the gates' gradients, then dL/dc = dc' ⊙ f.
                                let dc = d
                                for j in 0..<u { dc[j] = dhNew[j] * ar[3 * u + j] }
                                activation.backward(
                                    inPlace: UnsafeMutableBufferPointer(start: dc, count: u), input: c,
                                    output: UnsafeBufferPointer(start: ca, count: u), rowLength: u)
                                for j in 0..<u { dc[j] = dCarry[b * u + j] + dc[j] }
                                let previous = previousCarries.baseAddress.map { $0 + r * u }
                                guard let previous else { continue }
                                for j in 0..<u {
                                    let gradient = dc[j]
                                    d[u + j] = gradient * previous[j]
                                    d[2 * u + j] = gradient * ar[j]
                                    d[3 * u + j] = dhNew[j] * ca[j]
                                    dCarry[b * u + j] = gradient * ar[u + j]
                                    d[j] = gradient * ar[2 * u + j]
                                }
                                for g in 0..<4 {
                                    (g == 2 ? activation : recurrentActivation).backward(
                                        inPlace: UnsafeMutableBufferPointer(start: d + g * u, count: u),
                                        input: UnsafeBufferPointer(start: zr + g * u, count: u),
                                        output: UnsafeBufferPointer(start: ar + g * u, count: u), rowLength: u)
                                }
                            case .simple(let activation):
                                for j in 0..<u { d[j] = dhNew[j] }
                                activation.backward(
                                    inPlace: UnsafeMutableBufferPointer(start: d, count: u),
                                    input: UnsafeBufferPointer(start: zr, count: u),
                                    output: UnsafeBufferPointer(start: ar, count: u), rowLength: u)
                            }
                            for j in 0..<w { dz[r * w + j] = d[j] }
                        }
                        if !kept.isEmpty {
                            packed.multiply(dzRows, rows: kept.count, lda: w, beta: 0, into: propagated, ldc: u, everyRow: batch > 1)
                        }
                        for (i, b) in kept.enumerated() {
                            if let m = recurrentMaskValues {
                                for j in 0..<u { dh[b * u + j] = propagated[i * u + j] * m[b * u + j] }
                            } else {
                                for j in 0..<u { dh[b * u + j] = propagated[i * u + j] }
                            }
                            for j in 0..<u { carried[(b - b0) * u + j] = 0 }
                        }
                        if zeroOutputForMask, let keep {
                            for b in b0..<(b0 + n) where !keep[b * steps + t] {
                                for j in 0..<u { carried[(b - b0) * u + j] = 0 }
                            }
                        }
                    }
                }
            }}}}}}}
        }
        return try weightGradients(record, dz: dz, dh: dh, dCarry: dCarry, computeInputGradient: computeInputGradient)
    }

    /// The weight gradients summed over every step at once, and the inputs' gradient.
    private func weightGradients(
        _ record: Record, dz: [Scalar], dh: [Scalar], dCarry: [Scalar], computeInputGradient: Bool
    ) throws -> Gradients {
        let batch = record.batch, f = record.features, u = units, w = width, rows = batch * record.steps
        var dBias = [Scalar](repeating: 0, count: w)
        var dInputs = [Scalar](repeating: 0, count: computeInputGradient ? rows * f : 0)
        // `valuesᵀ · dz` for `(rows, width)` values: a weight's gradient summed over every step.
        func summedOverSteps(_ values: [Scalar], width: Int) -> [Scalar] {
            var product = [Scalar](repeating: 0, count: width * w)
            values.withUnsafeBufferPointer { a in
                dz.withUnsafeBufferPointer { b in
                    product.withUnsafeMutableBufferPointer { c in
                        guard rows > 0, let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress else { return }
                        Scalar.parallelGEMM(
                            transposeA: true, transposeB: false, m: width, n: w, k: rows, alpha: 1,
                            a: a, lda: width, b: b, ldb: w, beta: 0, c: c, ldc: w)
                    }
                }
            }
            return product
        }
        let dKernel = summedOverSteps(record.inputs, width: f), dRecurrent = summedOverSteps(record.previousStates, width: u)
        if rows > 0 {
            dz.withUnsafeBufferPointer { dzBuffer in
                guard let dzBase = dzBuffer.baseAddress else { return }
                for r in 0..<rows {
                    for j in 0..<w { dBias[j] += dzBuffer[r * w + j] }
                }
                guard computeInputGradient else { return }
                kernel.withUnsafeBufferPointer { k in
                    dInputs.withUnsafeMutableBufferPointer { c in
                        guard let b = k.baseAddress, let c = c.baseAddress else { return }
                        Scalar.parallelGEMM(
                            transposeA: false, transposeB: true, m: rows, n: f, k: w, alpha: 1,
                            a: dzBase, lda: w, b: b, ldb: w, beta: 0, c: c, ldc: f)
                    }
                }
            }
        }
        if computeInputGradient, let inputMask {
            let shape = Layout(batch: batch, steps: record.steps, features: f, timeMajor: timeMajor)
            inputMask.withUnsafeBufferPointer { m in
                for r in 0..<rows {
                    let b = shape.batchOf(r)
                    for j in 0..<f { dInputs[r * f + j] *= m[b * f + j] }
                }
            }
        }
        let inputShape = timeMajor ? [record.steps, batch, f] : [batch, record.steps, f]
        var weights = [Tensor(uncheckedShape: [f, w], scalars: dKernel), Tensor(uncheckedShape: [u, w], scalars: dRecurrent)]
        if bias != nil { weights.append(Tensor(uncheckedShape: [w], scalars: dBias)) }
        return Gradients(
            input: computeInputGradient ? Tensor(uncheckedShape: inputShape, scalars: dInputs) : nil,
            initialStates: [Tensor(uncheckedShape: [batch, u], scalars: dh)]
                + (isLSTM ? [Tensor(uncheckedShape: [batch, u], scalars: dCarry)] : []),
            weights: weights)
    }
}

/// Whether LSTM and SimpleRNN layers run whole sequences (``GateSequence``); the tests step
/// the cells one step at a time with tensors instead, as a reference.
enum WholeGateSequences {
    @TaskLocal static var areEnabled = true
}

/// A recorded call of LSTM or SimpleRNN cells (one, or a stack), for its backward pass.
struct GateSequencesRecord<Scalar: TensorScalar> {
    /// Each cell's sequence and record, first to last.
    let cells: [(sequence: GateSequence<Scalar>, record: GateSequence<Scalar>.Record)]
    /// Whether the inputs were reversed before the cells ran (a stack going backwards).
    let reversed: Bool
}

extension RNN {
    /// The cells as whole-sequence ``GateSequence``s, first to last, when the cell is an
    /// LSTM or SimpleRNN cell or a stack of them, built; each with the cell's dropout masks of
    /// the current sequence. A stack going backwards reads the reversed sequence forwards
    /// (`reversed`); the options are those of each cell's place in the stack.
    var gateSequences: (cells: [GateSequence<Scalar>], reversed: Bool)? {
        guard WholeGateSequences.areEnabled else { return nil }
        func flatten(_ cell: any RecurrentCell<Scalar>) -> [any RecurrentCell<Scalar>]? {
            if cell is LSTMCell<Scalar> || cell is SimpleRNNCell<Scalar> { return [cell] }
            guard let stacked = cell as? StackedRNNCells<Scalar> else { return nil }
            var cells = [any RecurrentCell<Scalar>]()
            for child in stacked.cells {
                guard let inner = flatten(child) else { return nil }
                cells += inner
            }
            return cells
        }
        guard let cells = flatten(cell), !cells.isEmpty else { return nil }
        let reverse = goBackwards && cells.count > 1
        var sequences = [GateSequence<Scalar>]()
        for (k, cell) in cells.enumerated() {
            let gates: GateSequence<Scalar>.Gates, storage: GateWeights<Scalar>
            if let lstm = cell as? LSTMCell<Scalar> {
                gates = .lstm(activation: lstm.activation, recurrentActivation: lstm.recurrentActivation)
                storage = lstm.storage
            } else if let simple = cell as? SimpleRNNCell<Scalar> {
                gates = .simple(simple.activation)
                storage = simple.storage
            } else {
                return nil
            }
            guard let kernel = storage.kernel, let recurrentKernel = storage.recurrentKernel else { return nil }
            let last = k == cells.count - 1
            sequences.append(GateSequence(
                gates: gates, units: storage.units, kernel: kernel, recurrentKernel: recurrentKernel, bias: storage.bias,
                inputMask: storage.dropoutMasks.first ?? nil, recurrentMask: storage.dropoutMasks.dropFirst().first ?? nil,
                goBackwards: goBackwards && !reverse, timeMajor: timeMajor, returnSequences: !last || returnSequences,
                zeroOutputForMask: last && zeroOutputForMask, everyRow: !GRUSequence.compactsPaddedBatches))
        }
        return (sequences, reverse)
    }

    /// `body`'s result, its ``LayerError`` prefixed with this layer's name.
    func named<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as LayerError {
            throw LayerError(error.kind, "\(name): \(error.message)")
        } catch let error as TensorError {
            throw LayerError(.invalidInputShape, "\(name): \(error.message)")
        }
    }

    /// Runs the cells over the sequence one cell at a time (the same result as stepping the
    /// stack: each cell at step t reads only the cell below at step t), recording each when asked.
    func runGateSequences(
        _ cells: (cells: [GateSequence<Scalar>], reversed: Bool), _ inputs: Tensor<Scalar>, mask: Tensor<Bool>?,
        initialStates: [Tensor<Scalar>], recording: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>], record: GateSequencesRecord<Scalar>?) {
        try named {
            var x = cells.reversed ? try inputs.reversed(alongAxis: timeMajor ? 0 : 1) : inputs
            let stepMask = cells.reversed ? try mask?.reversed(alongAxis: 1) : mask
            var states = [Tensor<Scalar>](), records = [(sequence: GateSequence<Scalar>, record: GateSequence<Scalar>.Record)]()
            var rest = initialStates[...]
            for sequence in cells.cells {
                let count = sequence.isLSTM ? 2 : 1
                guard rest.count >= count else {
                    throw LayerError(.invalidInputShape, "expects \(cell.stateSize.count) initial states, got \(initialStates.count)")
                }
                let result = try sequence.forward(x, mask: stepMask, initialStates: Array(rest.prefix(count)), recording: recording)
                rest = rest.dropFirst(count)
                x = result.output
                states += result.states
                if let record = result.record { records.append((sequence, record)) }
            }
            return (x, states, recording ? GateSequencesRecord(cells: records, reversed: cells.reversed) : nil)
        }
    }

    /// ``recordForward(_:mask:initialState:training:)`` of LSTM or SimpleRNN cells.
    func recordGateSequences(
        _ cells: (cells: [GateSequence<Scalar>], reversed: Bool), _ inputs: Tensor<Scalar>, mask: Tensor<Bool>?,
        initialStates: [Tensor<Scalar>], hadInitialState: Bool
    ) throws -> LayerOutput<Scalar> {
        let result = try runGateSequences(cells, inputs, mask: mask, initialStates: initialStates, recording: true)
        guard let record = result.record else { throw LayerError(.unsupported, "\(name): the call was not recorded") }
        if stateful { states = result.states }
        let outputs = [result.output] + (returnState ? result.states : [])
        records.append(RecurrentRecord(
            sequences: [], gates: record, reversed: record.reversed, outputs: outputs, hadInitialState: hadInitialState))
        activityLoss = activityPenalty(activityRegularizer, outputs: outputs).loss
        return LayerOutput(outputs: outputs, mask: returnSequences ? mask : nil)
    }

    /// ``recordedBackward(_:needsInputGradient:)`` of a call of ``recordGateSequences``: the
    /// cells last to first, each one's input gradient the output gradient of the one below.
    func gateSequencesBackward(
        _ record: GateSequencesRecord<Scalar>, call: RecurrentRecord<Scalar>, _ outputGradients: [Tensor<Scalar>?],
        needsInputGradient: Bool
    ) throws -> LayerGradients<Scalar> {
        let activity = activityPenalty(activityRegularizer, outputs: call.outputs).gradients
        var output = try sum(gradient(outputGradients, 0, shape: call.outputs[0].shape), activity[0])
        // The final states' gradients, each cell's in its place among the stack's states.
        var stateIndex = record.cells.reduce(0) { $0 + ($1.sequence.isLSTM ? 2 : 1) }
        var weights = [[Tensor<Scalar>]](repeating: [], count: record.cells.count)
        var initialStates = [[Tensor<Scalar>]](repeating: [], count: record.cells.count)
        for k in stride(from: record.cells.count - 1, through: 0, by: -1) {
            let (sequence, cellRecord) = record.cells[k]
            let count = sequence.isLSTM ? 2 : 1
            stateIndex -= count
            let states = try (stateIndex..<(stateIndex + count)).map { i -> Tensor<Scalar>? in
                guard returnState, 1 + i < call.outputs.count else { return nil }
                return try sum(gradient(outputGradients, 1 + i, shape: call.outputs[1 + i].shape), activity[1 + i])
            }
            let result = try named {
                try sequence.backward(
                    cellRecord, outputGradient: output, stateGradients: states, computeInputGradient: needsInputGradient || k > 0)
            }
            weights[k] = result.weights
            initialStates[k] = result.initialStates
            output = result.input
        }
        var input = needsInputGradient ? output : nil
        if record.reversed { input = try input?.reversed(alongAxis: timeMajor ? 0 : 1) }
        return LayerGradients(
            input: input, initialStates: call.hadInitialState ? initialStates.flatMap { $0 } : [],
            weights: weights.flatMap { $0 })
    }
}
