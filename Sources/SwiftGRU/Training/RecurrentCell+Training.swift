/// A cell whose step can be backpropagated (``SimpleRNNCell``, ``LSTMCell``, and
/// ``StackedRNNCells`` of them): from the step's input and the states before it, and the
/// gradients of its output and new states, the gradients of its input, of the states before
/// it and of its weights (recomputing the step's gates rather than keeping them).
protocol DifferentiableRecurrentCell<Scalar>: RecurrentCell {
    /// The dropout masks of the current sequence: kept with a recorded call, put back for its
    /// backward pass.
    var dropoutMasks: [Tensor<Scalar>?] { get set }

    func stepBackward(
        input: Tensor<Scalar>, states: [Tensor<Scalar>], outputGradient: Tensor<Scalar>, stateGradients: [Tensor<Scalar>]
    ) throws -> (input: Tensor<Scalar>, states: [Tensor<Scalar>], weights: [Tensor<Scalar>])
}

/// The cells over ``GateWeights`` keep their dropout masks there.
extension DifferentiableRecurrentCell where Self: GateWeightsCell {
    var dropoutMasks: [Tensor<Scalar>?] {
        get { storage.dropoutMasks }
        set { storage.dropoutMasks = newValue }
    }
}

extension SimpleRNNCell: DifferentiableRecurrentCell {
    /// `h' = act(z)`: dz = act'(z) * (dL/d(output) + dL/dh').
    func stepBackward(
        input: Tensor<Scalar>, states: [Tensor<Scalar>], outputGradient: Tensor<Scalar>, stateGradients: [Tensor<Scalar>]
    ) throws -> (input: Tensor<Scalar>, states: [Tensor<Scalar>], weights: [Tensor<Scalar>]) {
        let z = try storage.preactivation(input, states[0])
        let h = try activation.apply(to: z)
        let dh = try outputGradient.adding(stateGradients[0])
        let dz = try activation.gradient(input: z, output: h, outputGradient: dh)
        let result = try storage.backward(dz, input: input, state: states[0])
        return (result.input, [result.state], result.weights)
    }
}

extension LSTMCell: DifferentiableRecurrentCell {
    /// The four gates' gradients from dL/dh' (output and state) and dL/dc', then `z`'s.
    func stepBackward(
        input: Tensor<Scalar>, states: [Tensor<Scalar>], outputGradient: Tensor<Scalar>, stateGradients: [Tensor<Scalar>]
    ) throws -> (input: Tensor<Scalar>, states: [Tensor<Scalar>], weights: [Tensor<Scalar>]) {
        let z = try storage.preactivation(input, states[0])
        let (dz, dCarry) = try gates.backward(z, carry: states[1], hGradient: outputGradient.adding(stateGradients[0]), cGradient: stateGradients[1])
        let result = try storage.backward(dz, input: input, state: states[0])
        return (result.input, [result.state, dCarry], result.weights)
    }
}

extension ConvLSTMCell: DifferentiableRecurrentCell {}

extension StackedRNNCells: DifferentiableRecurrentCell {
    /// Each cell's masks in turn (two per cell).
    var dropoutMasks: [Tensor<Scalar>?] {
        get { cells.flatMap { ($0 as? any DifferentiableRecurrentCell<Scalar>)?.dropoutMasks ?? [nil, nil] } }
        set {
            var rest = newValue[...]
            for cell in cells {
                guard let differentiable = cell as? any DifferentiableRecurrentCell<Scalar> else { rest = rest.dropFirst(2); continue }
                let count = differentiable.dropoutMasks.count
                differentiable.dropoutMasks = Array(rest.prefix(count))
                rest = rest.dropFirst(count)
            }
        }
    }

    /// The cells' steps recomputed forwards for their inputs, then backpropagated last to first.
    func stepBackward(
        input: Tensor<Scalar>, states: [Tensor<Scalar>], outputGradient: Tensor<Scalar>, stateGradients: [Tensor<Scalar>]
    ) throws -> (input: Tensor<Scalar>, states: [Tensor<Scalar>], weights: [Tensor<Scalar>]) {
        var inputs = [input], ranges = [Range<Int>]()
        var start = 0
        for cell in cells {
            let count = cell.stateSize.count
            ranges.append(start..<(start + count))
            if ranges.count < cells.count {
                let step = try cell.step(inputs[inputs.count - 1], states: Array(states[start..<(start + count)]), constants: [], training: true)
                inputs.append(step.output)
            }
            start += count
        }
        var dOutput = outputGradient
        var dStates = stateGradients
        var dWeights = [[Tensor<Scalar>]](repeating: [], count: cells.count)
        for k in stride(from: cells.count - 1, through: 0, by: -1) {
            guard let cell = cells[k] as? any DifferentiableRecurrentCell<Scalar> else {
                throw LayerError(.unsupported, "StackedRNNCells: cell \(k) (\(type(of: cells[k]))) cannot be trained in a stack yet")
            }
            let result = try cell.stepBackward(
                input: inputs[k], states: Array(states[ranges[k]]), outputGradient: dOutput, stateGradients: Array(stateGradients[ranges[k]]))
            dStates.replaceSubrange(ranges[k], with: result.states)
            dWeights[k] = result.weights
            dOutput = result.input
        }
        return (dOutput, dStates, dWeights.flatMap { $0 })
    }
}
