/// A model whose layers form a graph (Keras' functional API): several inputs,
/// several outputs, layers whose extra outputs (recurrent states) feed other
/// layers, recurrent layers started from other tensors.
///
/// ```swift
/// let inputs = [Functional<Float>.Input(name: "seq", shape: [nil, 5, 3])]
/// let gru = try GRU<Float>(units: 4, returnSequences: true, returnState: true)
/// let head = try Dense<Float>(units: 2)
/// let model = try Functional(inputs: inputs, nodes: [
///     .init(gru, input: .input(0)),
///     .init(head, input: .output(node: 0, index: 1)),   // the GRU's final state
/// ], outputs: [.output(node: 1, index: 0), .output(node: 0, index: 0)])
/// ```
public final class Functional<Scalar: TensorScalar>: Model {
    /// A model input: its name and shape, batch axis first.
    public struct Input: Sendable, Hashable {
        public var name: String
        public var shape: [Int?]
        /// The Keras dtype the input is declared with (`float32`; `int32` for token ids). The
        /// values arrive as `Scalar` either way; the dtype is kept so that a saved model
        /// declares its input as Keras did.
        public var dtype: DType

        public init(name: String, shape: [Int?], dtype: DType = .float32) {
            self.name = name
            self.shape = shape
            self.dtype = dtype
        }
    }

    /// Where a tensor of the graph comes from.
    public enum Source: Sendable, Hashable {
        /// Model input number `i`.
        case input(Int)
        /// Output `index` of node number `node`.
        case output(node: Int, index: Int)
    }

    /// One call of a layer.
    public struct Node {
        public let layer: any Layer<Scalar>
        /// The tensor the layer is called on (the first one, for merge layers).
        public let input: Source
        /// For merge layers (`Add`, `Concatenate`...): the tensors after the first.
        public let otherInputs: [Source]
        /// For recurrent layers: tensors to start from (Keras' `initial_state`).
        public let initialState: [Source]

        /// - Parameters:
        ///   - input: The tensor the layer is called on.
        ///   - otherInputs: For merge layers, the tensors after the first.
        ///   - initialState: For recurrent layers, the initial states.
        public init(_ layer: any Layer<Scalar>, input: Source, otherInputs: [Source] = [], initialState: [Source] = []) {
            self.layer = layer
            self.input = input
            self.otherInputs = otherInputs
            self.initialState = initialState
        }

        /// Every tensor the layer is called on, in order.
        public var inputs: [Source] { [input] + otherInputs }
    }

    /// Layers Keras computes under another dtype policy, by name (see ``Model/dtypePolicies``).
    public var dtypePolicies: [String: String] = [:]
    public var name: String
    public let inputs: [Input]
    public let nodes: [Node]
    public let outputs: [Source]
    public var outputNames: [String]

    /// Creates a model from nodes in an order where every source comes before its use.
    ///
    /// - Throws: ``LayerError`` when a source refers to a later or missing node or input, a
    ///   node with initial states is not recurrent, or a layer does not fit its input shape.
    public init(name: String = "functional", inputs: [Input], nodes: [Node], outputs: [Source], outputNames: [String]? = nil) throws {
        self.name = name
        self.inputs = inputs
        self.nodes = nodes
        self.outputs = outputs
        self.outputNames = outputNames ?? outputs.map { source in
            if case .output(let node, _) = source, node >= 0, node < nodes.count { return nodes[node].layer.name }
            if case .input(let i) = source, i >= 0, i < inputs.count { return inputs[i].name }
            return "output"
        }
        var shapes = [[[Int?]]]()
        for (index, node) in nodes.enumerated() {
            for source in node.inputs + node.initialState { try Self.check(source, before: index, inputCount: inputs.count, model: name) }
            if !node.initialState.isEmpty, !(node.layer is RNN<Scalar> || node.layer is Bidirectional<Scalar>) {
                throw LayerError(.invalidArgument, "\(name): layer '\(node.layer.name)' is given initial states but is not recurrent")
            }
            if !node.otherInputs.isEmpty {
                let inputShapes = try node.inputs.map { try Self.shape(of: $0, inputs: inputs, shapes: shapes) }
                if !node.layer.isBuilt { try node.layer.build(inputShapes: inputShapes) }
                shapes.append(try node.layer.outputShapes(forInputShapes: inputShapes))
                continue
            }
            let shape = try Self.shape(of: node.input, inputs: inputs, shapes: shapes)
            if !node.layer.isBuilt { try node.layer.build(inputShape: shape) }
            shapes.append(try node.layer.outputShapes(forInputShape: shape))
        }
        for source in outputs { try Self.check(source, before: nodes.count, inputCount: inputs.count, model: name) }
        nodeShapes = shapes
    }

    /// The shapes of every node's outputs.
    public let nodeShapes: [[[Int?]]]

    private static func check(_ source: Source, before node: Int, inputCount: Int, model name: String) throws {
        switch source {
        case .input(let i) where i >= 0 && i < inputCount: return
        case .output(let n, let k) where n >= 0 && n < node && k >= 0: return
        default: throw LayerError(.invalidArgument, "\(name): a layer input refers to \(source), which is not computed before it")
        }
    }

    private static func shape(of source: Source, inputs: [Input], shapes: [[[Int?]]]) throws -> [Int?] {
        switch source {
        case .input(let i): return inputs[i].shape
        case .output(let node, let index):
            guard index < shapes[node].count else {
                throw LayerError(.invalidArgument, "node \(node) has \(shapes[node].count) outputs; output \(index) is used")
            }
            return shapes[node][index]
        }
    }

    public var layers: [any Layer<Scalar>] {
        var seen = [ObjectIdentifier]()
        var result = [any Layer<Scalar>]()
        for node in nodes where !seen.contains(ObjectIdentifier(node.layer)) {
            seen.append(ObjectIdentifier(node.layer))
            result.append(node.layer)
        }
        return result
    }

    public var inputShapes: [[Int?]] { inputs.map(\.shape) }

    public func resetStates() { resetRecurrentStates(layers) }

    public func predictOnBatch(_ values: [Tensor<Scalar>], training: Bool = false) throws -> [Tensor<Scalar>] {
        try checkInputs(values)
        return try graph.evaluate(values, masks: [], training: training, recording: false, model: name).map(\.0)
    }
}
