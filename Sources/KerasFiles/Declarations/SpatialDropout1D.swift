import SwiftGRU

extension LayerDeclaration {
    static let spatialDropout1D = LayerDeclaration(
        classNames: ["SpatialDropout1D"],
        decode: { c, name, decoder in try SpatialDropout1D<Float>(rate: c["rate"]?.double ?? 0, seed: decoder.seed(c), name: name) },
        matches: { $0 is SpatialDropout1D<Float> },
        encode: { layer in
            // Keras' SpatialDropout1D writes its dtype as the policy's name.
            (layer as? SpatialDropout1D<Float>).map { ["rate": .number($0.rate), "seed": KerasConfigEncoder.seed($0.seed), "dtype": "float32"] }
        },
        writesTrainable: false, onnx: .identity)
}
