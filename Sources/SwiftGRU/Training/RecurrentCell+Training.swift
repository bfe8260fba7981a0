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
        let batch = input.shape.first ?? 0, u = units, width = 4 * units
        let z = try storage.preactivation(input, states[0])
        func gate(_ k: Int) throws -> Tensor<Scalar> {
            var out = [Scalar]()
            out.reserveCapacity(batch * u)
            for row in 0..<batch { out += z.scalars[(row * width + k * u)..<(row * width + (k + 1) * u)] }
            return try Tensor(shape: [batch, u], scalars: out)
        }
        let zi = try gate(0), zf = try gate(1), zc = try gate(2), zo = try gate(3)
        let i = try recurrentActivation.apply(to: zi), f = try recurrentActivation.apply(to: zf)
        let g = try activation.apply(to: zc), o = try recurrentActivation.apply(to: zo)
        let c = try f.combined(with: states[1], *).adding(i.combined(with: g, *))
        let tanhC = try activation.apply(to: c)
        let dh = try outputGradient.adding(stateGradients[0])
        // dc' = dL/dc' + dh * o * act'(c').
        let dcThroughH = try activation.gradient(input: c, output: tanhC, outputGradient: dh.combined(with: o, *))
        let dc = try stateGradients[1].adding(dcThroughH)
        let dzi = try recurrentActivation.gradient(input: zi, output: i, outputGradient: dc.combined(with: g, *))
        let dzf = try recurrentActivation.gradient(input: zf, output: f, outputGradient: dc.combined(with: states[1], *))
        let dzc = try activation.gradient(input: zc, output: g, outputGradient: dc.combined(with: i, *))
        let dzo = try recurrentActivation.gradient(input: zo, output: o, outputGradient: dh.combined(with: tanhC, *))
        var dz = [Scalar](repeating: 0, count: batch * width)
        for (k, gradient) in [dzi, dzf, dzc, dzo].enumerated() {
            for row in 0..<batch {
                for j in 0..<u { dz[row * width + k * u + j] = gradient.scalars[row * u + j] }
            }
        }
        let result = try storage.backward(Tensor(shape: [batch, width], scalars: dz), input: input, state: states[0])
        return (result.input, [result.state, try dc.combined(with: f, *)], result.weights)
    }
}

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
