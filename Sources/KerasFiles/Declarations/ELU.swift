import SwiftGRU

extension LayerDeclaration {
    static let elu = LayerDeclaration(
        classNames: ["ELU"],
        decode: { c, name, _ in ELU<Float>(alpha: Float(c["alpha"]?.double ?? 1), name: name) },
        matches: { $0 is ELU<Float> },
        encode: { layer in (layer as? ELU<Float>).map { ["alpha": .number(Double($0.alpha))] } }, onnx: .elu)
}

extension ONNXEmitter {
    static let elu = ONNXEmitter.of(ELU<Float>.self) { e, elu, call in
        call.same(e.graph.op("Elu", [call.x.name], [("alpha", .float(elu.alpha))]))
    }
}
