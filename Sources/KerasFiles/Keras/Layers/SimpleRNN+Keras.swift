import SwiftGRU

extension KerasLayerCodec {
    /// `SimpleRNN`, for prediction (its regularizers and constraints, which only training
    /// reads, are not kept).
    static let simpleRNN = KerasLayerCodec(
        classNames: ["SimpleRNN"],
        decode: { c, name, decoder in
            let layer = SimpleRNN<Float>(
                cell: try decoder.simpleRNNCell(c, name: name),
                returnSequences: c["return_sequences"]?.bool ?? false, returnState: c["return_state"]?.bool ?? false,
                goBackwards: c["go_backwards"]?.bool ?? false, stateful: c["stateful"]?.bool ?? false,
                unroll: c["unroll"]?.bool ?? false, timeMajor: c["time_major"]?.bool ?? false, name: name)
            layer.zeroOutputForMask = c["zero_output_for_mask"]?.bool ?? false
            return layer
        },
        matches: { $0 is SimpleRNN<Float> },
        encode: { layer in
            guard let rnn = layer as? SimpleRNN<Float> else { return nil }
            guard !rnn.timeMajor else {
                throw FileFormatError("layer '\(rnn.name)': time_major is a tf.keras 2 argument that Keras 3 files cannot hold")
            }
            var c = try KerasConfigEncoder.simpleRNNCellConfig(rnn.simpleCell, name: rnn.name)
            c.merge(KerasConfigEncoder.recurrentFlags(rnn)) { $1 }
            c["activity_regularizer"] = .null
            return c
        },
        weightGroups: recurrentWeights)
}

extension KerasConfigDecoder {
    /// A SimpleRNN cell from the cell arguments of a SimpleRNN or SimpleRNNCell configuration.
    func simpleRNNCell(_ c: JSONValue, name: String) throws -> SimpleRNNCell<Float> {
        try SimpleRNNCell<Float>(
            units: c["units"]?.int ?? 0, activation: activation(c["activation"], layer: name),
            useBias: c["use_bias"]?.bool ?? true,
            kernelInitializer: initializer(c["kernel_initializer"], default: .glorotUniform(), layer: name),
            recurrentInitializer: initializer(c["recurrent_initializer"], default: .orthogonal(), layer: name),
            biasInitializer: initializer(c["bias_initializer"], default: .zeros, layer: name),
            dropout: c["dropout"]?.double ?? 0, recurrentDropout: c["recurrent_dropout"]?.double ?? 0, seed: seed(c))
    }
}

extension KerasConfigEncoder {
    static func simpleRNNCellConfig(_ cell: SimpleRNNCell<Float>, name: String) throws -> [String: JSONValue] {
        var c = base(name)
        c["units"] = .integer(cell.units)
        c["activation"] = try activation(cell.activation, layer: name)
        c["use_bias"] = .bool(cell.useBias)
        c["kernel_initializer"] = initializer(cell.kernelInitializer)
        c["recurrent_initializer"] = initializer(cell.recurrentInitializer)
        c["bias_initializer"] = initializer(cell.biasInitializer)
        for key in ["kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint"] {
            c[key] = .null
        }
        c["dropout"] = .number(cell.dropout)
        c["recurrent_dropout"] = .number(cell.recurrentDropout)
        c["seed"] = seed(cell.seed)
        return c
    }
}
