import SwiftGRU

extension LayerDeclaration {
    static let masking = LayerDeclaration(
        classNames: ["Masking"],
        decode: { c, name, _ in Masking<Float>(maskValue: Float(c["mask_value"]?.double ?? 0), name: name) },
        matches: { $0 is Masking<Float> },
        encode: { layer in
            guard let masking = layer as? Masking<Float> else { return nil }
            return ["mask_value": .number(Double(masking.maskValue))]
        },
        onnx: .masking)
}

extension ONNXEmitter {
    static let masking = ONNXEmitter.of(Masking<Float>.self) { e, masking, call in
        let value = e.graph.constant(Tensor(repeating: masking.maskValue, shape: []), "mask_value")
        let differs = e.graph.op("Cast", [e.graph.op("Not", [e.graph.op("Equal", [call.x.name, value])])], [("to", .int(1))])
        let kept = e.graph.op("ReduceMax", [differs], [("axes", .ints([-1])), ("keepdims", .int(0))])
        let output = e.graph.op("Mul", [call.x.name, e.graph.op("Unsqueeze", [kept, e.graph.int64s([-1])])])
        return [ONNXValue(name: output, lengths: e.mask(from: kept))]
    }
}
