import SwiftGRU

extension LayerDeclaration {
    static let add = LayerDeclaration(
        classNames: ["Add"],
        decode: { _, name, _ in Add<Float>(name: name) },
        matches: { $0 is Add<Float> },
        encode: { layer in layer is Add<Float> ? [:] : nil }, onnx: .add)
}

extension ONNXEmitter {
    static let add = ONNXEmitter.of(Add<Float>.self) { e, _, call in
        [ONNXValue(name: e.graph.op("Sum", call.inputs.map(\.name)), lengths: e.mergedLengths(call.inputs, keptByAll: true), paddingDiffers: call.paddingDiffers)]
    }
}
