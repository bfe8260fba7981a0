import SwiftGRU

extension LayerDeclaration {
    static let softmax = LayerDeclaration(
        classNames: ["Softmax"],
        decode: { c, name, decoder in Softmax<Float>(axis: decoder.axes(c["axis"], fallback: [-1]), name: name) },
        matches: { $0 is Softmax<Float> },
        encode: { layer in
            guard let softmax = layer as? Softmax<Float> else { return nil }
            return ["axis": softmax.axis.count == 1 ? .integer(softmax.axis[0]) : KerasConfigEncoder.integers(softmax.axis)]
        },
        onnx: .softmax)
}

extension ONNXEmitter {
    static let softmax = ONNXEmitter.of(Softmax<Float>.self) { e, softmax, call in
        guard softmax.axis.count == 1, let axis = softmax.axis.first else { throw e.fail(softmax, "a softmax over several axes is not exported") }
        guard call.x.lengths == nil || axis != 1 else { throw e.fail(softmax, "a softmax over masked steps is not exported") }
        return call.same(e.graph.op("Softmax", [call.x.name], [("axis", .int(axis))]))
    }
}
