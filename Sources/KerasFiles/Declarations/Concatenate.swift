import SwiftGRU

extension LayerDeclaration {
    static let concatenate = LayerDeclaration(
        classNames: ["Concatenate"],
        decode: { c, name, _ in Concatenate<Float>(axis: c["axis"]?.int ?? -1, name: name) },
        matches: { $0 is Concatenate<Float> },
        encode: { layer in
            guard let concatenate = layer as? Concatenate<Float> else { return nil }
            return ["axis": .integer(concatenate.axis)]
        },
        onnx: .concatenate)
}

extension ONNXEmitter {
    static let concatenate = ONNXEmitter.of(Concatenate<Float>.self) { e, concatenate, call in
        call.merged(e.graph.op("Concat", call.inputs.map(\.name), [("axis", .int(concatenate.axis))]))
    }
}
