import SwiftGRU

extension LayerDeclaration {
    static let cropping1D = LayerDeclaration(
        classNames: ["Cropping1D"],
        decode: { c, name, decoder in try Cropping1D<Float>(cropping: decoder.pair(c["cropping"], fallback: (1, 1), "cropping", layer: name), name: name) },
        matches: { $0 is Cropping1D<Float> },
        encode: { layer in (layer as? Cropping1D<Float>).map { ["cropping": [.integer($0.cropping.start), .integer($0.cropping.end)]] } }, onnx: .cropping1D)
}

extension ONNXEmitter {
    static let cropping1D = ONNXEmitter.of(Cropping1D<Float>.self) { e, cropping, call in
        guard call.x.lengths == nil else { throw e.fail(cropping, "cropping masked steps is not exported") }
        let end = cropping.cropping.end == 0 ? Int(Int64.max) : -cropping.cropping.end
        return [ONNXValue(name: e.graph.op("Slice", [call.x.name, e.graph.int64s([cropping.cropping.start]), e.graph.int64s([end]), e.graph.int64s([1])]))]
    }
}
