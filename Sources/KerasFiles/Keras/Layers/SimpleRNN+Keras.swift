import SwiftGRU

extension KerasLayerCodec {
    /// `SimpleRNN`, for prediction (its regularizers and constraints, which only training
    /// reads, are not kept).
    static let simpleRNN = recurrent("SimpleRNN", SimpleRNN<Float>.self, make: { c, name, decoder, o in
        SimpleRNN<Float>(
            cell: try decoder.simpleRNNCell(c, name: name), returnSequences: o.returnSequences, returnState: o.returnState,
            goBackwards: o.goBackwards, stateful: o.stateful, unroll: o.unroll, timeMajor: o.timeMajor, name: name)
    }, cellEntries: { layer in try KerasConfigEncoder.simpleRNNCellConfig(layer.simpleCell, name: layer.name) })
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
        try denseCellEntries(
            name: name, units: cell.units, activation: cell.activation, useBias: cell.useBias,
            initializers: (cell.kernelInitializer, cell.recurrentInitializer, cell.biasInitializer),
            dropout: cell.dropout, recurrentDropout: cell.recurrentDropout, seed: cell.seed)
    }
}
