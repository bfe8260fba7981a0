import SwiftGRU

extension KerasLayerCodec {
    /// `LSTM`, for prediction (its regularizers and constraints, which only training reads,
    /// are not kept).
    static let lstm = KerasLayerCodec(
        classNames: ["LSTM"],
        decode: { c, name, decoder in
            let layer = LSTM<Float>(
                cell: try decoder.lstmCell(c, name: name),
                returnSequences: c["return_sequences"]?.bool ?? false, returnState: c["return_state"]?.bool ?? false,
                goBackwards: c["go_backwards"]?.bool ?? false, stateful: c["stateful"]?.bool ?? false,
                unroll: c["unroll"]?.bool ?? false, timeMajor: c["time_major"]?.bool ?? false, name: name)
            layer.zeroOutputForMask = c["zero_output_for_mask"]?.bool ?? false
            return layer
        },
        matches: { $0 is LSTM<Float> },
        encode: { layer in
            guard let lstm = layer as? LSTM<Float> else { return nil }
            guard !lstm.timeMajor else {
                throw FileFormatError("layer '\(lstm.name)': time_major is a tf.keras 2 argument that Keras 3 files cannot hold")
            }
            var c = try KerasConfigEncoder.lstmCellConfig(lstm.lstmCell, name: lstm.name)
            c.merge(KerasConfigEncoder.recurrentFlags(lstm)) { $1 }
            c["activity_regularizer"] = .null
            c["use_cudnn"] = "auto"
            return c
        },
        weightGroups: recurrentWeights)
}

extension KerasConfigDecoder {
    /// An LSTM cell from the cell arguments of an LSTM or LSTMCell configuration.
    func lstmCell(_ c: JSONValue, name: String) throws -> LSTMCell<Float> {
        try LSTMCell<Float>(
            units: c["units"]?.int ?? 0,
            activation: activation(c["activation"], layer: name),
            recurrentActivation: activation(c["recurrent_activation"], layer: name),
            useBias: c["use_bias"]?.bool ?? true,
            kernelInitializer: initializer(c["kernel_initializer"], default: .glorotUniform(), layer: name),
            recurrentInitializer: initializer(c["recurrent_initializer"], default: .orthogonal(), layer: name),
            biasInitializer: initializer(c["bias_initializer"], default: .zeros, layer: name),
            unitForgetBias: c["unit_forget_bias"]?.bool ?? true,
            dropout: c["dropout"]?.double ?? 0, recurrentDropout: c["recurrent_dropout"]?.double ?? 0, seed: seed(c))
    }
}

extension KerasConfigEncoder {
    static func lstmCellConfig(_ cell: LSTMCell<Float>, name: String) throws -> [String: JSONValue] {
        var c = base(name)
        c["units"] = .integer(cell.units)
        c["activation"] = try activation(cell.activation, layer: name)
        c["recurrent_activation"] = try activation(cell.recurrentActivation, layer: name)
        c["use_bias"] = .bool(cell.useBias)
        c["kernel_initializer"] = initializer(cell.kernelInitializer)
        c["recurrent_initializer"] = initializer(cell.recurrentInitializer)
        c["bias_initializer"] = initializer(cell.biasInitializer)
        c["unit_forget_bias"] = .bool(cell.unitForgetBias)
        for key in ["kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint"] {
            c[key] = .null
        }
        c["dropout"] = .number(cell.dropout)
        c["recurrent_dropout"] = .number(cell.recurrentDropout)
        c["seed"] = seed(cell.seed)
        return c
    }
}
