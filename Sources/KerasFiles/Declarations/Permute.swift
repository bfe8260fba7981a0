import SwiftGRU

extension LayerDeclaration {
    static let permute = LayerDeclaration(
        classNames: ["Permute"],
        decode: { c, name, _ in try Permute<Float>(dims: c["dims"]?.array?.compactMap(\.int) ?? [], name: name) },
        matches: { $0 is Permute<Float> },
        encode: { layer in (layer as? Permute<Float>).map { ["dims": KerasConfigEncoder.integers($0.dims)] } }, onnx: .permute)
}

extension ONNXEmitter {
    static let permute = ONNXEmitter.of(Permute<Float>.self) { e, permute, call in
        guard call.x.lengths == nil || permute.dims.first == 1 else { throw e.fail(permute, "it moves masked steps") }
        return [ONNXValue(name: e.graph.op("Transpose", [call.x.name], [("perm", .ints([0] + permute.dims))]), lengths: call.x.lengths, paddingDiffers: call.x.paddingDiffers)]
    }
}
