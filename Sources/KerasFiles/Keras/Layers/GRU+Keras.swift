import SwiftGRU

extension KerasLayerCodec {
    /// `GRU`, and `CuDNNGRU` from Keras 2 files (its weights are converted on loading).
    static let gru = KerasLayerCodec(
        classNames: ["GRU", "CuDNNGRU"],
        decode: { c, name, decoder in try decoder.gru(c, name: name) },
        matches: { $0 is GRU<Float> },
        encode: { layer in
            guard let gru = layer as? GRU<Float> else { return nil }
            let name = gru.name
            guard !gru.timeMajor else {
                throw FileFormatError("layer '\(name)': time_major is a tf.keras 2 argument that Keras 3 files cannot hold")
            }
            var c = try KerasConfigEncoder.cellConfig(gru.gruCell, name: name)
            c.merge(KerasConfigEncoder.recurrentFlags(gru)) { $1 }
            c["activity_regularizer"] = KerasConfigEncoder.regularizer(gru.activityRegularizer)
            switch gru.useCuDNN {
            case .auto: c["use_cudnn"] = "auto"
            case .enabled: c["use_cudnn"] = true
            case .disabled: c["use_cudnn"] = false
            }
            return c
        },
        weightGroups: recurrentWeights)
}

extension KerasConfigDecoder {
    func useCuDNN(_ value: JSONValue?) -> UseCuDNN {
        switch value {
        case .bool(true)?: .enabled
        case .bool(false)?: .disabled
        default: .auto
        }
    }

    func gru(_ c: JSONValue, name: String) throws -> GRU<Float> {
        let layer = GRU<Float>(
            cell: try gruCell(c, name: name),
            activityRegularizer: try regularizer(c["activity_regularizer"], layer: name),
            returnSequences: c["return_sequences"]?.bool ?? false, returnState: c["return_state"]?.bool ?? false,
            goBackwards: c["go_backwards"]?.bool ?? false, stateful: c["stateful"]?.bool ?? false,
            unroll: c["unroll"]?.bool ?? false, timeMajor: c["time_major"]?.bool ?? false,
            useCuDNN: useCuDNN(c["use_cudnn"]), name: name)
        layer.zeroOutputForMask = c["zero_output_for_mask"]?.bool ?? false
        return layer
    }

    /// A GRU cell from the cell arguments of a GRU or GRUCell configuration.
    func gruCell(_ c: JSONValue, name: String) throws -> GRUCell<Float> {
        try GRUCell<Float>(
            units: c["units"]?.int ?? 0,
            activation: activation(c["activation"], layer: name),
            recurrentActivation: activation(c["recurrent_activation"], layer: name),
            useBias: c["use_bias"]?.bool ?? true,
            kernelInitializer: initializer(c["kernel_initializer"], default: .glorotUniform(), layer: name),
            recurrentInitializer: initializer(c["recurrent_initializer"], default: .orthogonal(), layer: name),
            biasInitializer: initializer(c["bias_initializer"], default: .zeros, layer: name),
            kernelRegularizer: regularizer(c["kernel_regularizer"], layer: name),
            recurrentRegularizer: regularizer(c["recurrent_regularizer"], layer: name),
            biasRegularizer: regularizer(c["bias_regularizer"], layer: name),
            kernelConstraint: constraint(c["kernel_constraint"], layer: name),
            recurrentConstraint: constraint(c["recurrent_constraint"], layer: name),
            biasConstraint: constraint(c["bias_constraint"], layer: name),
            dropout: c["dropout"]?.double ?? 0, recurrentDropout: c["recurrent_dropout"]?.double ?? 0,
            seed: seed(c), resetAfter: c["reset_after"]?.bool ?? true)
    }
}

extension KerasConfigEncoder {
    static func cellConfig(_ cell: GRUCell<Float>, name: String) throws -> [String: JSONValue] {
        var c = base(name)
        c["units"] = .integer(cell.units)
        c["activation"] = try activation(cell.activation, layer: name)
        c["recurrent_activation"] = try activation(cell.recurrentActivation, layer: name)
        c["use_bias"] = .bool(cell.useBias)
        c["kernel_initializer"] = initializer(cell.kernelInitializer)
        c["recurrent_initializer"] = initializer(cell.recurrentInitializer)
        c["bias_initializer"] = initializer(cell.biasInitializer)
        c["kernel_regularizer"] = regularizer(cell.kernelRegularizer)
        c["recurrent_regularizer"] = regularizer(cell.recurrentRegularizer)
        c["bias_regularizer"] = regularizer(cell.biasRegularizer)
        c["kernel_constraint"] = constraint(cell.kernelConstraint)
        c["recurrent_constraint"] = constraint(cell.recurrentConstraint)
        c["bias_constraint"] = constraint(cell.biasConstraint)
        c["dropout"] = .number(cell.dropout)
        c["recurrent_dropout"] = .number(cell.recurrentDropout)
        c["reset_after"] = .bool(cell.resetAfter)
        c["seed"] = seed(cell.seed)
        return c
    }
}
