import SwiftGRU

extension LayerDeclaration {
    static let reLU = LayerDeclaration(
        classNames: ["ReLU"],
        decode: { c, name, _ in
            try ReLU<Float>(
                maxValue: c["max_value"]?.double.map { Float($0) }, negativeSlope: Float(c["negative_slope"]?.double ?? 0),
                threshold: Float(c["threshold"]?.double ?? 0), name: name)
        },
        matches: { $0 is ReLU<Float> && !($0 is LeakyReLU<Float>) },
        encode: { layer in
            guard let relu = layer as? ReLU<Float> else { return nil }
            return [
                "max_value": relu.maxValue.map { .number(Double($0)) } ?? .null,
                "negative_slope": .number(Double(relu.negativeSlope)), "threshold": .number(Double(relu.threshold)),
            ]
        },
        onnx: .reLU)
}

extension ONNXEmitter {
    static let reLU = ONNXEmitter.of(ReLU<Float>.self) { e, relu, call in
        guard relu.threshold == 0 else { throw e.fail(relu, "a threshold has no ONNX operator here") }
        var y = relu.negativeSlope == 0 ? e.graph.op("Relu", [call.x.name]) : e.graph.op("LeakyRelu", [call.x.name], [("alpha", .float(relu.negativeSlope))])
        if let maxValue = relu.maxValue { y = e.graph.op("Min", [y, e.graph.constant(Tensor(repeating: maxValue, shape: []), "max_value")]) }
        return call.same(y)
    }
}
