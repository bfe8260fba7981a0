import SwiftGRU

extension LayerDeclaration {
    static let bidirectional = LayerDeclaration(
        classNames: ["Bidirectional"],
        decode: { c, name, decoder in
            guard let inner = c["layer"] else { throw decoder.fail("layer '\(name)': Bidirectional without a layer") }
            guard let forward = try decoder.layer(inner) as? RNN<Float> else {
                throw decoder.fail("layer '\(name)': Bidirectional wraps '\(inner["class_name"]?.string ?? "?")', which is not a supported recurrent layer")
            }
            var backward: RNN<Float>?
            if let config = c["backward_layer"], !config.isNull {
                guard let layer = try decoder.layer(config) as? RNN<Float> else {
                    throw decoder.fail("layer '\(name)': its backward layer is not a supported recurrent layer")
                }
                backward = layer
            }
            let mode: Bidirectional<Float>.MergeMode?
            switch c["merge_mode"] {
            case nil, .null?: mode = c["merge_mode"] == nil ? .concat : nil
            case .string(let text)?:
                guard let m = Bidirectional<Float>.MergeMode(rawValue: text) else {
                    throw decoder.fail("layer '\(name)': unknown merge_mode '\(text)'")
                }
                mode = m
            default: throw decoder.fail("layer '\(name)': bad merge_mode")
            }
            return try Bidirectional(forward, mergeMode: mode, backwardLayer: backward, name: name)
        },
        matches: { $0 is Bidirectional<Float> },
        encode: { layer in
            guard let bidirectional = layer as? Bidirectional<Float> else { return nil }
            return [
                "layer": try KerasConfigEncoder.layer(bidirectional.forwardLayer, inputShape: nil),
                "backward_layer": try KerasConfigEncoder.layer(bidirectional.backwardLayer, inputShape: nil),
                "merge_mode": bidirectional.mergeMode.map { .string($0.rawValue) } ?? .null,
            ]
        },
        weightGroups: { layer in
            guard let bidirectional = layer as? Bidirectional<Float> else { return [] }
            return prefixed("forward_layer/", KerasWeightLayout.varsGroups(bidirectional.forwardLayer))
                + prefixed("backward_layer/", KerasWeightLayout.varsGroups(bidirectional.backwardLayer))
        },
        onnx: .bidirectional,
        nnGRU: { layer in
            guard let wrapper = layer as? Bidirectional<Float> else { return [] }
            guard wrapper.mergeMode == .concat, let forward = wrapper.forwardLayer as? GRU<Float>, let backward = wrapper.backwardLayer as? GRU<Float>
            else { throw FileFormatError("layer '\(layer.name)': nn.GRU's bidirectional output is the two halves concatenated, of GRUs") }
            return [(forward, ""), (backward, "_reverse")]
        })
}

extension ONNXEmitter {
    static let bidirectional = ONNXEmitter.of(Bidirectional<Float>.self) { e, wrapper, call in
        try e.recurrent(
            wrapper.forwardLayer, backward: wrapper.backwardLayer, merge: wrapper.mergeMode, call.x, wrapper: wrapper,
            initialStates: call.initialStates)
    }
}
