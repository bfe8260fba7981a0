import SwiftGRU

extension LayerDeclaration {
    /// `SimpleRNN`.
    static let simpleRNN = recurrent("SimpleRNN", SimpleRNN<Float>.self, make: { c, name, decoder, o in
        SimpleRNN<Float>(
            cell: try decoder.simpleRNNCell(c, name: name),
            activityRegularizer: try decoder.regularizer(c["activity_regularizer"], layer: name), returnSequences: o.returnSequences, returnState: o.returnState,
            goBackwards: o.goBackwards, stateful: o.stateful, unroll: o.unroll, timeMajor: o.timeMajor, name: name)
    }, cellEntries: { layer in try KerasConfigEncoder.simpleRNNCellConfig(layer.simpleCell, name: layer.name) })
}

extension KerasConfigDecoder {
    /// A SimpleRNN cell from the cell arguments of a SimpleRNN or SimpleRNNCell configuration.
    func simpleRNNCell(_ c: KerasConfig, name: String) throws -> SimpleRNNCell<Float> {
        let p = try cellPenalties(c, name: name)
        return try SimpleRNNCell<Float>(
            units: c["units"]?.int ?? 0, activation: activation(c["activation"], layer: name),
            useBias: c["use_bias"]?.bool ?? true,
            kernelInitializer: initializer(c["kernel_initializer"], default: .glorotUniform(), layer: name),
            recurrentInitializer: initializer(c["recurrent_initializer"], default: .orthogonal(), layer: name),
            biasInitializer: initializer(c["bias_initializer"], default: .zeros, layer: name),
            kernelRegularizer: p.kernelRegularizer, recurrentRegularizer: p.recurrentRegularizer, biasRegularizer: p.biasRegularizer,
            kernelConstraint: p.kernelConstraint, recurrentConstraint: p.recurrentConstraint, biasConstraint: p.biasConstraint,
            dropout: c["dropout"]?.double ?? 0, recurrentDropout: c["recurrent_dropout"]?.double ?? 0, seed: seed(c))
    }
}

extension KerasConfigEncoder {
    static func simpleRNNCellConfig(_ cell: SimpleRNNCell<Float>, name: String) throws -> [String: JSONValue] {
        try denseCellEntries(
            cell, name: name, units: cell.units, activation: cell.activation, useBias: cell.useBias,
            initializers: (cell.kernelInitializer, cell.recurrentInitializer, cell.biasInitializer),
            dropout: cell.dropout, recurrentDropout: cell.recurrentDropout, seed: cell.seed)
    }
}

extension CellDeclaration {
    /// `SimpleRNNCell`: an ONNX `RNN` node.
    static let simpleRNNCell = CellDeclaration.of(
        "SimpleRNNCell", SimpleRNNCell<Float>.self,
        decode: { c, name, decoder in try decoder.simpleRNNCell(c, name: name) },
        encode: { cell, name in try KerasConfigEncoder.simpleRNNCellConfig(cell, name: name) },
        onnx: { cell in
            .node(try ONNXRecurrentNode(
                op: "RNN", hidden: cell.units, weights: cell.weights, activations: [cell.activation], bias: ONNXRecurrentNode.zeroRecurrentBias))
        })
}
