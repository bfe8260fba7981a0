import SwiftGRU

extension LayerDeclaration {
    static let zeroPadding1D = LayerDeclaration(
        classNames: ["ZeroPadding1D"],
        decode: { c, name, decoder in
            try ZeroPadding1D<Float>(
                padding: decoder.pair(c["padding"], fallback: (1, 1), "padding", layer: name),
                dataFormat: decoder.dataFormat(c["data_format"], layer: name), name: name)
        },
        matches: { $0 is ZeroPadding1D<Float> },
        encode: { layer in
            guard let pad = layer as? ZeroPadding1D<Float> else { return nil }
            var config: [String: JSONValue] = ["padding": [.integer(pad.padding.before), .integer(pad.padding.after)]]
            // Keras before 3.6 has no data_format argument here; only the non-default is written.
            if pad.dataFormat == .channelsFirst { config["data_format"] = .string(pad.dataFormat.rawValue) }
            return config
        },
        onnx: .zeroPadding1D)
}

extension ONNXEmitter {
    static let zeroPadding1D = ONNXEmitter.of(ZeroPadding1D<Float>.self) { e, padding, call in
        guard padding.dataFormat == .channelsLast, call.x.lengths == nil else { throw e.fail(padding, "only channels_last padding of unmasked steps is exported") }
        let pads = e.graph.int64s([0, padding.padding.before, 0, 0, padding.padding.after, 0])
        return [ONNXValue(name: e.graph.op("Pad", [call.x.name, pads]))]
    }
}
