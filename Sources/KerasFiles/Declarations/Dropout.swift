import SwiftGRU

extension LayerDeclaration {
    static let dropout = LayerDeclaration(
        classNames: ["Dropout"],
        decode: { c, name, decoder in
            let noise = c["noise_shape"]?.array?.map { $0.int }
            return try Dropout<Float>(rate: c["rate"]?.double ?? 0, noiseShape: noise, seed: decoder.seed(c), name: name)
        },
        matches: { $0 is Dropout<Float> },
        encode: { layer in
            guard let dropout = layer as? Dropout<Float> else { return nil }
            return [
                "rate": .number(dropout.rate), "noise_shape": dropout.noiseShape.map(KerasConfigEncoder.shape) ?? .null,
                "seed": KerasConfigEncoder.seed(dropout.seed),
            ]
        },
        onnx: .identity)
}
