import SwiftGRU

extension LayerDeclaration {
    static let unitNormalization = LayerDeclaration(
        classNames: ["UnitNormalization"],
        decode: { c, name, decoder in UnitNormalization<Float>(axis: decoder.axes(c["axis"], fallback: [-1]), name: name) },
        matches: { $0 is UnitNormalization<Float> },
        encode: { layer in
            guard let unit = layer as? UnitNormalization<Float> else { return nil }
            return ["axis": unit.axis.count == 1 ? .integer(unit.axis[0]) : KerasConfigEncoder.integers(unit.axis)]
        },
        onnx: .unitNormalization)
}

extension ONNXEmitter {
    /// `x * min(1 / sqrt(sum(x²)), 1e12)`, as Keras' `normalize`.
    static let unitNormalization = ONNXEmitter.of(UnitNormalization<Float>.self) { e, layer, call in
        let squares = e.graph.op("ReduceSum", [e.graph.op("Mul", [call.x.name, call.x.name]), e.graph.int64s(layer.axis)], [("keepdims", .int(1))])
        let one = e.graph.constant(Tensor(repeating: 1, shape: []), "one")
        let inverse = e.graph.op("Div", [one, e.graph.op("Sqrt", [squares])])
        let bounded = e.graph.op("Min", [inverse, e.graph.constant(Tensor(repeating: 1e12, shape: []), "bound")])
        return call.same(e.graph.op("Mul", [call.x.name, bounded]))
    }
}
