import SwiftGRU

extension LayerDeclaration {
    /// `RNN` over a `GRUCell` or `StackedRNNCells`.
    static let rnn = LayerDeclaration(
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
            c["cell"] = try KerasConfigEncoder.cell(rnn.cell)
            return c
        },
        weightGroups: recurrentWeights, onnx: ONNXExporter.recurrentLayer)
}

/// The RNN arguments of a recurrent layer's configuration.
struct RecurrentOptions {
    var returnSequences: Bool, returnState: Bool, goBackwards: Bool, stateful: Bool, unroll: Bool, timeMajor: Bool
}

extension LayerDeclaration {
    /// The declaration of a recurrent layer over one kind of cell (LSTM, SimpleRNN): the cell's
    /// arguments and the RNN's in one configuration, weights under `cell/`.
    static func recurrent<L: RNN<Float>>(
        _ className: String, _: L.Type,
        make: @escaping @Sendable (_ config: KerasConfig, _ name: String, _ decoder: KerasConfigDecoder, _ options: RecurrentOptions) throws -> L,
        cellEntries: @escaping @Sendable (L) throws -> [String: JSONValue],
        matches: (@Sendable (_ layer: any Layer<Float>) -> Bool)? = nil, onnx: ONNXEmitter? = ONNXExporter.recurrentLayer
    ) -> LayerDeclaration {
        LayerDeclaration(
            classNames: [className],
            decode: { c, name, decoder in
                let options = RecurrentOptions(
                    returnSequences: c["return_sequences"]?.bool ?? false, returnState: c["return_state"]?.bool ?? false,
                    goBackwards: c["go_backwards"]?.bool ?? false, stateful: c["stateful"]?.bool ?? false,
                    unroll: c["unroll"]?.bool ?? false, timeMajor: c["time_major"]?.bool ?? false)
                let layer = try make(c, name, decoder, options)
                layer.zeroOutputForMask = c["zero_output_for_mask"]?.bool ?? false
                return layer
            },
            matches: matches ?? { $0 is L },
            encode: { layer in
                guard let rnn = layer as? L, matches?(layer) ?? true else { return nil }
                guard !rnn.timeMajor else {
                    throw FileFormatError("layer '\(rnn.name)': time_major is a tf.keras 2 argument that Keras 3 files cannot hold")
                }
                var c = try cellEntries(rnn)
                c.merge(KerasConfigEncoder.recurrentFlags(rnn)) { $1 }
                c["activity_regularizer"] = KerasConfigEncoder.regularizer(rnn.activityRegularizer)
                return c
            },
            weightGroups: recurrentWeights, inertKeys: recurrentInertKeys.union(["use_cudnn"]), onnx: onnx)
    }

    /// Keys of recurrent layers and cells that do not change what they compute: Keras 2's
    /// `implementation` (1 or 2, an order of the same products).
    static let recurrentInertKeys: Set<String> = ["implementation"]

    /// A recurrent layer's weights: its cell's, under `cell/`.
    @Sendable static func recurrentWeights(_ layer: any Layer<Float>) -> WeightGroups {
        (layer as? RNN<Float>).map { KerasWeightLayout.cellGroups($0.cell, prefix: "cell") } ?? []
    }
}

extension KerasConfigDecoder {
    /// The regularizers and constraints of a recurrent cell's kernel, recurrent kernel and bias.
    func cellPenalties(_ c: KerasConfig, name: String) throws -> (
        kernelRegularizer: Regularizer?, recurrentRegularizer: Regularizer?, biasRegularizer: Regularizer?,
        kernelConstraint: Constraint?, recurrentConstraint: Constraint?, biasConstraint: Constraint?
    ) {
        (try regularizer(c["kernel_regularizer"], layer: name), try regularizer(c["recurrent_regularizer"], layer: name),
         try regularizer(c["bias_regularizer"], layer: name), try constraint(c["kernel_constraint"], layer: name),
         try constraint(c["recurrent_constraint"], layer: name), try constraint(c["bias_constraint"], layer: name))
    }

    func cell(_ object: JSONValue, layer: String) throws -> any RecurrentCell<Float> {
        let c = KerasConfig(object["config"] ?? .null)
        let className = object["class_name"]?.string ?? "?"
        let name = c["name"]?.string ?? layer
        guard let declaration = CellDeclarations.byClassName[className] else {
            throw fail("layer '\(layer)': unsupported RNN cell '\(className)'; supported: \(CellDeclarations.all.map(\.className).joined(separator: ", "))")
        }
        let cell = try declaration.decode(c, name, self)
        cell.name = name
        try checkEveryKeyRead(c, layer: name, className: className, inertKeys: LayerDeclaration.recurrentInertKeys)
        return cell
    }
}

extension KerasConfigEncoder {
    static func cell(_ cell: any RecurrentCell<Float>, name: String? = nil) throws -> JSONValue {
        let declaration = try CellDeclarations.declaration(for: cell)
        return object("keras.layers", declaration.className, .object(try declaration.encode(cell, name ?? cell.name)))
    }

    /// The entries of a recurrent cell with a kernel, a recurrent kernel and a bias (LSTM, SimpleRNN).
    static func denseCellEntries(
        _ cell: some KernelRecurrentBiasCell, name: String, units: Int, activation: Activation, useBias: Bool,
        initializers: (Initializer, Initializer, Initializer), dropout: Double, recurrentDropout: Double, seed: UInt64?
    ) throws -> [String: JSONValue] {
        var c = base(name)
        c["units"] = .integer(units)
        c["activation"] = try self.activation(activation, layer: name)
        c["use_bias"] = .bool(useBias)
        c["kernel_initializer"] = initializer(initializers.0)
        c["recurrent_initializer"] = initializer(initializers.1)
        c["bias_initializer"] = initializer(initializers.2)
        c.merge(penaltyEntries(cell)) { $1 }
        c["dropout"] = .number(dropout)
        c["recurrent_dropout"] = .number(recurrentDropout)
        c["seed"] = self.seed(seed)
        return c
    }

    /// A recurrent cell's regularizers and constraints as Keras writes them.
    static func penaltyEntries(_ cell: some KernelRecurrentBiasCell) -> [String: JSONValue] {
        [
            "kernel_regularizer": regularizer(cell.kernelRegularizer), "recurrent_regularizer": regularizer(cell.recurrentRegularizer),
            "bias_regularizer": regularizer(cell.biasRegularizer), "kernel_constraint": constraint(cell.kernelConstraint),
            "recurrent_constraint": constraint(cell.recurrentConstraint), "bias_constraint": constraint(cell.biasConstraint),
        ]
    }

    static func recurrentFlags(_ rnn: RNN<Float>) -> [String: JSONValue] {
        [
            "return_sequences": .bool(rnn.returnSequences), "return_state": .bool(rnn.returnState),
            "go_backwards": .bool(rnn.goBackwards), "stateful": .bool(rnn.stateful), "unroll": .bool(rnn.unroll),
            "zero_output_for_mask": .bool(rnn.zeroOutputForMask),
        ]
    }
}

extension CellDeclaration {
    /// `StackedRNNCells`: its cells in order; in ONNX one node per cell.
    static let stackedRNNCells = CellDeclaration.of(
        "StackedRNNCells", StackedRNNCells<Float>.self,
        decode: { c, name, decoder in try StackedRNNCells((c["cells"]?.array ?? []).map { try decoder.cell($0, layer: name) }) },
        encode: { stacked, name in
            var c = KerasConfigEncoder.base(name)
            // Cells made here share their kind's default name; Keras numbers them.
            let names = UniqueName.make(stacked.cells.map(\.name))
            c["cells"] = .array(try zip(stacked.cells, names).map { try KerasConfigEncoder.cell($0, name: $1) })
            return c
        },
        onnx: { stacked in .stack(stacked.cells) },
        innerCells: { stacked in stacked.cells })
}
