import SwiftGRU

extension KerasLayerCodec {
    /// `use_causal_mask` and `return_attention_scores` are call arguments in Keras; all calls
    /// of one layer must agree, since the layer keeps them.
    @Sendable private static func readAttentionCall(_ layer: any Layer<Float>, _ kwargs: JSONValue?) throws {
        let causal = kwargs?["use_causal_mask"]?.bool ?? false, scores = kwargs?["return_attention_scores"]?.bool ?? false
        switch layer {
        case let attention as Attention<Float>:
            attention.useCausalMask = causal
            attention.returnAttentionScores = scores
        case let attention as MultiHeadAttention<Float>:
            attention.useCausalMask = causal
            attention.returnAttentionScores = scores
        default: break
        }
        for key in ["attention_mask"] where kwargs?[key].map({ !$0.isNull }) == true {
            throw FileFormatError("layer '\(layer.name)' is called with an explicit \(key), which is not supported; masks from the inputs are")
        }
    }

    @Sendable private static func attentionCall(_ layer: any Layer<Float>) -> [String: JSONValue] {
        var kwargs = [String: JSONValue]()
        let (causal, scores): (Bool, Bool) =
            switch layer {
            case let a as Attention<Float>: (a.useCausalMask, a.returnAttentionScores)
            case let a as MultiHeadAttention<Float>: (a.useCausalMask, a.returnAttentionScores)
            default: (false, false)
            }
        if causal { kwargs["use_causal_mask"] = true }
        if scores { kwargs["return_attention_scores"] = true }
        return kwargs
    }

    static let attention = KerasLayerCodec(
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
        readCallArguments: readAttentionCall, callArguments: attentionCall)

    static let additiveAttention = KerasLayerCodec(
        classNames: ["AdditiveAttention"],
        decode: { c, name, decoder in
            try AdditiveAttention<Float>(
                useScale: c["use_scale"]?.bool ?? true, dropout: c["dropout"]?.double ?? 0, useCausalMask: c["causal"]?.bool ?? false,
                seed: decoder.seed(c), name: name)
        },
        matches: { $0 is AdditiveAttention<Float> },
        encode: { layer in
            guard let attention = layer as? AdditiveAttention<Float> else { return nil }
            return ["use_scale": .bool(attention.useScale), "dropout": .number(attention.dropout)]
        },
        readCallArguments: readAttentionCall, callArguments: attentionCall)

    static let multiHeadAttention = KerasLayerCodec(
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
            for key in ["kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"]
            where c[key].map({ !$0.isNull }) == true {
                decoder.notes.trainingRefusals.append("layer '\(name)' (MultiHeadAttention) has a \(key), which its training does not apply yet")
            }
            return try MultiHeadAttention<Float>(
                numHeads: c["num_heads"]?.int ?? 0, keyDim: c["key_dim"]?.int ?? 0, valueDim: c["value_dim"]?.int,
                dropout: c["dropout"]?.double ?? 0, useBias: c["use_bias"]?.bool ?? true, outputDim: outputDim,
                kernelInitializer: decoder.initializer(c["kernel_initializer"], default: .glorotUniform(), layer: name),
                biasInitializer: decoder.initializer(c["bias_initializer"], default: .zeros, layer: name),
                seed: decoder.seed(c), name: name)
        },
        matches: { $0 is MultiHeadAttention<Float> },
        encode: { layer in
            guard let attention = layer as? MultiHeadAttention<Float> else { return nil }
            return [
                "num_heads": .integer(attention.numHeads), "key_dim": .integer(attention.keyDim),
                "value_dim": .integer(attention.valueDim), "dropout": .number(attention.dropout),
                "use_bias": .bool(attention.useBias), "output_shape": attention.outputDim.map { [.integer($0)] } ?? .null,
                "attention_axes": [1], "kernel_initializer": KerasConfigEncoder.initializer(attention.kernelInitializer),
                "bias_initializer": KerasConfigEncoder.initializer(attention.biasInitializer), "kernel_regularizer": .null,
                "bias_regularizer": .null, "activity_regularizer": .null, "kernel_constraint": .null, "bias_constraint": .null,
                "seed": KerasConfigEncoder.seed(attention.seed),
            ]
        },
        weightGroups: { layer in
            // Keras 3 keeps each projection in its own sublayer's group.
            let w = layer.weights, step = w.count == 8 ? 2 : 1
            guard w.count == 4 * step else { return [] }
            return ["query_dense", "key_dense", "value_dense", "output_dense"].enumerated().map { i, path in
                ("\(path)/vars", Array(w[(i * step)..<((i + 1) * step)]))
            }
        },
        passesInputsSeparately: true, readCallArguments: readAttentionCall, callArguments: attentionCall)
}
