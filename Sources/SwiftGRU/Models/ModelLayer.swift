/// A model used as a layer of another model, as Keras lets any model be: a `Sequential` frame
/// encoder inside `TimeDistributed`, a functional block called in a bigger model.
///
/// It runs the inner model's layers with their masks (the mask of its first output is passed
/// on, as Keras computes it), trains them by backpropagating through the inner graph, and
/// holds their weights in Keras' `get_weights()` order: layer by layer, each layer's own order.
/// Freezing it (``trainable`` set to `false`) freezes every inner layer, as in Keras.
public final class ModelLayer<Scalar: TensorScalar>: Layer {
    /// The inner model.
    public let model: any Model<Scalar>
    public var name: String
    /// Whether training updates the inner layers; setting it sets every inner layer's too.
    public var trainable = true {
        didSet { for layer in model.layers { layer.trainable = trainable } }
    }

    /// Wraps `model`; the layer takes the model's name.
    public init(_ model: any Model<Scalar>) {
        self.model = model
        name = model.name
    }

    public var typeName: String { String(String(describing: type(of: model)).prefix { $0 != "<" }) }

    private var graph: ModelGraph<Scalar> {
        get throws { try model.graph }
    }

    // MARK: Shapes

    /// Each node's output shapes for the given input shapes, building the layers on the way
    /// when `building`.
    private func nodeShapes(_ inputShapes: [[Int?]], building: Bool) throws -> (graph: ModelGraph<Scalar>, shapes: [[[Int?]]]) {
        let graph = try graph
        guard inputShapes.count == graph.inputs.count else {
            throw LayerError(.invalidInputShape, "\(name): the model takes \(graph.inputs.count) input(s), got \(inputShapes.count)")
        }
        var shapes = [[[Int?]]]()
        func shape(_ source: Functional<Scalar>.Source) throws -> [Int?] {
            switch source {
            case .input(let i): return inputShapes[i]
            case .output(let node, let index):
                guard index < shapes[node].count else {
                    throw LayerError(.invalidArgument, "\(name): layer '\(graph.nodes[node].layer.name)' has \(shapes[node].count) outputs; output \(index) is used")
                }
                return shapes[node][index]
            }
        }
        for node in graph.nodes {
            if node.otherInputs.isEmpty {
                let input = try shape(node.input)
                if building { try node.layer.build(inputShape: input) }
                shapes.append(try node.layer.outputShapes(forInputShape: input))
            } else {
                let inputs = try node.inputs.map(shape)
                if building { try node.layer.build(inputShapes: inputs) }
                shapes.append(try node.layer.outputShapes(forInputShapes: inputs))
            }
        }
        return (graph, shapes)
    }

    private func outputs(_ inputShapes: [[Int?]], building: Bool) throws -> [[Int?]] {
        let (graph, shapes) = try nodeShapes(inputShapes, building: building)
        return graph.outputs.map { source in
            switch source {
            case .input(let i): return inputShapes[i]
            case .output(let node, let index): return shapes[node][index]
            }
        }
    }

    public var isBuilt: Bool { model.layers.allSatisfy { $0.isBuilt } }

    public func build(inputShape: [Int?]) throws { _ = try outputs([inputShape], building: true) }
    public func build(inputShapes: [[Int?]]) throws { _ = try outputs(inputShapes, building: true) }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        try outputShapes(forInputShape: inputShape)[0]
    }

    public func outputShapes(forInputShape inputShape: [Int?]) throws -> [[Int?]] { try outputs([inputShape], building: false) }
    public func outputShapes(forInputShapes inputShapes: [[Int?]]) throws -> [[Int?]] { try outputs(inputShapes, building: false) }

    // MARK: Weights

    /// Every inner layer's weights, layer by layer (Keras' `get_weights()` order).
    public var weights: [Tensor<Scalar>] { model.layers.flatMap { $0.weights } }

    /// The inner layers' trainable weights, wherever they sit among the others.
    public var trainableWeightMask: [Bool] {
        model.layers.flatMap { layer in
            layer.weights.indices.map { layer.trainable && layer.trainableWeightMask[$0] }
        }
    }

    public var trainableWeightCount: Int { trainableWeightMask.filter { $0 }.count }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        let counts = model.layers.map { $0.weights.count }
        guard counts.reduce(0, +) == weights.count else {
            throw LayerError(.invalidWeights, "\(name): expects \(counts.reduce(0, +)) weights, got \(weights.count)")
        }
        var start = 0
        for (layer, count) in zip(model.layers, counts) {
            try layer.setWeights(Array(weights[start..<(start + count)]))
            start += count
        }
    }

    public var weightRegularizers: [Regularizer?] { model.layers.flatMap { $0.weightRegularizers } }
    public var weightConstraints: [Constraint?] { model.layers.flatMap { $0.weightConstraints } }
    public var activityLoss: Scalar { model.layers.reduce(0) { $0 + $1.activityLoss } }
    public var isStateful: Bool { model.isStateful }
    public func resetStates() { model.resetStates() }

    public var randomState: [UInt64] { model.randomState }

    public func restoreRandomState(_ state: inout ArraySlice<UInt64>) throws {
        for layer in model.layers { try layer.restoreRandomState(&state) }
    }

    public var stepScope: StepScope {
        if let layer = model.layers.first(where: { $0.stepScope != .eachStep }) {
            return .acrossSteps("is a model whose layer '\(layer.name)' (\(layer.typeName)) does not act on each step alone")
        }
        return .eachStep
    }

    // MARK: Calls

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try forward([input], masks: [mask], training: training)
    }

    public func forward(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        result(try graph.evaluate(inputs, masks: masks, training: training, recording: false, model: name))
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        guard initialState.isEmpty else { throw LayerError(.unsupported, "layer '\(name)' (\(typeName)) takes no initial state") }
        return try forwardRecording([input], masks: [mask], training: training)
    }

    public func forwardRecording(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        result(try graph.evaluate(inputs, masks: masks, training: training, recording: true, model: name))
    }

    private func result(_ outputs: [(Tensor<Scalar>, Tensor<Bool>?)]) -> LayerOutput<Scalar> {
        LayerOutput(outputs: outputs.map { $0.0 }, mask: outputs.first?.1)
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?], needsInputGradient: Bool) throws -> LayerGradients<Scalar> {
        let (byLayer, inputs) = try model.backward(outputGradients.map { (gradient: $0, throughLogits: false) }, inputGradients: needsInputGradient)
        var result = LayerGradients<Scalar>(input: inputs.first ?? nil, weightGradients: [])
        result.otherInputs = Array(inputs.dropFirst())
        for layer in model.layers {
            let weights = layer.weights
            // Layers that keep some weights up themselves (moving statistics) give no gradient for them.
            let given = byLayer[ObjectIdentifier(layer)]?.weightGradients ?? []
            result.weightGradients += given.prefix(weights.count) + weights.dropFirst(given.count).map { WeightGradient(Tensor(zeros: $0.shape)) }
        }
        return result
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        try backward(outputGradients, needsInputGradient: true)
    }

    public func clearRecords() { model.clearRecords() }
}

extension ModelGraph {
    /// Runs the graph on `inputs` (with their masks), every layer in inference or recording
    /// its call for training; each output with its mask.
    func evaluate(
        _ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool, recording: Bool, model: String
    ) throws -> [(Tensor<Scalar>, Tensor<Bool>?)] {
        guard inputs.count == self.inputs.count else {
            throw LayerError(.invalidInputShape, "model '\(model)' takes \(self.inputs.count) input(s), got \(inputs.count)")
        }
        var results = [LayerOutput<Scalar>]()
        func value(_ source: Functional<Scalar>.Source) throws -> (Tensor<Scalar>, Tensor<Bool>?) {
            switch source {
            case .input(let i): return (inputs[i], i < masks.count ? masks[i] : nil)
            case .output(let node, let index):
                let result = results[node]
                guard index < result.outputs.count else {
                    throw LayerError(.invalidArgument, "model '\(model)': layer '\(nodes[node].layer.name)' has \(result.outputs.count) outputs; output \(index) is used")
                }
                return (result.outputs[index], index == 0 ? result.mask : nil)
            }
        }
        for node in nodes {
            if !node.otherInputs.isEmpty {
                let values = try node.inputs.map(value)
                results.append(recording
                    ? try node.layer.forwardRecording(values.map { $0.0 }, masks: values.map { $0.1 }, training: training)
                    : try node.layer.forward(values.map { $0.0 }, masks: values.map { $0.1 }, training: training))
                continue
            }
            let (input, mask) = try value(node.input)
            let states = try node.initialState.map { try value($0).0 }
            results.append(recording
                ? try node.layer.forwardRecording(input, mask: mask, initialState: states, training: training)
                : try node.layer.forward(input, mask: mask, initialState: states, training: training))
        }
        return try outputs.map(value)
    }
}
