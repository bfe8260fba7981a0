import SwiftGRU

extension LayerDeclaration {
    /// `use_causal_mask` and `return_attention_scores` are call arguments in Keras; all calls
    /// of one layer must agree, since the layer keeps them.
    @Sendable static func readAttentionCall(_ layer: any Layer<Float>, _ kwargs: JSONValue?) throws {
        let causal = kwargs?["use_causal_mask"]?.bool ?? false, scores = kwargs?["return_attention_scores"]?.bool ?? false
        if let attention = layer as? any AttentionCallFlags {
            attention.useCausalMask = causal
            attention.returnAttentionScores = scores
        }
        for key in ["attention_mask"] where kwargs?[key].map({ !$0.isNull }) == true {
            throw FileFormatError("layer '\(layer.name)' is called with an explicit \(key), which is not supported; masks from the inputs are")
        }
    }

    @Sendable static func attentionCall(_ layer: any Layer<Float>) -> [String: JSONValue] {
        var kwargs = [String: JSONValue]()
        guard let attention = layer as? any AttentionCallFlags else { return kwargs }
        if attention.useCausalMask { kwargs["use_causal_mask"] = true }
        if attention.returnAttentionScores { kwargs["return_attention_scores"] = true }
        return kwargs
    }

    static let attention = LayerDeclaration(
        classNames: ["Attention"],
        decode: { c, name, decoder in
            let mode = c["score_mode"]?.string ?? "dot"
            guard let scoreMode = AttentionScoreMode(rawValue: mode) else {
                throw decoder.fail("layer '\(name)': unknown score_mode '\(mode)'; known: dot, concat")
            }
            // `causal` is tf.keras 2.x's constructor argument, later a call argument.
            return try Attention<Float>(
                useScale: c["use_scale"]?.bool ?? false, scoreMode: scoreMode, dropout: c["dropout"]?.double ?? 0,
                useCausalMask: c["causal"]?.bool ?? false, seed: decoder.seed(c), name: name)
        },
        matches: { $0 is Attention<Float> && !($0 is AdditiveAttention<Float>) },
        encode: { layer in
            guard let attention = layer as? Attention<Float> else { return nil }
            return [
                "use_scale": .bool(attention.useScale), "score_mode": .string(attention.scoreMode.rawValue),
                "dropout": .number(attention.dropout), "seed": KerasConfigEncoder.seed(attention.seed),
            ]
        },
        readCallArguments: readAttentionCall, callArguments: attentionCall, onnx: .attention)

    static let additiveAttention = LayerDeclaration(
        classNames: ["AdditiveAttention"],
        decode: { c, name, decoder in
            try AdditiveAttention<Float>(
                useScale: c["use_scale"]?.bool ?? true, dropout: c["dropout"]?.double ?? 0, useCausalMask: c["causal"]?.bool ?? false,
                seed: decoder.seed(c), name: name)
        },
        matches: { $0 is AdditiveAttention<Float> },
        encode: { layer in
            guard let attention = layer as? AdditiveAttention<Float> else { return nil }
            return ["use_scale": .bool(attention.useScale), "dropout": .number(attention.dropout), "seed": KerasConfigEncoder.seed(attention.seed)]
        },
        readCallArguments: readAttentionCall, callArguments: attentionCall, onnx: .attention)

}

extension ONNXEmitter {
    static let attention = ONNXEmitter.of(Attention<Float>.self) { e, attention, call in
        try e.attention(attention, call.inputs)
    }
}

extension ONNXExporter {
    /// Attention and AdditiveAttention: scores, masks (the value's, causal) as Keras' -1e9,
    /// the softmax over the value steps, and the query's mask on the output.
    mutating func attention(_ attention: Attention<Float>, _ inputs: [ONNXValue]) throws -> [ONNXValue] {
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
        let result = ONNXValue(name: output, lengths: query.lengths, paddingDiffers: query.paddingDiffers)
        return attention.returnAttentionScores ? [result, ONNXValue(name: weights)] : [result]
    }
}
