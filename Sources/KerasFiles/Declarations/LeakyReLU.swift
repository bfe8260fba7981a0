import SwiftGRU

extension LayerDeclaration {
    /// `LeakyReLU`: Keras 3 names its slope `negative_slope`, Keras 2 `alpha`.
    static let leakyReLU = LayerDeclaration(
        classNames: ["LeakyReLU"],
        decode: { c, name, _ in
            try LeakyReLU<Float>(negativeSlope: Float(c["negative_slope"]?.double ?? c["alpha"]?.double ?? 0.3), name: name)
        },
        matches: { $0 is LeakyReLU<Float> },
        encode: { layer in
            guard let leaky = layer as? LeakyReLU<Float> else { return nil }
            return ["negative_slope": .number(Double(leaky.negativeSlope))]
        },
        onnx: .reLU)
}
