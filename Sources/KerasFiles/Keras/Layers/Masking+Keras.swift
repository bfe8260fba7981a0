import SwiftGRU

extension KerasLayerCodec {
    static let masking = KerasLayerCodec(
        classNames: ["Masking"],
        decode: { c, name, _ in Masking<Float>(maskValue: Float(c["mask_value"]?.double ?? 0), name: name) },
        matches: { $0 is Masking<Float> },
        encode: { layer in
            guard let masking = layer as? Masking<Float> else { return nil }
            return ["mask_value": .number(Double(masking.maskValue))]
        })
}
