import SwiftGRU

extension KerasLayerCodec {
    static let reLU = KerasLayerCodec(
        classNames: ["ReLU"],
        decode: { c, name, _ in
            try ReLU<Float>(
                maxValue: c["max_value"]?.double.map { Float($0) }, negativeSlope: Float(c["negative_slope"]?.double ?? 0),
                threshold: Float(c["threshold"]?.double ?? 0), name: name)
        },
        matches: { $0 is ReLU<Float> && !($0 is LeakyReLU<Float>) },
        encode: { layer in
            guard let relu = layer as? ReLU<Float> else { return nil }
            return [
                "max_value": relu.maxValue.map { .number(Double($0)) } ?? .null,
                "negative_slope": .number(Double(relu.negativeSlope)), "threshold": .number(Double(relu.threshold)),
            ]
        })

    /// `LeakyReLU`: Keras 3 names its slope `negative_slope`, Keras 2 `alpha`.
    static let leakyReLU = KerasLayerCodec(
        classNames: ["LeakyReLU"],
        decode: { c, name, _ in
            try LeakyReLU<Float>(negativeSlope: Float(c["negative_slope"]?.double ?? c["alpha"]?.double ?? 0.3), name: name)
        },
        matches: { $0 is LeakyReLU<Float> },
        encode: { layer in
            guard let leaky = layer as? LeakyReLU<Float> else { return nil }
            return ["negative_slope": .number(Double(leaky.negativeSlope))]
        })
}
