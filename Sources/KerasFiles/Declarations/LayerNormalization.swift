import SwiftGRU

extension LayerDeclaration {
    static let layerNormalization = LayerDeclaration(
        classNames: ["LayerNormalization"],
        decode: { c, name, decoder in
            let layer = try LayerNormalization<Float>(
                axis: decoder.axes(c["axis"], fallback: [-1]), epsilon: c["epsilon"]?.double ?? 0.001,
                center: c["center"]?.bool ?? true, scale: c["scale"]?.bool ?? true, rmsScaling: c["rms_scaling"]?.bool ?? false,
                name: name)
            layer.gammaInitializer = try decoder.initializer(c["gamma_initializer"], default: .ones, layer: name)
            layer.betaInitializer = try decoder.initializer(c["beta_initializer"], default: .zeros, layer: name)
            (layer.gammaRegularizer, layer.gammaConstraint) = try decoder.weightRules(c, "gamma", layer: name)
            (layer.betaRegularizer, layer.betaConstraint) = try decoder.weightRules(c, "beta", layer: name)
            return layer
        },
        matches: { $0 is LayerNormalization<Float> },
        encode: { layer in
            guard let norm = layer as? LayerNormalization<Float> else { return nil }
            var config: [String: JSONValue] = [
                "axis": norm.axis.count == 1 ? .integer(norm.axis[0]) : KerasConfigEncoder.integers(norm.axis), "epsilon": .number(norm.epsilon), "center": .bool(norm.center),
                "scale": .bool(norm.scale), "beta_initializer": KerasConfigEncoder.initializer(norm.betaInitializer),
                "gamma_initializer": KerasConfigEncoder.initializer(norm.gammaInitializer),
            ]
            if norm.rmsScaling { config["rms_scaling"] = true }
            return config.merging(KerasConfigEncoder.weightRules("gamma", norm.gammaRegularizer, norm.gammaConstraint)) { $1 }
                .merging(KerasConfigEncoder.weightRules("beta", norm.betaRegularizer, norm.betaConstraint)) { $1 }
        },
        onnx: .layerNormalization)
}

extension ONNXEmitter {
    static let layerNormalization = ONNXEmitter.of(LayerNormalization<Float>.self) { e, normalization, call in
        guard normalization.axis.count == 1, normalization.axis[0] == -1 || normalization.axis[0] == call.inputRank - 1, !normalization.rmsScaling else {
            throw e.fail(normalization, "only normalization over the last axis, without rms_scaling, is exported")
        }
        let weights = normalization.weights
        var rest = weights[...]
        let gamma = normalization.scale ? rest.popFirst() : nil, beta = normalization.center ? rest.popFirst() : nil
        guard let features = (gamma ?? beta)?.scalarCount else { throw e.fail(normalization, "export needs its scale or center") }
        let scale = e.graph.constant(gamma ?? Tensor(repeating: 1, shape: [features]), "ln_scale")
        var inputs = [call.x.name, scale]
        if let beta { inputs.append(e.graph.constant(beta, "ln_bias")) }
        return call.same(e.graph.op("LayerNormalization", inputs, [("axis", .int(-1)), ("epsilon", .float(Float(normalization.epsilon)))]))
    }
}
