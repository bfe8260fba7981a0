import GRUCUDA

/// One GRU cell's recorded sequence: on the CPU, or on a device.
enum RecordedSequence<Scalar: TensorScalar> {
    case cpu(GRUSequenceTape<Scalar>, GRUWeights<Scalar>)
    case device(DeviceSequenceRecord<Scalar>)

    func backward(
        outputGradient: Tensor<Scalar>?, finalStateGradient: Tensor<Scalar>?, computeInputGradient: Bool
    ) throws -> GRUSequenceGradients<Scalar> {
        switch self {
        case .cpu(let tape, let weights):
            return try GRUSequence.backward(
                tape, weights: weights, outputGradient: outputGradient ?? Tensor(zeros: [0]),
                finalStateGradient: finalStateGradient, computeInputGradient: computeInputGradient)
        case .device(let record):
            return try record.backward(outputGradient: outputGradient, finalStateGradient: finalStateGradient)
        }
    }
}

/// What a recorded call of a recurrent layer keeps for its backward pass.
struct RecurrentRecord<Scalar: TensorScalar> {
    /// One recorded sequence per GRU cell, first to last.
    let sequences: [RecordedSequence<Scalar>]
    /// Whether the inputs were reversed before the cells ran (stacked cells going backwards).
    let reversed: Bool
    let outputs: [Tensor<Scalar>]
    let hadInitialState: Bool
}

extension RNN {
    public var weightRegularizers: [Regularizer?] {
        gruCells?.flatMap { $0.weightRegularizers } ?? weights.map { _ in nil }
    }

    public var weightConstraints: [Constraint?] {
        gruCells?.flatMap { $0.weightConstraints } ?? weights.map { _ in nil }
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let start = try prepare(input, mask: mask, initialState: initialState.isEmpty ? nil : initialState, constants: [])
        guard let cells = gruCells else {
            throw LayerError(.unsupported, "\(name): training needs GRU cells (GRUCell or StackedRNNCells of them)")
        }
        try cell.beginSequence(batchSize: start.first?.shape.first ?? 0, training: training)
        defer { cell.endSequence() }
        let result = try recordSequence(cells, input, mask: mask, initialStates: start)
        if stateful { states = result.states }
        let record = result.record
        records.append(RecurrentRecord(
            sequences: record.sequences, reversed: record.reversed, outputs: record.outputs,
            hadInitialState: !initialState.isEmpty))
        activityLoss = activityPenalty(activityRegularizer, outputs: record.outputs).loss
        return LayerOutput(outputs: record.outputs, mask: returnSequences ? mask : nil)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        try backward(outputGradients, needsInputGradient: true)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?], needsInputGradient: Bool) throws -> LayerGradients<Scalar> {
        let record = try popRecord(&records, layer: name)
        let activity = activityPenalty(activityRegularizer, outputs: record.outputs).gradients
        let count = record.sequences.count
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
                g = try record.sequences[k].backward(
                    outputGradient: output, finalStateGradient: stateGradient, computeInputGradient: needsInputGradient || k > 0)
            } catch let error as TensorError {
                throw LayerError(.invalidInputShape, "\(name): \(error.message)")
            } catch let error as GPUError {
                throw LayerError(.unsupported, "\(name): the GPU failed: \(error.message)")
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
