import SwiftGRU

extension LayerDeclaration {
    /// `GRU`.
    static let gru = LayerDeclaration(
        classNames: ["GRU"],
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
            return c
        },
        weightGroups: recurrentWeights, inertKeys: LayerDeclaration.recurrentInertKeys, onnx: ONNXExporter.recurrentLayer,
        nnGRU: { layer in (layer as? GRU<Float>).map { [($0, "")] } ?? [] })
}

extension LayerDeclaration {
    /// `CuDNNGRU` (Keras 2 and tf.keras 1 files trained on GPUs) is read as the GRU it
    /// computes (reset_after, tanh and sigmoid); its weights, in cuDNN's layout, are converted
    /// when loaded (``CuDNNWeights``). Files are written with the GRU class.
    static let cuDNNGRU = LayerDeclaration(
        classNames: ["CuDNNGRU"],
        decode: { c, name, decoder in
            decoder.notes.cuDNNLayers.append(name)
            return try decoder.gru(
                c.setting("activation", to: "tanh").setting("recurrent_activation", to: "sigmoid").setting("reset_after", to: true),
                name: name)
        },
        matches: { _ in false },
        encode: { _ in nil })
}

extension KerasConfigDecoder {
    func useCuDNN(_ value: JSONValue?) -> UseCuDNN {
        switch value {
        case .bool(true)?: .enabled
        case .bool(false)?: .disabled
        default: .auto
        }
    }

    func gru(_ c: KerasConfig, name: String) throws -> GRU<Float> {
        var configuration = GRU<Float>.Configuration(cell: try gruCellConfiguration(c, name: name))
        configuration.activityRegularizer = try regularizer(c["activity_regularizer"], layer: name)
        configuration.returnSequences = c["return_sequences"]?.bool ?? false
        configuration.returnState = c["return_state"]?.bool ?? false
        configuration.goBackwards = c["go_backwards"]?.bool ?? false
        configuration.stateful = c["stateful"]?.bool ?? false
        configuration.unroll = c["unroll"]?.bool ?? false
        configuration.timeMajor = c["time_major"]?.bool ?? false
        configuration.zeroOutputForMask = c["zero_output_for_mask"]?.bool ?? false
        configuration.useCuDNN = useCuDNN(c["use_cudnn"])
        configuration.name = name
        return try GRU(configuration)
    }

    /// The cell arguments of a GRU or GRUCell configuration.
    func gruCellConfiguration(_ c: KerasConfig, name: String) throws -> GRUCell<Float>.Configuration {
        let p = try cellPenalties(c, name: name)
        return GRUCell<Float>.Configuration(
            units: c["units"]?.int ?? 0,
            activation: try activation(c["activation"], layer: name),
            recurrentActivation: try activation(c["recurrent_activation"], layer: name),
            useBias: c["use_bias"]?.bool ?? true,
            kernelInitializer: try initializer(c["kernel_initializer"], default: .glorotUniform(), layer: name),
            recurrentInitializer: try initializer(c["recurrent_initializer"], default: .orthogonal(), layer: name),
            biasInitializer: try initializer(c["bias_initializer"], default: .zeros, layer: name),
            kernelRegularizer: p.kernelRegularizer, recurrentRegularizer: p.recurrentRegularizer, biasRegularizer: p.biasRegularizer,
            kernelConstraint: p.kernelConstraint, recurrentConstraint: p.recurrentConstraint, biasConstraint: p.biasConstraint,
            dropout: c["dropout"]?.double ?? 0, recurrentDropout: c["recurrent_dropout"]?.double ?? 0,
            // Keras before 2.1.3 had no reset_after: its GRU was the reset-before variant.
            seed: seed(c), resetAfter: c["reset_after"]?.bool ?? false)
    }
}

extension KerasConfigEncoder {
    static func cellConfig(_ gruCell: GRUCell<Float>, name: String) throws -> [String: JSONValue] {
        let cell = gruCell.configuration
        var c = base(name)
        c["units"] = .integer(cell.units)
        c["activation"] = try activation(cell.activation, layer: name)
        c["recurrent_activation"] = try activation(cell.recurrentActivation, layer: name)
        c["use_bias"] = .bool(cell.useBias)
        c["kernel_initializer"] = initializer(cell.kernelInitializer)
        c["recurrent_initializer"] = initializer(cell.recurrentInitializer)
        c["bias_initializer"] = initializer(cell.biasInitializer)
        c.merge(penaltyEntries(gruCell)) { $1 }
        c["dropout"] = .number(cell.dropout)
        c["recurrent_dropout"] = .number(cell.recurrentDropout)
        c["reset_after"] = .bool(cell.resetAfter)
        c["seed"] = seed(cell.seed)
        return c
    }
}

extension CellDeclaration {
    /// `GRUCell`: an ONNX `GRU` node (`linear_before_reset` 1 for `reset_after`), gates z, r, h
    /// as Keras keeps them.
    static let gruCell = CellDeclaration.of(
        "GRUCell", GRUCell<Float>.self,
        decode: { c, name, decoder in try GRUCell(decoder.gruCellConfiguration(c, name: name)) },
        encode: { cell, name in try KerasConfigEncoder.cellConfig(cell, name: name) },
        onnx: { cell in
            .node(try ONNXRecurrentNode(
                op: "GRU", hidden: cell.units, weights: cell.weights, activations: [cell.recurrentActivation, cell.activation],
                attributes: [("linear_before_reset", .int(cell.resetAfter ? 1 : 0))],
                bias: { cell.resetAfter ? $0 : try ONNXRecurrentNode.zeroRecurrentBias($0) }))
        })
}
