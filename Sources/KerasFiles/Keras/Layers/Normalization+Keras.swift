import SwiftGRU

extension KerasLayerCodec {
    static let layerNormalization = KerasLayerCodec(
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
                "axis": KerasConfigEncoder.integers(norm.axis), "epsilon": .number(norm.epsilon), "center": .bool(norm.center),
                "scale": .bool(norm.scale), "beta_initializer": KerasConfigEncoder.initializer(norm.betaInitializer),
                "gamma_initializer": KerasConfigEncoder.initializer(norm.gammaInitializer),
            ]
            if norm.rmsScaling { config["rms_scaling"] = true }
            return config.merging(KerasConfigEncoder.weightRules("gamma", norm.gammaRegularizer, norm.gammaConstraint)) { $1 }
                .merging(KerasConfigEncoder.weightRules("beta", norm.betaRegularizer, norm.betaConstraint)) { $1 }
        })

    static let pReLU = KerasLayerCodec(
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
        })

    static let elu = KerasLayerCodec(
        classNames: ["ELU"],
        decode: { c, name, _ in ELU<Float>(alpha: Float(c["alpha"]?.double ?? 1), name: name) },
        matches: { $0 is ELU<Float> },
        encode: { layer in (layer as? ELU<Float>).map { ["alpha": .number(Double($0.alpha))] } })

    static let softmax = KerasLayerCodec(
        classNames: ["Softmax"],
        decode: { c, name, decoder in Softmax<Float>(axis: decoder.axes(c["axis"], fallback: [-1]), name: name) },
        matches: { $0 is Softmax<Float> },
        encode: { layer in
            guard let softmax = layer as? Softmax<Float> else { return nil }
            return ["axis": softmax.axis.count == 1 ? .integer(softmax.axis[0]) : KerasConfigEncoder.integers(softmax.axis)]
        })
}
