/// What a recorded call of a recurrent layer keeps for its backward pass.
struct RecurrentRecord<Scalar: TensorScalar> {
    /// One tape per GRU cell, first to last.
    let tapes: [GRUSequenceTape<Scalar>]
    let weights: [GRUWeights<Scalar>]
    /// Whether the inputs were reversed before the cells ran (stacked cells going backwards).
    let reversed: Bool
    let outputs: [Tensor<Scalar>]
    let hadInitialState: Bool
}

extension RNN {
    /// The cells as a list of GRU cells, when the cell is a GRU cell or a stack of them.
    var gruCells: [GRUCell<Scalar>]? {
        func flatten(_ cell: any RecurrentCell<Scalar>) -> [GRUCell<Scalar>]? {
            if let gru = cell as? GRUCell<Scalar> { return [gru] }
            guard let stacked = cell as? StackedRNNCells<Scalar> else { return nil }
            var cells = [GRUCell<Scalar>]()
            for child in stacked.cells {
                guard let inner = flatten(child) else { return nil }
                cells += inner
            }
            return cells
        }
        return flatten(cell)
    }

    /// Runs GRU cells over the sequence one cell at a time (the same result as stepping the
    /// stack, since each cell at step t reads only the cell below at step t).
    func fusedSequence(
        _ cells: [GRUCell<Scalar>], _ inputs: Tensor<Scalar>, mask: Tensor<Bool>?,
        initialStates: [Tensor<Scalar>], recording: Bool
    ) throws -> (output: Tensor<Scalar>, states: [Tensor<Scalar>], record: RecurrentRecord<Scalar>?) {
        // One cell walks backwards by itself; a stack reads the reversed sequence forwards.
        let reverse = goBackwards && cells.count > 1
        var x = reverse ? try inputs.reversed(alongAxis: timeMajor ? 0 : 1) : inputs
        let stepMask = reverse ? try mask?.reversed(alongAxis: 1) : mask
        var finals = [Tensor<Scalar>]()
        var tapes = [GRUSequenceTape<Scalar>]()
        var weights = [GRUWeights<Scalar>]()
        for (k, cell) in cells.enumerated() {
            guard let (spec, cellWeights) = cell.parameters else {
                throw LayerError(.invalidInputShape, "\(displayName): the layer is not built")
            }
            let last = k == cells.count - 1
            let options = GRUSequenceOptions(
                goBackwards: goBackwards && !reverse, timeMajor: timeMajor,
                zeroOutputForMask: last && zeroOutputForMask, returnSequences: !last || returnSequences)
            let result: GRUSequenceOutput<Scalar>
            do {
                if recording {
                    let (output, tape) = try GRUSequence.forwardRecording(
                        spec: spec, weights: cellWeights, inputs: x, mask: stepMask, initialState: initialStates[k],
                        dropout: cell.dropoutMasks, options: options)
                    result = output
                    tapes.append(tape)
                    weights.append(cellWeights)
                } else {
                    result = try GRUSequence.forward(
                        spec: spec, weights: cellWeights, inputs: x, mask: stepMask, initialState: initialStates[k],
                        dropout: cell.dropoutMasks, options: options)
                }
            } catch let error as TensorError {
                throw LayerError(.invalidInputShape, "\(displayName): \(error.message)")
            }
            x = result.output
            finals.append(result.finalState)
        }
        let outputs = [x] + (returnState ? finals : [])
        let record = recording ? RecurrentRecord(tapes: tapes, weights: weights, reversed: reverse, outputs: outputs, hadInitialState: false) : nil
        return (x, finals, record)
    }

    public var weightRegularizers: [Regularizer?] {
        gruCells?.flatMap { $0.weightRegularizers } ?? weights.map { _ in nil }
    }

    public var weightConstraints: [Constraint?] {
        gruCells?.flatMap { $0.weightConstraints } ?? weights.map { _ in nil }
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let start = try prepare(input, mask: mask, initialState: initialState.isEmpty ? nil : initialState, constants: [])
        guard let cells = gruCells else {
            throw LayerError(.unsupported, "\(displayName): training needs GRU cells (GRUCell or StackedRNNCells of them)")
        }
        try cell.beginSequence(batchSize: start.first?.shape.first ?? 0, training: training)
        defer { cell.endSequence() }
        try (self as? GRU<Scalar>)?.checkCuDNN(mask: mask)
        let result = try fusedSequence(cells, input, mask: mask, initialStates: start, recording: true)
        keep(result.states)
        guard let record = result.record else { throw LayerError(.unsupported, "\(displayName): nothing was recorded") }
        records.append(RecurrentRecord(
            tapes: record.tapes, weights: record.weights, reversed: record.reversed, outputs: record.outputs,
            hadInitialState: !initialState.isEmpty))
        activityLoss = activityPenalty(activityRegularizer, outputs: record.outputs).loss
        return LayerOutput(outputs: record.outputs, mask: returnSequences ? mask : nil)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        try backward(outputGradients, needsInputGradient: true)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?], needsInputGradient: Bool) throws -> LayerGradients<Scalar> {
        let record = try popRecord(&records, layer: displayName)
        let activity = activityPenalty(activityRegularizer, outputs: record.outputs).gradients
        let count = record.tapes.count
        var output = try sum(gradient(outputGradients, 0, shape: record.outputs[0].shape), activity[0])
        var cellWeights = [[Tensor<Scalar>]](repeating: [], count: count)
        var initialStates = [Tensor<Scalar>](repeating: Tensor(zeros: [0]), count: count)
        for k in stride(from: count - 1, through: 0, by: -1) {
            var stateGradient: Tensor<Scalar>?
            if returnState {
                stateGradient = try sum(
                    gradient(outputGradients, 1 + k, shape: record.outputs[1 + k].shape), activity[1 + k])
            }
            let g: GRUSequenceGradients<Scalar>
            do {
                g = try GRUSequence.backward(
                    record.tapes[k], weights: record.weights[k], outputGradient: output ?? Tensor(zeros: [0]),
                    finalStateGradient: stateGradient, computeInputGradient: needsInputGradient || k > 0)
            } catch let error as TensorError {
                throw LayerError(.invalidInputShape, "\(displayName): \(error.message)")
            }
            cellWeights[k] = [g.kernel, g.recurrentKernel] + (g.bias.map { [$0] } ?? [])
            initialStates[k] = g.initialState
            output = g.inputs
        }
        var input = needsInputGradient ? output : nil
        if record.reversed { input = try input?.reversed(alongAxis: timeMajor ? 0 : 1) }
        return LayerGradients(
            input: input, initialStates: record.hadInitialState ? initialStates : [], weights: cellWeights.flatMap { $0 })
    }

    public func clearRecords() { records.removeAll() }
}

extension GRUCell {
    /// Regularizers aligned with ``weights``.
    var weightRegularizers: [Regularizer?] { [kernelRegularizer, recurrentRegularizer] + (useBias ? [biasRegularizer] : []) }
    /// Constraints aligned with ``weights``.
    var weightConstraints: [Constraint?] { [kernelConstraint, recurrentConstraint] + (useBias ? [biasConstraint] : []) }
}
