internal import GRUMath
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

/// A call stepped one step at a time (cells that run no whole sequences, such as a stack
/// mixing GRU and LSTM cells): each step's input and the states before it (in processing
/// order), and which rows each step kept (the mask).
struct StepSequenceRecord<Scalar: TensorScalar> {
    var steps: [(time: Int, input: Tensor<Scalar>, states: [Tensor<Scalar>], keep: [Bool]?)] = []
    /// The batch size of the call.
    var batch = 0
    let inputShape: [Int]
    /// The cell's dropout masks for this call.
    var dropoutMasks: [Tensor<Scalar>?] = []
}

/// What a recorded call of a recurrent layer keeps for its backward pass.
struct RecurrentRecord<Scalar: TensorScalar> {
    /// One recorded sequence per GRU cell, first to last.
    let sequences: [RecordedSequence<Scalar>]
    /// The whole-sequence call of LSTM or SimpleRNN cells.
    var gates: GateSequencesRecord<Scalar>? = nil
    /// The steps of a call stepped one step at a time.
    var steps: StepSequenceRecord<Scalar>? = nil
    /// Whether the inputs were reversed before the cells ran (stacked cells going backwards).
    let reversed: Bool
    let outputs: [Tensor<Scalar>]
    let hadInitialState: Bool
}

extension RNN {
    public var weightRegularizers: [Regularizer?] {
        (cell as? any RegularizedCell)?.weightRegularizers ?? weights.map { _ in nil }
    }

    public var weightConstraints: [Constraint?] {
        (cell as? any RegularizedCell)?.weightConstraints ?? weights.map { _ in nil }
    }

    /// ``forwardRecording(_:mask:initialState:training:)`` over `(batch, steps, features)` inputs.
    func recordForward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let start = try prepare(input, mask: mask, initialState: initialState.isEmpty ? nil : initialState, constants: [])
        guard let cells = gruCells else {
            guard let differentiable = cell as? any DifferentiableRecurrentCell<Scalar> else {
                throw LayerError(.unsupported, "\(name): training needs GRU, LSTM or SimpleRNN cells (or a stack of them)")
            }
            try cell.beginSequence(batchSize: start.first?.shape.first ?? 0, training: training)
            defer { cell.endSequence() }
            if let cells = gateSequences {
                return try recordGateSequences(cells, input, mask: mask, initialStates: start, hadInitialState: !initialState.isEmpty)
            }
            return try recordSteps(differentiable, input, mask: mask, initialStates: start, training: training, hadInitialState: !initialState.isEmpty)
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

    /// ``backward(_:needsInputGradient:)`` of a call of ``recordForward(_:mask:initialState:training:)``.
    func recordedBackward(_ outputGradients: [Tensor<Scalar>?], needsInputGradient: Bool) throws -> LayerGradients<Scalar> {
        let record = try popRecord(&records, layer: name)
        if let gates = record.gates {
            return try gateSequencesBackward(gates, call: record, outputGradients, needsInputGradient: needsInputGradient)
        }
        if let steps = record.steps { return try backwardSteps(steps, record: record, outputGradients) }
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

    /// The step-by-step loop of ``runSequence`` for a differentiable cell, recording each step.
    private func recordSteps(
        _ stepper: any DifferentiableRecurrentCell<Scalar>, _ inputs: Tensor<Scalar>, mask: Tensor<Bool>?,
        initialStates: [Tensor<Scalar>], training: Bool, hadInitialState: Bool
    ) throws -> LayerOutput<Scalar> {
        let stepMajor = timeMajor ? inputs : try inputs.swappingLeadingAxes()
        let steps = stepMajor.shape[0], batch = stepMajor.shape[1], features = stepMajor.shape[2]
        var states = initialStates
        var previous = Tensor<Scalar>(zeros: [batch, stepper.outputSize])
        var outputs = [Tensor<Scalar>]()
        var record = StepSequenceRecord<Scalar>(inputShape: inputs.shape)
        record.batch = batch
        for s in 0..<steps {
            let t = goBackwards ? steps - 1 - s : s
            let x = try stepMajor.slice(t..<(t + 1)).reshaped(to: [batch, features])
            let (output, newStates) = try stepper.step(x, states: states, constants: [], training: training)
            let keep = mask.map { mask in (0..<batch).map { mask[$0, t] } }
            record.steps.append((t, x, states, keep))
            if let keep {
                previous = try select(keep, output, zeroOutputForMask ? Tensor(zeros: previous.shape) : previous)
                states = try zip(newStates, states).map { try select(keep, $0, $1) }
            } else {
                previous = output
                states = newStates
            }
            if returnSequences { outputs.append(previous) }
        }
        var output = previous
        if returnSequences {
            let sequence = try Tensor.concatenate(outputs, alongAxis: 0).reshaped(to: [steps, batch, stepper.outputSize])
            output = timeMajor ? sequence : try sequence.swappingLeadingAxes()
        }
        if stateful { self.states = states }
        record.dropoutMasks = stepper.dropoutMasks
        let all = [output] + (returnState ? states : [])
        records.append(RecurrentRecord(sequences: [], steps: record, reversed: false, outputs: all, hadInitialState: hadInitialState))
        activityLoss = activityPenalty(activityRegularizer, outputs: all).loss
        return LayerOutput(outputs: all, mask: returnSequences ? mask : nil)
    }

    /// Backpropagation through time over a recorded step-by-step call.
    private func backwardSteps(
        _ record: StepSequenceRecord<Scalar>, record call: RecurrentRecord<Scalar>, _ outputGradients: [Tensor<Scalar>?]
    ) throws -> LayerGradients<Scalar> {
        guard let stepper = cell as? any DifferentiableRecurrentCell<Scalar> else { throw unsupportedTraining() }
        stepper.dropoutMasks = record.dropoutMasks
        defer { cell.endSequence() }
        let activity = activityPenalty(activityRegularizer, outputs: call.outputs).gradients
        let outputGradient = try sum(gradient(outputGradients, 0, shape: call.outputs[0].shape), activity[0])
        let steps = record.steps.count
        let batch = record.batch, width = stepper.outputSize
        let stateShapes = record.steps.first.map { $0.states.map(\.shape) } ?? []
        var dStates = try stateShapes.indices.map { k -> Tensor<Scalar> in
            guard returnState else { return Tensor(zeros: stateShapes[k]) }
            return try sum(gradient(outputGradients, 1 + k, shape: stateShapes[k]), activity[1 + k]) ?? Tensor(zeros: stateShapes[k])
        }
        var sequenceGradient: Tensor<Scalar>?
        var dPrevious = Tensor<Scalar>(zeros: [batch, width])
        if returnSequences {
            let stepMajor = (outputGradient ?? Tensor(zeros: call.outputs[0].shape))
            sequenceGradient = timeMajor ? stepMajor : try stepMajor.swappingLeadingAxes()
        } else if let outputGradient {
            dPrevious = outputGradient
        }
        let features = record.steps.first?.input.shape[1] ?? 0
        var dInputs = [Scalar](repeating: 0, count: steps * batch * features)
        var dWeights: [Tensor<Scalar>]?
        for s in stride(from: steps - 1, through: 0, by: -1) {
            let step = record.steps[s]
            if let sequenceGradient { dPrevious = try dPrevious.adding(sequenceGradient.slice(s..<(s + 1)).reshaped(to: [batch, width])) }
            var dOutput = dPrevious, dNewStates = dStates
            var carriedOutput = Tensor<Scalar>(zeros: [batch, width]), carriedStates = dStates.map { Tensor<Scalar>(zeros: $0.shape) }
            if let keep = step.keep {
                // Masked rows pass the later gradients to the earlier output and states unchanged.
                dOutput = try masked(dPrevious, keep: keep)
                if !zeroOutputForMask { carriedOutput = try masked(dPrevious, keep: keep.map { !$0 }) }
                dNewStates = try dStates.map { try masked($0, keep: keep) }
                carriedStates = try dStates.map { try masked($0, keep: keep.map { !$0 }) }
            }
            let result = try stepper.stepBackward(input: step.input, states: step.states, outputGradient: dOutput, stateGradients: dNewStates)
            dStates = try zip(result.states, carriedStates).map { try $0.adding($1) }
            dPrevious = carriedOutput
            dWeights = try dWeights.map { try zip($0, result.weights).map { try $0.adding($1) } } ?? result.weights
            for (i, v) in result.input.scalars.enumerated() { dInputs[step.time * batch * features + i] = v }
        }
        let stepMajorInput = try Tensor(shape: [steps, batch, features], scalars: dInputs)
        return LayerGradients(
            input: timeMajor ? stepMajorInput : try stepMajorInput.swappingLeadingAxes(),
            initialStates: call.hadInitialState ? dStates : [], weights: dWeights ?? weights.map { Tensor(zeros: $0.shape) })
    }

    /// Rows of `gradient` where `keep` is true; zeros elsewhere.
    private func masked(_ gradient: Tensor<Scalar>, keep: [Bool]) throws -> Tensor<Scalar> {
        let width = gradient.shape.last ?? 0
        var values = gradient.scalars
        for (b, use) in keep.enumerated() where !use {
            for j in 0..<width { values[b * width + j] = 0 }
        }
        return try Tensor(shape: gradient.shape, scalars: values)
    }
}

/// A cell whose kernel, recurrent kernel and bias may carry a regularizer and a constraint.
package protocol RegularizedCell {
    /// Regularizers aligned with the cell's weights.
    var weightRegularizers: [Regularizer?] { get }
    /// Constraints aligned with the cell's weights.
    var weightConstraints: [Constraint?] { get }
}

/// The cells with Keras' kernel, recurrent kernel and optional bias.
package protocol KernelRecurrentBiasCell: RegularizedCell {
    var useBias: Bool { get }
    var kernelRegularizer: Regularizer? { get }
    var recurrentRegularizer: Regularizer? { get }
    var biasRegularizer: Regularizer? { get }
    var kernelConstraint: Constraint? { get }
    var recurrentConstraint: Constraint? { get }
    var biasConstraint: Constraint? { get }
}

extension KernelRecurrentBiasCell {
    package var weightRegularizers: [Regularizer?] { [kernelRegularizer, recurrentRegularizer] + (useBias ? [biasRegularizer] : []) }
    package var weightConstraints: [Constraint?] { [kernelConstraint, recurrentConstraint] + (useBias ? [biasConstraint] : []) }
}

extension GRUCell: KernelRecurrentBiasCell {}
extension LSTMCell: KernelRecurrentBiasCell {}
extension ConvLSTMCell: KernelRecurrentBiasCell {}
extension SimpleRNNCell: KernelRecurrentBiasCell {}

extension StackedRNNCells: RegularizedCell {
    package var weightRegularizers: [Regularizer?] {
        cells.flatMap { cell in (cell as? any RegularizedCell)?.weightRegularizers ?? cell.weights.map { _ in nil } }
    }

    package var weightConstraints: [Constraint?] {
        cells.flatMap { cell in (cell as? any RegularizedCell)?.weightConstraints ?? cell.weights.map { _ in nil } }
    }
}
