import SwiftGRU

extension LayerDeclaration {
    static let timeDistributed = LayerDeclaration(
        classNames: ["TimeDistributed"],
        decode: { c, name, decoder in
            guard let inner = c["layer"] else { throw decoder.fail("layer '\(name)': TimeDistributed without a layer") }
            return TimeDistributed<Float>(try decoder.layer(inner), name: name)
        },
        matches: { $0 is TimeDistributed<Float> },
        encode: { layer in
            guard let wrapper = layer as? TimeDistributed<Float> else { return nil }
            return ["layer": try KerasConfigEncoder.layer(wrapper.layer, inputShape: nil)]
        },
        weightGroups: { layer in
            (layer as? TimeDistributed<Float>).map { prefixed("layer/", KerasWeightLayout.varsGroups($0.layer)) } ?? []
        },
        onnx: .timeDistributed)
}

extension ONNXEmitter {
    static let timeDistributed = ONNXEmitter.of(TimeDistributed<Float>.self) { e, wrapper, call in
        guard let inner = try? e.layer(wrapper.layer, [ONNXValue(name: call.x.name)]), inner.count == 1, !(wrapper.layer is RNN<Float>) else {
            throw e.fail(wrapper, "its inner layer has no per-step ONNX form here")
        }
        return call.same(inner[0].name)
    }
}
