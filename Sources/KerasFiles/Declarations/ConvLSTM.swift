import SwiftGRU

extension LayerDeclaration {
    /// `ConvLSTM1D`, `ConvLSTM2D` and `ConvLSTM3D`: the cell's arguments, the data format and
    /// the RNN's flags in one configuration, weights under `cell/` as every recurrent layer's.
    /// ONNX has no convolutional LSTM node: the exporter refuses it by name.
    static func convLSTM(rank: Int) -> LayerDeclaration {
        recurrent("ConvLSTM\(rank)D", ConvLSTM<Float>.self, make: { c, name, decoder, o in
            guard !o.timeMajor else { throw decoder.fail("layer '\(name)': a ConvLSTM\(rank)D has no time_major") }
            let ones = Array(repeating: 1, count: rank)
            let p = try decoder.cellPenalties(c, name: name)
            let cell = try ConvLSTMCell<Float>(
                filters: c["filters"]?.int ?? 0,
                kernelSize: decoder.integers(c["kernel_size"], count: rank, fallback: [], "kernel_size", layer: name),
                strides: decoder.integers(c["strides"], count: rank, fallback: ones, "strides", layer: name),
                padding: decoder.padding(c["padding"], layer: name),
                dilationRate: decoder.integers(c["dilation_rate"], count: rank, fallback: ones, "dilation_rate", layer: name),
                activation: decoder.activation(c["activation"], layer: name),
                recurrentActivation: decoder.activation(c["recurrent_activation"], layer: name),
                useBias: c["use_bias"]?.bool ?? true,
                kernelInitializer: decoder.initializer(c["kernel_initializer"], default: .glorotUniform(), layer: name),
                recurrentInitializer: decoder.initializer(c["recurrent_initializer"], default: .orthogonal(), layer: name),
                biasInitializer: decoder.initializer(c["bias_initializer"], default: .zeros, layer: name),
                unitForgetBias: c["unit_forget_bias"]?.bool ?? true,
                kernelRegularizer: p.kernelRegularizer, recurrentRegularizer: p.recurrentRegularizer, biasRegularizer: p.biasRegularizer,
                kernelConstraint: p.kernelConstraint, recurrentConstraint: p.recurrentConstraint, biasConstraint: p.biasConstraint,
                dropout: c["dropout"]?.double ?? 0, recurrentDropout: c["recurrent_dropout"]?.double ?? 0, seed: decoder.seed(c))
            let type: ConvLSTM<Float>.Type = rank == 1 ? ConvLSTM1D<Float>.self : rank == 2 ? ConvLSTM2D<Float>.self : ConvLSTM3D<Float>.self
            return type.init(
                cell: cell, dataFormat: try decoder.dataFormat(c["data_format"], layer: name),
                activityRegularizer: try decoder.regularizer(c["activity_regularizer"], layer: name),
                returnSequences: o.returnSequences, returnState: o.returnState, goBackwards: o.goBackwards, stateful: o.stateful,
                unroll: o.unroll, name: name)
        }, cellEntries: { layer in
            let cell = layer.convLSTMCell
            var c = KerasConfigEncoder.base(layer.name)
            c["filters"] = .integer(cell.filters)
            c["kernel_size"] = KerasConfigEncoder.integers(cell.kernelSize)
            c["strides"] = KerasConfigEncoder.integers(cell.strides)
            c["padding"] = .string(cell.padding.rawValue)
            c["data_format"] = .string(layer.dataFormat.rawValue)
            c["dilation_rate"] = KerasConfigEncoder.integers(cell.dilationRate)
            c["activation"] = try KerasConfigEncoder.activation(cell.activation, layer: layer.name)
            c["recurrent_activation"] = try KerasConfigEncoder.activation(cell.recurrentActivation, layer: layer.name)
            c["use_bias"] = .bool(cell.useBias)
            c["kernel_initializer"] = KerasConfigEncoder.initializer(cell.kernelInitializer)
            c["recurrent_initializer"] = KerasConfigEncoder.initializer(cell.recurrentInitializer)
            c["bias_initializer"] = KerasConfigEncoder.initializer(cell.biasInitializer)
            c["unit_forget_bias"] = .bool(cell.unitForgetBias)
            c.merge(KerasConfigEncoder.penaltyEntries(cell)) { $1 }
            c["dropout"] = .number(cell.dropout)
            c["recurrent_dropout"] = .number(cell.recurrentDropout)
            c["seed"] = KerasConfigEncoder.seed(cell.seed)
            return c
        }, matches: { ($0 as? ConvLSTM<Float>)?.spatialRank == rank }, onnx: nil)
    }
}
