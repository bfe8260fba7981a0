import SwiftGRU

extension KerasLayerCodec {
    static let flatten = KerasLayerCodec(
        classNames: ["Flatten"],
        decode: { c, name, decoder in Flatten<Float>(dataFormat: try decoder.dataFormat(c["data_format"], layer: name), name: name) },
        matches: { $0 is Flatten<Float> },
        encode: { layer in (layer as? Flatten<Float>).map { ["data_format": .string($0.dataFormat.rawValue)] } })

    static let reshape = KerasLayerCodec(
        classNames: ["Reshape"],
        decode: { c, name, _ in try Reshape<Float>(targetShape: c["target_shape"]?.array?.compactMap(\.int) ?? [], name: name) },
        matches: { $0 is Reshape<Float> },
        encode: { layer in (layer as? Reshape<Float>).map { ["target_shape": KerasConfigEncoder.integers($0.targetShape)] } })

    static let permute = KerasLayerCodec(
        classNames: ["Permute"],
        decode: { c, name, _ in try Permute<Float>(dims: c["dims"]?.array?.compactMap(\.int) ?? [], name: name) },
        matches: { $0 is Permute<Float> },
        encode: { layer in (layer as? Permute<Float>).map { ["dims": KerasConfigEncoder.integers($0.dims)] } })

    static let repeatVector = KerasLayerCodec(
        classNames: ["RepeatVector"],
        decode: { c, name, _ in try RepeatVector<Float>(n: c["n"]?.int ?? 0, name: name) },
        matches: { $0 is RepeatVector<Float> },
        encode: { layer in (layer as? RepeatVector<Float>).map { ["n": .integer($0.n)] } })

    static let zeroPadding1D = KerasLayerCodec(
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
        })

    static let cropping1D = KerasLayerCodec(
        classNames: ["Cropping1D"],
        decode: { c, name, decoder in try Cropping1D<Float>(cropping: decoder.pair(c["cropping"], fallback: (1, 1), "cropping", layer: name), name: name) },
        matches: { $0 is Cropping1D<Float> },
        encode: { layer in (layer as? Cropping1D<Float>).map { ["cropping": [.integer($0.cropping.start), .integer($0.cropping.end)]] } })

    static let upSampling1D = KerasLayerCodec(
        classNames: ["UpSampling1D"],
        decode: { c, name, _ in try UpSampling1D<Float>(size: c["size"]?.int ?? 2, name: name) },
        matches: { $0 is UpSampling1D<Float> },
        encode: { layer in (layer as? UpSampling1D<Float>).map { ["size": .integer($0.size)] } })
}
