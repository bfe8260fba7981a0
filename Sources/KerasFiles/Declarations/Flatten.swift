import SwiftGRU

extension LayerDeclaration {
    static let flatten = LayerDeclaration(
        classNames: ["Flatten"],
        decode: { c, name, decoder in Flatten<Float>(dataFormat: try decoder.dataFormat(c["data_format"], layer: name), name: name) },
        matches: { $0 is Flatten<Float> },
        encode: { layer in (layer as? Flatten<Float>).map { ["data_format": .string($0.dataFormat.rawValue)] } }, onnx: .flatten)
}

extension ONNXEmitter {
    static let flatten = ONNXEmitter.of(Flatten<Float>.self) { e, _, call in
        [ONNXValue(name: e.graph.op("Flatten", [call.x.name], [("axis", .int(1))]))]
    }
}
