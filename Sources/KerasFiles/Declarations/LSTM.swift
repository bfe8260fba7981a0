import SwiftGRU

extension LayerDeclaration {
    /// `LSTM`.
    static let lstm = recurrent("LSTM", LSTM<Float>.self, make: { c, name, decoder, o in
        LSTM<Float>(
            cell: try decoder.lstmCell(c, name: name), activityRegularizer: try decoder.regularizer(c["activity_regularizer"], layer: name),
            returnSequences: o.returnSequences, returnState: o.returnState,
            goBackwards: o.goBackwards, stateful: o.stateful, unroll: o.unroll, timeMajor: o.timeMajor, name: name)
    }, cellEntries: { layer in
        try KerasConfigEncoder.lstmCellConfig(layer.lstmCell, name: layer.name)
    })

    /// `CuDNNLSTM` (Keras 2 files trained on GPUs) is read as the LSTM it computes (tanh and
    /// sigmoid); its weights, in cuDNN's layout, are converted when loaded (``CuDNNWeights``).
    static let cuDNNLSTM = LayerDeclaration(
        classNames: ["CuDNNLSTM"],
        decode: { c, name, decoder in
            decoder.notes.cuDNNLayers.append(name)
            return try LayerDeclaration.lstm.decode(c.setting("activation", to: "tanh").setting("recurrent_activation", to: "sigmoid"), name, decoder)
        },
        matches: { _ in false },
        encode: { _ in nil })
}

extension KerasConfigDecoder {
    /// An LSTM cell from the cell arguments of an LSTM or LSTMCell configuration.
    func lstmCell(_ c: KerasConfig, name: String) throws -> LSTMCell<Float> {
        let p = try cellPenalties(c, name: name)
        return try LSTMCell<Float>(
            units: c["units"]?.int ?? 0,
            activation: activation(c["activation"], layer: name),
            recurrentActivation: activation(c["recurrent_activation"], layer: name),
            useBias: c["use_bias"]?.bool ?? true,
            kernelInitializer: initializer(c["kernel_initializer"], default: .glorotUniform(), layer: name),
            recurrentInitializer: initializer(c["recurrent_initializer"], default: .orthogonal(), layer: name),
            biasInitializer: initializer(c["bias_initializer"], default: .zeros, layer: name),
            unitForgetBias: c["unit_forget_bias"]?.bool ?? true,
            kernelRegularizer: p.kernelRegularizer, recurrentRegularizer: p.recurrentRegularizer, biasRegularizer: p.biasRegularizer,
            kernelConstraint: p.kernelConstraint, recurrentConstraint: p.recurrentConstraint, biasConstraint: p.biasConstraint,
            dropout: c["dropout"]?.double ?? 0, recurrentDropout: c["recurrent_dropout"]?.double ?? 0, seed: seed(c))
    }
}

extension KerasConfigEncoder {
    static func lstmCellConfig(_ cell: LSTMCell<Float>, name: String) throws -> [String: JSONValue] {
        var c = try denseCellEntries(
            cell, name: name, units: cell.units, activation: cell.activation, useBias: cell.useBias,
            initializers: (cell.kernelInitializer, cell.recurrentInitializer, cell.biasInitializer),
            dropout: cell.dropout, recurrentDropout: cell.recurrentDropout, seed: cell.seed)
        c["recurrent_activation"] = try activation(cell.recurrentActivation, layer: name)
        c["unit_forget_bias"] = .bool(cell.unitForgetBias)
        return c
    }
}

extension CellDeclaration {
    /// `LSTMCell`: an ONNX `LSTM` node, Keras' gates i, f, c, o as ONNX's i, o, f, c.
    static let lstmCell = CellDeclaration.of(
        "LSTMCell", LSTMCell<Float>.self,
        decode: { c, name, decoder in try decoder.lstmCell(c, name: name) },
        encode: { cell, name in try KerasConfigEncoder.lstmCellConfig(cell, name: name) },
        onnx: { cell in
            .node(try ONNXRecurrentNode(
                op: "LSTM", hidden: cell.units, weights: cell.weights, order: [0, 3, 1, 2],
                activations: [cell.recurrentActivation, cell.activation, cell.activation], bias: ONNXRecurrentNode.zeroRecurrentBias))
        })
}
