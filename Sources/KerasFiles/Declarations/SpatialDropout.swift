import SwiftGRU

extension LayerDeclaration {
    /// `SpatialDropout2D` and `SpatialDropout3D`.
    static func spatialDropout(rank: Int) -> LayerDeclaration {
        LayerDeclaration(
            classNames: ["SpatialDropout\(rank)D"],
            decode: { c, name, decoder in
                let rate = c["rate"]?.double ?? 0, format = try decoder.dataFormat(c["data_format"], layer: name), seed = decoder.seed(c)
                return rank == 2
                    ? try SpatialDropout2D<Float>(rate: rate, dataFormat: format, seed: seed, name: name)
                    : try SpatialDropout3D<Float>(rate: rate, dataFormat: format, seed: seed, name: name)
            },
            matches: { ($0 as? SpatialDropout<Float>)?.spatialRank == rank },
            encode: { layer in
                guard let dropout = layer as? SpatialDropout<Float>, dropout.spatialRank == rank else { return nil }
                // As Keras' spatial dropouts write it: the dtype as the policy's name, no `trainable`
                // (their constructors do not take it).
                return [
                    "rate": .number(dropout.rate), "seed": KerasConfigEncoder.seed(dropout.seed),
                    "data_format": .string(dropout.dataFormat.rawValue), "dtype": "float32",
                ]
            },
            writesTrainable: false, onnx: .identity)
    }
}
