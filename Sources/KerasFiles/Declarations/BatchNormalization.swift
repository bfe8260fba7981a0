import SwiftGRU

extension LayerDeclaration {
    /// `BatchNormalization` over the last axis; Keras 2 may write the axis as a list.
    static let batchNormalization = LayerDeclaration(
        classNames: ["BatchNormalization"],
        decode: { c, name, decoder in
            let axis = c["axis"]?.int ?? c["axis"]?.array?.first?.int ?? -1
            if let axes = c["axis"]?.array, axes.count != 1 {
                throw decoder.fail("layer '\(name)': BatchNormalization over \(axes.count) axes is not supported")
            }
            let layer = try BatchNormalization<Float>(
                axis: axis, momentum: c["momentum"]?.double ?? 0.99, epsilon: c["epsilon"]?.double ?? 0.001,
                center: c["center"]?.bool ?? true, scale: c["scale"]?.bool ?? true, name: name)
            // tf.keras 2's batch renormalization and virtual batches change training only.
            if c["renorm"]?.bool == true {
                _ = (c["renorm_clipping"], c["renorm_momentum"])
                decoder.notes.trainingRefusals.append("layer '\(name)' (BatchNormalization) uses batch renormalization (renorm), which training here does not apply")
            }
            if let virtual = c["virtual_batch_size"], !virtual.isNull {
                decoder.notes.trainingRefusals.append("layer '\(name)' (BatchNormalization) has virtual_batch_size \(virtual), which training here does not apply")
            }
            layer.gammaInitializer = try decoder.initializer(c["gamma_initializer"], default: .ones, layer: name)
            layer.betaInitializer = try decoder.initializer(c["beta_initializer"], default: .zeros, layer: name)
            layer.movingMeanInitializer = try decoder.initializer(c["moving_mean_initializer"], default: .zeros, layer: name)
            layer.movingVarianceInitializer = try decoder.initializer(c["moving_variance_initializer"], default: .ones, layer: name)
            (layer.gammaRegularizer, layer.gammaConstraint) = try decoder.weightRules(c, "gamma", layer: name)
            (layer.betaRegularizer, layer.betaConstraint) = try decoder.weightRules(c, "beta", layer: name)
            return layer
        },
        matches: { $0 is BatchNormalization<Float> },
        encode: { layer in
            guard let norm = layer as? BatchNormalization<Float> else { return nil }
            let config: [String: JSONValue] = [
                "axis": .integer(norm.axis), "momentum": .number(norm.momentum), "epsilon": .number(norm.epsilon),
                "center": .bool(norm.center), "scale": .bool(norm.scale),
                "beta_initializer": KerasConfigEncoder.initializer(norm.betaInitializer),
                "gamma_initializer": KerasConfigEncoder.initializer(norm.gammaInitializer),
                "moving_mean_initializer": KerasConfigEncoder.initializer(norm.movingMeanInitializer),
                "moving_variance_initializer": KerasConfigEncoder.initializer(norm.movingVarianceInitializer),
                "synchronized": false,
            ]
            return config.merging(KerasConfigEncoder.weightRules("gamma", norm.gammaRegularizer, norm.gammaConstraint)) { $1 }
                .merging(KerasConfigEncoder.weightRules("beta", norm.betaRegularizer, norm.betaConstraint)) { $1 }
        },
        // `synchronized` shares the batch statistics across replicas, one process computes the same;
        // `fused` picks tf.keras 2's kernel; `renorm_clipping` and `renorm_momentum` act only with renorm.
        inertKeys: ["synchronized", "fused", "renorm_clipping", "renorm_momentum"], onnx: .batchNormalization)
}

extension ONNXEmitter {
    static let batchNormalization = ONNXEmitter.of(BatchNormalization<Float>.self) { e, normalization, call in
        guard normalization.axis == -1 || normalization.axis == call.inputRank - 1 else {
            throw e.fail(normalization, "only normalization over the last axis is exported")
        }
        let weights = normalization.weights
        var rest = weights[...]
        let gamma = normalization.scale ? rest.popFirst() : nil, beta = normalization.center ? rest.popFirst() : nil
        guard let mean = rest.popFirst(), let variance = rest.popFirst() else { throw e.fail(normalization, "it is not built") }
        let factor = (0..<mean.scalarCount).map { (gamma?.scalars[$0] ?? 1) / (variance.scalars[$0] + Float(normalization.epsilon)).squareRoot() }
        let shift = (0..<mean.scalarCount).map { (beta?.scalars[$0] ?? 0) - mean.scalars[$0] * factor[$0] }
        let scaled = e.graph.op("Mul", [call.x.name, e.graph.constant(try Tensor(shape: [factor.count], scalars: factor), "bn_scale")])
        return call.same(e.graph.op("Add", [scaled, e.graph.constant(try Tensor(shape: [shift.count], scalars: shift), "bn_shift")]))
    }
}
