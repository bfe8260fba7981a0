import SwiftGRU

extension LayerDeclaration {
    /// `GroupNormalization` (no ONNX form yet: the exporter refuses it by name).
    static let groupNormalization = LayerDeclaration(
        classNames: ["GroupNormalization"],
        decode: { c, name, decoder in
            // One channel axis, as Keras' layer computes with; several are refused rather than read as the last.
            let axis = c["axis"].flatMap { $0.isNull ? nil : $0 }
            guard axis == nil || axis?.int != nil else {
                throw decoder.fail("layer '\(name)': GroupNormalization over the axes \(axis.map { "\($0)" } ?? "") is not supported; give one channel axis")
            }
            let layer = try GroupNormalization<Float>(
                groups: c["groups"]?.int ?? 32, axis: axis?.int ?? -1, epsilon: c["epsilon"]?.double ?? 0.001,
                center: c["center"]?.bool ?? true, scale: c["scale"]?.bool ?? true, name: name)
            layer.gammaInitializer = try decoder.initializer(c["gamma_initializer"], default: .ones, layer: name)
            layer.betaInitializer = try decoder.initializer(c["beta_initializer"], default: .zeros, layer: name)
            (layer.gammaRegularizer, layer.gammaConstraint) = try decoder.weightRules(c, "gamma", layer: name)
            (layer.betaRegularizer, layer.betaConstraint) = try decoder.weightRules(c, "beta", layer: name)
            return layer
        },
        matches: { $0 is GroupNormalization<Float> },
        encode: { layer in
            guard let norm = layer as? GroupNormalization<Float> else { return nil }
            let config: [String: JSONValue] = [
                "groups": .integer(norm.groups), "axis": .integer(norm.axis), "epsilon": .number(norm.epsilon),
                "center": .bool(norm.center), "scale": .bool(norm.scale),
                "beta_initializer": KerasConfigEncoder.initializer(norm.betaInitializer),
                "gamma_initializer": KerasConfigEncoder.initializer(norm.gammaInitializer),
            ]
            return config.merging(KerasConfigEncoder.weightRules("gamma", norm.gammaRegularizer, norm.gammaConstraint)) { $1 }
                .merging(KerasConfigEncoder.weightRules("beta", norm.betaRegularizer, norm.betaConstraint)) { $1 }
        })
}
