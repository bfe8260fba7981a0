import SwiftGRU

extension KerasLayerCodec {
    /// `RNN` over a `GRUCell` or `StackedRNNCells`.
    static let rnn = KerasLayerCodec(
        classNames: ["RNN"],
        decode: { c, name, decoder in
            guard let cell = c["cell"] else { throw decoder.fail("layer '\(name)': RNN without a cell") }
            return RNN<Float>(
                cell: try decoder.cell(cell, layer: name),
                returnSequences: c["return_sequences"]?.bool ?? false, returnState: c["return_state"]?.bool ?? false,
                goBackwards: c["go_backwards"]?.bool ?? false, stateful: c["stateful"]?.bool ?? false,
                unroll: c["unroll"]?.bool ?? false, timeMajor: c["time_major"]?.bool ?? false,
                zeroOutputForMask: c["zero_output_for_mask"]?.bool ?? false, name: name)
        },
        matches: { $0 is RNN<Float> },
        encode: { layer in
            guard let rnn = layer as? RNN<Float> else { return nil }
            guard !rnn.timeMajor else {
                throw FileFormatError("layer '\(rnn.name)': time_major is a tf.keras 2 argument that Keras 3 files cannot hold")
            }
            var c = KerasConfigEncoder.recurrentFlags(rnn)
            c["cell"] = try KerasConfigEncoder.cell(rnn.cell, name: rnn.name + "_cell")
            return c
        },
        weightGroups: recurrentWeights)
}

extension KerasLayerCodec {
    /// A recurrent layer's weights: its cell's, under `cell/`.
    @Sendable static func recurrentWeights(_ layer: any Layer<Float>) -> WeightGroups {
        (layer as? RNN<Float>).map { KerasWeightLayout.cellGroups($0.cell, prefix: "cell") } ?? []
    }
}

extension KerasConfigDecoder {
    func cell(_ object: JSONValue, layer: String) throws -> any RecurrentCell<Float> {
        let c = object["config"] ?? .null
        switch object["class_name"]?.string {
        case "GRUCell":
            return try GRUCell(gruCellConfiguration(c, name: c["name"]?.string ?? layer))
        case "LSTMCell":
            return try lstmCell(c, name: c["name"]?.string ?? layer)
        case "SimpleRNNCell":
            return try simpleRNNCell(c, name: c["name"]?.string ?? layer)
        case "StackedRNNCells":
            let cells = try (c["cells"]?.array ?? []).map { try cell($0, layer: layer) }
            return try StackedRNNCells(cells)
        case let other:
            throw fail("layer '\(layer)': unsupported RNN cell '\(other ?? "?")'; supported: GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells")
        }
    }
}

extension KerasConfigEncoder {
    static func cell(_ cell: any RecurrentCell<Float>, name: String) throws -> JSONValue {
        switch cell {
        case let gru as GRUCell<Float>:
            return object("keras.layers", "GRUCell", .object(try cellConfig(gru, name: name)))
        case let lstm as LSTMCell<Float>:
            return object("keras.layers", "LSTMCell", .object(try lstmCellConfig(lstm, name: name)))
        case let simple as SimpleRNNCell<Float>:
            return object("keras.layers", "SimpleRNNCell", .object(try simpleRNNCellConfig(simple, name: name)))
        case let stacked as StackedRNNCells<Float>:
            let names = UniqueName.make(stacked.cells.map { _ in name + "_cell" })
            var c = base(name)
            c["cells"] = .array(try zip(stacked.cells, names).map { try self.cell($0, name: $1) })
            return object("keras.layers", "StackedRNNCells", .object(c))
        default:
            throw FileFormatError("layer '\(name)': cells of type \(type(of: cell)) cannot be saved")
        }
    }

    static func recurrentFlags(_ rnn: RNN<Float>) -> [String: JSONValue] {
        [
            "return_sequences": .bool(rnn.returnSequences), "return_state": .bool(rnn.returnState),
            "go_backwards": .bool(rnn.goBackwards), "stateful": .bool(rnn.stateful), "unroll": .bool(rnn.unroll),
            "zero_output_for_mask": .bool(rnn.zeroOutputForMask),
        ]
    }
}
