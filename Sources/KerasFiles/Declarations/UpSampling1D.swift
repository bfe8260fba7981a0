import SwiftGRU

extension LayerDeclaration {
    static let upSampling1D = LayerDeclaration(
        classNames: ["UpSampling1D"],
        decode: { c, name, _ in try UpSampling1D<Float>(size: c["size"]?.int ?? 2, name: name) },
        matches: { $0 is UpSampling1D<Float> },
        encode: { layer in (layer as? UpSampling1D<Float>).map { ["size": .integer($0.size)] } }, onnx: .upSampling1D)
}

extension ONNXEmitter {
    static let upSampling1D = ONNXEmitter.of(UpSampling1D<Float>.self) { e, upsampling, call in
        guard call.x.lengths == nil else { throw e.fail(upsampling, "upsampling masked steps is not exported") }
        // Each step repeated `size` times: (batch, steps, 1, features) tiled, then the two axes joined.
        let tiled = e.graph.op("Tile", [e.graph.op("Unsqueeze", [call.x.name, e.graph.int64s([2])]), e.graph.int64s([1, 1, upsampling.size, 1])])
        let features = e.graph.op("Slice", [e.graph.op("Shape", [call.x.name]), e.graph.int64s([2]), e.graph.int64s([3])])
        let shape = e.graph.op("Concat", [e.graph.int64s([0, -1], "shape"), features], [("axis", .int(0))])
        return [ONNXValue(name: e.graph.op("Reshape", [tiled, shape]))]
    }
}
