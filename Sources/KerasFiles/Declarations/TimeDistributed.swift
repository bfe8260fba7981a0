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
    /// Keras runs the inner layer on `(batch * steps, ...)`: the same here, the two leading axes
    /// joined before it and split after it, whatever the inner layer does to the others.
    static let timeDistributed = ONNXEmitter.of(TimeDistributed<Float>.self) { e, wrapper, call in
        guard call.inputRank >= 3 else { throw e.fail(wrapper, "it needs (batch, steps, ...) inputs") }
        let end = e.graph.int64s([Int(Int64.max)], "end")
        let shape = e.graph.op("Shape", [call.x.name])
        let leading = e.graph.op("Slice", [shape, e.graph.int64s([0], "start"), e.graph.int64s([2], "stop")])
        let rest = e.graph.op("Slice", [shape, e.graph.int64s([2], "start"), end])
        let joined = e.graph.op("Reshape", [call.x.name, e.graph.op("Concat", [e.graph.int64s([-1], "rows"), rest], [("axis", .int(0))])])
        let inner: [ONNXValue]
        do {
            inner = try e.layer(wrapper.layer, [ONNXValue(name: joined)], inputRank: call.inputRank - 1)
        } catch let error as FileFormatError {
            throw e.fail(wrapper, "its inner layer: \(error.message)")
        }
        guard inner.count == 1 else { throw e.fail(wrapper, "its inner layer has \(inner.count) outputs; TimeDistributed takes one") }
        let innerRest = e.graph.op("Slice", [e.graph.op("Shape", [inner[0].name]), e.graph.int64s([1], "start"), end])
        return call.same(e.graph.op("Reshape", [inner[0].name, e.graph.op("Concat", [leading, innerRest], [("axis", .int(0))])]))
    }
}
