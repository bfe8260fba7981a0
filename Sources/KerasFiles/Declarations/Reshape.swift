import SwiftGRU

extension LayerDeclaration {
    static let reshape = LayerDeclaration(
        classNames: ["Reshape"],
        decode: { c, name, _ in try Reshape<Float>(targetShape: c["target_shape"]?.array?.compactMap(\.int) ?? [], name: name) },
        matches: { $0 is Reshape<Float> },
        encode: { layer in (layer as? Reshape<Float>).map { ["target_shape": KerasConfigEncoder.integers($0.targetShape)] } }, onnx: .reshape)
}

extension ONNXEmitter {
    static let reshape = ONNXEmitter.of(Reshape<Float>.self) { e, reshape, call in
        [ONNXValue(name: e.graph.op("Reshape", [call.x.name, e.graph.int64s([0] + reshape.targetShape, "shape")]))]
    }
}
