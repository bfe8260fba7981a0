import SwiftGRU

extension LayerDeclaration {
    static let pReLU = LayerDeclaration(
        classNames: ["PReLU"],
        decode: { c, name, decoder in
            let layer = PReLU<Float>(
                alphaInitializer: try decoder.initializer(c["alpha_initializer"], default: .zeros, layer: name),
                sharedAxes: decoder.axes(c["shared_axes"], fallback: []), name: name)
            (layer.alphaRegularizer, layer.alphaConstraint) = try decoder.weightRules(c, "alpha", layer: name)
            return layer
        },
        matches: { $0 is PReLU<Float> },
        encode: { layer in
            guard let prelu = layer as? PReLU<Float> else { return nil }
            let config: [String: JSONValue] = [
                "alpha_initializer": KerasConfigEncoder.initializer(prelu.alphaInitializer),
                "shared_axes": prelu.sharedAxes.isEmpty ? .null : KerasConfigEncoder.integers(prelu.sharedAxes),
            ]
            return config.merging(KerasConfigEncoder.weightRules("alpha", prelu.alphaRegularizer, prelu.alphaConstraint)) { $1 }
        },
        onnx: .pReLU)
}

extension ONNXEmitter {
    static let pReLU = ONNXEmitter.of(PReLU<Float>.self) { e, prelu, call in
        guard let alpha = prelu.alpha else { throw e.fail(prelu, "it is not built") }
        return call.same(e.graph.op("PRelu", [call.x.name, e.graph.constant(alpha, "alpha")]))
    }
}
