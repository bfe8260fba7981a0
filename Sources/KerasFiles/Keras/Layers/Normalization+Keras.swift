import SwiftGRU

extension KerasLayerCodec {
    static let layerNormalization = KerasLayerCodec(
        classNames: ["LayerNormalization"],
        decode: { c, name, decoder in
            try LayerNormalization<Float>(
                axis: decoder.axes(c["axis"], fallback: [-1]), epsilon: c["epsilon"]?.double ?? 0.001,
                center: c["center"]?.bool ?? true, scale: c["scale"]?.bool ?? true, rmsScaling: c["rms_scaling"]?.bool ?? false,
                name: name)
        },
        matches: { $0 is LayerNormalization<Float> },
        encode: { layer in
            guard let norm = layer as? LayerNormalization<Float> else { return nil }
            var config: [String: JSONValue] = [
                "axis": KerasConfigEncoder.integers(norm.axis), "epsilon": .number(norm.epsilon), "center": .bool(norm.center),
                "scale": .bool(norm.scale), "beta_initializer": KerasConfigEncoder.initializer(.zeros),
                "gamma_initializer": KerasConfigEncoder.initializer(.ones), "beta_regularizer": .null, "gamma_regularizer": .null,
                "beta_constraint": .null, "gamma_constraint": .null,
            ]
            if norm.rmsScaling { config["rms_scaling"] = true }
            return config
        })

    static let pReLU = KerasLayerCodec(
        classNames: ["PReLU"],
        decode: { c, name, decoder in
            PReLU<Float>(
                alphaInitializer: try decoder.initializer(c["alpha_initializer"], default: .zeros, layer: name),
                sharedAxes: decoder.axes(c["shared_axes"], fallback: []), name: name)
        },
        matches: { $0 is PReLU<Float> },
        encode: { layer in
            guard let prelu = layer as? PReLU<Float> else { return nil }
            return [
                "alpha_initializer": KerasConfigEncoder.initializer(prelu.alphaInitializer), "alpha_regularizer": .null,
                "alpha_constraint": .null, "shared_axes": prelu.sharedAxes.isEmpty ? .null : KerasConfigEncoder.integers(prelu.sharedAxes),
            ]
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
