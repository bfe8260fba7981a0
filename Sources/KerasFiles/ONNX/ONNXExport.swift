import SwiftGRU

/// Writes a Keras model as an ONNX model (opset 17) that ONNX Runtime runs to the same numbers.
///
/// GRU layers become ONNX `GRU` nodes of the same variant (`linear_before_reset` 1 for
/// `reset_after = TRUE`, 0 for the original), gates z, r, h as Keras keeps them, with
/// `direction` forward, reverse (`go_backwards`) or bidirectional (`Bidirectional`, each merge
/// mode); LSTM and SimpleRNN layers become `LSTM` and `RNN` nodes. A mask from `Embedding(mask_zero)`
/// or `Masking` becomes `sequence_lens`: exact for right-padded samples; a sample whose mask has
/// holes or leading padding, which `sequence_lens` cannot say, gets NaN outputs instead of
/// different numbers. Embedding, Dense, TimeDistributed, activations, merges, Flatten,
/// normalization and dropout (an identity) become standard operators. Anything else, or a
/// setting ONNX cannot express exactly, is an error naming it.
public enum ONNXExport {
    /// The bytes of the `.onnx` file of `model`; inputs and outputs keep the model's names, the
    /// batch axis (and unknown steps) symbolic.
    ///
    /// - Throws: ``FileFormatError`` naming a layer or setting that has no exact ONNX form.
    public static func bytes(for model: any Model<Float>) throws -> [UInt8] {
        var exporter = ONNXExporter(model: model, stateInputs: false)
        return try exporter.run()
    }

    /// The model for stepping in ONNX Runtime, which keeps no state between runs: every
    /// recurrent layer that starts from zeros in Keras takes its initial states as graph inputs
    /// (`<layer>_state<k>`, `(batch, units)`: zeros to start a sequence) and gives its final
    /// states as outputs (`<layer>_state<k>_out`), after the model's outputs. Run a chunk, feed
    /// the states back, run the next: the numbers of the whole sequence.
    ///
    /// - Throws: As ``bytes(for:)``.
    public static func streamingBytes(for model: any Model<Float>) throws -> [UInt8] {
        // What runs a chunk at a time here (``StreamingSession``) is what is exported so.
        do { _ = try StreamingSession(model: model) } catch let error as LayerError {
            throw FileFormatError(error.message, underlying: error)
        }
        var exporter = ONNXExporter(model: model, stateInputs: true)
        return try exporter.run()
    }
}

/// A Keras tensor in the ONNX graph: its value, and the mask it carries.
struct ONNXValue {
    var name: String
    /// `sequence_lens` (int32 `(batch)`) for the steps axis, when masked.
    var lengths: String?
    /// Whether padded steps hold what Keras would not (ONNX writes zeros where Keras repeats
    /// the last output); fine as long as only masked recurrent layers read them.
    var paddingDiffers = false
}

/// What a layer's ONNX emitter is handed for one call.
struct ONNXCall {
    /// The call's inputs (most layers take one).
    var inputs: [ONNXValue]
    /// The rank of the main input.
    var inputRank: Int
    /// Initial states given by other layers (recurrent layers), by name.
    var initialStates: [String]

    /// The main input.
    var x: ONNXValue { inputs[0] }

    /// A result that keeps the main input's steps and mask (an activation, a per-step layer).
    func same(_ name: String) -> [ONNXValue] { [ONNXValue(name: name, lengths: x.lengths, paddingDiffers: x.paddingDiffers)] }

    /// Whether any input's padded steps differ between Keras and ONNX.
    var paddingDiffers: Bool { inputs.contains { $0.paddingDiffers } }
}

/// A layer kind's ONNX form: the nodes it adds to the graph for one call.
struct ONNXEmitter: Sendable {
    let emit: @Sendable (_ exporter: inout ONNXExporter, _ layer: any Layer<Float>, _ call: ONNXCall) throws -> [ONNXValue]

    /// The emitter of layers of type `L`.
    static func of<L: Layer & SendableMetatype>(
        _: L.Type, _ emit: @escaping @Sendable (_ exporter: inout ONNXExporter, _ layer: L, _ call: ONNXCall) throws -> [ONNXValue]
    ) -> ONNXEmitter where L.Scalar == Float {
        ONNXEmitter { exporter, layer, call in
            guard let layer = layer as? L else { throw exporter.fail(layer, "is not a \(L.self)") }
            return try emit(&exporter, layer, call)
        }
    }

    /// A layer that is the identity at inference (dropout, noise, activity penalties).
    static let identity = ONNXEmitter { _, _, call in call.same(call.x.name) }
}

struct ONNXExporter {
    let model: any Model<Float>
    /// Whether recurrent layers take their initial states as graph inputs and give their final
    /// states as graph outputs (``ONNXExport/streamingBytes(for:)``).
    let stateInputs: Bool
    var graph = ONNXGraph()
    /// The final states to add to the graph outputs, with their names.
    var stateOutputs = [(value: String, name: String, size: Int)]()
    /// Per mask source: `(batch)` bools, true where a sample's mask is not right-padding.
    var guards = [String]()

    init(model: any Model<Float>, stateInputs: Bool) {
        self.model = model
        self.stateInputs = stateInputs
    }

    func fail(_ layer: any Layer<Float>, _ why: String) -> FileFormatError {
        FileFormatError("layer '\(layer.name)' (\(layer.typeName)): \(why)")
    }

    mutating func run() throws -> [UInt8] {
        let modelGraph = try model.graph
        var values = [Functional<Float>.Source: ONNXValue]()
        // A chunk has any number of steps.
        func chunked(_ shape: [Int?]) -> [Int?] { stateInputs && shape.count >= 2 ? [shape[0], nil] + shape.dropFirst(2) : shape }
        for (index, input) in modelGraph.inputs.enumerated() {
            graph.inputs.append((input.name, chunked(input.shape), .float))
            values[.input(index)] = ONNXValue(name: input.name)
        }
        for (index, node) in modelGraph.nodes.enumerated() {
            let inputs = try node.inputs.map { source -> ONNXValue in
                guard let value = values[source] else { throw fail(node.layer, "an input is not available") }
                return value
            }
            let initialStates = try node.initialState.map { source -> String in
                guard let value = values[source] else { throw fail(node.layer, "an initial state is not available") }
                return value.name
            }
            let rank: Int = {
                if case .output(let source, let k) = node.input { return modelGraph.nodeShapes[source][k].count }
                if case .input(let k) = node.input { return modelGraph.inputs[k].shape.count }
                return 3
            }()
            let outputs = try layer(node.layer, inputs, inputRank: rank, initialStates: initialStates)
            for (k, output) in outputs.enumerated() { values[.output(node: index, index: k)] = output }
        }
        // Several outputs of one layer share its name in Keras; ONNX names each value once.
        let inputNames = modelGraph.inputs.map(\.name)
        let outputNames = UniqueName.make(inputNames + modelGraph.outputs.indices.map { k in
            k < model.outputNames.count ? model.outputNames[k] : "output_\(k)"
        }).dropFirst(inputNames.count)
        for ((k, source), name) in zip(modelGraph.outputs.enumerated(), outputNames) {
            guard var value = values[source] else { throw FileFormatError("model output \(k) is not available") }
            if value.paddingDiffers {
                throw FileFormatError("output '\(name)': its padded steps would be zeros in ONNX where Keras repeats the last output; give the recurrent layer zero_output_for_mask = TRUE")
            }
            let shape: [Int?] = {
                if case .output(let node, let index) = source { return modelGraph.nodeShapes[node][index] }
                return modelGraph.inputs[0].shape
            }()
            value.name = applyGuards(value.name, rank: shape.count)
            graph.output(value.name, as: name, shape: shape.count >= 3 ? chunked(shape) : shape)
        }
        // A sample whose mask ONNX could not follow has NaN states too, so that later chunks show it.
        for state in stateOutputs { graph.output(applyGuards(state.value, rank: 2), as: state.name, shape: [nil, state.size]) }
        return try graph.modelBytes(graphName: model.name)
    }

    /// The mask of inputs merged step by step, as lengths: Keras' element-wise merges keep the
    /// steps every masked input keeps (unmasked inputs aside: the shortest length), its
    /// concatenation of features the steps any input keeps (an unmasked input keeps them all).
    mutating func mergedLengths(_ inputs: [ONNXValue], keptByAll: Bool) -> String? {
        let given = inputs.compactMap(\.lengths)
        if !keptByAll, given.count < inputs.count { return nil }
        let distinct = given.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        guard distinct.count > 1 else { return distinct.first }
        return graph.op(keptByAll ? "Min" : "Max", distinct)
    }

    /// NaN for the samples whose mask ONNX could not follow, in an output of `rank` axes.
    mutating func applyGuards(_ name: String, rank: Int) -> String {
        guard !guards.isEmpty else { return name }
        var bad = guards[0]
        for other in guards.dropFirst() { bad = graph.op("Or", [bad, other]) }
        if rank > 1 { bad = graph.op("Unsqueeze", [bad, graph.int64s(Array(1..<rank))]) }
        let nan = graph.constant(Tensor(repeating: .nan, shape: []), "nan")
        return graph.op("Where", [bad, nan, name])
    }

    /// A mask from a `(batch, steps)` float tensor of 1 (kept) and 0 (masked): the lengths, and a
    /// guard for samples whose mask is not right-padding (their last kept step is past the count).
    mutating func mask(from kept: String) -> String {
        let count = graph.op("ReduceSum", [kept, graph.int64s([1])], [("keepdims", .int(0))])
        let steps = graph.op("Gather", [graph.op("Shape", [kept]), graph.int64s([1], shape: [], "axis")], [("axis", .int(0))])
        let positions = graph.op("Cast", [graph.op("Range", [graph.int64s([1], shape: [], "start"), graph.op("Add", [steps, graph.int64s([1], shape: [], "one")]), graph.int64s([1], shape: [], "delta")])], [("to", .int(1))])
        let last = graph.op("ReduceMax", [graph.op("Mul", [kept, positions])], [("axes", .ints([1])), ("keepdims", .int(0))])
        guards.append(graph.op("Not", [graph.op("Equal", [last, count])]))
        return graph.op("Cast", [count], [("to", .int(6))])
    }

    /// The ONNX nodes of one call of `layer`, by its kind's declaration.
    mutating func layer(_ layer: any Layer<Float>, _ inputs: [ONNXValue], inputRank: Int = 3, initialStates: [String] = []) throws -> [ONNXValue] {
        guard let emitter = LayerDeclarations.declaration(for: layer)?.onnx ?? OperationDeclarations.declaration(for: layer)?.onnx else {
            let exported = LayerDeclarations.all.filter { $0.onnx != nil }.compactMap(\.classNames.first).joined(separator: ", ")
            throw fail(layer, "has no ONNX export here; exported: \(exported)")
        }
        return try emitter.emit(&self, layer, ONNXCall(inputs: inputs, inputRank: inputRank, initialStates: initialStates))
    }

    /// An activation applied to `x`.
    mutating func apply(_ activation: Activation, _ x: String, _ layer: any Layer<Float>) throws -> String {
        switch activation {
        case .linear: return x
        case .relu: return graph.op("Relu", [x])
        case .sigmoid: return graph.op("Sigmoid", [x])
        case .tanh: return graph.op("Tanh", [x])
        case .softmax: return graph.op("Softmax", [x], [("axis", .int(-1))])
        case .elu: return graph.op("Elu", [x], [("alpha", .float(1))])
        case .selu: return graph.op("Selu", [x], [("alpha", .float(1.6732632)), ("gamma", .float(1.050701))])
        case .softplus: return graph.op("Softplus", [x])
        case .softsign: return graph.op("Softsign", [x])
        case .exponential: return graph.op("Exp", [x])
        case .hardSigmoid: return graph.op("HardSigmoid", [x], [("alpha", .float(1.0 / 6)), ("beta", .float(0.5))])
        case .legacyHardSigmoid: return graph.op("HardSigmoid", [x], [("alpha", .float(0.2)), ("beta", .float(0.5))])
        case .leakyRelu: return graph.op("LeakyRelu", [x], [("alpha", .float(0.2))])
        case .silu: return graph.op("Mul", [x, graph.op("Sigmoid", [x])])
        default: throw fail(layer, "activation '\(activation.name)' has no ONNX operator here")
        }
    }

    /// The ONNX name and attributes of a recurrent activation.
    func rnnActivation(_ activation: Activation, _ layer: any Layer<Float>) throws -> (String, Float?, Float?) {
        switch activation {
        case .sigmoid: return ("Sigmoid", nil, nil)
        case .tanh: return ("Tanh", nil, nil)
        case .relu: return ("Relu", nil, nil)
        case .linear: return ("Affine", 1, 0)
        case .hardSigmoid: return ("HardSigmoid", 1.0 / 6, 0.5)
        case .legacyHardSigmoid: return ("HardSigmoid", 0.2, 0.5)
        case .softsign: return ("Softsign", nil, nil)
        case .softplus: return ("Softplus", nil, nil)
        default: throw fail(layer, "recurrent activation '\(activation.name)' has no ONNX form")
        }
    }

    /// A channels-last convolution: `Conv` between transposes to and from channels first.
    mutating func conv(
        _ x: String, kernel: String, bias: Tensor<Float>?, size: [Int], strides: [Int], dilations: [Int], groups: Int, padding: Padding
    ) throws -> String {
        let rank = size.count + 2
        var attributes: [(String, ONNXGraph.Attribute)] = [
            ("kernel_shape", .ints(size)), ("strides", .ints(strides)), ("dilations", .ints(dilations)), ("group", .int(groups)),
        ]
        switch padding {
        case .valid: attributes.append(("pads", .ints(Array(repeating: 0, count: 2 * size.count))))
        case .causal: attributes.append(("pads", .ints([(size[0] - 1) * dilations[0], 0])))
        case .same where strides.allSatisfy({ $0 == 1 }):
            // TensorFlow's: (window - 1) * dilation in all, the odd one at the end.
            let totals = zip(size, dilations).map { ($0 - 1) * $1 }
            attributes.append(("pads", .ints(totals.map { $0 / 2 } + totals.map { $0 - $0 / 2 })))
        case .same:
            guard dilations.allSatisfy({ $0 == 1 }) else {
                throw FileFormatError("a strided and dilated convolution with same padding has no ONNX Runtime form")
            }
            attributes.append(("auto_pad", .string("SAME_UPPER")))  // TensorFlow's: the extra step at the end
        }
        var inputs = [graph.op("Transpose", [x], [("perm", .ints(channelsFirst(rank)))]), kernel]
        if let bias { inputs.append(graph.constant(bias, "conv_bias")) }
        return graph.op("Transpose", [graph.op("Conv", inputs, attributes)], [("perm", .ints(channelsLast(rank)))])
    }

    /// Keras' depthwise kernel `(window, channels, multiplier)` as ONNX's grouped `(channels * multiplier, 1, window)`.
    func depthwiseKernel(_ kernel: Tensor<Float>) throws -> Tensor<Float> {
        let (window, channels, multiplier) = (kernel.shape[0], kernel.shape[1], kernel.shape[2])
        return try kernel.transposed([1, 2, 0]).reshaped(to: [channels * multiplier, 1, window])
    }

    /// The permutation from channels last to channels first, and back, for a tensor of `rank` axes.
    func channelsFirst(_ rank: Int) -> [Int] { [0, rank - 1] + Array(1..<(rank - 1)) }
    func channelsLast(_ rank: Int) -> [Int] { [0] + Array(2..<rank) + [1] }

    /// The steps of `value`: a scalar.
    mutating func steps(_ value: String) -> String {
        graph.op("Gather", [graph.op("Shape", [value]), graph.int64s([1], shape: [], "axis")], [("axis", .int(0))])
    }

    /// `(Tq, Tv)` booleans, true where a key step comes after the query step (a causal mask's hidden part).
    mutating func future(_ query: String, _ key: String) -> String {
        let start = graph.int64s([0], shape: [], "start"), delta = graph.int64s([1], shape: [], "delta")
        let rows = graph.op("Range", [start, steps(query), delta]), columns = graph.op("Range", [start, steps(key), delta])
        return graph.op("Greater", [graph.op("Unsqueeze", [columns, graph.int64s([0])]), graph.op("Unsqueeze", [rows, graph.int64s([1])])])
    }

    /// `(batch, steps)` booleans, true for the steps within each sample's length.
    mutating func stepMask(_ lengths: String, like value: String) -> String {
        let positions = graph.op("Range", [graph.int64s([0], shape: [], "start"), steps(value), graph.int64s([1], shape: [], "delta")])
        let limits = graph.op("Unsqueeze", [graph.op("Cast", [lengths], [("to", .int(7))]), graph.int64s([1])])
        return graph.op("Less", [graph.op("Unsqueeze", [positions, graph.int64s([0])]), limits])
    }
}
