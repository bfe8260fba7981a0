/// The model-level forward and backward passes used by training.
extension Model {
    /// Runs the model, recording every layer (in training mode, dropout is applied).
    ///
    /// - Returns: Each output with its mask and, when it comes straight from a
    ///   layer that ends in an activation, that layer.
    func forwardRecording(_ inputs: [Tensor<Scalar>], training: Bool) throws -> [(output: Tensor<Scalar>, mask: Tensor<Bool>?, producer: (any Layer<Scalar>)?)] {
        try checkInputs(inputs)
        if let sequential = self as? Sequential<Scalar> {
            var value = LayerOutput(inputs[0])
            for layer in sequential.layers {
                value = try layer.forwardRecording(value.output, mask: value.mask, initialState: [], training: training)
                guard value.outputs.count == 1 else {
                    throw LayerError(.unsupported, "\(name): layer '\(layer.name)' returns \(value.outputs.count) tensors; every layer of a Sequential model must return one")
                }
            }
            return [(value.output, value.mask, sequential.layers.last)]
        }
        guard let functional = self as? Functional<Scalar> else {
            throw LayerError(.unsupported, "\(name): models of type \(type(of: self)) cannot be trained")
        }
        var results = [LayerOutput<Scalar>]()
        func value(_ source: Functional<Scalar>.Source) -> (Tensor<Scalar>, Tensor<Bool>?) {
            switch source {
            case .input(let i): return (inputs[i], nil)
            case .output(let node, let index): return (results[node].outputs[index], index == 0 ? results[node].mask : nil)
            }
        }
        for node in functional.nodes {
            let (input, mask) = value(node.input)
            results.append(try node.layer.forwardRecording(input, mask: mask, initialState: node.initialState.map { value($0).0 }, training: training))
        }
        return functional.outputs.map { source in
            let (output, mask) = value(source)
            if case .output(let node, 0) = source { return (output, mask, functional.nodes[node].layer) }
            return (output, mask, nil)
        }
    }

    /// Backpropagates output gradients through the recorded pass.
    ///
    /// - Parameter outputGradients: Per output: the gradient, and whether it is with respect
    ///   to the logits of the producing layer's final activation.
    /// - Returns: The weight gradients of each layer (summed over its calls) and the input gradients.
    func backward(
        _ outputGradients: [(gradient: Tensor<Scalar>, throughLogits: Bool)], inputGradients: Bool = true
    ) throws -> (weights: [ObjectIdentifier: LayerGradients<Scalar>], inputs: [Tensor<Scalar>?]) {
        var weightGradients = [ObjectIdentifier: LayerGradients<Scalar>]()
        func accumulate(_ layer: any Layer<Scalar>, _ gradients: LayerGradients<Scalar>) throws {
            let id = ObjectIdentifier(layer)
            guard var existing = weightGradients[id] else {
                weightGradients[id] = gradients
                return
            }
            existing.weights = try zip(existing.weights, gradients.weights).map { try $0.combined(with: $1, +) }
            existing.sliceSquares = try zip(existing.sliceSquares, gradients.sliceSquares).map { a, b in
                guard let a, let b else { return nil }
                return try a.combined(with: b, +)
            }
            weightGradients[id] = existing
        }
        func backward(
            _ layer: any Layer<Scalar>, _ gradients: [Tensor<Scalar>?], throughLogits: Bool, needsInput: Bool
        ) throws -> LayerGradients<Scalar> {
            if throughLogits, let logitsLayer = layer as? any LogitsProducing<Scalar>, let g = gradients.first ?? nil {
                return try logitsLayer.backward(logitsGradient: g)
            }
            return try layer.backward(gradients, needsInputGradient: needsInput)
        }
        if let sequential = self as? Sequential<Scalar> {
            guard let first = outputGradients.first else { return ([:], []) }
            var gradient: Tensor<Scalar>? = first.gradient
            var throughLogits = first.throughLogits
            for (index, layer) in sequential.layers.enumerated().reversed() {
                guard let g = gradient else {
                    // Nothing flows further back (an Embedding's indices): drop the earlier records.
                    for earlier in sequential.layers[...index] { earlier.clearRecords() }
                    break
                }
                // The first layer's input gradient is only wanted when the caller asks for input gradients.
                let result = try backward(layer, [g], throughLogits: throughLogits, needsInput: index > 0 || inputGradients)
                throughLogits = false
                try accumulate(layer, result)
                gradient = result.input
            }
            return (weightGradients, [gradient])
        }
        guard let functional = self as? Functional<Scalar> else { return ([:], []) }
        var pending = [Functional<Scalar>.Source: Tensor<Scalar>]()
        var logitsOutputs = Set<Int>()
        func add(_ source: Functional<Scalar>.Source, _ gradient: Tensor<Scalar>?) throws {
            guard let gradient else { return }
            pending[source] = try sum(pending[source], gradient)
        }
        for (source, output) in zip(functional.outputs, outputGradients) {
            if output.throughLogits, case .output(let node, 0) = source { logitsOutputs.insert(node) }
            try add(source, output.gradient)
        }
        for (index, node) in functional.nodes.enumerated().reversed() {
            let count = functional.nodeShapes[index].count
            let gradients = (0..<count).map { pending[.output(node: index, index: $0)] }
            var needsInput = inputGradients
            if case .output = node.input { needsInput = true }
            let result = try backward(node.layer, gradients, throughLogits: logitsOutputs.contains(index), needsInput: needsInput)
            try accumulate(node.layer, result)
            try add(node.input, result.input)
            for (source, g) in zip(node.initialState, result.initialStates) { try add(source, g) }
        }
        return (weightGradients, functional.inputs.indices.map { pending[.input($0)] })
    }

    /// Forgets all recorded calls.
    func clearRecords() {
        for layer in layers { layer.clearRecords() }
    }
}
