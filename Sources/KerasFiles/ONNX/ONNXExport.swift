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
        var exporter = Exporter(model: model, stateInputs: false)
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
        var exporter = Exporter(model: model, stateInputs: true)
        return try exporter.run()
    }
}

/// A Keras tensor in the ONNX graph: its value, and the mask it carries.
private struct Value {
    var name: String
    /// `sequence_lens` (int32 `(batch)`) for the steps axis, when masked.
    var lengths: String?
    /// Whether padded steps hold what Keras would not (ONNX writes zeros where Keras repeats
    /// the last output); fine as long as only masked recurrent layers read them.
    var paddingDiffers = false
}

private struct Exporter {
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
        var values = [Functional<Float>.Source: Value]()
        // A chunk has any number of steps.
        func chunked(_ shape: [Int?]) -> [Int?] { stateInputs && shape.count >= 2 ? [shape[0], nil] + shape.dropFirst(2) : shape }
        for (index, input) in modelGraph.inputs.enumerated() {
            graph.inputs.append((input.name, chunked(input.shape), .float))
            values[.input(index)] = Value(name: input.name)
        }
        for (index, node) in modelGraph.nodes.enumerated() {
            let inputs = try node.inputs.map { source -> Value in
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
        for (k, source) in modelGraph.outputs.enumerated() {
            guard var value = values[source] else { throw FileFormatError("model output \(k) is not available") }
            let name = k < model.outputNames.count ? model.outputNames[k] : "output_\(k)"
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
        for state in stateOutputs { graph.output(state.value, as: state.name, shape: [nil, state.size]) }
        return graph.modelBytes(graphName: model.name)
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

    mutating func layer(_ layer: any Layer<Float>, _ inputs: [Value], inputRank: Int = 3, initialStates: [String] = []) throws -> [Value] {
        let x = inputs[0]
        func same(_ name: String) -> [Value] { [Value(name: name, lengths: x.lengths, paddingDiffers: x.paddingDiffers)] }
        switch layer {
        case let rnn as RNN<Float>:
            if let stack = rnn.cell as? StackedRNNCells<Float> { return try stacked(rnn, stack, x, initialStates: initialStates) }
            return try recurrent(rnn, backward: nil, merge: nil, x, initialStates: initialStates)
        case let wrapper as Bidirectional<Float>:
            return try recurrent(
                wrapper.forwardLayer, backward: wrapper.backwardLayer, merge: wrapper.mergeMode, x, wrapper: wrapper, initialStates: initialStates)
        case let dense as Dense<Float>:
            return same(try self.dense(dense, x.name))
        case let wrapper as TimeDistributed<Float>:
            guard let inner = try? self.layer(wrapper.layer, [Value(name: x.name)]), inner.count == 1, !(wrapper.layer is RNN<Float>) else {
                throw fail(layer, "its inner layer has no per-step ONNX form here")
            }
            return same(inner[0].name)
        case let embedding as Embedding<Float>:
            guard let table = embedding.embeddings else { throw fail(layer, "it is not built") }
            let ids = graph.op("Cast", [x.name], [("to", .int(7))])
            let output = graph.op("Gather", [graph.constant(table, "embeddings"), ids], [("axis", .int(0))])
            guard embedding.maskZero else { return [Value(name: output)] }
            let kept = graph.op("Cast", [graph.op("Not", [graph.op("Equal", [ids, graph.int64s([0], shape: [], "zero")])])], [("to", .int(1))])
            return [Value(name: output, lengths: mask(from: kept))]
        case let masking as Masking<Float>:
            let value = graph.constant(Tensor(repeating: masking.maskValue, shape: []), "mask_value")
            let differs = graph.op("Cast", [graph.op("Not", [graph.op("Equal", [x.name, value])])], [("to", .int(1))])
            let kept = graph.op("ReduceMax", [differs], [("axes", .ints([-1])), ("keepdims", .int(0))])
            let output = graph.op("Mul", [x.name, graph.op("Unsqueeze", [kept, graph.int64s([-1])])])
            return [Value(name: output, lengths: mask(from: kept))]
        case is Dropout<Float>, is SpatialDropout1D<Float>, is GaussianNoise<Float>, is GaussianDropout<Float>, is ActivityRegularization<Float>:
            return same(x.name)
        case let activation as ActivationLayer<Float>:
            return same(try apply(activation.activation, x.name, layer))
        case let relu as ReLU<Float>:
            guard relu.threshold == 0 else { throw fail(layer, "a threshold has no ONNX operator here") }
            var y = relu.negativeSlope == 0 ? graph.op("Relu", [x.name]) : graph.op("LeakyRelu", [x.name], [("alpha", .float(relu.negativeSlope))])
            if let maxValue = relu.maxValue { y = graph.op("Min", [y, graph.constant(Tensor(repeating: maxValue, shape: []), "max_value")]) }
            return same(y)
        case let merge as ElementwiseMerge<Float>:
            let names = inputs.map(\.name)
            let op: String
            switch merge {
            case is Subtract<Float>: op = "Sub"
            case is Multiply<Float>: op = "Mul"
            case is Average<Float>: op = "Mean"
            case is Maximum<Float>: op = "Max"
            case is Minimum<Float>: op = "Min"
            default: throw fail(layer, "this merge has no ONNX operator here")
            }
            return [Value(name: graph.op(op, names), lengths: inputs.first { $0.lengths != nil }?.lengths, paddingDiffers: inputs.contains { $0.paddingDiffers })]
        case is Add<Float>:
            return [Value(name: graph.op("Sum", inputs.map(\.name)), lengths: inputs.first { $0.lengths != nil }?.lengths, paddingDiffers: inputs.contains { $0.paddingDiffers })]
        case let concatenate as Concatenate<Float>:
            return [Value(name: graph.op("Concat", inputs.map(\.name), [("axis", .int(concatenate.axis))]),
                          lengths: inputs.first { $0.lengths != nil }?.lengths, paddingDiffers: inputs.contains { $0.paddingDiffers })]
        case let convolution as Convolution<Float>:
            guard convolution.dataFormat == .channelsLast, let kernel = convolution.kernel else {
                throw fail(layer, "only built channels_last convolutions are exported")
            }
            guard !x.paddingDiffers else { throw fail(layer, "its input's padded steps differ between Keras and ONNX") }
            let rank = convolution.kernelSize.count + 2
            // Keras keeps (window..., inputs / groups, filters); ONNX (filters, inputs / groups, window...).
            let output = try conv(
                x.name, kernel: graph.constant(try kernel.transposed([rank - 1, rank - 2] + Array(0..<(rank - 2))), "conv_kernel"),
                bias: convolution.bias, size: convolution.kernelSize, strides: convolution.strides, dilations: convolution.dilationRate,
                groups: convolution.groups, padding: convolution.padding)
            return [Value(name: try apply(convolution.activation, output, layer))]
        case let depthwise as DepthwiseConvolution<Float>:
            guard depthwise.dataFormat == .channelsLast, depthwise.kernelSize.count == 1, depthwise.weights.count >= 1 else {
                throw fail(layer, "only built channels_last 1D depthwise convolutions are exported")
            }
            guard !x.paddingDiffers else { throw fail(layer, "its input's padded steps differ between Keras and ONNX") }
            let weights = depthwise.weights
            let output = try conv(
                x.name, kernel: graph.constant(try depthwiseKernel(weights[0]), "depthwise_kernel"), bias: weights.count > 1 ? weights[1] : nil,
                size: depthwise.kernelSize, strides: depthwise.strides, dilations: depthwise.dilationRate, groups: weights[0].shape[1],
                padding: depthwise.padding)
            return [Value(name: try apply(depthwise.activation, output, layer))]
        case let separable as SeparableConv1D<Float>:
            guard separable.dataFormat == .channelsLast, let depthwiseKernel = separable.depthwiseKernel, let pointwise = separable.pointwiseKernel else {
                throw fail(layer, "only built channels_last separable convolutions are exported")
            }
            guard !x.paddingDiffers else { throw fail(layer, "its input's padded steps differ between Keras and ONNX") }
            let spread = try conv(
                x.name, kernel: graph.constant(try self.depthwiseKernel(depthwiseKernel), "depthwise_kernel"), bias: nil,
                size: [separable.kernelSize], strides: [separable.strides], dilations: [separable.dilationRate],
                groups: depthwiseKernel.shape[1], padding: separable.padding)
            let output = try conv(
                spread, kernel: graph.constant(try pointwise.transposed([2, 1, 0]), "pointwise_kernel"), bias: separable.weights.count > 2 ? separable.weights[2] : nil,
                size: [1], strides: [1], dilations: [1], groups: 1, padding: .valid)
            return [Value(name: try apply(separable.activation, output, layer))]
        case let pooling as GlobalPooling<Float>:
            guard pooling.dataFormat == .channelsLast else { throw fail(layer, "only channels_last pooling is exported") }
            let axes = Array(1..<(inputRank - 1)), keep = pooling.keepdims ? 1 : 0
            if pooling.mode == .average, let lengths = x.lengths, inputRank == 3 {
                // Keras averages the kept steps only.
                let kept = graph.op("Unsqueeze", [graph.op("Cast", [stepMask(lengths, like: x.name)], [("to", .int(1))]), graph.int64s([-1])])
                let total = graph.op("ReduceSum", [graph.op("Mul", [x.name, kept]), graph.int64s([1])], [("keepdims", .int(keep))])
                let count = graph.op("ReduceSum", [kept, graph.int64s([1])], [("keepdims", .int(keep))])
                return [Value(name: graph.op("Div", [total, count]))]
            }
            guard !x.paddingDiffers else { throw fail(layer, "its input's padded steps differ between Keras and ONNX") }
            let op = pooling.mode == .max ? "ReduceMax" : "ReduceMean"
            return [Value(name: graph.op(op, [x.name], [("axes", .ints(axes)), ("keepdims", .int(keep))]))]
        case let pooling as Pooling<Float>:
            guard pooling.dataFormat == .channelsLast, x.lengths == nil else {
                throw fail(layer, "only channels_last pooling over unmasked steps is exported")
            }
            let rank = pooling.poolSize.count + 2
            var attributes: [(String, ONNXGraph.Attribute)] = [("kernel_shape", .ints(pooling.poolSize)), ("strides", .ints(pooling.strides))]
            // Keras' same padding leaves the padded positions out of an average, as count_include_pad = 0 does.
            attributes.append(pooling.padding == .same ? ("auto_pad", .string("SAME_UPPER")) : ("pads", .ints(Array(repeating: 0, count: 2 * (rank - 2)))))
            if pooling.mode == .average { attributes.append(("count_include_pad", .int(0))) }
            let moved = graph.op("Transpose", [x.name], [("perm", .ints(channelsFirst(rank)))])
            let pooled = graph.op(pooling.mode == .max ? "MaxPool" : "AveragePool", [moved], attributes)
            return [Value(name: graph.op("Transpose", [pooled], [("perm", .ints(channelsLast(rank)))]))]
        case let dot as Dot<Float>:
            return [Value(name: try self.dot(dot, inputs.map(\.name), rank: inputRank))]
        case let padding as ZeroPadding1D<Float>:
            guard padding.dataFormat == .channelsLast, x.lengths == nil else { throw fail(layer, "only channels_last padding of unmasked steps is exported") }
            let pads = graph.int64s([0, padding.padding.before, 0, 0, padding.padding.after, 0])
            return [Value(name: graph.op("Pad", [x.name, pads]))]
        case let cropping as Cropping1D<Float>:
            guard x.lengths == nil else { throw fail(layer, "cropping masked steps is not exported") }
            let end = cropping.cropping.end == 0 ? Int(Int64.max) : -cropping.cropping.end
            return [Value(name: graph.op("Slice", [x.name, graph.int64s([cropping.cropping.start]), graph.int64s([end]), graph.int64s([1])]))]
        case let upsampling as UpSampling1D<Float>:
            guard x.lengths == nil else { throw fail(layer, "upsampling masked steps is not exported") }
            // Each step repeated `size` times: (batch, steps, 1, features) tiled, then the two axes joined.
            let tiled = graph.op("Tile", [graph.op("Unsqueeze", [x.name, graph.int64s([2])]), graph.int64s([1, 1, upsampling.size, 1])])
            let features = graph.op("Slice", [graph.op("Shape", [x.name]), graph.int64s([2]), graph.int64s([3])])
            let shape = graph.op("Concat", [graph.int64s([0, -1], "shape"), features], [("axis", .int(0))])
            return [Value(name: graph.op("Reshape", [tiled, shape]))]
        case let elu as ELU<Float>:
            return same(graph.op("Elu", [x.name], [("alpha", .float(elu.alpha))]))
        case let softmax as Softmax<Float>:
            guard softmax.axis.count == 1, let axis = softmax.axis.first else { throw fail(layer, "a softmax over several axes is not exported") }
            guard x.lengths == nil || axis != 1 else { throw fail(layer, "a softmax over masked steps is not exported") }
            return same(graph.op("Softmax", [x.name], [("axis", .int(axis))]))
        case let prelu as PReLU<Float>:
            guard let alpha = prelu.alpha else { throw fail(layer, "it is not built") }
            return same(graph.op("PRelu", [x.name, graph.constant(alpha, "alpha")]))
        case let attention as Attention<Float>:
            return try self.attention(attention, inputs)
        case let attention as MultiHeadAttention<Float>:
            return try multiHead(attention, inputs)
        case let repeated as RepeatVector<Float>:
            let expanded = graph.op("Unsqueeze", [x.name, graph.int64s([1])])
            return [Value(name: graph.op("Tile", [expanded, graph.int64s([1, repeated.n, 1])]))]
        case let permute as Permute<Float>:
            guard x.lengths == nil || permute.dims.first == 1 else { throw fail(layer, "it moves masked steps") }
            return [Value(name: graph.op("Transpose", [x.name], [("perm", .ints([0] + permute.dims))]), lengths: x.lengths, paddingDiffers: x.paddingDiffers)]
        case let reshape as Reshape<Float>:
            return [Value(name: graph.op("Reshape", [x.name, graph.int64s([0] + reshape.targetShape, "shape")]))]
        case is Flatten<Float>:
            return [Value(name: graph.op("Flatten", [x.name], [("axis", .int(1))]))]
        case let normalization as BatchNormalization<Float>:
            guard normalization.axis == -1 || normalization.axis == inputRank - 1 else {
                throw fail(layer, "only normalization over the last axis is exported")
            }
            let weights = normalization.weights
            var rest = weights[...]
            let gamma = normalization.scale ? rest.popFirst() : nil, beta = normalization.center ? rest.popFirst() : nil
            guard let mean = rest.popFirst(), let variance = rest.popFirst() else { throw fail(layer, "it is not built") }
            let factor = (0..<mean.scalarCount).map { (gamma?.scalars[$0] ?? 1) / (variance.scalars[$0] + Float(normalization.epsilon)).squareRoot() }
            let shift = (0..<mean.scalarCount).map { (beta?.scalars[$0] ?? 0) - mean.scalars[$0] * factor[$0] }
            let scaled = graph.op("Mul", [x.name, graph.constant(try Tensor(shape: [factor.count], scalars: factor), "bn_scale")])
            return same(graph.op("Add", [scaled, graph.constant(try Tensor(shape: [shift.count], scalars: shift), "bn_shift")]))
        case let normalization as LayerNormalization<Float>:
            guard normalization.axis == [-1] || normalization.axis.count == 1, !normalization.rmsScaling else {
                throw fail(layer, "only normalization over the last axis, without rms_scaling, is exported")
            }
            let weights = normalization.weights
            var rest = weights[...]
            let gamma = normalization.scale ? rest.popFirst() : nil, beta = normalization.center ? rest.popFirst() : nil
            guard let features = (gamma ?? beta)?.scalarCount else { throw fail(layer, "export needs its scale or center") }
            let scale = graph.constant(gamma ?? Tensor(repeating: 1, shape: [features]), "ln_scale")
            var inputs = [x.name, scale]
            if let beta { inputs.append(graph.constant(beta, "ln_bias")) }
            return same(graph.op("LayerNormalization", inputs, [("axis", .int(-1)), ("epsilon", .float(Float(normalization.epsilon)))]))
        default:
            throw fail(layer, "has no ONNX export here; exported: GRU, LSTM, SimpleRNN, Bidirectional, Dense, TimeDistributed, Embedding, Masking, Conv1D, global pooling, RepeatVector, Permute, Reshape, Flatten, activations, merges, normalization, dropout")
        }
    }

    mutating func dense(_ dense: Dense<Float>, _ x: String) throws -> String {
        guard let kernel = dense.kernel else { throw fail(dense, "it is not built") }
        var y = graph.op("MatMul", [x, graph.constant(kernel, "kernel")])
        if let bias = dense.bias { y = graph.op("Add", [y, graph.constant(bias, "bias")]) }
        return try apply(dense.activation, y, dense)
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

    /// A GRU, LSTM or SimpleRNN layer, alone or as the two halves of a Bidirectional one.
    mutating func recurrent(
        _ forward: RNN<Float>, backward: RNN<Float>?, merge: Bidirectional<Float>.MergeMode?, _ x: Value, wrapper: (any Layer<Float>)? = nil,
        initialStates: [String] = []
    ) throws -> [Value] {
        let layer: any Layer<Float> = wrapper ?? forward
        guard !forward.timeMajor else { throw fail(layer, "time-major inputs are not exported") }
        guard !forward.stateful || stateInputs else {
            throw fail(layer, "a stateful layer keeps state across calls, which an ONNX graph does not (export it with --streaming)")
        }
        let halves = [forward] + (backward.map { [$0] } ?? [])
        // One alpha and beta per activation (ONNX Runtime takes them in order); ignored by those without.
        var op = "", hidden = 0, activations = [String](), alphas = [Float](), betas = [Float](), parameters = false
        var ws = [Tensor<Float>](), rs = [Tensor<Float>](), bs = [Tensor<Float>]()
        var attributes = [(String, ONNXGraph.Attribute)]()
        for half in halves {
            var functions = [Activation]()
            let weights = half.cell.weights
            guard weights.count >= 2 else { throw fail(layer, "it is not built") }
            let kernel = try weights[0].transposed([1, 0]), recurrentKernel = try weights[1].transposed([1, 0])
            switch half.cell {
            case let cell as GRUCell<Float>:
                op = "GRU"
                hidden = cell.units
                attributes = [("linear_before_reset", .int(cell.resetAfter ? 1 : 0))]

                ws.append(kernel)
                rs.append(recurrentKernel)
                if weights.count == 3 {
                    bs.append(cell.resetAfter ? try weights[2].reshaped(to: [6 * hidden])
                              : try Tensor(shape: [6 * hidden], scalars: weights[2].scalars + [Float](repeating: 0, count: 3 * hidden)))
                }
                functions = [cell.recurrentActivation, cell.activation]
            case let cell as LSTMCell<Float>:
                op = "LSTM"
                hidden = cell.units
                // Keras' gates i, f, c, o; ONNX's i, o, f, c.
                func reorder(_ t: Tensor<Float>) throws -> Tensor<Float> {
                    let width = t.scalarCount / (4 * hidden), block = hidden * width, s = t.scalars
                    let rows = Array(s[0..<block] + s[(3 * block)..<(4 * block)] + s[block..<(2 * block)] + s[(2 * block)..<(3 * block)])
                    return try Tensor(shape: t.shape, scalars: rows)
                }
                ws.append(try reorder(kernel))
                rs.append(try reorder(recurrentKernel))
                if weights.count == 3 { bs.append(try Tensor(shape: [8 * hidden], scalars: try reorder(weights[2]).scalars + [Float](repeating: 0, count: 4 * hidden))) }
                functions = [cell.recurrentActivation, cell.activation, cell.activation]
            case let cell as SimpleRNNCell<Float>:
                op = "RNN"
                hidden = cell.units
                ws.append(kernel)
                rs.append(recurrentKernel)
                if weights.count == 3 { bs.append(try Tensor(shape: [2 * hidden], scalars: weights[2].scalars + [Float](repeating: 0, count: hidden))) }
                functions = [cell.activation]
            default:
                throw fail(layer, "cells of type \(type(of: half.cell)) (stacked cells among them) are not exported")
            }
            for function in functions {
                let (name, alpha, beta) = try rnnActivation(function, layer)
                activations.append(name)
                alphas.append(alpha ?? 0)
                betas.append(beta ?? 0)
                parameters = parameters || alpha != nil
            }
        }
        guard bs.isEmpty || bs.count == halves.count else { throw fail(layer, "one half has a bias and the other not") }
        let directions = halves.count
        let direction = directions == 2 ? "bidirectional" : (forward.goBackwards ? "reverse" : "forward")
        if forward.goBackwards, backward == nil, forward.returnSequences, x.lengths != nil {
            throw fail(layer, "go_backwards over masked steps returns them in an order ONNX does not give")
        }
        func stacked(_ tensors: [Tensor<Float>]) throws -> Tensor<Float> {
            try Tensor(shape: [tensors.count] + tensors[0].shape, scalars: tensors.flatMap(\.scalars))
        }
        attributes += [("hidden_size", .int(hidden)), ("direction", .string(direction)), ("activations", .strings(activations))]
        if parameters { attributes += [("activation_alpha", .floats(alphas)), ("activation_beta", .floats(betas))] }
        let timeMajor = graph.op("Transpose", [x.name], [("perm", .ints([1, 0, 2]))])
        var nodeInputs = [timeMajor, graph.constant(try stacked(ws), "W"), graph.constant(try stacked(rs), "R")]
        nodeInputs.append(bs.isEmpty ? "" : graph.constant(try stacked(bs), "B"))
        let kinds = op == "LSTM" ? 2 : 1
        var states = initialStates
        if states.isEmpty, stateInputs {
            guard direction == "forward" else { throw fail(layer, "reads the sequence backwards, so it cannot run a chunk at a time") }
            // Keras' initial_state order: each direction's states (h, then c for an LSTM).
            for d in 0..<directions {
                for k in 0..<kinds {
                    let name = "\(layer.name)_state\(d * kinds + k)"
                    graph.inputs.append((name, [nil, hidden], .float))
                    states.append(name)
                }
            }
        }
        guard states.isEmpty || states.count == directions * kinds else {
            throw fail(layer, "\(states.count) initial states given; it has \(directions * kinds)")
        }
        nodeInputs.append(x.lengths ?? "")
        for k in 0..<(states.isEmpty ? 0 : kinds) {
            // (directions, batch, hidden) from each direction's (batch, hidden).
            let perDirection = (0..<directions).map { graph.op("Unsqueeze", [states[$0 * kinds + k], graph.int64s([0])]) }
            nodeInputs.append(directions == 1 ? perDirection[0] : graph.op("Concat", perDirection, [("axis", .int(0))]))
        }
        while nodeInputs.last == "" { nodeInputs.removeLast() }
        let outs = graph.node(op, nodeInputs, outputs: op == "LSTM" ? 3 : 2, attributes)
        if stateInputs, initialStates.isEmpty {
            for d in 0..<directions {
                for k in 0..<kinds {
                    let state = graph.op("Gather", [outs[1 + k], graph.int64s([d], shape: [], "direction")], [("axis", .int(0))])
                    stateOutputs.append((state, "\(layer.name)_state\(d * kinds + k)_out", hidden))
                }
            }
        }
        let returnSequences = forward.returnSequences
        var output: String
        if returnSequences {
            let batchMajor = graph.op("Transpose", [outs[0]], [("perm", .ints([2, 0, 1, 3]))])  // (batch, steps, directions, hidden)
            output = try merged(batchMajor, axis: 2, directions: directions, merge: merge, layer)
            if direction == "reverse" {
                output = graph.op("Slice", [output, graph.int64s([-1]), graph.int64s([Int(Int64.min)]), graph.int64s([1]), graph.int64s([-1])])
            }
        } else {
            let batchMajor = graph.op("Transpose", [outs[1]], [("perm", .ints([1, 0, 2]))])  // (batch, directions, hidden)
            output = try merged(batchMajor, axis: 1, directions: directions, merge: merge, layer)
        }
        var results = [Value(name: output, lengths: returnSequences ? x.lengths : nil,
                             paddingDiffers: returnSequences && x.lengths != nil && !forward.zeroOutputForMask)]
        if merge == nil, directions == 2 {
            // Keras' merge_mode = NULL: the forward and backward outputs.
            results = try [0, 1].map { d in
                let axis = returnSequences ? 2 : 1
                let source = returnSequences ? graph.op("Transpose", [outs[0]], [("perm", .ints([2, 0, 1, 3]))]) : graph.op("Transpose", [outs[1]], [("perm", .ints([1, 0, 2]))])
                return Value(name: graph.op("Gather", [source, graph.int64s([d], shape: [], "direction")], [("axis", .int(axis))]),
                             lengths: results[0].lengths, paddingDiffers: results[0].paddingDiffers)
            }
        }
        if forward.returnState {
            for d in 0..<directions {
                for k in 0..<(op == "LSTM" ? 2 : 1) {
                    let state = graph.op("Gather", [outs[1 + k], graph.int64s([d], shape: [], "direction")], [("axis", .int(0))])
                    results.append(Value(name: state))
                }
            }
        }
        return results
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

    /// Dot of two `(batch, ...)` tensors along one axis each (rank 2 or 3), L2-normalized first
    /// with `normalize` as Keras' `l2_normalize` (its 1e-12 floor included).
    mutating func dot(_ dot: Dot<Float>, _ names: [String], rank: Int) throws -> String {
        guard names.count == 2, rank == 2 || rank == 3 else { throw fail(dot, "only two inputs of rank 2 or 3 are exported") }
        let axes = dot.axes.map { $0 < 0 ? $0 + rank : $0 }
        let (a, b) = (axes[0], axes.count > 1 ? axes[1] : axes[0])
        var (x, y) = (names[0], names[1])
        if dot.normalize {
            func normalized(_ value: String, _ axis: Int) -> String {
                let squares = graph.op("ReduceSum", [graph.op("Mul", [value, value]), graph.int64s([axis])], [("keepdims", .int(1))])
                let floor = graph.constant(Tensor(repeating: 1e-12, shape: []), "floor")
                return graph.op("Div", [value, graph.op("Sqrt", [graph.op("Max", [squares, floor])])])
            }
            x = normalized(x, a)
            y = normalized(y, b)
        }
        if rank == 2 { return graph.op("ReduceSum", [graph.op("Mul", [x, y]), graph.int64s([1])], [("keepdims", .int(1))]) }
        // Contract x's axis a with y's axis b: x with it last, y with it second.
        let left = a == 2 ? x : graph.op("Transpose", [x], [("perm", .ints([0, 2, 1]))])
        let right = b == 1 ? y : graph.op("Transpose", [y], [("perm", .ints([0, 2, 1]))])
        return graph.op("MatMul", [left, right])
    }

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

    /// Attention and AdditiveAttention: scores, masks (the value's, causal) as Keras' -1e9,
    /// the softmax over the value steps, and the query's mask on the output.
    mutating func attention(_ attention: Attention<Float>, _ inputs: [Value]) throws -> [Value] {
        guard inputs.count == 2 || inputs.count == 3 else { throw fail(attention, "it takes [query, value] or [query, value, key]") }
        let (query, value) = (inputs[0], inputs[1])
        let key = inputs.count == 3 ? inputs[2] : value
        var scores: String
        if attention is AdditiveAttention<Float> || attention.scoreMode == .concat {
            // sum over features of tanh(q + k) (times the scale, per feature or one), per query and key step.
            let q = graph.op("Unsqueeze", [query.name, graph.int64s([2])]), k = graph.op("Unsqueeze", [key.name, graph.int64s([1])])
            var sum = graph.op("Add", [q, k])
            if !(attention is AdditiveAttention<Float>), let scale = attention.scale { sum = graph.op("Mul", [sum, graph.constant(scale, "scale")]) }
            var tanh = graph.op("Tanh", [sum])
            if attention is AdditiveAttention<Float>, let scale = attention.scale { tanh = graph.op("Mul", [tanh, graph.constant(scale, "scale")]) }
            scores = graph.op("ReduceSum", [tanh, graph.int64s([-1])], [("keepdims", .int(0))])
            if let weight = attention.concatScoreWeight { scores = graph.op("Mul", [scores, graph.constant(weight, "score_weight")]) }
        } else {
            scores = graph.op("MatMul", [query.name, graph.op("Transpose", [key.name], [("perm", .ints([0, 2, 1]))])])
            if let scale = attention.scale { scores = graph.op("Mul", [scores, graph.constant(scale, "scale")]) }
        }
        let penalty = graph.constant(Tensor(repeating: -1e9, shape: []), "masked")
        if let lengths = value.lengths {
            let hidden = graph.op("Cast", [graph.op("Not", [stepMask(lengths, like: value.name)])], [("to", .int(1))])
            scores = graph.op("Add", [scores, graph.op("Mul", [graph.op("Unsqueeze", [hidden, graph.int64s([1])]), penalty])])
        }
        if attention.useCausalMask {
            let later = future(query.name, key.name)
            scores = graph.op("Add", [scores, graph.op("Mul", [graph.op("Cast", [later], [("to", .int(1))]), penalty])])
        }
        let weights = graph.op("Softmax", [scores], [("axis", .int(-1))])
        var output = graph.op("MatMul", [weights, value.name])
        if let lengths = query.lengths {
            let kept = graph.op("Cast", [stepMask(lengths, like: query.name)], [("to", .int(1))])
            output = graph.op("Mul", [output, graph.op("Unsqueeze", [kept, graph.int64s([-1])])])
        }
        let result = Value(name: output, lengths: query.lengths, paddingDiffers: query.paddingDiffers)
        return attention.returnAttentionScores ? [result, Value(name: weights)] : [result]
    }

    /// MultiHeadAttention: the projections as matrix products, the heads as an axis, the
    /// masks (query, value, key, causal) as Keras' large negative scores.
    mutating func multiHead(_ attention: MultiHeadAttention<Float>, _ inputs: [Value]) throws -> [Value] {
        guard inputs.count == 2 || inputs.count == 3 else { throw fail(attention, "it takes [query, value] or [query, value, key]") }
        let (query, value) = (inputs[0], inputs[1])
        let key = inputs.count == 3 ? inputs[2] : value
        let weights = attention.weights, step = attention.useBias ? 2 : 1
        guard weights.count == 4 * step else { throw fail(attention, "it is not built") }
        let heads = attention.numHeads
        /// `x · kernel + bias` as `(batch, heads, steps, dim)`.
        func project(_ x: String, _ k: Int, dim: Int) throws -> String {
            let kernel = weights[k * step]
            var y = graph.op("MatMul", [x, graph.constant(try kernel.reshaped(to: [kernel.shape[0], heads * dim]), "mha_kernel")])
            if attention.useBias { y = graph.op("Add", [y, graph.constant(try weights[k * step + 1].reshaped(to: [heads * dim]), "mha_bias")]) }
            let split = graph.op("Reshape", [y, graph.int64s([0, 0, heads, dim], "shape")])
            return graph.op("Transpose", [split], [("perm", .ints([0, 2, 1, 3]))])
        }
        let q = try project(query.name, 0, dim: attention.keyDim), k = try project(key.name, 1, dim: attention.keyDim)
        let v = try project(value.name, 2, dim: attention.valueDim)
        let scaled = graph.op("Mul", [q, graph.constant(Tensor(repeating: 1 / Float(attention.keyDim).squareRoot(), shape: []), "scale")])
        var scores = graph.op("MatMul", [scaled, graph.op("Transpose", [k], [("perm", .ints([0, 1, 3, 2]))])])  // (batch, heads, Tq, Tv)
        // Keras' masked softmax: -0.7 * the largest float where a query step may not see a value step.
        var hidden: String?
        func hide(_ mask: String) { hidden = hidden.map { graph.op("Or", [$0, mask]) } ?? mask }
        if let lengths = query.lengths { hide(graph.op("Unsqueeze", [graph.op("Not", [stepMask(lengths, like: query.name)]), graph.int64s([2])])) }
        for source in [value] + (inputs.count == 3 ? [key] : []) {
            if let lengths = source.lengths { hide(graph.op("Unsqueeze", [graph.op("Not", [stepMask(lengths, like: source.name)]), graph.int64s([1])])) }
        }
        if attention.useCausalMask {
            hide(future(query.name, value.name))
        }
        if let hidden {
            let penalty = graph.constant(Tensor(repeating: -0.7 * Float.greatestFiniteMagnitude, shape: []), "masked")
            let mask = graph.op("Unsqueeze", [hidden, graph.int64s([1])])  // over the heads
            scores = graph.op("Where", [mask, penalty, scores])
        }
        let probabilities = graph.op("Softmax", [scores], [("axis", .int(-1))])
        let attended = graph.op("Transpose", [graph.op("MatMul", [probabilities, v])], [("perm", .ints([0, 2, 1, 3]))])
        let joined = graph.op("Reshape", [attended, graph.int64s([0, 0, -1], "shape")])
        let outputKernel = weights[3 * step]
        var output = graph.op("MatMul", [joined, graph.constant(try outputKernel.reshaped(to: [heads * attention.valueDim, outputKernel.shape[2]]), "mha_output")])
        if attention.useBias { output = graph.op("Add", [output, graph.constant(weights[3 * step + 1], "mha_output_bias")]) }
        let result = Value(name: output, lengths: query.lengths, paddingDiffers: query.paddingDiffers)
        return attention.returnAttentionScores ? [result, Value(name: probabilities)] : [result]
    }

    /// An RNN over stacked cells as one recurrent node per cell, each reading the whole
    /// sequence of the one before (what the stack computes step by step); the states of
    /// every cell in order, as Keras returns them.
    mutating func stacked(_ rnn: RNN<Float>, _ stack: StackedRNNCells<Float>, _ x: Value, initialStates: [String]) throws -> [Value] {
        guard !rnn.goBackwards else { throw fail(rnn, "stacked cells reading backwards are not exported") }
        var input = x, states = [Value](), given = initialStates[...]
        var output = x
        for (k, cell) in stack.cells.enumerated() {
            let last = k == stack.cells.count - 1
            let layer = RNN<Float>(
                cell: cell, returnSequences: last ? rnn.returnSequences : true, returnState: rnn.returnState,
                zeroOutputForMask: last ? rnn.zeroOutputForMask : true, name: "\(rnn.name)_cell\(k)")
            let count = cell.stateSize.count
            let results = try recurrent(layer, backward: nil, merge: nil, input, initialStates: given.isEmpty ? [] : Array(given.prefix(count)))
            given = given.dropFirst(given.isEmpty ? 0 : count)
            states += results.dropFirst()
            output = results[0]
            input = Value(name: results[0].name, lengths: x.lengths)
        }
        return [output] + states
    }

    /// The directions of `(…, directions, hidden)` merged as Keras merges them.
    mutating func merged(_ value: String, axis: Int, directions: Int, merge: Bidirectional<Float>.MergeMode?, _ layer: any Layer<Float>) throws -> String {
        switch directions == 2 ? merge : .concat {
        case .concat?, nil:
            // One direction, or the directions concatenated: the last two axes flattened.
            return graph.op("Reshape", [value, graph.int64s(Array(repeating: 0, count: axis) + [-1], "shape")])
        case .sum?: return graph.op("ReduceSum", [value, graph.int64s([axis])], [("keepdims", .int(0))])
        case .ave?: return graph.op("ReduceMean", [value], [("axes", .ints([axis])), ("keepdims", .int(0))])
        case .mul?: return graph.op("ReduceProd", [value], [("axes", .ints([axis])), ("keepdims", .int(0))])
        }
    }
}
