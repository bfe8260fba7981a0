/// The model-level forward and backward passes used by training.
extension Model {
    /// Runs the model, recording every layer (in training mode, dropout is applied).
    ///
    /// - Returns: Each output with its mask and, when it comes straight from a
    ///   layer that ends in an activation, that layer.
    func forwardRecording(_ inputs: [Tensor<Scalar>], training: Bool) throws -> [(output: Tensor<Scalar>, mask: Tensor<Bool>?, producer: (any Layer<Scalar>)?)] {
        try checkInputs(inputs)
        let graph = try self.graph
        let outputs = try graph.evaluate(inputs, masks: [], training: training, recording: true, model: name)
        return zip(graph.outputs, outputs).map { source, value in
            if case .output(let node, 0) = source { return (value.0, value.1, graph.nodes[node].layer) }
            return (value.0, value.1, nil)
        }
    }

    /// Backpropagates output gradients through the recorded pass.
    ///
    /// - Parameter outputGradients: Per output: the gradient (`nil` for an output outside the
    ///   loss), and whether it is with respect to the logits of the producing layer's final activation.
    /// - Returns: The weight gradients of each layer (summed over its calls) and the input gradients.
    func backward(
        _ outputGradients: [(gradient: Tensor<Scalar>?, throughLogits: Bool)], inputGradients: Bool = true
    ) throws -> (weights: [ObjectIdentifier: LayerGradients<Scalar>], inputs: [Tensor<Scalar>?]) {
        var weightGradients = [ObjectIdentifier: LayerGradients<Scalar>]()
        func accumulate(_ layer: any Layer<Scalar>, _ gradients: LayerGradients<Scalar>) throws {
            let id = ObjectIdentifier(layer)
            guard var existing = weightGradients[id] else {
                weightGradients[id] = gradients
                return
            }
            existing.weightGradients = try zip(existing.weightGradients, gradients.weightGradients).map { try $0.adding($1) }
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
        let graph = try self.graph
        var pending = [Functional<Scalar>.Source: Tensor<Scalar>]()
        var logitsOutputs = Set<Int>()
        func add(_ source: Functional<Scalar>.Source, _ gradient: Tensor<Scalar>?) throws {
            guard let gradient else { return }
            pending[source] = try sum(pending[source], gradient)
        }
        for (source, output) in zip(graph.outputs, outputGradients) {
            if output.throughLogits, case .output(let node, 0) = source { logitsOutputs.insert(node) }
            try add(source, output.gradient)
        }
        for (index, node) in graph.nodes.enumerated().reversed() {
            let count = graph.nodeShapes[index].count
            let gradients = (0..<count).map { pending[.output(node: index, index: $0)] }
            var needsInput = inputGradients
            for source in node.inputs { if case .output = source { needsInput = true } }
            let result = try backward(node.layer, gradients, throughLogits: logitsOutputs.contains(index), needsInput: needsInput)
            try accumulate(node.layer, result)
            try add(node.input, result.input)
            for (source, g) in zip(node.otherInputs, result.otherInputs) { try add(source, g) }
            for (source, g) in zip(node.initialState, result.initialStates) { try add(source, g) }
        }
        return (weightGradients, graph.inputs.indices.map { pending[.input($0)] })
    }

    /// Forgets all recorded calls.
    func clearRecords() {
        for layer in layers { layer.clearRecords() }
    }
}
