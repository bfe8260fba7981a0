extension Embedding {
    public var weightRegularizers: [Regularizer?] { [embeddingsRegularizer] }
    public var weightConstraints: [Constraint?] { [embeddingsConstraint] }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let result = try forward(input, mask: mask, training: training)
        records.append(input)
        activityLoss = activityPenalty(activityRegularizer, outputs: [result.output]).loss
        return result
    }

    // Specialized: the layer is called through its protocol, which would run generic code.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let indices = try popRecord(&records, layer: name)
        var g = try gradient(outputGradients, 0, shape: indices.shape + [outputDim])
        if activityRegularizer != nil {
            g = try addingActivityGradient(activityRegularizer, output: forward(indices, mask: nil, training: false).output, to: g)
        }
        let width = outputDim, extent = inputDim
        guard indices.scalars.allSatisfy({ $0 >= 0 && $0 < Scalar(extent) }) else {
            throw LayerError(.invalidArgument, "\(name): an index is outside the table of \(extent) rows")
        }
        // Only the rows some lookup read with a gradient that is not zero (a zero slice adds
        // nothing, as the row left out): each row's slices summed in the order of the lookups,
        // as the dense table would sum them.
        let lookups = indices.scalars.map { Int($0) }
        let read = g.withUnsafeBufferPointer { g in
            lookups.indices.map { position in g[(position * width)..<((position + 1) * width)].contains { $0 != 0 } }
        }
        // Each row read: its place among the rows, in ascending order.
        var place = [Int32](repeating: -1, count: extent)
        var rows = [Int]()
        for (index, isRead) in zip(lookups, read) where isRead && place[index] < 0 {
            place[index] = 0
            rows.append(index)
        }
        rows.sort()
        for (k, row) in rows.enumerated() { place[row] = Int32(k) }
        var values = [Scalar](repeating: 0, count: rows.count * width)
        var squares = values, absolutes = values
        values.withUnsafeMutableBufferPointer { values in
            squares.withUnsafeMutableBufferPointer { squares in
                absolutes.withUnsafeMutableBufferPointer { absolutes in
                    g.withUnsafeBufferPointer { g in
                        guard let sum = values.baseAddress, let square = squares.baseAddress, let absolute = absolutes.baseAddress,
                              let slices = g.baseAddress else { return }
                        for (position, index) in lookups.enumerated() where read[position] {
                            let slice = slices + position * width, at = Int(place[index]) * width
                            for j in 0..<width {
                                let value = slice[j]
                                sum[at + j] += value
                                square[at + j] += value * value
                                absolute[at + j] += abs(value)
                            }
                        }
                    }
                }
            }
        }
        // A regularizer's dense gradient makes TensorFlow's gradient dense again.
        let sliced = embeddingsRegularizer == nil
        return LayerGradients(input: nil, weightGradients: [try WeightGradient(
            shape: [extent, width], rows: rows, values: values, sliceSquares: sliced ? squares : nil,
            sliceAbsolutes: sliced ? absolutes : nil)])
    }

    public func clearRecords() { records.removeAll() }
}

extension Masking {
    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let result = try forward(input, mask: mask, training: training)
        if let kept = result.mask { records.append(kept) }
        return result
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let kept = try popRecord(&records, layer: name)
        let width = Swift.max(1, outputGradients.first??.shape.last ?? 1)
        var g = try gradient(outputGradients, 0, shape: kept.shape + [width])
        g.withUnsafeMutableBufferPointer { buffer in
            for (r, keep) in kept.scalars.enumerated() where !keep {
                for j in 0..<width { buffer[r * width + j] = 0 }
            }
        }
        return LayerGradients(input: g)
    }

    public func clearRecords() { records.removeAll() }
}

extension Dropout {
    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let factor = training && rate > 0 ? try scaling(for: input) : Tensor(repeating: 1, shape: input.shape)
        records.append(factor)
        return LayerOutput(try factor.combined(with: input, *), mask: mask)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let factor = try popRecord(&records, layer: name)
        return LayerGradients(input: try gradient(outputGradients, 0, shape: factor.shape).combined(with: factor, *))
    }

    public func clearRecords() { records.removeAll() }
}

extension ActivationLayer: LogitsProducing {
    var outputActivation: Activation { activation }
    var recordedLogits: Tensor<Scalar>? { records.last?.input }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        let result = try forward(input, mask: mask, training: training)
        records.append((input, result.output))
        return result
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let record = try popRecord(&records, layer: name)
        let g = try gradient(outputGradients, 0, shape: record.output.shape)
        return LayerGradients(input: try activation.gradient(input: record.input, output: record.output, outputGradient: g))
    }

    func backward(logitsGradient: Tensor<Scalar>) throws -> LayerGradients<Scalar> {
        _ = try popRecord(&records, layer: name)
        return LayerGradients(input: logitsGradient)
    }

    public func clearRecords() { records.removeAll() }
}

extension TimeDistributed {
    public var trainableWeightCount: Int { layer.trainableWeightCount }
    public var trainableWeightMask: [Bool] { layer.trainableWeightMask }
    public var weightRegularizers: [Regularizer?] { layer.weightRegularizers }
    public var weightConstraints: [Constraint?] { layer.weightConstraints }
    public var activityLoss: Scalar { layer.activityLoss }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        guard input.rank >= 3 else {
            throw LayerError(.invalidInputShape, "\(name): expects input of rank 3 or more (batch, steps, ...), got shape \(input.shape)")
        }
        let (batch, steps) = (input.shape[0], input.shape[1])
        let inner = try layer.forwardRecording(
            input.reshaped(to: [batch * steps] + input.shape.dropFirst(2)), mask: nil, initialState: [], training: training).output
        records.append(input.shape)
        return LayerOutput(try inner.reshaped(to: [batch, steps] + inner.shape.dropFirst()), mask: mask)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let shape = try popRecord(&records, layer: name)
        guard let g = outputGradients.first ?? nil else {
            throw LayerError(.invalidInputShape, "\(name): backward needs the output gradient")
        }
        let inner = try layer.backward([g.reshaped(to: [shape[0] * shape[1]] + g.shape.dropFirst(2))])
        return LayerGradients(input: try inner.input?.reshaped(to: shape), weightGradients: inner.weightGradients)
    }

    public func clearRecords() {
        records.removeAll()
        layer.clearRecords()
    }
}
