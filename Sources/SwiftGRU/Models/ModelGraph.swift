/// Any model as Keras' functional API sees it: layer calls wired to the model's inputs and
/// to each other. Training, summaries and saving read a model through its graph, so every
/// ``Model`` trains, prints and saves the same way.
public struct ModelGraph<Scalar: TensorScalar> {
    /// The model's inputs, in order.
    public var inputs: [Functional<Scalar>.Input]
    /// The layer calls, each after the calls whose outputs it reads.
    public var nodes: [Functional<Scalar>.Node]
    /// Where each model output comes from.
    public var outputs: [Functional<Scalar>.Source]
    /// The shapes of each node's outputs (`nil` extents where unknown).
    public var nodeShapes: [[[Int?]]]

    /// Creates a graph.
    public init(
        inputs: [Functional<Scalar>.Input], nodes: [Functional<Scalar>.Node], outputs: [Functional<Scalar>.Source],
        nodeShapes: [[[Int?]]]
    ) {
        self.inputs = inputs
        self.nodes = nodes
        self.outputs = outputs
        self.nodeShapes = nodeShapes
    }
}

extension Functional {
    public var graph: ModelGraph<Scalar> {
        ModelGraph(inputs: inputs, nodes: nodes, outputs: outputs, nodeShapes: nodeShapes)
    }
}

extension Sequential {
    /// The layers as a chain of calls, each reading the main output of the one before.
    ///
    /// - Throws: ``LayerError`` when a layer returns more than one tensor (a Sequential
    ///   model passes one tensor from layer to layer).
    public var graph: ModelGraph<Scalar> {
        get throws {
            var shape: [Int?]? = inputShape.map { [batchSize] + $0 }
            var nodes = [Functional<Scalar>.Node](), shapes = [[[Int?]]]()
            for (index, layer) in layers.enumerated() {
                let outputs = shape.flatMap { try? layer.outputShapes(forInputShape: $0) } ?? [[nil]]
                guard outputs.count == 1 else {
                    throw LayerError(.unsupported, "\(name): layer '\(layer.name)' returns \(outputs.count) tensors; every layer of a Sequential model must return one")
                }
                nodes.append(Functional.Node(layer, input: index == 0 ? .input(0) : .output(node: index - 1, index: 0)))
                shapes.append(outputs)
                shape = outputs[0]
            }
            let input = Functional<Scalar>.Input(name: "input_layer", shape: inputShapes.first ?? [nil], dtype: inputDType)
            return ModelGraph(
                inputs: [input], nodes: nodes, outputs: nodes.isEmpty ? [.input(0)] : [.output(node: nodes.count - 1, index: 0)],
                nodeShapes: shapes)
        }
    }
}
