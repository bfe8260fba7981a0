import SwiftGRU

extension LayerDeclaration {
    static let multiHeadAttention = LayerDeclaration(
        classNames: ["MultiHeadAttention"],
        decode: { c, name, decoder in
            if let axes = c["attention_axes"], !axes.isNull, decoder.axes(axes, fallback: []) != [1] {
                throw decoder.fail("layer '\(name)': attention over axes \(axes) is not supported; only over the steps (axis 1)")
            }
            for key in ["use_gate"] where c[key]?.bool == true {
                throw decoder.fail("layer '\(name)': \(key) is not supported")
            }
            if let window = c["sliding_window"], !window.isNull {
                throw decoder.fail("layer '\(name)': sliding_window is not supported")
            }
            var outputDim: Int? = nil
            if let shape = c["output_shape"], !shape.isNull {
                let dims = decoder.axes(shape, fallback: [])
                guard dims.count == 1 else { throw decoder.fail("layer '\(name)': output_shape \(shape) is not supported; one feature axis is") }
                outputDim = dims[0]
            }
            let layer = try MultiHeadAttention<Float>(
                numHeads: c["num_heads"]?.int ?? 0, keyDim: c["key_dim"]?.int ?? 0, valueDim: c["value_dim"]?.int,
                dropout: c["dropout"]?.double ?? 0, useBias: c["use_bias"]?.bool ?? true, outputDim: outputDim,
                kernelInitializer: decoder.initializer(c["kernel_initializer"], default: .glorotUniform(), layer: name),
                biasInitializer: decoder.initializer(c["bias_initializer"], default: .zeros, layer: name),
                seed: decoder.seed(c), name: name)
            (layer.kernelRegularizer, layer.kernelConstraint) = try decoder.weightRules(c, "kernel", layer: name)
            (layer.biasRegularizer, layer.biasConstraint) = try decoder.weightRules(c, "bias", layer: name)
            layer.activityRegularizer = try decoder.regularizer(c["activity_regularizer"], layer: name)
            return layer
        },
        matches: { $0 is MultiHeadAttention<Float> },
        encode: { layer in
            guard let attention = layer as? MultiHeadAttention<Float> else { return nil }
            let config: [String: JSONValue] = [
                "num_heads": .integer(attention.numHeads), "key_dim": .integer(attention.keyDim),
                "value_dim": .integer(attention.valueDim), "dropout": .number(attention.dropout),
                "use_bias": .bool(attention.useBias), "output_shape": attention.outputDim.map { [.integer($0)] } ?? .null,
                "attention_axes": .null, "kernel_initializer": KerasConfigEncoder.initializer(attention.kernelInitializer),
                "bias_initializer": KerasConfigEncoder.initializer(attention.biasInitializer),
                "activity_regularizer": KerasConfigEncoder.regularizer(attention.activityRegularizer),
                "seed": KerasConfigEncoder.seed(attention.seed),
            ]
            return config.merging(KerasConfigEncoder.weightRules("kernel", attention.kernelRegularizer, attention.kernelConstraint)) { $1 }
                .merging(KerasConfigEncoder.weightRules("bias", attention.biasRegularizer, attention.biasConstraint)) { $1 }
        },
        weightGroups: { layer in
            // Keras 3 keeps each projection in its own sublayer's group.
            let w = layer.weights, step = w.count == 8 ? 2 : 1
            guard w.count == 4 * step else { return [] }
            return ["query_dense", "key_dense", "value_dense", "output_dense"].enumerated().map { i, path in
                ("\(path)/vars", Array(w[(i * step)..<((i + 1) * step)]))
            }
        },
        passesInputsSeparately: true, readCallArguments: readAttentionCall, callArguments: attentionCall,
        onnx: .multiHeadAttention)
}

extension ONNXEmitter {
    static let multiHeadAttention = ONNXEmitter.of(MultiHeadAttention<Float>.self) { e, attention, call in
        try e.multiHead(attention, call.inputs)
    }
}

extension ONNXExporter {
    /// MultiHeadAttention: the projections as matrix products, the heads as an axis, the
    /// masks (query, value, key, causal) as Keras' large negative scores.
    mutating func multiHead(_ attention: MultiHeadAttention<Float>, _ inputs: [ONNXValue]) throws -> [ONNXValue] {
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
            // (1, Tq, Tv), as the other masks are (batch, Tq, 1) and (batch, 1, Tv).
            hide(graph.op("Unsqueeze", [future(query.name, value.name), graph.int64s([0])]))
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
        let result = ONNXValue(name: output, lengths: query.lengths, paddingDiffers: query.paddingDiffers)
        return attention.returnAttentionScores ? [result, ONNXValue(name: probabilities)] : [result]
    }
}
