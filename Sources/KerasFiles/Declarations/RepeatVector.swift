import SwiftGRU

extension LayerDeclaration {
    static let repeatVector = LayerDeclaration(
        classNames: ["RepeatVector"],
        decode: { c, name, _ in try RepeatVector<Float>(n: c["n"]?.int ?? 0, name: name) },
        matches: { $0 is RepeatVector<Float> },
        encode: { layer in (layer as? RepeatVector<Float>).map { ["n": .integer($0.n)] } }, onnx: .repeatVector)
}

extension ONNXEmitter {
    static let repeatVector = ONNXEmitter.of(RepeatVector<Float>.self) { e, repeated, call in
        let expanded = e.graph.op("Unsqueeze", [call.x.name, e.graph.int64s([1])])
        return [ONNXValue(name: e.graph.op("Tile", [expanded, e.graph.int64s([1, repeated.n, 1])]))]
    }
}
