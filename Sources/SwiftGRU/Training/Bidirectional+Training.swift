extension Bidirectional {
    public var weightRegularizers: [Regularizer?] { forwardLayer.weightRegularizers + backwardLayer.weightRegularizers }
    public var weightConstraints: [Constraint?] { forwardLayer.weightConstraints + backwardLayer.weightConstraints }
    public var activityLoss: Scalar { forwardLayer.activityLoss + backwardLayer.activityLoss }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        guard initialState.count % 2 == 0 else {
            throw LayerError(.invalidInputShape, "Bidirectional '\(name)': initial_state must hold the forward states then the backward states")
        }
        let half = initialState.count / 2
        let (y, yBackward) = try halves(
            { try self.forwardLayer.forwardRecording(input, mask: mask, initialState: Array(initialState[..<half]), training: training) },
            { try self.backwardLayer.forwardRecording(input, mask: mask, initialState: Array(initialState[half...]), training: training) })
        let result = try merge(y.output, yBackward.output, states: Array(y.outputs.dropFirst()) + Array(yBackward.outputs.dropFirst()))
        let flipped = returnSequences ? try yBackward.output.reversed(alongAxis: timeAxis) : yBackward.output
        records.append((y.output, flipped, (y.outputs.count - 1, yBackward.outputs.count - 1)))
        return LayerOutput(outputs: result.all, mask: returnSequences ? mask : nil)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        try backward(outputGradients, needsInputGradient: true)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?], needsInputGradient: Bool) throws -> LayerGradients<Scalar> {
        let record = try popRecord(&records, layer: name)
        let forward = record.forward, backward = record.backward
        var gForward: Tensor<Scalar>, gBackward: Tensor<Scalar>
        var stateStart = 1
        switch mergeMode {
        case nil:
            gForward = try gradient(outputGradients, 0, shape: forward.shape)
            gBackward = try gradient(outputGradients, 1, shape: backward.shape)
            stateStart = 2
        case .concat?:
            let width = forward.shape[forward.rank - 1]
            let g = try gradient(outputGradients, 0, shape: forward.shape.dropLast() + [2 * width])
            var a = [Scalar](), b = [Scalar]()
            for row in stride(from: 0, to: g.scalarCount, by: 2 * width) {
                a += g.scalars[row..<(row + width)]
                b += g.scalars[(row + width)..<(row + 2 * width)]
            }
            gForward = try Tensor(shape: forward.shape, scalars: a)
            gBackward = try Tensor(shape: backward.shape, scalars: b)
        case .sum?:
            gForward = try gradient(outputGradients, 0, shape: forward.shape)
            gBackward = gForward
        case .ave?:
            gForward = try gradient(outputGradients, 0, shape: forward.shape).scaled(by: 0.5)
            gBackward = gForward
        case .mul?:
            let g = try gradient(outputGradients, 0, shape: forward.shape)
            gForward = try g.combined(with: backward, *)
            gBackward = try g.combined(with: forward, *)
        }
        if returnSequences { gBackward = try gBackward.reversed(alongAxis: timeAxis) }
        let states = Array(outputGradients.dropFirst(stateStart))
        let (forwardStates, backwardStates) = record.stateCounts
        func slice(_ start: Int, _ count: Int) -> [Tensor<Scalar>?] {
            (start..<(start + count)).map { $0 < states.count ? states[$0] : nil }
        }
        let (f, b) = try halves(
            { try self.forwardLayer.backward([gForward] + slice(0, forwardStates), needsInputGradient: needsInputGradient) },
            { try self.backwardLayer.backward([gBackward] + slice(forwardStates, backwardStates), needsInputGradient: needsInputGradient) })
        return LayerGradients(
            input: try sum(f.input, b.input), initialStates: f.initialStates + b.initialStates,
            weightGradients: f.weightGradients + b.weightGradients)
    }

    public func clearRecords() {
        records.removeAll()
        forwardLayer.clearRecords()
        backwardLayer.clearRecords()
    }
}
