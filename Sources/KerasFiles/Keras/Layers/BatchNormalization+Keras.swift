import SwiftGRU

extension KerasLayerCodec {
    /// `BatchNormalization` over the last axis; Keras 2 may write the axis as a list.
    static let batchNormalization = KerasLayerCodec(
        classNames: ["BatchNormalization"],
        decode: { c, name, decoder in
            let axis = c["axis"]?.int ?? c["axis"]?.array?.first?.int ?? -1
            if let axes = c["axis"]?.array, axes.count != 1 {
                throw decoder.fail("layer '\(name)': BatchNormalization over \(axes.count) axes is not supported")
            }
            return try BatchNormalization<Float>(
                axis: axis, momentum: c["momentum"]?.double ?? 0.99, epsilon: c["epsilon"]?.double ?? 0.001,
                center: c["center"]?.bool ?? true, scale: c["scale"]?.bool ?? true, name: name)
        },
        matches: { $0 is BatchNormalization<Float> },
        encode: { layer in
            guard let norm = layer as? BatchNormalization<Float> else { return nil }
            return [
                "axis": .integer(norm.axis), "momentum": .number(norm.momentum), "epsilon": .number(norm.epsilon),
                "center": .bool(norm.center), "scale": .bool(norm.scale),
                "beta_initializer": KerasConfigEncoder.initializer(.zeros), "gamma_initializer": KerasConfigEncoder.initializer(.ones),
                "moving_mean_initializer": KerasConfigEncoder.initializer(.zeros),
                "moving_variance_initializer": KerasConfigEncoder.initializer(.ones),
                "beta_regularizer": .null, "gamma_regularizer": .null, "beta_constraint": .null, "gamma_constraint": .null,
                "synchronized": false,
            ]
        })
}
